"""Shared steps for the support-network tests: invite, join, alert."""

from __future__ import annotations

import re

from bot.local_driver import Person
from tests.conftest import Harness

LINK = re.compile(r"https://t\.me/craving_companion_bot\?start=(sup_[A-Za-z0-9_-]+)")


async def invite(alex: Person, name: str = "Sam", role: str = "Sponsor",
                 phone: str | None = None) -> str:
    """The person adds a support person; returns the `/start` parameter of the link."""
    await alex.send("/supporters")
    await alex.tap("Add a support person")
    await alex.send(name)
    await alex.tap(role)
    if phone is None:
        await alex.tap("Skip")
    else:
        await alex.send(phone)
    found = LINK.search(alex.last_text)
    assert found is not None, alex.last_text
    return found.group(1)


async def join(bot: Harness, parameter: str, user_id: int, name: str) -> Person:
    supporter = bot.person(user_id, name)
    await supporter.send(f"/start {parameter}")
    await supporter.tap("Accept")
    return supporter


async def network(bot: Harness, *names: str, phone: str | None = None,
                  ) -> tuple[Person, list[Person]]:
    """Alex with support people `names` (ids 2001, 2002, ...), all accepted, in order."""
    alex = await bot.consented(1001, "Alex")
    joined = []
    for i, name in enumerate(names):
        param = await invite(alex, name, phone=phone if i == 0 else None)
        joined.append(await join(bot, param, 2001 + i, name))
    return alex, joined
