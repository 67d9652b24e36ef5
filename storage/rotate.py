"""Re-encrypt every encrypted field with the first key (DATA_KEY rotation)."""

from __future__ import annotations

from sqlalchemy import Column, MetaData, Table, Text, select, update

from storage.db import Database
from storage.models import Base
from storage.types import EncryptedJSON, EncryptedText


def _raw_views() -> list[tuple[Table, list[str]]]:
    """Each table with encrypted columns, re-declared with those columns as plain text,
    so tokens are read and written as they are, never decrypted to text."""
    meta = MetaData()
    views = []
    for table in Base.metadata.sorted_tables:
        enc = [c.name for c in table.columns if isinstance(c.type, EncryptedText | EncryptedJSON)]
        if not enc:
            continue
        cols = [Column(c.name, c.type, primary_key=c.primary_key) for c in table.primary_key]
        cols += [Column(name, Text) for name in enc]
        views.append((Table(table.name, meta, *cols), enc))
    return views


async def rotate_keys(db: Database) -> int:
    count = 0
    try:
        async with db.engine.begin() as conn:
            for view, enc in _raw_views():
                pk = list(view.primary_key.columns)
                for row in (await conn.execute(select(view))).mappings():
                    values = {n: db.cipher.rotate(row[n]) for n in enc if row[n] is not None}
                    if values:
                        where = [c == row[c.name] for c in pk]
                        await conn.execute(update(view).where(*where).values(values))
                        count += len(values)
    finally:
        await db.dispose()
    return count
