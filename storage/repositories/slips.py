"""Slips (what happened after a return to use). The day of use itself is a use_events row,
recorded through storage.repositories.recovery so the start date is never touched."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Slip, UseEvent
from storage.repositories import recovery


async def start(session: AsyncSession, user_id: int, day: date, now: datetime, source: str,
                time_of_day: str | None = None) -> Slip:
    """Record the day of use (once per day) and open a slip row for the questions."""
    recorded = await recovery.record_use(session, user_id, day, now, source)
    slip = Slip(user_id=user_id, created_at=now, day=day, source=source, recorded=recorded,
                time_of_day=time_of_day)
    session.add(slip)
    await session.flush()
    return slip


async def get_owned(session: AsyncSession, user_id: int, slip_id: int) -> Slip | None:
    slip = await session.get(Slip, slip_id)
    return slip if slip is not None and slip.user_id == user_id else None


async def update(session: AsyncSession, user_id: int, slip_id: int, **fields: Any,
                 ) -> Slip | None:
    slip = await get_owned(session, user_id, slip_id)
    if slip is None:
        return None
    for name, value in fields.items():
        if name not in ("trigger", "time_of_day", "next_step", "next_step_text"):
            raise AttributeError(name)
        setattr(slip, name, value)
    return slip


async def _release_day(session: AsyncSession, slip: Slip) -> None:
    """Take back the use_events row this slip added, unless another slip claims that day."""
    if not slip.recorded:
        return
    others = await session.scalar(select(func.count()).select_from(Slip).where(
        Slip.user_id == slip.user_id, Slip.day == slip.day, Slip.id != slip.id))
    if not others:
        await session.execute(delete(UseEvent).where(UseEvent.user_id == slip.user_id,
                                                     UseEvent.day == slip.day))
    slip.recorded = False


async def move_day(session: AsyncSession, user_id: int, slip_id: int, day: date,
                   now: datetime) -> Slip | None:
    """The person said it was another day: move the record, never touching other days."""
    slip = await get_owned(session, user_id, slip_id)
    if slip is None:
        return None
    if day != slip.day:
        await _release_day(session, slip)
        slip.recorded = await recovery.record_use(session, user_id, day, now, slip.source)
        slip.day = day
    return slip


async def undo(session: AsyncSession, user_id: int, slip_id: int) -> bool:
    """"That's not what I meant": remove the slip and the day it added."""
    slip = await get_owned(session, user_id, slip_id)
    if slip is None:
        return False
    await _release_day(session, slip)
    await session.delete(slip)
    return True


async def list_for(session: AsyncSession, user_id: int) -> list[Slip]:
    rows = await session.scalars(select(Slip).where(Slip.user_id == user_id).order_by(Slip.id))
    return list(rows)
