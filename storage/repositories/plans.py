"""If-then plans."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
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
