"""Daily check-ins: the tick's claim primitives and the answers.

The tick locks due people (`lock_due`: FOR UPDATE SKIP LOCKED on PostgreSQL, so several
bot processes share the work and never take the same person), moves their due time on
(`advance`) and records the check-in rows (`insert_scheduled`) in one transaction. The
unique (user_id, local_date) key makes a second check-in on one date impossible.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Checkin, UseEvent, User


@dataclass(frozen=True)
class DueUser:
    id: int
    due: datetime
    timezone: str | None
    checkin_time: str
    paused_until: date | None
    locale: str
    recovery_start: date | None
    enabled: bool
    unreachable: bool
    discreet: bool = False


async def lock_due(session: AsyncSession, now: datetime, limit: int) -> list[DueUser]:
    """People whose check-in is due, oldest first, locked until the transaction ends.
    Rows another process holds are skipped, not waited for."""
    stmt = (
        select(User.id, User.next_checkin_at, User.timezone, User.checkin_time,
               User.paused_until, User.locale, User.recovery_start, User.checkins_enabled,
               User.unreachable, User.discreet)
        .where(User.next_checkin_at <= now)
        .order_by(User.next_checkin_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = (await session.execute(stmt)).all()
    return [DueUser(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]), bool(r[8]),
                    bool(r[9])) for r in rows]


_USERS = User.__table__
_CHECKINS = Checkin.__table__
# Core statements with executemany: compiled once and cached, whatever the batch size.
_ADVANCE = (update(_USERS).where(_USERS.c.id == bindparam("uid"))
            .values(next_checkin_at=bindparam("when")))
_SENT = (update(_CHECKINS).where(_CHECKINS.c.id == bindparam("cid"))
         .values(message_id=bindparam("mid"), sent_at=bindparam("at"), retry_at=None))
_LAST_SENT = (update(_USERS).where(_USERS.c.id == bindparam("uid"))
              .values(last_checkin_at=bindparam("at")))


async def advance(session: AsyncSession, moves: Sequence[tuple[int, datetime | None]]) -> None:
    """Set each person's next due time (None: nothing due until settings change).
    People due together mostly share the next time too: one UPDATE per distinct time."""
    groups: dict[datetime | None, list[int]] = {}
    for uid, when in moves:
        groups.setdefault(when, []).append(uid)
    conn = await session.connection()
    for when, ids in groups.items():
        if len(ids) == 1:
            await conn.execute(_ADVANCE, {"uid": ids[0], "when": when})
        else:
            await conn.execute(update(_USERS).where(_USERS.c.id.in_(bindparam("ids",
                                                                             expanding=True)))
                               .values(next_checkin_at=when), {"ids": ids})


def _insert(session: AsyncSession) -> Any:
    name = session.get_bind().dialect.name
    return (postgresql.insert if name == "postgresql" else sqlite.insert)(_CHECKINS)


async def insert_scheduled(session: AsyncSession, rows: Sequence[dict[str, Any]],
                           ) -> dict[int, int]:
    """Insert check-ins (user_id, local_date, due_at, retry_at); {user_id: checkin id} for those
    inserted. A person who already has one for that date (e.g. started it themselves) is
    left out, without failing the batch."""
    if not rows:
        return {}
    stmt = (_insert(session).on_conflict_do_nothing(index_elements=["user_id", "local_date"])
            .returning(_CHECKINS.c.user_id, _CHECKINS.c.id))
    conn = await session.connection()
    result = await conn.execute(stmt, [{**r, "source": r.get("source", "scheduled")}
                                       for r in rows])
    return {uid: cid for uid, cid in result.all()}


async def mark_sent(session: AsyncSession, sent: Sequence[tuple[int, int, int, datetime]]) -> None:
    """(checkin id, user id, message id, sent at) for each check-in that went out."""
    if not sent:
        return
    conn = await session.connection()
    await conn.execute(_SENT, [{"cid": cid, "mid": mid, "at": at} for cid, _, mid, at in sent])
    await conn.execute(_LAST_SENT, [{"uid": uid, "at": at} for _, uid, _, at in sent])


async def any_due(session: AsyncSession, now: datetime) -> bool:
    return await session.scalar(select(User.id).where(User.next_checkin_at <= now)
                                .limit(1)) is not None
@dataclass(frozen=True)
class Unsent:
    """A scheduled check-in recorded but not yet delivered, with what sending it needs."""

    checkin_id: int
    user_id: int
    local_date: date
    due: datetime
    timezone: str | None
    checkin_time: str
    locale: str
    recovery_start: date | None
    sendable: bool  # check-ins still on and the person reachable
    discreet: bool = False


async def lock_unsent(session: AsyncSession, now: datetime, limit: int) -> list[Unsent]:
    """Unsent scheduled check-ins whose retry time has come, oldest first, locked until
    the transaction ends (rows another process holds are skipped)."""
    c, u = Checkin, User
    stmt = (
        select(c.id, c.user_id, c.local_date, c.due_at, u.timezone, u.checkin_time, u.locale,
               u.recovery_start, u.checkins_enabled, u.unreachable, u.discreet)
        .join(u, u.id == c.user_id)
        .where(c.retry_at <= now, c.sent_at.is_(None))
        .order_by(c.retry_at)
        .limit(limit)
        .with_for_update(of=c, skip_locked=True)
    )
    rows = (await session.execute(stmt)).all()
    return [Unsent(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]) and not r[9],
                   bool(r[10])) for r in rows]


async def set_retry(session: AsyncSession, checkin_ids: Iterable[int],
                    when: datetime | None) -> None:
    """Try these check-ins again at `when` (None: never; they are given up)."""
    ids = list(checkin_ids)
    if ids:
        conn = await session.connection()
        await conn.execute(update(_CHECKINS).where(_CHECKINS.c.id.in_(
            bindparam("ids", expanding=True))).values(retry_at=when), {"ids": ids})


async def mark_unreachable(session: AsyncSession, user_ids: Iterable[int]) -> None:
    ids = list(user_ids)
    if ids:
        await session.execute(update(User).where(User.id.in_(ids)).values(
            unreachable=True, next_checkin_at=None, next_summary_at=None)
            .execution_options(synchronize_session=False))


async def use_days_for(session: AsyncSession, user_ids: Iterable[int]) -> dict[int, list[date]]:
    ids = list(user_ids)
    out: dict[int, list[date]] = {uid: [] for uid in ids}
    if ids:
        rows = await session.execute(
            select(UseEvent.user_id, UseEvent.day).where(UseEvent.user_id.in_(ids)))
        for uid, day in rows.all():
            out[uid].append(day)
    return out


# --- one person's check-ins -----------------------------------------------------------------
async def get_owned(session: AsyncSession, user_id: int, checkin_id: int) -> Checkin | None:
    row = await session.get(Checkin, checkin_id)
    return row if row is not None and row.user_id == user_id else None


async def latest(session: AsyncSession, user_id: int) -> Checkin | None:
    return await session.scalar(select(Checkin).where(Checkin.user_id == user_id)
                                .order_by(Checkin.local_date.desc()).limit(1))


async def last_date(session: AsyncSession, user_id: int) -> date | None:
    return await session.scalar(select(func.max(Checkin.local_date))
                                .where(Checkin.user_id == user_id))


async def on_date(session: AsyncSession, user_id: int, day: date) -> Checkin | None:
    return await session.scalar(select(Checkin).where(Checkin.user_id == user_id,
                                                      Checkin.local_date == day))


async def start_manual(session: AsyncSession, user_id: int, day: date, now: datetime,
                       ) -> Checkin:
    row = Checkin(user_id=user_id, local_date=day, source="manual", due_at=now, sent_at=now)
    session.add(row)
    await session.flush()
    return row


async def recent(session: AsyncSession, user_id: int, limit: int = 7) -> list[Checkin]:
    rows = await session.scalars(select(Checkin).where(Checkin.user_id == user_id)
                                 .order_by(Checkin.local_date.desc()).limit(limit))
    return list(rows)
