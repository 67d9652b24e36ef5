"""Helpers shared by the check-in, goal and scheduler tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.local_driver import Person
from storage.models import Checkin, User
from tests.conftest import Harness

CHECKIN_TITLE = "Morning check-in"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def person_with_checkins(bot: Harness, user_id: int = 1001, *, zone: str = "Europe/Berlin",
                               at: str = "09:00", name: str = "Alex") -> Person:
    p = await bot.consented(user_id, name)
    await p.send(f"/timezone {zone}")
    await p.send(f"/checkin {at}")
    return p


async def tick_at(bot: Harness, when: datetime) -> dict[str, int]:
    bot.clock.set(when)
    return await bot.tick()


def checkin_messages(p: Person) -> list[dict[str, Any]]:
    return [m for m in p.messages() if CHECKIN_TITLE in (m.get("text") or "")]


def sends_to(bot: Harness, chat_id: int) -> int:
    return sum(1 for c in bot.api.calls if c.method == "sendMessage"
               and int(c.params.get("chat_id", 0)) == chat_id and c.result is not None
               and not (isinstance(c.result, dict) and c.result.get("ok") is False))


async def user_row(bot: Harness, user_id: int = 1001) -> User:
    async with bot.db.session() as s:
        user = await s.get(User, user_id)
    assert user is not None
    return user


async def checkin_rows(bot: Harness, user_id: int = 1001) -> list[Checkin]:
    async with bot.db.session() as s:
        return list(await s.scalars(select(Checkin).where(Checkin.user_id == user_id)
                                    .order_by(Checkin.local_date)))
