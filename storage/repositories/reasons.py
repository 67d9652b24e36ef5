"""Reasons for recovery (text or a photo's Telegram file id)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Reason


async def add(session: AsyncSession, user_id: int, now: datetime, *, text: str | None = None,
              photo_file_id: str | None = None) -> Reason:
    if not text and not photo_file_id:
        raise ValueError("a reason needs text or a photo")
    reason = Reason(user_id=user_id, text=text, photo_file_id=photo_file_id, created_at=now)
    session.add(reason)
    await session.flush()
    return reason


async def list_for(session: AsyncSession, user_id: int) -> list[Reason]:
    rows = await session.scalars(
        select(Reason).where(Reason.user_id == user_id).order_by(Reason.id)
    )
    return list(rows)


async def delete(session: AsyncSession, user_id: int, reason_id: int) -> bool:
    reason = await session.get(Reason, reason_id)
    if reason is None or reason.user_id != user_id:
        return False
    await session.delete(reason)
    return True
