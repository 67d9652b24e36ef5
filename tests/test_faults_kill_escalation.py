"""Process death between an alert and its escalation: the real bot process is killed with
SIGKILL after alerts went to the first support people and before they are due to move on;
a new process sends every escalation exactly once when it is due. (The escalations fall
due while no process runs: the test moves their time to now between the two processes.)"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import insert, update

from bench.kill_fanout import TOKEN, _start
from storage.crypto import FieldCipher
from storage.db import Database
from storage.models import Alert, User
from tests.faults import add_open_alert
from tests.local_botapi import LocalBotApi

PEOPLE = 20
FIRST = 30_000_000
SECOND = 500_000  # a second support person's chat id: the person's id plus this
TICK = 0.5  # TICK_SECONDS of the bot processes


async def _prepare(url: str, key: str, escalate_at: datetime) -> None:
    db = Database(url, FieldCipher([key]))
    await db.migrate()
    sent = escalate_at - timedelta(minutes=5)
    async with db.session() as s:
        await s.execute(insert(User), [{
            "id": uid, "created_at": sent, "consented_at": sent, "locale": "en",
            "timezone": "UTC", "country": "US", "discreet": False, "unreachable": False,
            "onboarded": True, "checkin_time": "08:00", "checkins_enabled": False,
            "summary_weekday": 6} for uid in range(FIRST, FIRST + PEOPLE)])
        for uid in range(FIRST, FIRST + PEOPLE):
            await add_open_alert(s, uid, sent=sent, escalate_at=escalate_at,
                                 chats=(uid + 1_000, uid + SECOND))
    await db.dispose()


def _alerts(server: LocalBotApi) -> Counter[int]:
    with server._cond:
        delivered = list(server.delivered)
    return Counter(int(p["chat_id"]) for m, p in delivered
                   if m == "sendMessage" and "asked for support" in str(p.get("text")))


async def _due_now(url: str, key: str) -> None:
    """The time that passed while the bot was down: the escalations fall due."""
    db = Database(url, FieldCipher([key]))
    async with db.session() as s:
        await s.execute(update(Alert).values(escalate_at=datetime.now(UTC)))
    await db.dispose()


def _escalation_ticks(log: Path) -> int:
    """Runs of the escalation tick so far, by the log (APScheduler's INFO line per job)."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return sum(1 for line in text.splitlines()
               if 'Job "tick:alert_escalations' in line and "executed successfully" in line)


def _wait_ticks(log: Path, count: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while _escalation_ticks(log) < count:
        assert proc.poll() is None, log.read_text(errors="replace")[-2000:]
        assert time.monotonic() < deadline, f"fewer than {count} escalation ticks in 60 s"
        time.sleep(0.05)


@pytest.mark.slow
def test_sigkill_between_an_alert_and_its_escalation_loses_and_repeats_none(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICK_SECONDS", str(TICK))
    url = f"sqlite+aiosqlite:///{tmp_path / 'kill.sqlite3'}"
    key = Fernet.generate_key().decode()
    log = tmp_path / "bot.log"
    asyncio.run(_prepare(url, key, datetime.now(UTC) + timedelta(hours=1)))
    seconds = {uid + SECOND for uid in range(FIRST, FIRST + PEOPLE)}
    with LocalBotApi(token=TOKEN) as server:
        proc = _start(server, tmp_path, url, key, log_level="INFO")
        _wait_ticks(log, 1, proc)  # running, ticking, nothing due yet
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert _alerts(server) == Counter()  # killed before the escalations were due
        asyncio.run(_due_now(url, key))
        proc = _start(server, tmp_path, url, key, log_level="INFO")
        try:
            deadline = time.monotonic() + 60
            while set(_alerts(server)) != seconds and time.monotonic() < deadline:
                time.sleep(0.05)
            _wait_ticks(log, _escalation_ticks(log) + 3, proc)  # more ticks: none goes twice
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        received = _alerts(server)
    assert set(received) == seconds, log.read_text(errors="replace")[-2000:]
    assert set(received.values()) == {1}
    print(f"\nkill between alert and escalation: {len(received)} escalations after restart, "
          f"lost {len(seconds - set(received))}, duplicates "
          f"{sum(received.values()) - len(received)}")
