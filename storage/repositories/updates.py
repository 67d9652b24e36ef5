"""Incoming updates across processes: each update_id taken on once, and one person's
updates handled by one process at a time (a lease that expires if the process dies).

Both are single statements (insert-or-ignore, insert-or-take-over-if-expired), so they
cost one round trip each and never wait on a lock held by another process.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.models import ProcessedUpdate, UserLease

Unit = AsyncSession | AsyncConnection  # the update gate runs on a bare connection


async def _conn(unit: Unit) -> AsyncConnection:
    return await unit.connection() if isinstance(unit, AsyncSession) else unit


def _insert(conn: AsyncConnection, model: type) -> postgresql.Insert | sqlite.Insert:
    return (postgresql.insert(model) if conn.dialect.name == "postgresql"
            else sqlite.insert(model))


_CLAIM: dict[str, Any] = {}  # per dialect, built once: this runs on every update


async def claim(unit: Unit, update_id: int, now: datetime) -> bool:
    """True if this update_id was not seen before (and now is); False for a repeat."""
    conn = await _conn(unit)
    dialect = conn.dialect.name
    stmt = _CLAIM.get(dialect)
    if stmt is None:
        table = ProcessedUpdate.__table__
        ins = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
        stmt = _CLAIM[dialect] = (ins.on_conflict_do_nothing(index_elements=["update_id"])
                                  .returning(table.c.update_id))
    result = await conn.execute(stmt, {"update_id": update_id, "received_at": now})
    return result.first() is not None


async def take_lease(unit: Unit, user_id: int, holder: str, now: datetime,
                     until: datetime) -> bool:
    """Take this person's lease if it is free, expired or already ours."""
    conn = await _conn(unit)
    ins = _insert(conn, UserLease).values(user_id=user_id, holder=holder, expires_at=until)
    stmt = ins.on_conflict_do_update(
        index_elements=["user_id"],
        set_={"holder": ins.excluded.holder, "expires_at": ins.excluded.expires_at},
        where=(UserLease.expires_at < now) | (UserLease.holder == holder),
    ).returning(UserLease.user_id)
    return (await conn.execute(stmt)).first() is not None


async def release_lease(unit: Unit, user_id: int, holder: str) -> None:
    await unit.execute(delete(UserLease).where(UserLease.user_id == user_id,
                                               UserLease.holder == holder))


async def release_all(unit: Unit, holder: str) -> int:
    result = await unit.execute(delete(UserLease).where(UserLease.holder == holder))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def prune(session: AsyncSession, seen_before: datetime, now: datetime) -> int:
    """Forget update ids older than Telegram would retry, and leases of dead processes."""
    result = await session.execute(delete(ProcessedUpdate)
                                   .where(ProcessedUpdate.received_at < seen_before))
    await session.execute(delete(UserLease).where(UserLease.expires_at < now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
