"""Scale benchmarks (issue 7): the real bot in webhook mode against a local Bot API server
over loopback HTTP, so HTTP and JSON costs count both ways.

    python -m bench.scale                      # everything, SQLite and PostgreSQL
    python -m bench.scale --only latency --backends sqlite --quick

The Bot API emulator (bench/botapi_server.py) runs in its own process and plays
Telegram: it POSTs updates to the webhook the bot registered and timestamps every
sendMessage it receives. The bot runs here: build_application, the Starlette/uvicorn
webhook of `run --webhook`, the update gate, the database.

* latency: N people send "I'm craving" in the same instant (N = 1, 100, 1000), several
  rounds, each a new episode; latency = update posted -> first sendMessage to that chat
  received. Also paced loads: new cravings arriving steadily, 33 and 100 a second (300
  and 600 people, each a new episode). The rate limiter runs in virtual time (every rule applied, no
  waiting): these figures are the bot's own work, not Telegram's 30 messages/s cap.
* floor: python-telegram-bot alone behind the same webhook and HTTP client, answering
  every message with one fixed sendMessage (no database): what any bot on this stack
  pays per update on this machine, against which the craving figures can be read.
* fanout: 10,000 people due for a check-in at once. Limiter off (virtual time): the
  bot's own ceiling, messages/s until all are sent. Limiter on (real time): the sustained
  rate over a window, which Telegram's ~30/s bounds.
* priority: craving reply latency while the 10,000-person fan-out saturates the real
  limiter; the two-lane limiter beside a first-in-first-out one.

Prints a table and one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot import scheduler
from bot.app import build_application
from bot.clock import FakeClock
from bot.config import Settings, load_settings
from bot.local_driver import message_update
from bot.sender import INTERACTIVE, InstantTime, TwoLaneRateLimiter
from bot.webhook import _Server, build_web_app, register_webhook
from storage.crypto import FieldCipher
from storage.db import Database
from storage.models import Plan, User

TOKEN = "123456:BENCH-token-abcdefghijklmnopqrstuvwxyz"
SECRET = "bench-webhook-secret-0123456789"
PG_DEFAULT = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FifoRateLimiter(TwoLaneRateLimiter):
    """The same limits with one queue: scheduled sends book slots like replies do."""

    async def acquire(self, lane: str, chat: int | str) -> None:
        await super().acquire(INTERACTIVE, chat)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the emulator process ------------------------------------------------------------------
class Emulator:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.botapi_server", "--token", TOKEN],
            cwd=Path(__file__).resolve().parents[1], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.base_url = self.proc.stdout.readline().strip()
        self.client = httpx.AsyncClient(timeout=60)

    async def call(self, method: str, **params: Any) -> Any:
        r = await self.client.post(f"{self.base_url}{TOKEN}/{method}", json=params)
        return r.json()["result"]

    async def close(self) -> None:
        await self.client.aclose()
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


# --- the bot -------------------------------------------------------------------------------
@dataclass
class Target:
    backend: str
    url: str
    search_path: str | None = None


@contextlib.asynccontextmanager
async def database(backend: str, pg_url: str, tmp: Path) -> AsyncIterator[Target]:
    if backend == "sqlite":
        yield Target(backend, f"sqlite+aiosqlite:///{tmp / f'{uuid.uuid4().hex}.sqlite3'}")
        return
    url = load_settings(database_url=pg_url).database_url
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield Target(backend, url, schema)
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


Where = tuple[str, str, Path]  # backend, PostgreSQL URL, temporary directory


@dataclass
class Bot:
    app: Any
    db: Database
    clock: FakeClock
    settings: Settings


@contextlib.asynccontextmanager
async def running_bot(target: Target, emu: Emulator, limiter: TwoLaneRateLimiter,
                      ) -> AsyncIterator[Bot]:
    key = Fernet.generate_key().decode()
    port = free_port()
    settings = load_settings(database_url=target.url, data_key=key,
                             telegram_api_base_url=emu.base_url.rstrip("/"),
                             webhook_url=f"http://127.0.0.1:{port}/telegram",
                             webhook_secret=SECRET, port=port, listen="127.0.0.1",
                             log_level="WARNING")
    db = Database(target.url, FieldCipher([key]), search_path=target.search_path)
    await db.migrate()
    clock = FakeClock(NOW)
    app = build_application(settings, TOKEN, clock=clock, db=db, job_queue=False,
                            rate_limiter=limiter)
    web = build_web_app(app, secret=SECRET, path=settings.webhook_path)
    import uvicorn

    server = _Server(uvicorn.Config(web, host="127.0.0.1", port=port, lifespan="off",
                                    log_level="warning", access_log=False))
    await app.initialize()
    await register_webhook(app, settings.webhook_url or "", SECRET)
    await app.start()
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for it
        await asyncio.sleep(0.01)
    try:
        yield Bot(app, db, clock, settings)
    finally:
        server.should_exit = True
        await serving
        await app.stop()
        await app.shutdown()
        await db.dispose()


async def seed_people(db: Database, ids: list[int], *, due: datetime | None,
                      plans: bool) -> None:
    rows = [{"id": uid, "created_at": NOW - timedelta(days=30),
             "consented_at": NOW - timedelta(days=30), "locale": "en", "timezone": "UTC",
             "country": "US", "discreet": False, "unreachable": False, "onboarded": True,
             "checkin_time": "09:00", "checkins_enabled": due is not None,
             "next_checkin_at": due, "summary_weekday": 6} for uid in ids]
    async with db.session() as s:
        for start in range(0, len(rows), 2000):
            await s.execute(insert(User), rows[start:start + 2000])
    if plans:
        async with db.session() as s:
            s.add_all(Plan(user_id=uid, trigger=None, situation="I pass the old corner",
                           action="I call Sam", created_at=NOW, updated_at=NOW) for uid in ids)


def craving(uid: int) -> dict[str, Any]:
    return message_update(uid, text="I'm craving")


async def results_when_answered(emu: Emulator, count: int, within: float) -> dict[str, Any]:
    deadline = time.perf_counter() + within
    while True:
        res = await emu.call("benchResults")
        answered = [d for d in res["deliveries"] if d["first_send"] is not None]
        if len(res["deliveries"]) >= count and len(answered) >= count:
            return res
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{len(answered)} of {count} answered in {within} s")
        await asyncio.sleep(0.25)


def latency_row(name: str, backend: str, people: int, lat_ms: list[float],
                per_s: float | None) -> dict[str, Any]:
    return {"bench": name, "backend": backend, "people": people, "samples": len(lat_ms),
            "p50_ms": round(statistics.median(lat_ms), 1), "p99_ms": round(pct(lat_ms, 0.99), 1),
            "max_ms": round(max(lat_ms), 1),
            "per_s": None if per_s is None else round(per_s, 1)}


# --- scenarios -----------------------------------------------------------------------------
async def bench_latency(where: Where, emu: Emulator, sizes: list[int], rounds: dict[int, int],
                        paced: bool) -> list[dict[str, Any]]:
    rows = []
    vt = InstantTime()
    limiter = TwoLaneRateLimiter(clock=vt.clock, sleep=vt.sleep)
    async with database(*where) as target, running_bot(target, emu, limiter) as b:
        most = max(sizes)
        people = list(range(100_001, 100_001 + max(most, 600 if paced else 0)))
        await seed_people(b.db, people, due=None, plans=True)
        for n in sizes:
            lat: list[float] = []
            rates: list[float] = []
            cpu = 0.0
            for _ in range(rounds.get(n, 3)):
                b.clock.advance(hours=2)  # every craving starts a new episode
                await emu.call("benchReset")
                cpu_before = time.process_time()
                await emu.call("benchDeliver", updates=[craving(u) for u in people[:n]])
                res = await results_when_answered(emu, n, within=120 + n * 0.2)
                await asyncio.sleep(0.3)  # the second message of each reply goes out
                cpu += time.process_time() - cpu_before
                d = res["deliveries"]
                lat += [(x["first_send"] - x["posted_at"]) * 1000 for x in d]
                span = max(x["first_send"] for x in d) - min(x["posted_at"] for x in d)
                rates.append(n / span if span > 0 else 0.0)
            row = latency_row("craving burst", target.backend, n, lat,
                              statistics.median(rates) if n > 1 else None)
            # this process's CPU (all threads) per craving, polling the emulator included
            row["cpu_ms_per_update"] = round(cpu * 1000 / (n * rounds.get(n, 3)), 1)
            rows.append(row)
        if paced:  # people arriving at a steady rate, each a new craving
            for rate, count in ((33, 300), (100, 600)):
                b.clock.advance(hours=2)
                await emu.call("benchReset")
                await emu.call("benchDeliver", interval=1 / rate,
                               updates=[craving(u) for u in people[:count]])
                res = await results_when_answered(emu, count, within=60)
                d = res["deliveries"]
                lat = [(x["first_send"] - x["posted_at"]) * 1000 for x in d]
                rows.append(latency_row(f"craving paced {rate}/s", target.backend, count,
                                        lat, rate))
    return rows


async def bench_fanout(where: Where, emu: Emulator, due_count: int, window: float,
                       ) -> list[dict[str, Any]]:
    rows = []
    for limited in (False, True):
        vt = InstantTime()
        limiter = (TwoLaneRateLimiter() if limited
                   else TwoLaneRateLimiter(clock=vt.clock, sleep=vt.sleep))
        async with database(*where) as target, running_bot(target, emu, limiter) as b:
                await seed_people(b.db, list(range(1_000_001, 1_000_001 + due_count)),
                                  due=NOW - timedelta(seconds=5), plans=False)
                await emu.call("benchReset")
                started = time.perf_counter()
                task = asyncio.create_task(scheduler.run_task(b.app, "checkins"))
                if limited:
                    await asyncio.sleep(window)
                    b.app.bot_data[scheduler.STOPPING_KEY] = True
                    limiter.drain()
                    await task
                else:
                    await task
                res = await emu.call("benchResults")
                times = sorted(t for t, _ in res["sends"])
                if limited:  # sustained: skip the first 2 s (claim, first batch)
                    steady = [x for x in times if x >= started + 2 and x <= started + window]
                    rate = len(steady) / (window - 2)
                else:
                    rate = len(times) / (times[-1] - started)
                rows.append({"bench": "check-in fan-out", "backend": target.backend,
                             "limiter": "on" if limited else "off", "due": due_count,
                             "sent": len(times), "msgs_per_s": round(rate, 1),
                             "seconds": round((times[-1] if times else started) - started, 1)})
    return rows


async def bench_fanout_in_process(where: Where, due_count: int) -> dict[str, Any]:
    """The same fan-out with the Bot API in process (bot/fake_api.py): no HTTP at all,
    so what is left is the bot's own work per message."""
    from bot.fake_api import FakeBotApi, FakeRequest

    key = Fernet.generate_key().decode()
    async with database(*where) as target:
        settings = load_settings(database_url=target.url, data_key=key, log_level="WARNING")
        db = Database(target.url, FieldCipher([key]), search_path=target.search_path)
        await db.migrate()
        vt = InstantTime()
        api = FakeBotApi()
        app = build_application(settings, TOKEN, request=FakeRequest(api), db=db,
                                clock=FakeClock(NOW), job_queue=False,
                                rate_limiter=TwoLaneRateLimiter(clock=vt.clock,
                                                                sleep=vt.sleep))
        await seed_people(db, list(range(1_000_001, 1_000_001 + due_count)),
                          due=NOW - timedelta(seconds=5), plans=False)
        async with app:
            started = time.perf_counter()
            sent = await scheduler.run_task(app, "checkins")
            seconds = time.perf_counter() - started
        await db.dispose()
    return {"bench": "fan-out, in process", "backend": target.backend,
            "limiter": "off", "due": due_count, "sent": sent,
            "msgs_per_s": round(sent / seconds, 1), "seconds": round(seconds, 1)}


async def bench_priority(where: Where, emu: Emulator, due_count: int, cravings: int,
                         gap: float) -> list[dict[str, Any]]:
    rows = []
    for name, cls in (("two-lane", TwoLaneRateLimiter), ("fifo", FifoRateLimiter)):
        limiter = cls()
        async with database(*where) as target, running_bot(target, emu, limiter) as b:
                people = list(range(200_001, 200_001 + cravings))
                await seed_people(b.db, people, due=None, plans=True)
                await seed_people(b.db, list(range(1_000_001, 1_000_001 + due_count)),
                                  due=NOW - timedelta(seconds=5), plans=False)
                await emu.call("benchReset")
                fanout = asyncio.create_task(scheduler.run_task(b.app, "checkins"))
                await asyncio.sleep(3)  # the bulk lane is saturated
                await emu.call("benchDeliver", interval=gap,
                               updates=[craving(u) for u in people])
                res = await results_when_answered(emu, cravings,
                                                  within=cravings * gap + 120)
                b.app.bot_data[scheduler.STOPPING_KEY] = True
                limiter.drain()
                await fanout
                d = [x for x in res["deliveries"] if x["chat"] in set(people)]
                lat = [(x["first_send"] - x["posted_at"]) * 1000 for x in d]
                row = latency_row(f"craving during fan-out ({name})", target.backend,
                                  cravings, lat, 1 / gap)
                # every message, replies and check-ins, while the cravings came in: the
                # limiter keeps the sum at Telegram's ~30/s
                start = min(x["posted_at"] for x in d)
                end = max(x["first_send"] for x in d)
                during = [c for t, c in res["sends"] if start <= t <= end]
                row["bulk_msgs_per_s"] = round(sum(1 for c in during if c >= 1_000_001)
                                               / (end - start), 1)
                row["all_msgs_per_s"] = round(len(during) / (end - start), 1)
                rows.append(row)
    return rows


async def bench_floor(emu: Emulator, sizes: list[int], rounds: dict[int, int],
                      ) -> list[dict[str, Any]]:
    """The stack's own floor: python-telegram-bot behind the same Starlette/uvicorn webhook
    and HTTP client, answering every message with one fixed sendMessage. No database, no
    content, no rate limiter: what any bot built on this stack pays per update here."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route
    from telegram import Update
    from telegram.ext import ApplicationBuilder, MessageHandler, filters

    from bot.http_client import AiohttpRequest

    async def answer(update: Update, context: Any) -> None:
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, "ok")

    app = (ApplicationBuilder().token(TOKEN).base_url(emu.base_url.rstrip("/"))
           .request(AiohttpRequest(64)).get_updates_request(AiohttpRequest(1))
           .concurrent_updates(256).updater(None).build())
    app.add_handler(MessageHandler(filters.ALL, answer))

    async def hook(request: Request) -> Response:
        body = await request.body()
        await app.update_queue.put(Update.de_json(json.loads(body), app.bot))
        return Response(status_code=200)

    port = free_port()
    server = _Server(uvicorn.Config(Starlette(routes=[Route("/hook", hook, methods=["POST"])]),
                                    host="127.0.0.1", port=port, lifespan="off",
                                    log_level="warning", access_log=False))
    rows = []
    async with app:
        await app.bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token=SECRET)
        await app.start()
        serving = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for it
            await asyncio.sleep(0.01)
        people = list(range(300_001, 300_001 + max(sizes)))
        for n in sizes:
            lat: list[float] = []
            rates: list[float] = []
            cpu = 0.0
            for _ in range(rounds.get(n, 3)):
                await emu.call("benchReset")
                cpu_before = time.process_time()
                await emu.call("benchDeliver", updates=[craving(u) for u in people[:n]])
                res = await results_when_answered(emu, n, within=60 + n * 0.1)
                cpu += time.process_time() - cpu_before
                d = res["deliveries"]
                lat += [(x["first_send"] - x["posted_at"]) * 1000 for x in d]
                span = max(x["first_send"] for x in d) - min(x["posted_at"] for x in d)
                rates.append(n / span if span > 0 else 0.0)
            row = latency_row("stack floor (no database)", "none", n, lat,
                              statistics.median(rates) if n > 1 else None)
            row["cpu_ms_per_update"] = round(cpu * 1000 / (n * rounds.get(n, 3)), 2)
            rows.append(row)
        server.should_exit = True
        await serving
        await app.stop()
    return rows


# --- main ----------------------------------------------------------------------------------
async def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    emu = Emulator()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            if "floor" in args.only:
                rows += await bench_floor(emu, [1, 100, 1000],
                                          {1: 20, 100: 5, 1000: 2})
            for backend in args.backends:
                where = ("postgresql" if backend == "postgres" else "sqlite", args.pg, Path(tmp))
                if "latency" in args.only:
                    sizes = [1, 100] if args.quick else [1, 100, 1000]
                    rounds = {1: 20, 100: 3 if args.quick else 5, 1000: 2}
                    rows += await bench_latency(where, emu, sizes, rounds, paced=True)
                if "fanout" in args.only and (backend == "sqlite" or args.pg_fanout):
                    rows += await bench_fanout(where, emu, args.due,
                                               window=10 if args.quick else 20)
                    rows.append(await bench_fanout_in_process(where, args.due))
                if "priority" in args.only and backend == "sqlite":
                    rows += await bench_priority(where, emu, args.due,
                                                 cravings=40 if args.quick else 100, gap=0.2)
    finally:
        await emu.close()
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    print(f"{'bench':<34} {'db':<10} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'per s':>8}  notes")
    for r in rows:
        if "p50_ms" in r:
            extra = (f"  check-ins {r['bulk_msgs_per_s']}/s, all {r['all_msgs_per_s']}/s"
                     if "bulk_msgs_per_s" in r else "")
            if "cpu_ms_per_update" in r:
                extra = f"  {r['cpu_ms_per_update']} ms CPU per craving"
            print(f"{r['bench']:<34} {r['backend']:<10} {r['people']:>6} {r['p50_ms']:>8} "
                  f"{r['p99_ms']:>8} {r['max_ms']:>8} {r['per_s'] or '':>8}{extra}")
        else:
            print(f"{r['bench'] + ', limiter ' + r['limiter']:<34.34} {r['backend']:<10} "
                  f"{r['due']:>6} {'':>8} {'':>8} {'':>8} {r['msgs_per_s']:>8}  "
                  f"({r['sent']} sent in {r['seconds']} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="floor,latency,fanout,priority",
                        type=lambda s: s.split(","))
    parser.add_argument("--backends", default="sqlite,postgres", type=lambda s: s.split(","))
    parser.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL", PG_DEFAULT))
    parser.add_argument("--pg-fanout", action="store_true",
                        help="run the fan-out on PostgreSQL too")
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="fewer rounds, shorter windows")
    args = parser.parse_args()
    load_at_start = os.getloadavg()  # other work on the machine skews every figure
    rows = asyncio.run(run(args))
    print_table(rows)
    print(json.dumps({"bench": "scale", "date": datetime.now(UTC).date().isoformat(),
                      "machine": f"{platform.machine()} {os.cpu_count()} cores",
                      "python": platform.python_version(),
                      "load_average_at_start": [round(x, 2) for x in load_at_start],
                      "results": rows}))


if __name__ == "__main__":
    main()
