"""Read the database the way an auditor would: every table, every column holding a user id."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from storage.db import Database
from storage.erasure import user_columns
from storage.models import Base


async def row_counts(db: Database) -> dict[str, int]:
    """Rows per table (the key-check row in `meta` is the database's, not a person's)."""
    out = {}
    async with db.session() as s:
        for table in Base.metadata.sorted_tables:
            out[table.name] = int(await s.scalar(select(func.count()).select_from(table)) or 0)
    return out


async def rows_about(db: Database, user_id: int) -> dict[str, int]:
    """Rows per table with any user-id column equal to `user_id` (non-zero ones only)."""
    out = {}
    async with db.session() as s:
        for table, cols in user_columns():
            n = int(await s.scalar(select(func.count()).select_from(table).where(
                or_(*(c == user_id for c in cols)))) or 0)
            if n:
                out[table.name] = n
    return out
