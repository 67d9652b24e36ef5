"""Craving episodes: start, ratings, what was tried, and the follow-up claim."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CravingEpisode

REUSE_WITHIN = timedelta(minutes=60)


@dataclass(frozen=True)
class Recent:
    """One of a person's recent episodes, as much as the craving reply needs."""

    id: int
    started_at: datetime
    ended_at: datetime | None
    intensity_start: int | None
    intensity_end: int | None
    trigger: str | None
    tried: list[str]
    helped: str | None
    plan_id: int | None


_E = CravingEpisode.__table__
# Built once: this runs on every craving, and building a statement costs more than running it
_RECENT = (select(_E.c.id, _E.c.started_at, _E.c.ended_at, _E.c.intensity_start,
                  _E.c.intensity_end, _E.c.trigger, _E.c.tried, _E.c.helped, _E.c.plan_id)
           .where(_E.c.user_id == bindparam("uid"))
           .order_by(_E.c.started_at.desc(), _E.c.id.desc()))
_RECENT_BY_LIMIT: dict[int, Any] = {}
_NEW = insert(_E).returning(_E.c.id)


async def recent(session: AsyncSession, user_id: int, limit: int = 50) -> list[Recent]:
    """The newest episodes first: the open one (if any) and the outcomes of past ones,
    in one query (this runs on every craving)."""
    stmt = _RECENT_BY_LIMIT.get(limit)
    if stmt is None:
        stmt = _RECENT_BY_LIMIT[limit] = _RECENT.limit(limit)
    conn = await session.connection()
    rows = await conn.execute(stmt, {"uid": user_id})
    return [Recent(*row) for row in rows]


async def open_or_continue(session: AsyncSession, user_id: int, now: datetime,
                           follow_up_after: timedelta, source: str,
                           recent_rows: list[Recent], plan_id: int | None = None,
                           ) -> tuple[Recent, bool]:
    """The person's open episode if it began within the hour, else a new one.
    Returns (episode, created). `recent_rows` is what `recent` returned."""
    latest = next((r for r in recent_rows if r.ended_at is None), None)
    if latest is not None and now - latest.started_at <= REUSE_WITHIN:
        return latest, False
    if latest is not None:  # older open episodes are closed as they were, no follow-up
        await session.execute(
            update(CravingEpisode)
            .where(CravingEpisode.user_id == user_id, CravingEpisode.ended_at.is_(None))
            .values(ended_at=now, follow_up_at=None)
            .execution_options(synchronize_session=False)
        )
    conn = await session.connection()
    new_id = (await conn.execute(_NEW, {
        "user_id": user_id, "started_at": now, "tried": [], "follow_up_at": now + follow_up_after,
        "follow_up_attempts": 0, "source": source, "plan_id": plan_id,
    })).scalar()
    assert new_id is not None
    return Recent(new_id, now, None, None, None, None, [], None, plan_id), True


async def get_owned(session: AsyncSession, user_id: int, episode_id: int) -> CravingEpisode | None:
    episode = await session.get(CravingEpisode, episode_id)
    return episode if episode is not None and episode.user_id == user_id else None


def add_tried(episode: CravingEpisode, tool: str) -> None:
    if tool not in episode.tried:
        episode.tried = [*episode.tried, tool]  # reassign so the JSON change is saved


async def history(session: AsyncSession, user_id: int, limit: int = 50) -> list[CravingEpisode]:
    """The most recent episodes, newest first."""
    rows = await session.scalars(
        select(CravingEpisode).where(CravingEpisode.user_id == user_id)
        .order_by(CravingEpisode.started_at.desc()).limit(limit)
    )
    return list(rows)


@dataclass(frozen=True)
class OutcomeRow:
    id: int
    started_at: datetime
    intensity_start: int | None
    intensity_end: int | None
    tried: list[str]
    helped: str | None
    plan_id: int | None


async def outcomes(session: AsyncSession, user_id: int, limit: int = 50) -> list[OutcomeRow]:
    """What past episodes show about what helps: only the columns that matter, newest first
    (cheaper than loading whole episodes on the craving hot path)."""
    e = CravingEpisode
    rows = await session.execute(
        select(e.id, e.started_at, e.intensity_start, e.intensity_end, e.tried, e.helped,
               e.plan_id)
        .where(e.user_id == user_id, e.intensity_end.is_not(None))
        .order_by(e.started_at.desc()).limit(limit)
    )
    return [OutcomeRow(*row) for row in rows]


async def claim_follow_ups(session: AsyncSession, now: datetime, lease: timedelta,
                           limit: int = 200) -> list[CravingEpisode]:
    """Due follow-ups, leased for `lease`: pushed forward in this transaction so another
    tick or replica skips them; marked sent only after the send succeeds."""
    rows = list(await session.scalars(
        select(CravingEpisode)
        .where(CravingEpisode.follow_up_at <= now, CravingEpisode.ended_at.is_(None),
               CravingEpisode.follow_up_sent_at.is_(None))
        .order_by(CravingEpisode.follow_up_at).limit(limit)
        .with_for_update(skip_locked=True)
    ))
    for episode in rows:
        episode.follow_up_at = now + lease
        episode.follow_up_attempts += 1
    return rows


async def finish_follow_up(session: AsyncSession, now: datetime, *episode_ids: int) -> None:
    if episode_ids:
        e = CravingEpisode
        await session.execute(update(e).where(e.id.in_(episode_ids))
                              .values(follow_up_sent_at=now, follow_up_at=None))


async def drop_follow_up(session: AsyncSession, *episode_ids: int) -> None:
    if episode_ids:
        e = CravingEpisode
        await session.execute(update(e).where(e.id.in_(episode_ids)).values(follow_up_at=None))


async def retry_follow_up(session: AsyncSession, at: datetime, *episode_ids: int) -> None:
    """Telegram did not take them: try again at `at`, and give the claim's attempt back."""
    if episode_ids:
        e = CravingEpisode
        await session.execute(
            update(e).where(e.id.in_(episode_ids), e.follow_up_sent_at.is_(None))
            .values(follow_up_at=at, follow_up_attempts=e.follow_up_attempts - 1)
        )
