"""Scheduler memory and start-up: our one database-driven tick against one
`JobQueue.run_daily` job per person (DESIGN.md principle 2).

Run from the repository root (about two minutes on 2 cores):

    python bench/scheduler_memory.py            # 0, 100,000 and 1,000,000 people
    python bench/scheduler_memory.py --quick    # 0 and 100,000 (and run_daily at 10,000)
    python bench/scheduler_memory.py --full     # also run_daily at 1,000,000 (~5 GB, minutes)

Each scenario runs in a fresh subprocess, so RSS figures are clean:

* ours N: a SQLite database with N people registered (check-ins on, due times spread
  over the day, 3 x 1,000 due now). Start-up = open the database, migrate (a no-op),
  build the Application, start it and its JobQueue with the one repeating tick. Then
  three claims of 1,000 due people each (lock, advance, record: the database work of a
  tick; the first also compiles the statements, so the median of the other two is the
  figure), and one whole tick that also renders and sends 1,000 check-ins to an
  in-process fake Bot API.
* run_daily N: the naive way: read the N people and add one `run_daily` job each to a
  started JobQueue (APScheduler).

"extra RSS" is RSS after start-up minus RSS after imports, in the same process.
Targets for ours at 1,000,000 people: <= 50 MB extra RSS, <= 3 s start-up, and the tick
over 1,000,000 people with 1,000 due in <= 100 ms. Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 3, 2, 8, 0, 5, tzinfo=UTC)
DUE_NOW = 1000
CLAIMS = 3  # claims of DUE_NOW each: the first compiles statements, the others are warm
TOKEN = "123456:BENCH-token-abcdefghijklmnopqrstuvwxyz"
ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC", "America/Los_Angeles",
         "Australia/Sydney", "Europe/London", "America/Chicago"]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _sqlite_ts(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


# --- preparing databases (in the parent) ------------------------------------------------------
def prepare(path: Path, people: int, key: str) -> float:
    """A migrated SQLite file with `people` users; DUE_NOW of them due at NOW."""
    from storage.crypto import FieldCipher
    from storage.db import Database

    started = time.perf_counter()
    db = Database(f"sqlite+aiosqlite:///{path}", FieldCipher([key]))

    async def migrate() -> None:
        await db.migrate()
        await db.dispose()

    asyncio.run(migrate())
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    created = _sqlite_ts(NOW - timedelta(days=30))

    def rows() -> Any:
        for i in range(people):
            due = NOW - timedelta(seconds=5) if i < DUE_NOW * CLAIMS else (
                NOW + timedelta(seconds=60 + (i * 86_393) % 86_400))
            yield (10_000_000 + i, created, created, "en", ZONES[i % len(ZONES)], "US", 0, 0, 1,
                   "09:00", 1, _sqlite_ts(due), 6)

    conn.executemany(
        "INSERT INTO users (id, created_at, consented_at, locale, timezone, country, discreet,"
        " unreachable, onboarded, checkin_time, checkins_enabled, next_checkin_at,"
        " summary_weekday) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows())
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()
    return time.perf_counter() - started


# --- scenarios (each in its own process) ------------------------------------------------------
async def scenario_ours(path: str, key: str) -> dict[str, Any]:
    from bot import scheduler
    from bot.app import build_application
    from bot.clock import FakeClock
    from bot.config import load_settings
    from bot.fake_api import FakeBotApi, FakeRequest
    from bot.handlers.checkin import checkin_work, claim
    from bot.sender import InstantTime, TwoLaneRateLimiter
    from storage.crypto import FieldCipher
    from storage.db import Database

    base = rss_mb()
    started = time.perf_counter()
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{path}", data_key=key)
    db = Database(settings.database_url, FieldCipher([key]))
    await db.migrate()
    clock = FakeClock(NOW)
    vt = InstantTime()
    app = build_application(settings, TOKEN, request=FakeRequest(FakeBotApi()), clock=clock,
                            db=db, rate_limiter=TwoLaneRateLimiter(clock=vt.clock,
                                                                   sleep=vt.sleep))
    await app.initialize()
    await app.start()  # starts the JobQueue (APScheduler) too
    scheduler.start(app, settings.tick_seconds)
    startup = time.perf_counter() - started
    after_start = rss_mb()

    services = app.bot_data["services"]
    claim_times, claimed_total = [], 0
    for _ in range(CLAIMS if people_due(path) else 1):
        t0 = time.perf_counter()
        claimed, _ = await claim(services, NOW, DUE_NOW)
        claim_times.append((time.perf_counter() - t0) * 1000)
        claimed_total += len(claimed)
    warm = sorted(claim_times[1:]) or claim_times
    claim_ms = warm[len(warm) // 2]
    # a second, whole tick: 1,000 others made due, claimed, rendered and sent
    async with db.engine.begin() as conn:
        from sqlalchemy import text

        await conn.execute(text(
            "UPDATE users SET next_checkin_at = :due WHERE id IN (SELECT id FROM users "
            "WHERE id >= :first ORDER BY id LIMIT :n)"),
            {"due": _sqlite_ts(NOW + timedelta(seconds=30)),
             "first": 10_000_000 + DUE_NOW * CLAIMS, "n": DUE_NOW})
    clock.set(NOW + timedelta(seconds=35))
    app.bot_data["checkin_batch"] = DUE_NOW
    t0 = time.perf_counter()
    sent = await checkin_work(app)
    tick_ms = (time.perf_counter() - t0) * 1000
    result = {"startup_s": startup, "rss_base_mb": base, "rss_after_start_mb": after_start,
              "extra_rss_mb": after_start - base, "claimed": claimed_total,
              "claim_ms": claim_ms, "first_claim_ms": claim_times[0], "tick_sent": sent,
              "tick_with_sends_ms": tick_ms,
              "rss_after_tick_mb": rss_mb()}
    await app.stop()
    await app.shutdown()
    await db.dispose()
    return result


async def scenario_run_daily(path: str, key: str) -> dict[str, Any]:
    from datetime import time as dtime
    from zoneinfo import ZoneInfo

    from telegram.ext import ApplicationBuilder

    from bot.fake_api import FakeBotApi, FakeRequest

    base = rss_mb()
    started = time.perf_counter()
    request = FakeRequest(FakeBotApi())
    app = ApplicationBuilder().token(TOKEN).request(request).get_updates_request(request).build()
    await app.initialize()
    await app.start()
    assert app.job_queue is not None

    async def checkin(context: Any) -> None:  # never runs here
        return None

    conn = sqlite3.connect(path)
    zones: dict[str, ZoneInfo] = {}
    count = 0
    for uid, zone, at in conn.execute("SELECT id, timezone, checkin_time FROM users "
                                      "WHERE checkins_enabled"):
        tz = zones.setdefault(zone, ZoneInfo(zone))
        hour, minute = (int(x) for x in at.split(":"))
        app.job_queue.run_daily(checkin, dtime(hour, minute, tzinfo=tz), chat_id=uid,
                                user_id=uid, name=f"checkin-{uid}")
        count += 1
    conn.close()
    startup = time.perf_counter() - started
    after = rss_mb()
    result = {"startup_s": startup, "rss_base_mb": base, "rss_after_start_mb": after,
              "extra_rss_mb": after - base, "jobs": count}
    await app.stop()
    await app.shutdown()
    return result


def people_due(path: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM users WHERE next_checkin_at <= ?",
                                (_sqlite_ts(NOW),)).fetchone()[0])
    finally:
        conn.close()


def child(kind: str, path: str, key: str) -> None:
    fn = scenario_ours if kind == "ours" else scenario_run_daily
    print(json.dumps(asyncio.run(fn(path, key))))


def run_child(kind: str, path: Path, key: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(path), key],
                         capture_output=True, text=True, check=False, cwd=ROOT,
                         env={**os.environ, "LOG_LEVEL": "WARNING"})
    if out.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# --- the run ------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 people at most")
    parser.add_argument("--full", action="store_true", help="also run_daily at 1,000,000")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "DB", "KEY"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    sizes = [0, 100_000] if args.quick else [0, 100_000, 1_000_000]
    daily_sizes = [10_000] if args.quick else ([100_000, 1_000_000] if args.full else [100_000])
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="cc-bench-") as tmp:
        dbs: dict[int, Path] = {}
        for n in sorted(set(sizes) | set(daily_sizes)):
            dbs[n] = Path(tmp) / f"people-{n}.sqlite3"
            seconds = prepare(dbs[n], n, key)
            print(f"prepared {n:>9,} people in {seconds:5.1f} s", file=sys.stderr)
        for n in sizes:
            r = run_child("ours", dbs[n], key)
            rows.append({"approach": "ours (one tick)", "people": n, **r})
            print(f"ours      {n:>9,}: done", file=sys.stderr)
        for n in daily_sizes:
            r = run_child("run_daily", dbs[n], key)
            rows.append({"approach": "run_daily per person", "people": n, **r})
            print(f"run_daily {n:>9,}: done", file=sys.stderr)

    daily = [r for r in rows if r["approach"].startswith("run_daily") and r["people"]]
    largest = max(daily, key=lambda r: r["people"])
    per_person_kb = largest["extra_rss_mb"] * 1024 / largest["people"]
    per_person_ms = largest["startup_s"] * 1000 / largest["people"]
    if not any(r["approach"].startswith("run_daily") and r["people"] == 1_000_000
               for r in rows):
        rows.append({"approach": "run_daily per person", "people": 1_000_000,
                     "extra_rss_mb": per_person_kb * 1_000_000 / 1024,
                     "startup_s": per_person_ms * 1000, "extrapolated": True})

    print()
    print(f"{'approach':<22} {'people':>10} {'extra RSS MB':>13} {'start-up s':>11} "
          f"{'claim 1k ms':>12} {'(first)':>8} {'tick+send 1k ms':>16}")
    for r in rows:
        note = " (extrapolated)" if r.get("extrapolated") else ""
        claim = f"{r['claim_ms']:.1f}" if "claim_ms" in r else "-"
        first = f"{r['first_claim_ms']:.0f}" if "first_claim_ms" in r else "-"
        tick = f"{r['tick_with_sends_ms']:.0f}" if "tick_with_sends_ms" in r else "-"
        print(f"{r['approach']:<22} {r['people']:>10,} {r['extra_rss_mb']:>13.1f} "
              f"{r['startup_s']:>11.2f} {claim:>12} {first:>8} {tick:>16}{note}")
    print("claim = lock, advance and record 1,000 due check-ins (the database work of a tick;"
          " median of warm runs); tick+send = the same plus rendering and sending to the"
          " in-process fake Bot API (PTB objects; Telegram's 30/s makes 1,000 real sends"
          " take ~35 s anyway).")
    print(f"run_daily costs {per_person_kb:.1f} KB and {per_person_ms:.3f} ms per person "
          f"(measured at {largest['people']:,}).")
    ours = {r["people"]: r for r in rows if r["approach"].startswith("ours")}
    top = ours[max(ours)]
    targets = {"extra_rss_mb<=50": top["extra_rss_mb"] <= 50, "startup_s<=3": top["startup_s"] <= 3,
               "claim_ms<=100": top["claim_ms"] <= 100}
    print("targets at", f"{max(ours):,}", "people:",
          ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in targets.items()))
    print(json.dumps({"benchmark": "scheduler_memory", "rows": rows,
                      "run_daily_kb_per_person": per_person_kb,
                      "run_daily_ms_per_person": per_person_ms, "targets": targets}))


if __name__ == "__main__":
    main()
