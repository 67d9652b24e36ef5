"""Export and erase everything about one person, generically over `Base.metadata`.

A table is about a person when a column is named `user_id` or references `users.id`;
rows of other tables that reference such rows (foreign keys without ON DELETE SET NULL)
belong to the person too. Tables added by later features are covered without any change
here, so /export and /delete can never forget one.
"""

from __future__ import annotations

import base64
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, ColumnElement, MetaData, Table, delete, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Base

USERS = "users"


def _refs_users(column: Column[Any]) -> bool:
    return any(fk.target_fullname in ("users.id", f"{USERS}.id") for fk in column.foreign_keys)


def user_columns(metadata: MetaData = Base.metadata) -> list[tuple[Table, list[Column[Any]]]]:
    """Every table with the columns that hold a person's id (users: its primary key)."""
    out = []
    for table in metadata.sorted_tables:
        if table.name == USERS:
            out.append((table, [table.c.id]))
            continue
        cols = [c for c in table.columns if c.name == "user_id" or _refs_users(c)]
        if cols:
            out.append((table, cols))
    return out


def _conditions(user_id: int, metadata: MetaData) -> dict[str, ColumnElement[bool]]:
    """For each table holding rows about the person, the WHERE that selects them."""
    direct = {t.name: cols for t, cols in user_columns(metadata)}
    conds: dict[str, ColumnElement[bool]] = {}
    for table in metadata.sorted_tables:  # parents before children
        parts: list[ColumnElement[bool]] = [c == user_id for c in direct.get(table.name, [])]
        for fk in table.foreign_keys:
            parent = fk.column.table
            if parent.name == table.name or parent.name not in conds or parent.name == USERS:
                continue
            if (fk.ondelete or "").upper() == "SET NULL":
                continue  # the database clears the link; the row belongs to someone else
            parts.append(fk.parent.in_(select(fk.column).where(conds[parent.name])))
        if parts:
            conds[table.name] = or_(false(), *parts)
    return conds


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


async def export_user(session: AsyncSession, user_id: int,
                      metadata: MetaData = Base.metadata) -> dict[str, list[dict[str, Any]]]:
    """Every row about the person, decrypted, as plain JSON-able values, by table."""
    out: dict[str, list[dict[str, Any]]] = {}
    for table in metadata.sorted_tables:
        cond = _conditions(user_id, metadata).get(table.name)
        if cond is None:
            continue
        query = select(table).where(cond).order_by(*table.primary_key.columns)
        rows = (await session.execute(query)).mappings().all()
        out[table.name] = [{k: _plain(v) for k, v in row.items()} for row in rows]
    return out


async def erase_user(session: AsyncSession, user_id: int,
                     metadata: MetaData = Base.metadata) -> dict[str, int]:
    """Hard-delete every row about the person (children first). Returns rows per table."""
    conds = _conditions(user_id, metadata)
    counts: dict[str, int] = {}
    for table in reversed(metadata.sorted_tables):
        cond = conds.get(table.name)
        if cond is None:
            continue
        result = await session.execute(delete(table).where(cond))
        counts[table.name] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return counts
