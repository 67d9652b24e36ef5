"""The real process (`python -m bot run`, long polling) through a Telegram outage: it keeps
running, and answers once the API is back."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import IO

import pytest

from tests.local_botapi import LocalBotApi
from tests.test_e2e_polling import TOKEN, reply_to, start_bot

# what the bot logs for each failed poll (bot/handlers/errors.py: PTB hands polling errors
# to the error handler) and for each failed getMe at start-up (bot/__main__.py)
POLL_FAILED = "not handled: Telegram is unreachable"
GET_ME_FAILED = "Telegram is unreachable (NetworkError); trying again"


class Output:
    """The process's output, read as it comes, so a test waits for what the bot logs (a
    failed poll) instead of sleeping for as long as that might take."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        self.proc = proc
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, args=(proc.stdout,), daemon=True)
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()

    def wait_for(self, text: str, count: int = 1, timeout: float = 30.0) -> None:
        """Until `text` is in `count` lines; fails if the process exits first."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while sum(text in line for line in self.lines) < count:
                assert self.proc.poll() is None, "the process exited: " + self.text()[-2000:]
                if (remaining := deadline - time.monotonic()) <= 0:
                    raise TimeoutError(f"{text!r} not logged {count} times in {timeout} s")
                self._cond.wait(min(remaining, 0.5))

    def text(self) -> str:
        return "".join(self.lines)

    def stop(self) -> tuple[int, str]:
        """SIGINT (as tests/test_e2e_polling.py's stop_bot); the exit code and all output."""
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(10)
        return self.proc.returncode, self.text()


@pytest.mark.slow
def test_the_process_survives_the_api_refusing_connections_and_answers_after(
        tmp_path: Path) -> None:
    server = LocalBotApi(token=TOKEN).start()
    output = Output(start_bot(server, tmp_path))
    try:
        server.wait_for("getUpdates", timeout=30)
        port = server.port
        server.stop()  # connection refused
        # several failed polls, with PTB's backoff between them (1 s, then 1.5 s)
        output.wait_for(POLL_FAILED, count=3)
        assert output.proc.poll() is None, "the process exited during the outage"
        server.start(port=port)
        since = len(server.calls)
        server.push_text(4242, "/helpnow")
        assert "911" in reply_to(server, 4242, since, "911")["text"]
    finally:
        code, text = output.stop()
        server.stop()
    assert code == 0, text[-2000:]


@pytest.mark.slow
def test_a_bot_started_while_the_api_is_down_waits_for_it(tmp_path: Path) -> None:
    server = LocalBotApi(token=TOKEN).start()
    port = server.port
    server.stop()
    output = Output(start_bot(server_at(port), tmp_path))
    try:
        # getMe failed, and failed again after waiting (1 s, then 2 s before the next try)
        output.wait_for(GET_ME_FAILED, count=2)
        assert output.proc.poll() is None, "the process gave up while the API was down"
        server.start(port=port)
        server.wait_for("getUpdates", timeout=60)
        since = len(server.calls)
        server.push_text(4242, "/helpnow")
        assert "911" in reply_to(server, 4242, since, "911")["text"]
    finally:
        code, text = output.stop()
        server.stop()
    assert code == 0, text[-2000:]


class server_at:  # stands in for a LocalBotApi that is not listening yet
    def __init__(self, port: int) -> None:
        self.base_url = f"http://127.0.0.1:{port}/bot"
