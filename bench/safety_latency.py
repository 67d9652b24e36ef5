"""Benchmark: how fast safety answers. Not a test; prints a table and one JSON line.

1. detection alone: every message of tests/data/safety_messages.yaml, plus a 4096-character
   message (Telegram's longest), through crisis and slip detection;
2. end to end: a crisis message from a consented person in the middle of a plan, through
   the real Application on the fake Bot API and SQLite, until the answer is sent.

    python bench/safety_latency.py [--rounds 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import build_application  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.fake_api import FakeBotApi, FakeRequest  # noqa: E402
from bot.local_driver import Person  # noqa: E402
from bot.safety_intents import SafetyDetector  # noqa: E402
from content import load  # noqa: E402
from storage.crypto import FieldCipher  # noqa: E402
from storage.db import Database  # noqa: E402

TOKEN = "123456:BENCH-token-abcdefghijklmnopqrstuvwxyz"


def messages() -> list[str]:
    data = yaml.safe_load((ROOT / "tests" / "data" / "safety_messages.yaml").read_text())
    out = [m for msgs in data["crisis"].values() for m in msgs] + data["not_crisis"]
    out += [s["text"] for s in data["slip"]] + data["about_to_use"] + data["not_slip"]
    return out


def ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"mean": statistics.fmean(values) * 1000,
            "p50": ordered[len(ordered) // 2] * 1000,
            "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
            "max": ordered[-1] * 1000}


def detection(rounds: int) -> tuple[dict[str, float], dict[str, float]]:
    detector = SafetyDetector.from_content(load().default.raw("intents_safety"))
    msgs = messages()
    times = []
    for _ in range(max(1, rounds // 50)):
        for m in msgs:
            start = time.perf_counter()
            detector.crisis(m)
            detector.slip_or_intent(m)
            times.append(time.perf_counter() - start)
    long_text = ("I pass the old corner and everything feels heavy today, " * 80)[:4096]
    long_times = []
    for _ in range(20):
        start = time.perf_counter()
        detector.crisis(long_text)
        detector.slip_or_intent(long_text)
        long_times.append(time.perf_counter() - start)
    return ms(times), ms(long_times)


async def end_to_end(rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        key = Fernet.generate_key().decode()
        url = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        settings = load_settings(database_url=url, data_key=key)
        db = Database(url, FieldCipher([key]))
        await db.migrate()
        api = FakeBotApi()
        app = build_application(settings, TOKEN, request=FakeRequest(api), clock=FakeClock(),
                                db=db, job_queue=False)
        await app.initialize()
        p = Person(app, api, 1001)
        await p.send("/start")
        await p.tap("I agree")
        await p.send("/plans")
        await p.tap("New plan")
        await p.send("I pass the old corner")  # a plan waits for its action
        times = []
        for i in range(rounds):
            start = time.perf_counter()
            calls = await p.send("i want to kill myself" if i % 2 else "my friend is oding")
            times.append(time.perf_counter() - start)
            assert any("911" in str(c.params.get("text", "")) for c in calls)
        await app.shutdown()
        await db.dispose()
        return ms(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    det, det_long = detection(args.rounds)
    e2e = asyncio.run(end_to_end(args.rounds))
    rows = [("detection, labelled messages", det), ("detection, 4096 characters", det_long),
            ("crisis answer end to end (SQLite)", e2e)]
    print(f"{'what':38} {'mean ms':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, r in rows:
        print(f"{name:38} {r['mean']:8.2f} {r['p50']:8.2f} {r['p99']:8.2f} {r['max']:8.2f}")
    print(json.dumps({"bench": "safety_latency", "rounds": args.rounds,
                      "detection_ms": det, "detection_4096_ms": det_long,
                      "crisis_end_to_end_ms": e2e}))


if __name__ == "__main__":
    main()
