"""People who consented."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import User


async def get(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


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
