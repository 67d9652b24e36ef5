"""Database faults: PostgreSQL restarted under the running bot (our own throwaway server,
never the shared one), and SQLite written by another process at the same time."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.local_driver import Person, sent_texts
from tests.conftest import DbTarget, start_harness, stop_harness
from tests.faults import DUE, due_checkins
from tests.own_postgres import OwnPostgres
from tests.own_postgres import available as own_pg_available

TRY_AGAIN = "Please try again in a moment"


def _writer(path: Path, stop: threading.Event, hold: float) -> None:
    """Another process's idea of the database (a backup, `craving-companion rotate-key`):
    short write transactions, each holding the write lock for `hold` seconds."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.execute("PRAGMA busy_timeout=30000")
    while not stop.is_set():
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE meta SET key = key WHERE key = 'key-check'")
        time.sleep(hold)
        conn.execute("COMMIT")
        time.sleep(0.001)
    conn.close()


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def records() -> Iterator[Records]:
    handler = Records()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


async def test_another_sqlite_writer_never_surfaces_as_database_is_locked(
        db_target: DbTarget, records: Records) -> None:
    if not db_target.url.startswith("sqlite"):
        pytest.skip("SQLite only")
    bot = await start_harness(db_target)
    path = Path(db_target.url.split("///", 1)[1])
    people = [await bot.consented(2000 + i) for i in range(6)]
    due = await due_checkins(bot.db, 300)
    bot.clock.set(DUE + timedelta(seconds=1))
    bot.app.bot_data["checkin_batch"] = 50
    stop = threading.Event()
    writer = threading.Thread(target=_writer, args=(path, stop, 0.01), daemon=True)
    writer.start()
    try:
        async def use(p: object) -> list[str]:
            replies = []
            for text in ("/plans", "I'm craving", "7", "/progress", "/reasons", "/settings"):
                replies.append(sent_texts(await p.send(text)))  # type: ignore[attr-defined]
            return [r for batch in replies for r in batch]

        async def fan_out() -> None:
            while (await bot.tick())["checkins"] > 0:
                bot.clock.advance(seconds=10)

        *answers, _ = await asyncio.gather(*(use(p) for p in people), fan_out())
        got = {int(c.params["chat_id"]) for c in bot.api.calls if c.method == "sendMessage"
               and "Morning check-in" in str(c.params.get("text"))}
    finally:
        stop.set()
        writer.join(5)
        await stop_harness(bot)
    for texts in answers:
        assert texts and not any(TRY_AGAIN in t for t in texts)
    assert got == due
    logged = [r.getMessage() for r in records.records]
    assert not [m for m in logged if "locked" in m]
    assert not [r for r in records.records if r.name == "bot.handlers.errors"]


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    if not own_pg_available():
        pytest.skip("PostgreSQL 15 server binaries are not installed")
    server = OwnPostgres().init()
    yield server
    server.destroy()


async def _talk(p: Person, texts: list[str]) -> list[list[str]]:
    """Each message and what came back for it (an empty list: silently dropped)."""
    return [sent_texts(await p.send(text)) for text in texts]


@pytest.mark.slow
async def test_postgresql_restarted_under_the_running_bot(own_postgres: OwnPostgres) -> None:
    bot = await start_harness(DbTarget(own_postgres.url))
    try:
        people = [await bot.consented(3000 + i) for i in range(4)]
        due = await due_checkins(bot.db, 60)
        bot.clock.set(DUE + timedelta(seconds=1))
        bot.app.bot_data["checkin_batch"] = 20
        assert (await bot.tick())["checkins"] == 20
        loop = asyncio.get_running_loop()
        texts = ["/progress", "I'm craving", "6", "/plans", "/reasons", "/settings"] * 3

        async def restart() -> dict[str, int]:
            await asyncio.sleep(0.3)
            await loop.run_in_executor(None, own_postgres.stop)  # fast: drops every session
            tick = asyncio.create_task(bot.tick())  # the tick meets the outage too
            await asyncio.sleep(2.0)  # people keep writing to a bot without its database
            await loop.run_in_executor(None, own_postgres.start)
            return await tick

        *talks, during = await asyncio.gather(*(_talk(p, texts) for p in people), restart())
        answers = [batch for talk in talks for batch in talk]
        assert all(answers), "every message got an answer or a please-try-again"
        after = [sent_texts(await p.send("/progress")) for p in people]
        ticks = [await bot.tick() for _ in range(3)]
        bot.clock.advance(minutes=3)
        ticks += [await bot.tick() for _ in range(3)]
    finally:
        await stop_harness(bot)
    tried_again = sum(1 for batch in answers if any(TRY_AGAIN in t for t in batch))
    print(f"\n{len(answers)} messages during the restart: {len(answers) - tried_again} "
          f"answered, {tried_again} asked to try again, 0 dropped")
    assert all(batch and not any(TRY_AGAIN in t for t in batch) for batch in after)
    assert all(n >= 0 for tick in ticks for n in tick.values())
    got = Counter(int(c.params["chat_id"]) for c in bot.api.calls if c.method == "sendMessage"
                  and "Morning check-in" in str(c.params.get("text")))
    assert set(got) == due and set(got.values()) == {1}
    assert during["checkins"] >= 0  # the tick waited for the database and went on
