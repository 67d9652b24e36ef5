"""Craving reply latency: update in -> the bot's first sendMessage, on SQLite.

    python bench/craving_latency.py [--people 1 100] [--gap 3 10] [--rounds 10] [--seconds 20]

The real Application runs with its per-person update processor; updates go through
`update_queue` exactly as polling delivers them; the fake Bot API (in process) records the
moment the first reply for each person is sent. Every craving is a new episode (the clock
moves two hours), so each reply includes the database writes of a fresh craving.

Two loads, both reported:
- paced: N people in a craving at the same time, each sending "I'm craving" again and
  again with exponential gaps (mean --gap seconds, default 3 and 10), for --seconds. Each
  message is the heaviest update there is (a new episode and two messages); 100 people
  every 3 s is 33 new cravings a second.
- burst: all N send in the very same millisecond, --rounds times (a worst case: the last
  of them waits for the N-1 before it, so its latency is N x the per-update cost).
Sends go through the bot's two-lane rate limiter. By default it runs in virtual time
(`--limiter virtual`: every rule applied, no real waiting), so the figures are the bot's
own work; `--limiter telegram` waits for real, and then 100 people x 2 messages meet
Telegram's ~30 messages/s cap, which no bot can beat (see bench for issue 7).
Prints a table and one JSON line. Target (issue 3): p99 <= 50 ms with 100 people at once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.fernet import Fernet
from telegram import Update

from bot.app import build_application
from bot.clock import FakeClock
from bot.config import load_settings
from bot.fake_api import Call, FakeBotApi, FakeRequest
from bot.local_driver import Person, message_update
from bot.sender import InstantTime, TwoLaneRateLimiter

TOKEN = "123456:BENCH-token-abcdefghijklmnopqrstuvwxyz"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(load: str, n: int, latencies: list[float], per_s: float) -> dict[str, Any]:
    return {"load": load, "people": n, "samples": len(latencies),
            "p50_ms": round(statistics.median(latencies), 2),
            "p99_ms": round(pct(latencies, 0.99), 2), "max_ms": round(max(latencies), 2),
            "updates_per_s": round(per_s, 1)}


async def run(people_counts: list[int], gaps: list[float], rounds: int, seconds: float,
              db_path: Path, limiter: str) -> dict[str, Any]:
    api = FakeBotApi()
    clock = FakeClock()
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{db_path}",
                             data_key=Fernet.generate_key().decode())
    virtual = InstantTime()
    rate_limiter = (TwoLaneRateLimiter(clock=virtual.clock, sleep=virtual.sleep)
                    if limiter == "virtual" else TwoLaneRateLimiter())
    app = build_application(settings, TOKEN, request=FakeRequest(api), clock=clock,
                            job_queue=False, rate_limiter=rate_limiter)
    await app.bot_data["services"].db.migrate()
    results: dict[str, Any] = {}
    async with app:
        await app.start()
        most = max(people_counts)
        for uid in range(1, most + 1):  # everyone consents and has a plan first
            p = Person(app, api, 10_000 + uid)
            await p.send("/start")
            await p.tap("I agree")
            await p.send("/plan if I pass the old corner then I call Sam")
        started: dict[int, float] = {}
        first: dict[int, float] = {}
        waiting: dict[int, asyncio.Future[None]] = {}
        done = asyncio.Event()

        def on_call(call: Call) -> None:
            chat = call.params.get("chat_id")
            if call.method == "sendMessage" and chat in started and chat not in first:
                first[chat] = time.perf_counter()
                if chat in waiting and not waiting[chat].done():
                    waiting[chat].set_result(None)
                if len(first) == len(started):
                    done.set()

        api.listeners.append(on_call)

        async def craving(uid: int) -> None:
            clock.advance(hours=2)
            update = Update.de_json(message_update(uid, text="I'm craving"), app.bot)
            first.pop(uid, None)
            started[uid] = time.perf_counter()
            await app.update_queue.put(update)

        async def paced(n: int, gap: float) -> dict[str, Any]:
            """n people, each sending a craving message every ~gap s (exponential gaps)."""
            latencies: list[float] = []
            rng = random.Random(n)

            async def person(uid: int, until: float) -> None:
                while time.perf_counter() < until:
                    await asyncio.sleep(rng.expovariate(1 / gap))
                    waiting[uid] = asyncio.get_running_loop().create_future()
                    await craving(uid)
                    await waiting[uid]
                    latencies.append((first[uid] - started[uid]) * 1000)

            wall = time.perf_counter()
            await asyncio.gather(*(person(10_000 + u, wall + seconds) for u in range(1, n + 1)))
            return summary(f"gap {gap:g}s", n, latencies,
                           len(latencies) / (time.perf_counter() - wall))

        async def burst(n: int) -> dict[str, Any]:
            """All n in the same instant, `rounds` times."""
            out: list[float] = []
            wall = time.perf_counter()
            for _ in range(rounds):
                started.clear()
                first.clear()
                done.clear()
                for u in range(1, n + 1):
                    await craving(10_000 + u)
                await done.wait()
                out += [(first[c] - started[c]) * 1000 for c in started]
                await asyncio.sleep(0.05)  # let the second message (0-10 scale) go out
            return summary("burst", n, out, n * rounds / (time.perf_counter() - wall))

        for n in people_counts:
            for gap in gaps:
                results[f"paced_{n}_gap{gap:g}"] = await paced(n, gap)
            results[f"burst_{n}"] = await burst(n)
            started.clear()
            first.clear()
        await app.stop()
    await app.bot_data["services"].db.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, nargs="+", default=[1, 100])
    parser.add_argument("--gap", type=float, nargs="+", default=[3.0, 10.0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--database", type=Path, default=None)
    parser.add_argument("--limiter", choices=["virtual", "telegram"], default="virtual")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.database or Path(tmp) / "bench.sqlite3"
        results = asyncio.run(run(args.people, args.gap, args.rounds, args.seconds, db,
                                  args.limiter))
    print(f"{'load':>9} {'people':>7} {'samples':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'updates/s':>10}")
    for r in results.values():
        print(f"{r['load']:>9} {r['people']:>7} {r['samples']:>8} {r['p50_ms']:>8} "
              f"{r['p99_ms']:>8} {r['max_ms']:>8} {r['updates_per_s']:>10}")
    print(json.dumps({"bench": "craving_latency", "backend": "sqlite", "limiter": args.limiter,
                      "machine": f"{platform.machine()} {os.cpu_count()} cores",
                      "python": platform.python_version(), "results": results}))


if __name__ == "__main__":
    main()
