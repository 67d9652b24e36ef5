"""The real process (`python -m bot run`, long polling) through a Telegram outage: it keeps
running, and answers once the API is back."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.local_botapi import LocalBotApi
from tests.test_e2e_polling import TOKEN, reply_to, start_bot, stop_bot


@pytest.mark.slow
def test_the_process_survives_the_api_refusing_connections_and_answers_after(
        tmp_path: Path) -> None:
    server = LocalBotApi(token=TOKEN).start()
    proc = start_bot(server, tmp_path)
    try:
        server.wait_for("getUpdates", timeout=30)
        port = server.port
        server.stop()  # connection refused
        time.sleep(6)  # several failed polls, with PTB's backoff between them
        assert proc.poll() is None, "the process exited during the outage"
        server.start(port=port)
        since = len(server.calls)
        server.push_text(4242, "/helpnow")
        assert "911" in reply_to(server, 4242, since, "911")["text"]
    finally:
        code, output = stop_bot(proc)
        server.stop()
    assert code == 0, output[-2000:]


@pytest.mark.slow
def test_a_bot_started_while_the_api_is_down_waits_for_it(tmp_path: Path) -> None:
    server = LocalBotApi(token=TOKEN).start()
    port = server.port
    server.stop()
    proc = start_bot(server_at(port), tmp_path)
    try:
        time.sleep(6)
        assert proc.poll() is None, "the process gave up while the API was down"
        server.start(port=port)
        server.wait_for("getUpdates", timeout=60)
        since = len(server.calls)
        server.push_text(4242, "/helpnow")
        assert "911" in reply_to(server, 4242, since, "911")["text"]
    finally:
        code, output = stop_bot(proc)
        server.stop()
    assert code == 0, output[-2000:]


class server_at:  # stands in for a LocalBotApi that is not listening yet
    def __init__(self, port: int) -> None:
        self.base_url = f"http://127.0.0.1:{port}/bot"
