"""Fault harness: the real Application on real HTTP against the local Bot API server
(tests/local_botapi.py), with the scheduler tick driven in virtual time.

A scenario is a *workload* (due work the tick must deliver: a check-in fan-out, craving
follow-ups, ...) run through a *fault* (the API refusing connections, timing out,
answering 502 or 429, some people having blocked the bot) for some virtual minutes.
`run_scenario` prepares the workload, applies the fault, ticks every `tick_seconds` of
virtual time, lifts the fault, ticks until nothing is left, and returns what each chat
received, so a test can assert "every due message exactly once, the blocked ones none".

A new kind of due work (e.g. supporter alert escalation) is one more `Workload`:
`prepare` creates the due rows and returns the chats that must each get one message,
`matches` tells that message apart in the API record. Add it to `WORKLOADS`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import build_application
from bot.clock import FakeClock
from bot.config import load_settings
from bot.http_client import AiohttpRequest
from bot.scheduler import run_tick
from bot.sender import InstantTime, TwoLaneRateLimiter
from storage.db import Database
from storage.models import Alert, AlertDelivery, CravingEpisode, Supporter, User
from tests.conftest import DATA_KEY, TOKEN, DbTarget, Harness, open_db, shared_texts
from tests.local_botapi import LocalBotApi

TICK = 10.0  # seconds of virtual time between ticks, as in production
HTTP_TIMEOUT = 2.0  # the bot's HTTP timeouts except while the API is made to hang
DUE = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CHECKIN_TITLE = "Morning check-in"
FOLLOW_UP = "since the urge hit"


# --- the bot on real HTTP -------------------------------------------------------------------
class AdjustableRequest(AiohttpRequest):
    """The bot's own client, with default timeouts that can be changed while it runs (each
    request reads them, see `AiohttpRequest.do_request`)."""

    def set_timeout(self, seconds: float) -> None:
        self._read = self._write = self._connect = self._pool = seconds


@dataclass
class Live:
    """The bot in process, talking HTTP to `server`; time is virtual."""

    app: Any
    server: LocalBotApi
    clock: FakeClock
    db: Database
    request: AdjustableRequest

    async def tick(self) -> dict[str, int]:
        return await run_tick(self.app)


async def start_live(target: DbTarget, server: LocalBotApi) -> Live:
    """HTTP timeouts are long (HTTP_TIMEOUT), so a slow moment on a loaded machine is not a
    timeout; a fault shortens them only while it runs (`Fault.http_timeout`)."""
    clock = FakeClock(DUE)
    cfg = load_settings(database_url=target.url, data_key=DATA_KEY,
                        telegram_api_base_url=server.base_url, tick_seconds=TICK)
    db = open_db(target)
    await db.migrate()
    request = AdjustableRequest(64, connect_timeout=HTTP_TIMEOUT, read_timeout=HTTP_TIMEOUT,
                                write_timeout=HTTP_TIMEOUT, pool_timeout=HTTP_TIMEOUT)
    limiter_time = InstantTime()
    app = build_application(cfg, TOKEN, request=request, clock=clock, db=db,
                            texts=shared_texts(), job_queue=False,
                            rate_limiter=TwoLaneRateLimiter(clock=limiter_time.clock,
                                                            sleep=limiter_time.sleep))
    await app.initialize()
    return Live(app, server, clock, db, request)


async def stop_live(live: Live) -> None:
    await live.app.shutdown()
    await live.db.dispose()


# --- workloads ------------------------------------------------------------------------------
def _text(params: dict[str, Any]) -> str:
    return str(params.get("text") or "")


@dataclass
class Workload:
    name: str
    prepare: Callable[[Database, int], Awaitable[set[int]]]
    matches: Callable[[str, dict[str, Any]], bool]

    def received(self, server: LocalBotApi) -> Counter[int]:
        """How many matching messages each chat received (answered 200 by the server)."""
        with server._cond:
            delivered = list(server.delivered)
        return Counter(int(p["chat_id"]) for m, p in delivered if self.matches(m, p))


def _person(uid: int, **extra: Any) -> dict[str, Any]:
    return {"id": uid, "created_at": DUE, "consented_at": DUE, "locale": "en",
            "timezone": "UTC", "country": "US", "discreet": False, "unreachable": False,
            "onboarded": True, "checkin_time": "08:00", "checkins_enabled": False,
            "next_checkin_at": None, "summary_weekday": 6} | extra


async def due_checkins(db: Database, count: int, first_id: int = 5_000_000) -> set[int]:
    ids = list(range(first_id, first_id + count))
    async with db.session() as s:
        for start in range(0, count, 2000):
            await s.execute(insert(User), [_person(uid, checkins_enabled=True,
                                                   next_checkin_at=DUE)
                                           for uid in ids[start:start + 2000]])
    return set(ids)


async def due_follow_ups(db: Database, count: int, first_id: int = 6_000_000) -> set[int]:
    """People whose craving started 15 minutes before DUE and is still open."""
    ids = list(range(first_id, first_id + count))
    started = DUE - timedelta(minutes=15)
    async with db.session() as s:
        await s.execute(insert(User), [_person(uid) for uid in ids])
        await s.execute(insert(CravingEpisode), [
            {"user_id": uid, "started_at": started, "tried": [], "follow_up_at": DUE,
             "follow_up_attempts": 0, "source": "button", "intensity_start": 8}
            for uid in ids])
    return set(ids)


async def due_escalations(db: Database, count: int, first_id: int = 7_000_000) -> set[int]:
    """People whose alert went to their first support person 5 minutes before DUE with no
    answer; each second support person (id + 500,000) must get it exactly once."""
    ids = list(range(first_id, first_id + count))
    sent = DUE - timedelta(minutes=5)
    async with db.session() as s:
        await s.execute(insert(User), [_person(uid) for uid in ids])
        for uid in ids:
            await add_open_alert(s, uid, sent=sent, escalate_at=DUE,
                                 chats=(uid + 250_000, uid + 500_000))
    return {uid + 500_000 for uid in ids}


async def add_open_alert(s: AsyncSession, uid: int, *, sent: datetime, escalate_at: datetime,
                         chats: tuple[int, int]) -> None:
    """Two active support people, Sam (chat chats[0]) and Jo (chats[1]), and an alert that
    reached Sam at `sent`, unanswered, due to move on to Jo at `escalate_at`."""
    first, second = (Supporter(
        user_id=uid, name=name, role="friend", person_name="Alex", position=pos,
        status="active", supporter_chat_id=chat, created_at=sent, accepted_at=sent,
        unreachable=False) for pos, name, chat in ((1, "Sam", chats[0]), (2, "Jo", chats[1])))
    alert = Alert(user_id=uid, created_at=sent, status="open", escalate_at=escalate_at,
                  attempts=1)
    s.add_all([first, second, alert])
    await s.flush()
    s.add(AlertDelivery(alert_id=alert.id, user_id=uid, supporter_id=first.id,
                        created_at=sent, sent_at=sent, failed=False))


CHECKINS = Workload("check-in fan-out", due_checkins,
                    lambda m, p: m == "sendMessage" and CHECKIN_TITLE in _text(p))
FOLLOW_UPS = Workload("craving follow-ups", due_follow_ups,
                      lambda m, p: m == "sendMessage" and FOLLOW_UP in _text(p))
ESCALATIONS = Workload("alert escalations", due_escalations,
                       lambda m, p: m == "sendMessage" and "asked for support" in _text(p))
WORKLOADS = [CHECKINS, FOLLOW_UPS, ESCALATIONS]


# --- faults ---------------------------------------------------------------------------------
@dataclass
class Fault:
    """What the Bot API does during the outage window."""

    name: str
    apply: Callable[[LocalBotApi], None]
    lift: Callable[[LocalBotApi], None] = field(default=lambda api: api.clear_faults())
    # The bot's HTTP timeouts while this fault runs: short where the API is made to hang
    # (it keeps each try cheap in real time), and back to HTTP_TIMEOUT once it is lifted,
    # so a slow answer after the outage is not taken for one more timeout.
    http_timeout: float = HTTP_TIMEOUT


def _refuse(api: LocalBotApi) -> None:
    api.port_before_outage = api.port  # type: ignore[attr-defined]
    api.stop()


def _come_back(api: LocalBotApi) -> None:
    api.start(port=api.port_before_outage)  # type: ignore[attr-defined]


REFUSED = Fault("connection refused", _refuse, _come_back)
TIMEOUTS = Fault("timeouts", lambda api: api.fail("*", hang=0.6), http_timeout=0.05)
BAD_GATEWAY = Fault("502 Bad Gateway", lambda api: api.fail("*", status=502,
                                                            description="Bad Gateway"))
FLOOD = Fault("429 flood", lambda api: api.fail("sendMessage", retry_after=5,
                                                description="Too Many Requests: retry after 5"))
OUTAGES = [REFUSED, TIMEOUTS, BAD_GATEWAY, FLOOD]


# --- running ----------------------------------------------------------------------------------
@dataclass
class Report:
    expected: set[int]
    received: Counter[int]
    ticks: int
    errors: list[str]

    @property
    def lost(self) -> set[int]:
        return self.expected - set(self.received)

    @property
    def duplicated(self) -> dict[int, int]:
        return {chat: n for chat, n in self.received.items() if n > 1}


async def run_scenario(live: Live, workload: Workload, fault: Fault | None, *, people: int,
                       minutes: float, settle_ticks: int = 60,
                       during: Callable[[Live, int], Awaitable[None]] | None = None) -> Report:
    """Due work for `people`, the fault for `minutes` of virtual time from the first tick,
    then ticks until a whole virtual minute delivers nothing more."""
    expected = await workload.prepare(live.db, people)
    live.clock.set(DUE + timedelta(seconds=1))
    errors: list[str] = []
    ticks = 0

    async def one_tick() -> None:
        nonlocal ticks
        done = await live.tick()
        errors.extend(name for name, n in done.items() if n < 0)
        ticks += 1
        if during is not None:
            await during(live, ticks)
        live.clock.advance(seconds=TICK)

    if fault is not None:
        fault.apply(live.server)
        live.request.set_timeout(fault.http_timeout)
        end = live.clock.now() + timedelta(minutes=minutes)
        while live.clock.now() < end:
            await one_tick()
        fault.lift(live.server)
        live.request.set_timeout(HTTP_TIMEOUT)
    quiet, before = 0, -1
    for _ in range(settle_ticks):
        await one_tick()
        now = sum(workload.received(live.server).values())
        quiet = quiet + 1 if now == before else 0
        before = now
        if quiet >= 60 / TICK and now:
            break
    return Report(expected, workload.received(live.server), ticks, errors)


__all__ = ["BAD_GATEWAY", "CHECKINS", "ESCALATIONS", "FLOOD", "FOLLOW_UPS", "HTTP_TIMEOUT",
           "OUTAGES", "REFUSED", "TIMEOUTS", "WORKLOADS", "Fault", "Harness", "Live", "Report",
           "Workload", "add_open_alert", "run_scenario", "start_live", "stop_live"]
