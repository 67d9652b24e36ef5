"""`craving-companion run --webhook` as a real process: Telegram's side is the local Bot
API emulator on 127.0.0.1, updates are posted to the bot's webhook over HTTP, and SIGTERM
stops it gracefully (exit 0, scheduled messages either sent once or handed back)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from bot.local_driver import message_update
from storage.crypto import FieldCipher
from storage.db import Database
from storage.models import Checkin, User
from tests.checkin_helpers import CHECKIN_TITLE
from tests.local_botapi import LocalBotApi
from tests.test_checkin_scale import add_due_people

TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"
SECRET = "e2e-webhook-secret-0123456789abcdef"
KEY = Fernet.generate_key().decode()


@pytest.fixture
def server() -> Any:
    with LocalBotApi(token=TOKEN) as api:
        yield api


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class WebhookBot:
    def __init__(self, server: LocalBotApi, cwd: Path, port: int) -> None:
        self.server, self.cwd, self.port = server, cwd, port
        self.url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "DATA_KEY", "TEST_DATABASE_URL")}
        env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=server.base_url,
                   PYTHONPATH=str(Path.cwd()), LOG_LEVEL="INFO", DATA_KEY=KEY,
                   WEBHOOK_URL=f"{self.url}/hook/telegram", WEBHOOK_SECRET=SECRET,
                   PORT=str(port), LISTEN="127.0.0.1", TICK_SECONDS="1")
        self.env = env
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> WebhookBot:
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--webhook"],
                                     cwd=self.cwd, env=self.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.proc.communicate()[0]
            try:
                if self.get("/healthz")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError("the webhook did not come up")

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, str]:
        req = urllib.request.Request(self.url + path, data=body, method=method,
                                     headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def get(self, path: str) -> tuple[int, str]:
        return self.request("GET", path)

    def metric(self, sample: str, timeout: float = 10.0) -> float:
        """The value of `sample` on /metrics once it is above 0, or 0.0 after `timeout`
        seconds. (An update is counted when its handler returns: a moment after its reply
        reached Telegram, so a scrape right after the reply may come before that.)"""
        deadline = time.monotonic() + timeout
        while True:
            status, text = self.get("/metrics")
            assert status == 200
            value = next((float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                          if line.startswith(f"{sample} ")), 0.0)
            if value > 0 or time.monotonic() > deadline:
                return value
            time.sleep(0.02)

    def post_update(self, update: Any, secret: str | None = SECRET,
                    raw: bytes | None = None) -> int:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        body = raw if raw is not None else json.dumps(update).encode()
        return self.request("POST", "/hook/telegram", body, headers)[0]

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        assert self.proc is not None
        self.proc.send_signal(sig)
        try:
            out, _ = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        return self.proc.returncode, out


@pytest.mark.slow
def test_webhook_mode_registers_verifies_answers_and_stops_with_exit_0(
        server: LocalBotApi, tmp_path: Path) -> None:
    bot = WebhookBot(server, tmp_path, free_port()).start()
    try:
        _, hook = server.wait_for("setWebhook", timeout=10)
        assert hook["url"] == f"{bot.url}/hook/telegram" and hook["secret_token"] == SECRET
        assert bot.post_update(message_update(4242, text="/start"), secret=None) == 403
        assert bot.post_update(message_update(4242, text="/start"), secret="x" * 20) == 403
        assert bot.post_update(None, raw=b"{not json") == 400
        since = len(server.calls)
        assert bot.post_update(message_update(4242, text="/start")) == 200
        _, reply = server.wait_for(lambda m, p: m == "sendMessage"
                                   and str(p.get("chat_id")) == "4242", since=since)
        assert "What I store" in reply["text"]
        assert bot.metric('companion_updates_handled_total{kind="message"}') == 1.0
    finally:
        code, output = bot.stop()
    assert code == 0, output
    assert "stopped" in output
    assert TOKEN not in output and SECRET not in output and "What I store" not in output


def checkins_by_chat(server: LocalBotApi) -> Counter[int]:
    return Counter(int(p["chat_id"]) for p in server.sent() if CHECKIN_TITLE in p.get("text", ""))


async def _seed(url: str, count: int, due: datetime) -> list[int]:
    db = Database(url, FieldCipher([KEY]))
    try:
        await db.migrate()  # here, not `craving-companion migrate`: a process start is ~2 s
        ids = await add_due_people(db, count, due, first_id=70_000)
        async with db.session() as s:  # a night-time choice: never skipped as "too late"
            await s.execute(User.__table__.update().values(checkin_time="23:30",
                                                           timezone="UTC"))
        return ids
    finally:
        await db.dispose()


async def _state(url: str) -> tuple[int, int, int]:
    db = Database(url, FieldCipher([KEY]))
    try:
        async with db.session() as s:
            sent = await s.scalar(select(func.count()).select_from(Checkin)
                                  .where(Checkin.sent_at.is_not(None)))
            # claimed, not sent, and due again at once (handed back at shutdown)
            unsent = await s.scalar(select(func.count()).select_from(Checkin).where(
                Checkin.sent_at.is_(None), Checkin.retry_at <= datetime.now(UTC)))
            due = await s.scalar(select(func.count()).select_from(User)
                                 .where(User.next_checkin_at <= datetime.now(UTC)))
        return int(sent or 0), int(unsent or 0), int(due or 0)
    finally:
        await db.dispose()


@pytest.mark.slow
def test_sigterm_mid_fan_out_hands_back_unsent_check_ins_and_a_restart_sends_the_rest(
        server: LocalBotApi, tmp_path: Path) -> None:
    bot = WebhookBot(server, tmp_path, free_port())
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'companion.sqlite3'}"
    people = 150  # about 5 s of sending at Telegram's 30 messages a second
    ids = asyncio.run(_seed(url, people, datetime.now(UTC) - timedelta(seconds=10)))
    bot.start()
    try:
        deadline = time.monotonic() + 30
        while sum(checkins_by_chat(server).values()) < 10:
            assert time.monotonic() < deadline, "no check-ins went out"
            time.sleep(0.05)
    finally:
        code, output = bot.stop()
    assert code == 0, output
    first = checkins_by_chat(server)
    sent, unsent, due = asyncio.run(_state(url))
    assert 10 <= sum(first.values()) < people  # stopped mid fan-out
    assert set(first.values()) == {1}
    assert sent == len(first)  # every message that went out is recorded as sent
    # the rest are due again at once, for whichever process is next: handed-back claims
    # (unsent rows whose retry time has come) and people not claimed yet
    assert unsent + due == people - sent

    bot.start()
    try:
        deadline = time.monotonic() + 40
        while len(checkins_by_chat(server)) < people:
            assert time.monotonic() < deadline, "the restarted bot did not send the rest"
            time.sleep(0.1)
        time.sleep(1.5)  # a tick more: nothing is sent twice
    finally:
        code, output = bot.stop()
    assert code == 0, output
    final = checkins_by_chat(server)
    assert set(final) == set(ids) and set(final.values()) == {1}


@pytest.mark.slow
def test_polling_mode_stops_on_sigterm_with_exit_0(server: LocalBotApi, tmp_path: Path) -> None:
    from tests.test_e2e_polling import start_bot

    proc = start_bot(server, tmp_path)
    try:
        server.wait_for("getUpdates", timeout=30)
        since = len(server.calls)
        server.push_text(4343, "/start")
        server.wait_for(lambda m, p: m == "sendMessage" and str(p.get("chat_id")) == "4343",
                        since=since, timeout=20)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    assert proc.returncode == 0, out
    assert "stopped" in out


@pytest.mark.slow
def test_a_port_already_in_use_is_one_clear_line_and_exit_2(server: LocalBotApi,
                                                            tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        bot = WebhookBot(server, tmp_path, int(taken.getsockname()[1]))
        result = subprocess.run([sys.executable, "-m", "bot", "run", "--webhook"],
                                cwd=tmp_path, env=bot.env, capture_output=True, text=True,
                                timeout=60)
    assert result.returncode == 2, result.stderr
    assert "PORT" in result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr and SECRET not in result.stderr
