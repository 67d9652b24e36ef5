"""If-then plans."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Plan

MAX_PLANS = 30


async def add(session: AsyncSession, user_id: int, situation: str, action: str, now: datetime,
              trigger: str | None = None) -> Plan:
    plan = Plan(user_id=user_id, trigger=trigger, situation=situation, action=action,
                created_at=now, updated_at=now)
    session.add(plan)
    await session.flush()
    return plan


async def list_for(session: AsyncSession, user_id: int) -> list[Plan]:
    rows = await session.scalars(select(Plan).where(Plan.user_id == user_id).order_by(Plan.id))
    return list(rows)


_PL = Plan.__table__
_BRIEF = (select(_PL.c.id, _PL.c.trigger, _PL.c.situation, _PL.c.action)
          .where(_PL.c.user_id == bindparam("uid")).order_by(_PL.c.id))


async def brief_for(session: AsyncSession, user_id: int) -> list[Any]:
    """A person's plans as rows (id, trigger, situation, action), oldest first: what the
    craving reply shows, without building ORM objects (it runs on every craving)."""
    conn = await session.connection()
    return list(await conn.execute(_BRIEF, {"uid": user_id}))


async def count_for(session: AsyncSession, user_id: int) -> int:
    return int(await session.scalar(select(func.count()).where(Plan.user_id == user_id)) or 0)


async def get_owned(session: AsyncSession, user_id: int, plan_id: int) -> Plan | None:
    plan = await session.get(Plan, plan_id)
    return plan if plan is not None and plan.user_id == user_id else None


async def update(session: AsyncSession, user_id: int, plan_id: int, now: datetime, *,
                 situation: str | None = None, action: str | None = None) -> Plan | None:
    plan = await get_owned(session, user_id, plan_id)
    if plan is None:
        return None
    if situation is not None:
        plan.situation = situation
    if action is not None:
        plan.action = action
    plan.updated_at = now
    return plan


async def delete(session: AsyncSession, user_id: int, plan_id: int) -> bool:
    plan = await get_owned(session, user_id, plan_id)
    if plan is None:
        return False
    await session.delete(plan)
    return True
