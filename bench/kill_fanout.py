"""Process death in the middle of a check-in fan-out: SIGKILL, start again, count.

The real bot process (`python -m bot run`, long polling, its own SQLite file) sends
check-ins to N people who are all due now, through the local Bot API server on
127.0.0.1 (tests/local_botapi.py) at Telegram's real pace (~25 a second in the bulk
lane). When `--kill-after` check-ins have arrived, the process gets SIGKILL; then it is
started again and runs until every due person has had one, or nothing more arrives.

* in flight at the kill: check-ins the server had delivered that the bot had not yet
  recorded as sent (those are what a restart can send twice);
* failed sends: sends that failed in either run (a timeout, a reset connection on a
  loaded machine); each is tried again, and the server may have delivered it before its
  answer was lost, so they are in flight too;
* lost: due people who never got one; duplicates: second copies.

Promise (issue 8): lost == 0 and duplicates <= in flight at the kill + failed sends.

Check-ins claimed by the killed process are sent again when their claim's lease ends
(bot/handlers/checkin.py, LEASE: 2 minutes). `--wait-lease` waits for it in real time;
by default the bench ends those leases in the database before the restart, which is what
waiting would do, and saves two minutes.

    python bench/kill_fanout.py                       # 10,000 people, kill after 3,000
    python bench/kill_fanout.py --people 2000 --kill-after 700 --wait-lease

Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import func, insert, select, update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.handlers.checkin import LEASE  # noqa: E402
from storage.crypto import FieldCipher  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Checkin, User  # noqa: E402
from tests.local_botapi import LocalBotApi  # noqa: E402

TOKEN = "123456:BENCH-token-abcdefghijklmnopqrstuvwxyz"
TITLE = "Morning check-in"
FIRST_ID = 20_000_000


@dataclass
class Result:
    people: int
    delivered_at_kill: int
    recorded_at_kill: int
    in_flight_at_kill: int
    failed_sends: int
    received: int
    lost: int
    duplicates: int
    seconds_before_kill: float
    seconds_after_restart: float

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicates <= self.in_flight_at_kill + self.failed_sends


async def _prepare(url: str, key: str, people: int) -> None:
    db = Database(url, FieldCipher([key]))
    await db.migrate()
    now = datetime.now(UTC)
    # a night-time check-in hour: a late (re)send is allowed whatever the hour of the run
    rows = [{"id": uid, "created_at": now, "consented_at": now, "locale": "en",
             "timezone": "UTC", "country": "US", "discreet": False, "unreachable": False,
             "onboarded": True, "checkin_time": "03:00", "checkins_enabled": True,
             "next_checkin_at": now - timedelta(seconds=5), "summary_weekday": 6}
            for uid in range(FIRST_ID, FIRST_ID + people)]
    async with db.session() as s:
        for start in range(0, people, 2000):
            await s.execute(insert(User), rows[start:start + 2000])
    await db.dispose()


async def _recorded(url: str, key: str, *, age_claims: bool) -> int:
    db = Database(url, FieldCipher([key]))
    async with db.session() as s:
        sent = await s.scalar(select(func.count()).select_from(Checkin)
                              .where(Checkin.sent_at.is_not(None)))
        if age_claims:  # what waiting out the lease would do
            await s.execute(update(Checkin).where(Checkin.sent_at.is_(None),
                                                  Checkin.retry_at.is_not(None))
                            .values(retry_at=datetime.now(UTC)))
    await db.dispose()
    return int(sent or 0)


def _start(server: LocalBotApi, workdir: Path, url: str, key: str, *,
           log_level: str = "WARNING") -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATA_KEY")}
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=server.base_url,
               DATABASE_URL=url, DATA_KEY=key, PYTHONPATH=str(ROOT), LOG_LEVEL=log_level)
    log = (workdir / "bot.log").open("ab")
    return subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=workdir, env=env,
                            stdout=log, stderr=subprocess.STDOUT)


def _checkins(server: LocalBotApi) -> Counter[int]:
    with server._cond:
        delivered = list(server.delivered)
    return Counter(int(p["chat_id"]) for m, p in delivered
                   if m == "sendMessage" and TITLE in str(p.get("text")))


def _wait(server: LocalBotApi, until: int, *, quiet: float, limit: float) -> None:
    """Until `until` people have had a check-in, or none arrived for `quiet` seconds, or
    `limit` seconds have passed."""
    start = last_change = time.monotonic()
    seen = -1
    while time.monotonic() - start < limit:
        count = len(_checkins(server))
        if count >= until:
            return
        if count != seen:
            seen, last_change = count, time.monotonic()
        elif time.monotonic() - last_change > quiet:
            return
        time.sleep(0.05 if until - count > 50 else 0.01)  # counting costs the server CPU


def run(people: int, kill_after: int, workdir: Path, *, wait_lease: bool = False,
        limit: float = 1800.0) -> Result:
    url = f"sqlite+aiosqlite:///{workdir / 'kill.sqlite3'}"
    key = Fernet.generate_key().decode()
    asyncio.run(_prepare(url, key, people))
    with LocalBotApi(token=TOKEN) as server:
        proc = _start(server, workdir, url, key)
        began = time.monotonic()
        try:
            _wait(server, kill_after, quiet=60, limit=limit)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        before_kill = time.monotonic() - began
        delivered = sum(_checkins(server).values())
        recorded = asyncio.run(_recorded(url, key, age_claims=not wait_lease))
        proc = _start(server, workdir, url, key)
        began = time.monotonic()
        try:
            # a failed send is tried again 30 s later, at the next 10-second tick
            quiet = LEASE.total_seconds() + 60 if wait_lease else 60
            _wait(server, people, quiet=quiet, limit=limit)
            time.sleep(1.0)  # anything still in the air lands in the count
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        after_restart = time.monotonic() - began
        received = _checkins(server)
    due = set(range(FIRST_ID, FIRST_ID + people))
    log = (workdir / "bot.log").read_text(errors="replace")
    failed = log.count("scheduled send failed:")
    return Result(people, delivered, recorded, delivered - recorded, failed,
                  len(set(received) & due),
                  len(due - set(received)), sum(received.values()) - len(received),
                  round(before_kill, 1), round(after_restart, 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--kill-after", type=int, default=3_000)
    parser.add_argument("--wait-lease", action="store_true",
                        help="wait the claims' 2-minute lease in real time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = run(args.people, args.kill_after, Path(tmp), wait_lease=args.wait_lease)
        if not result.ok:
            kept = Path(tempfile.mkdtemp(prefix="kill-fanout-"))
            (kept / "bot.log").write_bytes((Path(tmp) / "bot.log").read_bytes())
            print(f"the bot's log is kept in {kept}")
    rows = [("due people", result.people), ("delivered at the kill", result.delivered_at_kill),
            ("recorded as sent at the kill", result.recorded_at_kill),
            ("in flight at the kill", result.in_flight_at_kill),
            ("failed sends (retried)", result.failed_sends),
            ("people who got one", result.received), ("lost", result.lost),
            ("duplicates", result.duplicates),
            ("seconds to the kill", result.seconds_before_kill),
            ("seconds after the restart", result.seconds_after_restart)]
    for name, value in rows:
        print(f"{name:<32} {value:>10}")
    print("promise (lost 0, duplicates <= in flight + failed sends):",
          "kept" if result.ok else "BROKEN")
    print(json.dumps({"bench": "kill_fanout", **asdict(result), "ok": result.ok}))


if __name__ == "__main__":
    main()
