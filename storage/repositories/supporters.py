"""Support links: invitations, acceptance, order, muting, reachability, ending."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InviteAttempt, Supporter

INVITED, ACTIVE = "invited", "active"


async def for_person(session: AsyncSession, user_id: int) -> list[Supporter]:
    """Every link of a person, in alert order."""
    return list(await session.scalars(
        select(Supporter).where(Supporter.user_id == user_id)
        .order_by(Supporter.position, Supporter.id)
    ))


async def owned(session: AsyncSession, user_id: int, supporter_id: int | None,
                ) -> Supporter | None:
    if supporter_id is None:
        return None
    row = await session.get(Supporter, supporter_id)
    return row if row is not None and row.user_id == user_id else None


async def add_invite(session: AsyncSession, user_id: int, *, name: str, role: str,
                     phone: str | None, person_name: str, token_hash: str,
                     expires_at: datetime, now: datetime) -> Supporter:
    last = await session.scalar(
        select(func.max(Supporter.position)).where(Supporter.user_id == user_id))
    row = Supporter(user_id=user_id, name=name, role=role, phone=phone,
                    person_name=person_name, position=(last or 0) + 1, status=INVITED,
                    token_hash=token_hash, token_expires_at=expires_at, created_at=now,
                    unreachable=False)
    session.add(row)
    await session.flush()
    return row


async def renew_token(row: Supporter, token_hash: str, expires_at: datetime) -> None:
    row.token_hash, row.token_expires_at, row.opened_by = token_hash, expires_at, None


async def by_token(session: AsyncSession, token_hash: str) -> Supporter | None:
    return await session.scalar(
        select(Supporter).where(Supporter.token_hash == token_hash, Supporter.status == INVITED)
        .with_for_update())


async def accept(row: Supporter, chat_id: int, now: datetime) -> None:
    row.status, row.supporter_chat_id, row.accepted_at = ACTIVE, chat_id, now
    row.token_hash = row.token_expires_at = row.opened_by = None
    row.unreachable = False


async def move_up(session: AsyncSession, user_id: int, supporter_id: int) -> bool:
    rows = await for_person(session, user_id)
    ids = [r.id for r in rows]
    if supporter_id not in ids or ids.index(supporter_id) == 0:
        return False
    i = ids.index(supporter_id)
    rows[i - 1], rows[i] = rows[i], rows[i - 1]
    for position, row in enumerate(rows, start=1):
        row.position = position
    return True


async def remove(session: AsyncSession, row: Supporter) -> None:
    await session.delete(row)
    await session.flush()


async def alertable(session: AsyncSession, user_id: int, now: datetime) -> list[Supporter]:
    """Active, reachable, not muted: who an alert can go to, in order."""
    return list(await session.scalars(
        select(Supporter).where(
            Supporter.user_id == user_id, Supporter.status == ACTIVE,
            Supporter.unreachable.is_(False),
            or_(Supporter.muted_until.is_(None), Supporter.muted_until <= now))
        .order_by(Supporter.position, Supporter.id)
    ))


async def supported_by(session: AsyncSession, chat_id: int) -> list[Supporter]:
    """The active links where this chat is the support person."""
    return list(await session.scalars(
        select(Supporter).where(Supporter.supporter_chat_id == chat_id,
                                Supporter.status == ACTIVE)
        .order_by(Supporter.accepted_at, Supporter.id)
    ))


async def set_reachable(session: AsyncSession, chat_id: int, reachable: bool) -> int:
    result = await session.execute(
        update(Supporter).where(Supporter.supporter_chat_id == chat_id,
                                Supporter.unreachable.is_(reachable))
        .values(unreachable=not reachable))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def links_of(session: AsyncSession, tg_id: int) -> tuple[list[Supporter], list[Supporter]]:
    """(their own active supporters, the links where they support someone)."""
    own = [r for r in await for_person(session, tg_id) if r.status == ACTIVE]
    return own, await supported_by(session, tg_id)


async def end_support_given(session: AsyncSession, chat_id: int) -> int:
    """Erase every link where this chat is the support person (they, or their data, leave)."""
    result = await session.execute(delete(Supporter).where(Supporter.supporter_chat_id == chat_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- guessing links ----------------------------------------------------------------------------
async def allow_token_try(session: AsyncSession, chat_id: int, now: datetime, *,
                          window: timedelta, limit: int) -> bool:
    """False when this chat already failed `limit` links within `window`."""
    row = await session.get(InviteAttempt, chat_id)
    return row is None or now - row.window_started_at > window or row.failures < limit


async def token_failed(session: AsyncSession, chat_id: int, now: datetime, *,
                       window: timedelta) -> None:
    row = await session.get(InviteAttempt, chat_id)
    if row is None:
        session.add(InviteAttempt(chat_id=chat_id, failures=1, window_started_at=now))
    elif now - row.window_started_at > window:
        row.failures, row.window_started_at = 1, now
    else:
        row.failures += 1


async def prune_attempts(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        delete(InviteAttempt).where(InviteAttempt.window_started_at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
