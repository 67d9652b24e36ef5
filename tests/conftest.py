"""Fixtures: a migrated database (SQLite always, PostgreSQL when TEST_DATABASE_URL is set),
the real Application on the fake Bot API, an injectable clock, and simulated people."""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import build_application
from bot.clock import FakeClock
from bot.config import Settings, load_settings
from bot.fake_api import FakeBotApi, FakeRequest
from bot.local_driver import Person
from bot.scheduler import run_tick
from bot.sender import InstantTime, TwoLaneRateLimiter
from content import Texts
from content import load as load_texts
from storage.crypto import FieldCipher
from storage.db import Database

TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"
DATA_KEY = Fernet.generate_key().decode()
PG_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (pyproject addopts): a worker per available core, at most 4, so a big
    machine does not start dozens of bot processes and PostgreSQL connections at once.
    Every test isolates itself (tmp_path, free ports, a PostgreSQL schema of its own).
    With -s, none: what a test prints (the README's `pytest -s ...` figures) is shown only
    when it runs in this process."""
    if config.getoption("capture") == "no":
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, 4))


BACKENDS = ["sqlite", pytest.param("postgres", marks=[
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set"),
])]


@dataclass
class DbTarget:
    url: str
    search_path: str | None = None


@pytest.fixture(params=BACKENDS)
async def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DbTarget]:
    if request.param == "sqlite":
        yield DbTarget(f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}")
        return
    assert PG_URL is not None
    url = load_settings(database_url=PG_URL).database_url
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield DbTarget(url, schema)
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


def open_db(target: DbTarget, key: str = DATA_KEY) -> Database:
    return Database(target.url, FieldCipher([key]), search_path=target.search_path)


@pytest.fixture
async def db(db_target: DbTarget) -> AsyncIterator[Database]:
    database = open_db(db_target)
    await database.migrate()
    yield database
    await database.dispose()


@dataclass
class Harness:
    """The running bot as a test sees it."""

    app: Any
    api: FakeBotApi
    clock: FakeClock
    db: Database
    settings: Settings

    def person(self, user_id: int = 1001, first_name: str = "Alex") -> Person:
        return Person(self.app, self.api, user_id, first_name)

    async def consented(self, user_id: int = 1001, first_name: str = "Alex") -> Person:
        """A person who tapped /start and agreed, and skipped the onboarding offers."""
        p = self.person(user_id, first_name)
        await p.send("/start")
        await p.tap("I agree")
        await p.tap("Later")
        await p.tap("Later")
        await p.tap("Skip for now")  # the recovery start date, asked last
        return p

    async def tick(self) -> dict[str, int]:
        return await run_tick(self.app)


@functools.cache
def shared_texts() -> Texts:
    """The content, loaded and checked once per test process rather than once per bot (a
    third of starting one). Safe to share: an Application only reads it, the same object
    for everyone it serves."""
    return load_texts()


async def start_harness(target: DbTarget, *, api: FakeBotApi | None = None,
                        clock: FakeClock | None = None, **settings: Any) -> Harness:
    api = api or FakeBotApi()
    clock = clock or FakeClock()
    cfg = load_settings(database_url=target.url, data_key=DATA_KEY, **settings)
    database = open_db(target)
    await database.migrate()
    limiter_time = InstantTime()  # every send is rate limited, in virtual time
    app = build_application(cfg, TOKEN, request=FakeRequest(api), clock=clock, db=database,
                            texts=shared_texts(), job_queue=False,
                            rate_limiter=TwoLaneRateLimiter(clock=limiter_time.clock,
                                                            sleep=limiter_time.sleep))
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    return Harness(app, api, clock, database, cfg)


async def stop_harness(h: Harness) -> None:
    await h.app.shutdown()
    await h.db.dispose()


@pytest.fixture
async def bot(db_target: DbTarget) -> AsyncIterator[Harness]:
    h = await start_harness(db_target)
    yield h
    await stop_harness(h)
