"""Alerts to support people: one row per tap, one delivery per supporter tried."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Alert, AlertDelivery

OPEN, ANSWERED, EXHAUSTED, REPLACED = "open", "answered", "exhausted", "replaced"


async def latest(session: AsyncSession, user_id: int) -> Alert | None:
    return await session.scalar(
        select(Alert).where(Alert.user_id == user_id)
        .order_by(Alert.created_at.desc(), Alert.id.desc()).limit(1))


async def create(session: AsyncSession, user_id: int, now: datetime) -> Alert:
    """A new alert; an older one still escalating is replaced by it."""
    await session.execute(
        update(Alert).where(Alert.user_id == user_id, Alert.status == OPEN)
        .values(status=REPLACED, escalate_at=None))
    alert = Alert(user_id=user_id, created_at=now, status=OPEN, escalate_at=None, attempts=0)
    session.add(alert)
    await session.flush()
    return alert


async def locked(session: AsyncSession, alert_id: int, *, skip: bool = True) -> Alert | None:
    """The alert, locked for this unit of work. `skip`: None when another replica holds
    it (it is acting on it); otherwise wait for it."""
    return await session.scalar(
        select(Alert).where(Alert.id == alert_id).with_for_update(skip_locked=skip))


async def due_ids(session: AsyncSession, now: datetime, limit: int = 200) -> list[int]:
    return list(await session.scalars(
        select(Alert.id).where(Alert.escalate_at <= now, Alert.status == OPEN)
        .order_by(Alert.escalate_at).limit(limit)))


async def deliveries(session: AsyncSession, alert_id: int) -> list[AlertDelivery]:
    return list(await session.scalars(
        select(AlertDelivery).where(AlertDelivery.alert_id == alert_id)
        .order_by(AlertDelivery.id)))


async def add_delivery(session: AsyncSession, alert: Alert, supporter_id: int,
                       now: datetime) -> AlertDelivery:
    row = AlertDelivery(alert_id=alert.id, user_id=alert.user_id, supporter_id=supporter_id,
                        created_at=now, failed=False)
    session.add(row)
    await session.flush()
    return row


async def delivery(session: AsyncSession, delivery_id: int | None) -> AlertDelivery | None:
    if delivery_id is None:
        return None
    return await session.get(AlertDelivery, delivery_id, with_for_update=True)
