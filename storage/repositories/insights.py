"""What charts and patterns read, and the check-ins before a high-risk time (nudges).

Nudges are claimed like check-ins: `lock_due_nudges` locks due rows (FOR UPDATE SKIP
LOCKED on PostgreSQL, so replicas never take the same one) and the caller moves each due
time on with `advance_nudges` in the same transaction, before anything is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Checkin, CravingEpisode, InsightNudge, User


@dataclass(frozen=True)
class EpisodeRow:
    started_at: datetime
    intensity_start: int | None
    intensity_end: int | None
    trigger: str | None
    tried: list[str]
    helped: str | None
    plan_id: int | None


async def episodes_since(session: AsyncSession, user_id: int, since: datetime,
                         ) -> list[EpisodeRow]:
    e = CravingEpisode
    rows = await session.execute(
        select(e.started_at, e.intensity_start, e.intensity_end, e.trigger, e.tried, e.helped,
               e.plan_id)
        .where(e.user_id == user_id, e.started_at >= since).order_by(e.started_at))
    return [EpisodeRow(r[0], r[1], r[2], r[3], list(r[4] or []), r[5], r[6]) for r in rows]


async def checkins_between(session: AsyncSession, user_id: int, first: date, last: date,
                           ) -> list[tuple[date, int | None, int | None]]:
    """(local date, mood, craving) of the check-ins between two dates, both included."""
    rows = await session.execute(
        select(Checkin.local_date, Checkin.mood, Checkin.craving)
        .where(Checkin.user_id == user_id, Checkin.local_date >= first,
               Checkin.local_date <= last).order_by(Checkin.local_date))
    return [(r[0], r[1], r[2]) for r in rows]


# --- nudges ------------------------------------------------------------------------------------
async def nudge_of(session: AsyncSession, user_id: int) -> InsightNudge | None:
    return await session.get(InsightNudge, user_id)


async def offer(session: AsyncSession, user_id: int, *, window: tuple[int, int],
                remind: tuple[int, str], now: datetime) -> InsightNudge:
    """Record that a nudge for `window` (weekday, hour) was offered; replaces an older
    offer or a declined one (a reminder that is on is changed only by the person)."""
    row = await session.get(InsightNudge, user_id)
    if row is None:
        row = InsightNudge(user_id=user_id)
        session.add(row)
    row.window_weekday, row.window_hour = window
    row.remind_weekday, row.remind_time = remind
    row.status = "offered"
    row.offered_at = now
    row.answered_at = None
    row.next_at = None
    await session.flush()
    return row


@dataclass(frozen=True)
class DueNudge:
    user_id: int
    due: datetime
    remind_weekday: int
    remind_time: str
    window_weekday: int
    window_hour: int
    status: str
    timezone: str | None
    locale: str
    discreet: bool
    unreachable: bool
    paused_until: date | None


async def lock_due_nudges(session: AsyncSession, now: datetime, limit: int) -> list[DueNudge]:
    n = InsightNudge
    stmt = (
        select(n.user_id, n.next_at, n.remind_weekday, n.remind_time, n.window_weekday,
               n.window_hour, n.status, User.timezone, User.locale, User.discreet,
               User.unreachable, User.paused_until)
        .join(User, User.id == n.user_id)
        .where(n.next_at <= now).order_by(n.next_at).limit(limit)
        .with_for_update(skip_locked=True, of=n)
    )
    return [DueNudge(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], bool(r[9]),
                     bool(r[10]), r[11]) for r in await session.execute(stmt)]


async def advance_nudges(session: AsyncSession, moves: Sequence[tuple[int, datetime | None]],
                         ) -> None:
    if moves:
        await session.execute(update(InsightNudge), [{"user_id": uid, "next_at": when}
                                                     for uid, when in moves])


async def mark_nudges_sent(session: AsyncSession, user_ids: Sequence[int], now: datetime,
                           ) -> None:
    if user_ids:
        await session.execute(update(InsightNudge).where(InsightNudge.user_id.in_(user_ids))
                              .values(last_sent_at=now)
                              .execution_options(synchronize_session=False))
