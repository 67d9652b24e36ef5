"""Webhook mode, in process: the Starlette app in front of the real, running Application
(updates go through the update queue, the per-person processor and the update gate)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from prometheus_client.parser import text_string_to_metric_families

from bot.local_driver import callback_update, message_update
from bot.webhook import SECRET_HEADER, build_web_app
from storage.crypto import FieldCipher
from storage.db import Database
from tests.conftest import DbTarget, Harness, start_harness, stop_harness

SECRET = "s3cret-token-for-tests_0123456789"
PATH = "/telegram"


@pytest.fixture
async def hooked(db_target: DbTarget) -> AsyncIterator[tuple[Harness, httpx.AsyncClient]]:
    h = await start_harness(db_target)
    await h.app.start()
    web = build_web_app(h.app, secret=SECRET, path=PATH)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web),
                                 base_url="http://bot.test") as client:
        yield h, client
    await h.app.stop()
    await stop_harness(h)


async def until(check: Callable[[], bool], within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        if loop.time() > deadline:
            raise TimeoutError("the bot did not get there in time")
        await asyncio.sleep(0.01)


async def handled(h: Harness, within: float = 10.0) -> None:
    """Until every update the webhook put on the queue has been handled to the end (PTB
    marks each one done after the update processor returns, metrics included)."""
    await asyncio.wait_for(h.app.update_queue.join(), within)


def sent_to(h: Harness, chat: int) -> list[str]:
    return [str(c.params.get("text")) for c in h.api.calls
            if c.method == "sendMessage" and int(c.params.get("chat_id", 0)) == chat]


async def post(client: httpx.AsyncClient, body: Any, secret: str | None = SECRET,
               raw: bytes | None = None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    content = raw if raw is not None else json.dumps(body).encode()
    return await client.post(PATH, content=content, headers=headers)


async def test_an_update_with_the_secret_is_answered(hooked: tuple[Harness, httpx.AsyncClient],
                                                     ) -> None:
    h, client = hooked
    response = await post(client, message_update(501, text="/start"))
    assert response.status_code == 200
    await until(lambda: len(sent_to(h, 501)) == 1)
    assert "What I store" in sent_to(h, 501)[0]


@pytest.mark.parametrize("secret", [None, "", "wrong-secret-value-0123456789", SECRET[:-1],
                                    SECRET + "x"])
async def test_a_wrong_or_missing_secret_is_403_and_nothing_happens(
        hooked: tuple[Harness, httpx.AsyncClient], secret: str | None) -> None:
    h, client = hooked
    response = await post(client, message_update(502, text="/start"), secret=secret)
    assert response.status_code == 403
    await handled(h)  # anything that had been queued would be answered by now
    assert sent_to(h, 502) == []


@pytest.mark.parametrize("raw", [
    b"", b"not json", b"[1, 2]", b'"text"', b"{}", b'{"update_id": "7"}',
    b'{"update_id": 7, "message": "hello"}', b'{"update_id": 7, "message": {"chat": 5}}',
    b'{"update_id": 7, "callback_query": [1]}', b"\xff\xfe\x00", b'{"update_id": 1e400}',
])
async def test_a_malformed_body_is_400_and_the_bot_keeps_serving(
        hooked: tuple[Harness, httpx.AsyncClient], raw: bytes) -> None:
    h, client = hooked
    response = await post(client, None, raw=raw)
    assert response.status_code == 400
    response = await post(client, message_update(503, text="/start"))
    assert response.status_code == 200
    await until(lambda: len(sent_to(h, 503)) == 1)


async def test_the_same_update_delivered_twice_is_handled_once(
        hooked: tuple[Harness, httpx.AsyncClient]) -> None:
    h, client = hooked
    update = message_update(504, text="/start")
    assert (await post(client, update)).status_code == 200
    assert (await post(client, update)).status_code == 200  # Telegram retried it
    await handled(h)  # both deliveries taken from the queue and handled
    assert len(sent_to(h, 504)) == 1
    # a new update from the same person is answered as usual
    consent = next(c.result for c in h.api.calls if c.method == "sendMessage"
                   and int(c.params["chat_id"]) == 504)
    await post(client, callback_update(504, "consent:yes", consent))
    await until(lambda: len(sent_to(h, 504)) >= 2)


async def test_healthz_says_whether_the_database_answers(
        hooked: tuple[Harness, httpx.AsyncClient]) -> None:
    h, client = hooked
    ok = await client.get("/healthz")
    assert ok.status_code == 200 and ok.text.strip() == "ok"
    services = h.app.bot_data["services"]
    real = services.db
    services.db = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none",
                           FieldCipher([Fernet.generate_key().decode()]))
    try:
        down = await client.get("/healthz")
    finally:
        await services.db.dispose()
        services.db = real
    assert down.status_code == 503 and "database" in down.text


async def test_metrics_count_updates_sends_and_due_work(
        hooked: tuple[Harness, httpx.AsyncClient]) -> None:
    h, client = hooked
    await post(client, message_update(505, text="/start"))
    await until(lambda: len(sent_to(h, 505)) == 1)
    await handled(h)  # counted once the handler has returned, a moment after its reply
    p = await h.consented(506)  # a person with check-ins due now
    await p.send("/checkin 09:00")
    h.clock.advance(days=1, hours=1)
    text = (await client.get("/metrics")).text
    assert 'companion_updates_handled_total{kind="message"} 1.0' in text
    assert "companion_handler_seconds_count 1.0" in text
    assert 'companion_messages_sent_total{lane="interactive"}' in text
    assert 'companion_due_backlog{kind="checkins"} 1.0' in text
    assert 'companion_due_backlog{kind="follow_ups"} 0.0' in text
    await post(client, {"update_id": 1}, secret="nope-nope-nope-nope")
    text = (await client.get("/metrics")).text
    assert 'companion_webhook_rejected_total{reason="secret"} 1.0' in text
    # no one's id in the metrics: in no name, label or help text. (Not the sample values:
    # counts, seconds and `_created` Unix times, whose digits hold "505" now and then.)
    described = str([(f.name, f.documentation, [(s.name, s.labels) for s in f.samples])
                     for f in text_string_to_metric_families(text)])
    assert "companion_updates_handled" in described
    assert "505" not in described and "506" not in described


async def test_a_retry_after_is_counted(hooked: tuple[Harness, httpx.AsyncClient]) -> None:
    h, client = hooked
    h.api.fail("sendMessage", status=429, description="Too Many Requests: retry after 1",
               times=1, retry_after=1)
    await post(client, message_update(507, text="/start"))
    await until(lambda: any(c.method == "sendMessage" and c.params.get("chat_id") == 507
                            and "What I store" in str(c.params.get("text"))
                            and isinstance(c.result, dict) and "message_id" in c.result
                            for c in h.api.calls), within=15)
    text = (await client.get("/metrics")).text
    assert "companion_retry_after_total 1.0" in text


async def test_while_stopping_updates_are_refused_so_telegram_delivers_them_elsewhere(
        db_target: DbTarget) -> None:
    h = await start_harness(db_target)
    await h.app.start()
    web = build_web_app(h.app, secret=SECRET, path=PATH)
    await h.app.stop()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web),
                                 base_url="http://bot.test") as client:
        response = await post(client, message_update(508, text="/start"))
        health = await client.get("/healthz")
    await stop_harness(h)
    assert response.status_code == 503 and health.status_code == 503
    assert sent_to(h, 508) == []


GOOD_TOKEN = "123456:ABCdefGhIJKlmNoPQRstuVWxyz0123456789"


@pytest.mark.parametrize("env, word", [
    ({}, "WEBHOOK_URL"),
    ({"WEBHOOK_URL": "https://bot.example.org/telegram"}, "WEBHOOK_SECRET"),
    ({"WEBHOOK_URL": "bot.example.org", "WEBHOOK_SECRET": SECRET}, "WEBHOOK_URL"),
    ({"WEBHOOK_URL": "https://bot.example.org/t", "WEBHOOK_SECRET": "short"}, "WEBHOOK_SECRET"),
    ({"WEBHOOK_URL": "https://bot.example.org/t", "WEBHOOK_SECRET": SECRET, "PORT": "http"},
     "PORT"),
    ({"WEBHOOK_URL": "https://bot.example.org/t", "WEBHOOK_SECRET": SECRET, "PORT": "70000"},
     "PORT"),
    ({"WEBHOOK_URL": "https://bot.example.org/t", "WEBHOOK_SECRET": SECRET, "REPLICAS": "0"},
     "REPLICAS"),
])
def test_webhook_settings_that_are_missing_or_bad_are_one_line_and_exit_2(
        tmp_path: Path, env: dict[str, str], word: str) -> None:
    base = {k: v for k, v in os.environ.items() if k not in (
        "TELEGRAM_BOT_TOKEN", "DATABASE_URL", "DATA_KEY", "TEST_DATABASE_URL", "WEBHOOK_URL",
        "WEBHOOK_SECRET", "PORT", "REPLICAS")}
    result = subprocess.run([sys.executable, "-m", "bot", "run", "--webhook"],
                            env={**base, "PYTHONPATH": str(Path.cwd()),
                                 "TELEGRAM_BOT_TOKEN": GOOD_TOKEN, **env},
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and word in lines[0], lines
    assert SECRET not in result.stderr and GOOD_TOKEN not in result.stderr
    assert not (tmp_path / "data").exists()  # nothing was started or created
