"""Days of use (slips). Recording one never touches the start date or older records."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import UseEvent


async def record_use(session: AsyncSession, user_id: int, day: date, now: datetime,
                     source: str) -> bool:
    """Record a day of use; False when that day was already recorded."""
    existing = await session.scalar(
        select(UseEvent).where(UseEvent.user_id == user_id, UseEvent.day == day)
    )
    if existing is not None:
        return False
    session.add(UseEvent(user_id=user_id, day=day, reported_at=now, source=source))
    await session.flush()
    return True


async def use_days(session: AsyncSession, user_id: int) -> list[date]:
    rows = await session.scalars(
        select(UseEvent.day).where(UseEvent.user_id == user_id).order_by(UseEvent.day)
    )
    return list(rows)
