"""A person's own distractions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Distraction

MAX_DISTRACTIONS = 30


async def add(session: AsyncSession, user_id: int, text: str, now: datetime) -> Distraction:
    item = Distraction(user_id=user_id, text=text, created_at=now)
    session.add(item)
    await session.flush()
    return item


async def list_for(session: AsyncSession, user_id: int) -> list[Distraction]:
    rows = await session.scalars(
        select(Distraction).where(Distraction.user_id == user_id).order_by(Distraction.id)
    )
    return list(rows)


async def delete(session: AsyncSession, user_id: int, item_id: int) -> bool:
    item = await session.get(Distraction, item_id)
    if item is None or item.user_id != user_id:
        return False
    await session.delete(item)
    return True
