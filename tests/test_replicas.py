"""Two bot processes on one PostgreSQL database behave like one: a person whose updates
land on either of them (pending input, follow-ups, check-ins, alert escalations), ticks
running on both at once, Telegram delivering an update twice. Updates go the way webhook
mode delivers them: through each application's update processor (the per-person order
and the database update gate)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine
from telegram import Update

from bot.clock import FakeClock
from bot.config import load_settings
from bot.fake_api import FakeBotApi
from bot.local_driver import Person, message_update
from storage.models import CravingEpisode, Plan, ProcessedUpdate, UserLease
from storage.repositories import episodes as episodes_repo
from tests.checkin_helpers import CHECKIN_TITLE, utc
from tests.conftest import PG_URL, DbTarget, Harness, start_harness, stop_harness
from tests.support_helpers import invite

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set")]

FOLLOW_UP = "How strong is it now"


async def deliver(h: Harness, update: dict[str, Any]) -> None:
    """What the webhook does with a posted update, up to the handlers finishing."""
    u = Update.de_json(update, h.app.bot)
    await h.app.update_processor.process_update(u, h.app.process_update(u))


class RoamingPerson(Person):
    """A person whose updates arrive at the replicas in turn (a load balancer)."""

    def __init__(self, replicas: list[Harness], user_id: int) -> None:
        super().__init__(replicas[0].app, replicas[0].api, user_id)
        self.replicas = replicas
        self.turn = 0

    async def feed(self, update: dict[str, Any]) -> list[Any]:
        h = self.replicas[self.turn % len(self.replicas)]
        self.turn += 1
        start = len(self.api.calls)
        await deliver(h, update)
        return self.calls_since(start)


@pytest.fixture
async def replicas() -> AsyncIterator[list[Harness]]:
    assert PG_URL is not None
    url = load_settings(database_url=PG_URL).database_url
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    target = DbTarget(url, schema)
    api, clock = FakeBotApi(), FakeClock(utc(2026, 3, 2, 7))
    one = await start_harness(target, api=api, clock=clock, replicas=2)
    two = await start_harness(target, api=api, clock=clock, replicas=2)
    try:
        yield [one, two]
    finally:
        await stop_harness(one)
        await stop_harness(two)
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


def texts_to(api: FakeBotApi, chat: int, containing: str) -> list[str]:
    return [str(c.params.get("text")) for c in api.calls
            if c.method == "sendMessage" and int(c.params.get("chat_id", 0)) == chat
            and containing in str(c.params.get("text"))]


async def onboarded(replicas: list[Harness], user_id: int) -> RoamingPerson:
    p = RoamingPerson(replicas, user_id)
    await p.send("/start")
    await p.tap("I agree")
    await p.tap("Later")
    await p.tap("Later")
    await p.tap("Skip for now")
    return p


async def test_a_person_moving_between_replicas_is_served_as_by_one(
        replicas: list[Harness]) -> None:
    one, two = replicas
    p = await onboarded(replicas, 801)
    # pending input started on one replica is finished on the other
    await p.send("/plan")
    await p.send("I pass the old corner")
    await p.send("I call Sam")
    assert "If I pass the old corner, then I call Sam." in p.last_text
    async with one.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Plan)
                              .where(Plan.user_id == 801)) == 1
    await p.send("/timezone Europe/Berlin")
    await p.send("/checkin 09:00")
    await p.send("I'm craving")
    assert any("I call Sam" in t for t in p.texts())

    # both replicas tick at the same moments: every follow-up and check-in goes once
    for minutes in range(0, 24 * 60, 10):
        one.clock.set(utc(2026, 3, 2, 7, 0) + timedelta(minutes=minutes))
        await asyncio.gather(one.tick(), two.tick())
    assert len(texts_to(one.api, 801, FOLLOW_UP)) == 1
    assert len(texts_to(one.api, 801, CHECKIN_TITLE)) == 1


async def test_check_ins_for_many_people_go_once_when_both_replicas_tick(
        replicas: list[Harness]) -> None:
    one, two = replicas
    people = [await onboarded(replicas, 900 + i) for i in range(6)]
    for p in people:
        await p.send("/timezone UTC")
        await p.send("/checkin 08:00")
    one.clock.set(utc(2026, 3, 2, 8, 0, 30))
    await asyncio.gather(one.tick(), two.tick(), one.tick(), two.tick())
    for p in people:
        assert len(texts_to(one.api, p.user_id, CHECKIN_TITLE)) == 1


async def test_an_update_delivered_to_both_replicas_is_handled_once(
        replicas: list[Harness]) -> None:
    one, two = replicas
    update = message_update(811, text="/start")
    await asyncio.gather(deliver(one, update), deliver(two, update))
    await deliver(two, update)  # and a late retry
    assert len(texts_to(one.api, 811, "What I store")) == 1
    async with one.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(ProcessedUpdate)) == 1


async def test_one_persons_updates_run_one_at_a_time_across_replicas(
        replicas: list[Harness], monkeypatch: pytest.MonkeyPatch) -> None:
    one, two = replicas
    await onboarded(replicas, 821)
    real_recent = episodes_repo.recent

    async def slow_recent(*args: Any, **kwargs: Any) -> Any:  # a busy database
        rows = await real_recent(*args, **kwargs)
        await asyncio.sleep(0.2)
        return rows

    monkeypatch.setattr(episodes_repo, "recent", slow_recent)
    # two messages of one person reach the two replicas at the same moment
    await asyncio.gather(deliver(one, message_update(821, text="I'm craving")),
                         deliver(two, message_update(821, text="I'm craving")))
    async with one.db.session() as s:
        episodes = await s.scalar(select(func.count()).select_from(CravingEpisode)
                                  .where(CravingEpisode.user_id == 821))
        leases = await s.scalar(select(func.count()).select_from(UserLease))
    assert episodes == 1  # the second saw the first one's episode and continued it
    assert leases == 0  # released after each update
    assert len(texts_to(one.api, 821, "Most urges peak")) == 2  # both were answered


async def test_an_alert_escalates_once_when_both_replicas_tick(
        replicas: list[Harness]) -> None:
    one, two = replicas
    alex = await onboarded(replicas, 831)
    helpers = []
    for i, name in enumerate(["Sam", "Jo"]):
        parameter = await invite(alex, name)
        helper = RoamingPerson(replicas, 2831 + i)
        helper.first_name = name
        await helper.send(f"/start {parameter}")
        await helper.tap("Accept")
        helpers.append(helper)
    sam, jo = helpers
    await alex.send("/alert")
    assert len([t for t in sam.texts() if "asked for support" in t]) == 1
    one.clock.advance(minutes=5, seconds=1)
    await asyncio.gather(one.tick(), two.tick(), one.tick(), two.tick())
    assert len([t for t in jo.texts() if "asked for support" in t]) == 1
    assert len([t for t in alex.texts() if "so I've asked Jo" in t]) == 1
