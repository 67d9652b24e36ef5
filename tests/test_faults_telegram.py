"""Telegram faults during scheduled delivery, on real HTTP against the local Bot API server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import TOKEN, DbTarget
from tests.faults import (
    OUTAGES,
    WORKLOADS,
    Fault,
    Live,
    Workload,
    run_scenario,
    start_live,
    stop_live,
)
from tests.local_botapi import LocalBotApi


@pytest.fixture
async def live(db_target: DbTarget) -> AsyncIterator[Live]:
    server = LocalBotApi(token=TOKEN).start()
    bot = await start_live(db_target, server)
    bot.app.bot_data["checkin_batch"] = 50  # several ticks' worth of people
    yield bot
    await stop_live(bot)
    server.stop()


@pytest.mark.parametrize("fault", OUTAGES, ids=lambda f: f.name)
@pytest.mark.parametrize("workload", WORKLOADS, ids=lambda w: w.name)
async def test_outage_of_five_minutes_loses_and_repeats_nothing(
        live: Live, workload: Workload, fault: Fault) -> None:
    report = await run_scenario(live, workload, fault, people=120, minutes=5)
    assert report.lost == set()
    assert report.duplicated == {}
    assert report.errors == []
