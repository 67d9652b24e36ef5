"""What the bot waits for a person to type. One row per person; a new wait replaces it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import PendingInput


async def set_(session: AsyncSession, user_id: int, kind: str, now: datetime,
               data: dict[str, Any] | None = None) -> None:
    row = await session.get(PendingInput, user_id)
    if row is None:
        session.add(PendingInput(user_id=user_id, kind=kind, data=data or {}, created_at=now))
    else:
        row.kind, row.data, row.created_at = kind, data or {}, now


async def get(session: AsyncSession, user_id: int) -> PendingInput | None:
    return await session.get(PendingInput, user_id)


async def clear(session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(PendingInput).where(PendingInput.user_id == user_id))
