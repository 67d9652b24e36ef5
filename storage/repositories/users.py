"""People who consented."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from storage.models import User

_BY_ID = select(User.__table__).where(User.__table__.c.id == bindparam("uid"))


async def get(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def load(conn: AsyncConnection, user_id: int) -> User | None:
    """The person as a detached User, read on a bare connection: what `session.get`
    gives once its session has closed, at half the cost (every update loads one)."""
    row = (await conn.execute(_BY_ID, {"uid": user_id})).mappings().first()
    if row is None:
        return None
    user = User(**row)
    make_transient_to_detached(user)
    return user


async def create(
    session: AsyncSession, user_id: int, now: datetime, *, locale: str = "en",
    timezone: str | None = None, country: str | None = None,
) -> User:
    """Record consent. Idempotent: a second consent keeps the existing row."""
    user = await session.get(User, user_id)
    if user is not None:
        return user
    user = User(id=user_id, created_at=now, consented_at=now, locale=locale, timezone=timezone,
                country=country, discreet=False, unreachable=False, onboarded=False)
    session.add(user)
    await session.flush()
    return user


async def update(session: AsyncSession, user_id: int, **fields: Any) -> User | None:
    user = await session.get(User, user_id)
    if user is None:
        return None
    for name, value in fields.items():
        if not hasattr(User, name):
            raise AttributeError(name)
        setattr(user, name, value)
    return user


async def mark_reachable(session: AsyncSession, user_id: int) -> None:
    user = await session.get(User, user_id)
    if user is not None and user.unreachable:
        user.unreachable = False


async def ids(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(User.id)))
