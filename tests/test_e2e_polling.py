"""The wiring people run: `craving-companion run` as a real process, long polling over
HTTP against a local Bot API server on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.local_botapi import LocalBotApi

TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def server() -> LocalBotApi:
    with LocalBotApi(token=TOKEN) as api:
        yield api


def start_bot(server: LocalBotApi, tmp_path: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATA_KEY")}
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=server.base_url,
               PYTHONPATH=str(Path.cwd()), LOG_LEVEL="DEBUG")
    return subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stop_bot(proc: subprocess.Popen[str]) -> tuple[int, str]:
    proc.send_signal(signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return proc.returncode, out


@pytest.mark.slow
def test_run_answers_start_even_when_set_my_commands_is_rejected(server: LocalBotApi,
                                                                  tmp_path: Path) -> None:
    server.fail("setMyCommands", status=400, description="Bad Request: rejected")
    proc = start_bot(server, tmp_path)
    try:
        server.wait_for("getUpdates", timeout=30)
        since = len(server.calls)
        server.push_text(4242, "/start")
        _, params = server.wait_for(
            lambda m, p: m == "sendMessage" and str(p.get("chat_id")) == "4242", timeout=20,
            since=since)
        assert "What I store" in params["text"]
        buttons = [b["text"] for row in params["reply_markup"]["inline_keyboard"] for b in row]
        assert buttons == ["I agree, and I'm 18+", "Not now"]
    finally:
        code, output = stop_bot(proc)
    assert code == 0, output
    assert "could not set the command menu" in output
    assert TOKEN not in output and "What I store" not in output


def reply_to(server: LocalBotApi, chat: int, since: int, containing: str = "") -> dict:
    _, params = server.wait_for(
        lambda m, p: m in ("sendMessage", "editMessageText")
        and str(p.get("chat_id")) == str(chat) and containing in str(p.get("text", "")),
        timeout=20, since=since)
    return params


@pytest.mark.slow
def test_typed_input_survives_sigkill_of_the_process(server: LocalBotApi, tmp_path: Path) -> None:
    proc = start_bot(server, tmp_path)
    try:
        server.wait_for("getUpdates", timeout=30)
        since = len(server.calls)
        server.push_text(77, "/start")
        consent = reply_to(server, 77, since)
        since = len(server.calls)
        server.push_callback(77, "consent:yes", message_id=1)
        reply_to(server, 77, since, "first if-then plan")
        since = len(server.calls)
        server.push_text(77, "/plan")
        reply_to(server, 77, since, "step 1 of 2")
        since = len(server.calls)
        server.push_text(77, "I pass the old corner")
        reply_to(server, 77, since, "then what will you do?")
    finally:
        proc.kill()  # SIGKILL: no shutdown, nothing flushed by the process itself
        proc.communicate(timeout=20)
    assert consent["text"]
    proc = start_bot(server, tmp_path)
    try:
        since = len(server.calls)
        server.push_text(77, "I call Sam")
        reply_to(server, 77, since, "If I pass the old corner, then I call Sam.")
    finally:
        code, output = stop_bot(proc)
    assert code == 0, output
