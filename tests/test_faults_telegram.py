"""Telegram faults during scheduled delivery, on real HTTP against the local Bot API server
(tests/faults.py). Several minutes of outage run in virtual time: seconds of real time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from telegram import Update

from bot.local_driver import message_update
from storage.models import User
from tests.conftest import TOKEN, DbTarget
from tests.faults import (
    CHECKINS,
    DUE,
    FLOOD,
    OUTAGES,
    REFUSED,
    WORKLOADS,
    Fault,
    Live,
    Workload,
    run_scenario,
    start_live,
    stop_live,
)
from tests.local_botapi import LocalBotApi

# PostgreSQL adds row locking (FOR UPDATE SKIP LOCKED) to the same code: one workload and
# two faults there keep the suite fast; every combination runs on SQLite.
ON_POSTGRES = {(CHECKINS.name, REFUSED.name), (CHECKINS.name, FLOOD.name)}


@asynccontextmanager
async def running(target: DbTarget) -> AsyncIterator[Live]:
    server = LocalBotApi(token=TOKEN).start()
    bot = await start_live(target, server)
    bot.app.bot_data["checkin_batch"] = 25  # several ticks' worth of people
    try:
        yield bot
    finally:
        await stop_live(bot)
        server.stop()


@pytest.fixture
async def live(db_target: DbTarget) -> AsyncIterator[Live]:
    async with running(db_target) as bot:
        yield bot


@pytest.mark.parametrize("fault", OUTAGES, ids=lambda f: f.name)
@pytest.mark.parametrize("workload", WORKLOADS, ids=lambda w: w.name)
async def test_five_minutes_of_outage_loses_nothing_and_repeats_nothing(
        db_target: DbTarget, workload: Workload, fault: Fault) -> None:
    if db_target.search_path is not None and (workload.name, fault.name) not in ON_POSTGRES:
        pytest.skip("this combination runs on SQLite")
    async with running(db_target) as live:
        await check_outage(live, workload, fault)


async def check_outage(live: Live, workload: Workload, fault: Fault) -> None:
    report = await run_scenario(live, workload, fault, people=60, minutes=5)
    assert report.lost == set()
    assert report.duplicated == {}
    assert report.errors == []  # no tick task failed
    assert live.server.calls  # and the outage really happened:
    failed = len([m for m, _ in live.server.calls if m == "sendMessage"]) - len(
        live.server.delivered)
    assert failed > 0 or fault is REFUSED


async def test_people_who_blocked_the_bot_get_nothing_and_everyone_else_is_served(
        live: Live) -> None:
    blocked = set(range(5_000_000, 5_000_120, 12))  # 10 of the 120
    live.server.block(*blocked)
    report = await run_scenario(live, CHECKINS, None, people=120, minutes=0)
    assert set(report.received) == report.expected - blocked
    assert report.duplicated == {}
    async with live.db.session() as s:
        unreachable = set(await s.scalars(select(User.id).where(User.unreachable)))
        pending = await s.scalar(select(User.next_checkin_at).where(User.id.in_(blocked))
                                 .where(User.next_checkin_at.is_not(None)).limit(1))
    assert unreachable == blocked and pending is None  # no more check-ins for them
    tried = [p for m, p in live.server.calls if m == "sendMessage"
             and int(p["chat_id"]) in blocked]
    assert len(tried) == len(blocked)  # one try each, no retries against a 403


async def test_a_person_who_writes_during_a_flood_and_a_fan_out_is_answered(
        live: Live) -> None:
    live.server.fail("sendMessage", retry_after=3, times=6)  # a burst of flood control

    async def someone_writes(bot: Live, tick: int) -> None:
        if tick == 1:
            update = Update.de_json(message_update(4242, text="/helpnow"), bot.app.bot)
            await bot.app.process_update(update)

    report = await run_scenario(live, CHECKINS, None, people=120, minutes=0,
                                during=someone_writes)
    assert report.lost == set() and report.duplicated == {}
    replies = [p for m, p in live.server.delivered if int(p["chat_id"]) == 4242]
    assert len(replies) == 1 and "988" in replies[0]["text"]


async def test_when_outcomes_cannot_be_written_the_batch_stops_sending(
        live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    """The database failing mid-batch: sending stops at once (what is sent then could not
    be recorded); the leases bring the rest back, and nobody gets two. (It also caught a
    worker taking from a queue another worker had just emptied: the retry tick failed.)"""
    from storage.repositories import checkins as repo

    expected = await CHECKINS.prepare(live.db, 60)
    live.app.bot_data["checkin_batch"] = 60
    live.clock.set(DUE + timedelta(seconds=1))
    real = repo.mark_sent
    calls = 0

    async def failing_once(session: Any, sent: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionResetError("the database went away")
        await real(session, sent)

    monkeypatch.setattr(repo, "mark_sent", failing_once)
    monkeypatch.setattr("bot.delivery.FLUSH_SIZE", 10)
    assert (await live.tick())["checkins"] == -1  # the tick task failed, and was logged
    first = sum(CHECKINS.received(live.server).values())
    assert 10 <= first <= 10 + 16  # one batch, plus what was in flight when it stopped
    live.clock.advance(minutes=3)  # past the lease
    for _ in range(3):
        assert (await live.tick())["checkins"] >= 0  # no tick fails once writes work
        live.clock.advance(seconds=10)
    received = CHECKINS.received(live.server)
    assert set(received) == expected
    assert sum(received.values()) - len(received) <= first  # at most the unrecorded ones
