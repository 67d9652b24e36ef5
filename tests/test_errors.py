"""A fault inside a handler: the person gets a short answer, the log gets no content."""

from __future__ import annotations

import logging

import pytest

from storage.repositories import plans
from tests.conftest import Harness

SECRET = "invalid literal: my secret plan about the old corner"


async def test_handler_fault_is_answered_and_logged_without_content(
        bot: Harness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    p = await bot.consented()

    async def broken(*args: object, **kwargs: object) -> None:
        raise ValueError(SECRET)  # exception texts can quote what a person wrote

    monkeypatch.setattr(plans, "list_for", broken)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="telegram")  # as configure_logging does
    await p.send("/plans")
    assert "something went wrong on my side" in p.last_text
    assert "/helpnow" in p.last_text
    assert "ValueError" in caplog.text
    assert "secret plan" not in caplog.text and "old corner" not in caplog.text
    monkeypatch.undo()
    await p.send("/plans")  # the bot keeps serving
    assert "You don't have an if-then plan yet" in p.last_text


async def test_a_failing_button_still_gets_its_spinner_answered(
        bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    p = await bot.consented()
    await p.send("/plan if a then b")
    await p.send("/plans")

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(plans, "get_owned", broken)
    calls = await p.tap("Delete 1")
    assert any(c.method == "answerCallbackQuery" for c in calls)
    assert "something went wrong" in p.last_text
