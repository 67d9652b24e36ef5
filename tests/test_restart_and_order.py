"""Nothing in process memory: pending input survives a restart. Updates: one person in
order, different people concurrently."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.local_driver import message_update
from bot.update_processor import PerUserUpdateProcessor
from storage.repositories import plans
from tests.conftest import DbTarget, start_harness, stop_harness


async def test_typed_input_is_still_awaited_after_a_restart(db_target: DbTarget) -> None:
    first = await start_harness(db_target)
    p = await first.consented()
    await p.send("/plans")
    await p.tap("New plan")
    await p.send("I pass the old corner")
    await stop_harness(first)  # the process dies while waiting for the action

    second = await start_harness(db_target)
    try:
        p2 = second.person()
        await p2.send("I call Sam")
        assert "If I pass the old corner, then I call Sam." in p2.last_text
        async with second.db.session() as s:
            [plan] = await plans.list_for(s, 1001)
        assert plan.action == "I call Sam"
    finally:
        await stop_harness(second)


async def test_one_persons_updates_run_in_order_and_people_run_in_parallel() -> None:
    processor = PerUserUpdateProcessor(64)
    log: list[tuple[int, int, str]] = []
    running = 0
    peak = 0

    async def work(user: int, n: int) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        log.append((user, n, "start"))
        await asyncio.sleep(0.01 * (3 - n % 3))  # later updates would finish first
        log.append((user, n, "end"))
        running -= 1

    tasks = []
    for n in range(6):
        for user in (1, 2, 3):
            update = Update.de_json(message_update(user, text=f"m{n}"), None)
            tasks.append(asyncio.create_task(processor.process_update(update, work(user, n))))
    await asyncio.gather(*tasks)
    for user in (1, 2, 3):
        mine = [(n, what) for u, n, what in log if u == user]
        assert mine == [(n, what) for n in range(6) for what in ("start", "end")]
    assert peak == 3  # the three people overlapped
    assert processor._locks == {}  # nothing left behind per person
