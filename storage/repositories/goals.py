"""Weekly goals and the taps that log progress on them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Goal, GoalLog, User

MAX_GOALS = 10


async def add(session: AsyncSession, user_id: int, name: str, target: int, now: datetime,
              ) -> Goal:
    goal = Goal(user_id=user_id, name=name, target=target, created_at=now)
    session.add(goal)
    await session.flush()
    return goal


async def list_for(session: AsyncSession, user_id: int) -> list[Goal]:
    rows = await session.scalars(select(Goal).where(Goal.user_id == user_id).order_by(Goal.id))
    return list(rows)


async def count_for(session: AsyncSession, user_id: int) -> int:
    return int(await session.scalar(select(func.count()).where(Goal.user_id == user_id)) or 0)


async def get_owned(session: AsyncSession, user_id: int, goal_id: int) -> Goal | None:
    goal = await session.get(Goal, goal_id)
    return goal if goal is not None and goal.user_id == user_id else None


async def delete_goal(session: AsyncSession, user_id: int, goal_id: int) -> bool:
    goal = await get_owned(session, user_id, goal_id)
    if goal is None:
        return False
    await session.execute(delete(GoalLog).where(GoalLog.goal_id == goal.id))
    await session.delete(goal)
    return True


async def log(session: AsyncSession, goal: Goal, day: date, now: datetime) -> GoalLog:
    entry = GoalLog(goal_id=goal.id, user_id=goal.user_id, local_date=day, logged_at=now)
    session.add(entry)
    await session.flush()
    return entry


async def undo(session: AsyncSession, user_id: int, log_id: int) -> GoalLog | None:
    entry = await session.get(GoalLog, log_id)
    if entry is None or entry.user_id != user_id:
        return None
    await session.delete(entry)
    await session.flush()
    return entry


async def counts(session: AsyncSession, user_id: int, first: date, last: date) -> dict[int, int]:
    """{goal id: taps} between two local dates, both included."""
    rows = await session.execute(
        select(GoalLog.goal_id, func.count()).where(
            GoalLog.user_id == user_id, GoalLog.local_date >= first, GoalLog.local_date <= last)
        .group_by(GoalLog.goal_id))
    return {gid: int(n) for gid, n in rows.all()}


async def users_with_goals(session: AsyncSession, user_ids: list[int]) -> set[int]:
    if not user_ids:
        return set()
    rows = await session.scalars(select(Goal.user_id).where(Goal.user_id.in_(user_ids))
                                 .distinct())
    return set(rows)


# --- weekly summaries (the tick) ------------------------------------------------------------
async def lock_due_summaries(session: AsyncSession, now: datetime, limit: int,
                             ) -> list[tuple[int, datetime, str | None, int, str, bool, bool]]:
    """(user id, due, timezone, summary weekday, locale, unreachable, asked for it in
    /stats) of people whose weekly summary is due, locked (SKIP LOCKED on PostgreSQL)
    until the transaction ends."""
    stmt = (select(User.id, User.next_summary_at, User.timezone, User.summary_weekday,
                   User.locale, User.unreachable, User.weekly_insights)
            .where(User.next_summary_at <= now).order_by(User.next_summary_at).limit(limit)
            .with_for_update(skip_locked=True))
    return [(r[0], r[1], r[2], r[3], r[4], bool(r[5]), bool(r[6]))
            for r in (await session.execute(stmt))]


async def advance_summaries(session: AsyncSession,
                            moves: list[tuple[int, datetime | None]]) -> None:
    if moves:
        await session.execute(update(User), [{"id": uid, "next_summary_at": when}
                                             for uid, when in moves])


async def goals_of(session: AsyncSession, user_ids: list[int]) -> dict[int, list[Goal]]:
    out: dict[int, list[Goal]] = {uid: [] for uid in user_ids}
    if user_ids:
        for goal in await session.scalars(select(Goal).where(Goal.user_id.in_(user_ids))
                                          .order_by(Goal.id)):
            out[goal.user_id].append(goal)
    return out
