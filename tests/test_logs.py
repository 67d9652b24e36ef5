"""Logs at DEBUG never hold message text, callback data, names, phone numbers or the token.

Each flow is one entry in FLOWS: a list of steps a person takes. Adding a feature's flow to
this test is one line."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot.config import configure_logging
from bot.local_driver import Person
from tests.conftest import TOKEN, Harness

NAME = "Zephyrine"
PHONE = "+12025550187"  # a valid number, so the support flow stores it

Step = tuple[str, str]
FLOWS: dict[str, list[Step]] = {
    "onboarding": [("send", "/start"), ("tap", "I agree"), ("tap", "Turn on discreet"),
                   ("tap", "Make a plan"), ("tap", "A place"), ("tap", "old corner"),
                   ("tap", "support person"), ("tap", "Add a reason"),
                   ("send", "my niece Ottoline laughing")],
    "plans": [("send", "/plan if payday at the Quillfeather bar then I hand my card to Bo"),
              ("send", "/plans"), ("tap", "New plan"), ("send", "when I walk past Wexley park"),
              ("send", "I phone my cousin Marguerite"), ("send", "/plans"), ("tap", "Edit 1"),
              ("tap", "Change the action"), ("send", "I text Bo from the bus")],
    "reasons": [("send", "/reasons"), ("tap", "Add a reason"),
                ("send", "walking Biscuit by the canal"), ("send", "/reasons")],
    "crisis": [("send", "i want to kill myself tonight honestly"), ("tap", "Overdose steps"),
               ("send", "my mate Fergal is oding"), ("send", "/helpnow"),
               ("tap", "Another country"), ("tap", "Canada"), ("send", "/country AU")],
    "slip": [("send", "slipped last night after the Harrowgate party"), ("tap", "Lonely"),
             ("tap", "Something else"), ("send", "call Rosalind before noon"),
             ("tap", "Make a plan for this"), ("send", "I am alone at Dunmore flat"),
             ("send", "I go to the Tuesday group"), ("send", "gonna use tonight at Kessling"),
             ("tap", "Crisis lines")],
    "contact": [("contact", PHONE), ("send", "my number is " + PHONE)],
    "export": [("send", "/export")],
    "delete": [("send", "/delete"), ("tap", "Yes, delete everything")],
    "craving": [("send", "craving hard after seeing Thaddeus at Brindle park"), ("tap", "8"),
                ("tap", "Stress"), ("tap", "Make a plan for this"),
                ("send", "Ignatius calls about money"), ("send", "I walk to Pemberly library"),
                ("send", "/craving"), ("tap", "Distract me"), ("tap", "Add my own"),
                ("send", "phone Wilhelmina"), ("send", "/craving"), ("tap", "Breathe"),
                ("tap", "Box breathing"), ("tap", "Stop"), ("tap", "3"), ("tap", "easing"),
                ("tap", "2"), ("tap", "Box breathing"), ("send", "/alert")],
    "support": [("send", "/supporters"), ("tap", "Add a support person"), ("send", NAME),
                ("tap", "Sponsor"), ("send", PHONE), ("send", "/supporters"),
                ("tap", "Use neutral wording"), ("send", "/alert"), ("send", "/supporting")],
    "checkin": [("send", "/timezone Reykjavik"), ("send", "/checkin 07:45"),
                ("send", "/since 2026-01-05"), ("send", "/checkin now"), ("tap", "6"),
                ("tap", "3"), ("tap", "Poorly"), ("tap", "No"), ("tap", "Lonely"),
                ("send", "/goals"), ("tap", "New goal"), ("send", "visit Grandma Philippa weekly"),
                ("send", "/progress")],
    "stats": [("send", "/stats"), ("tap", "7 days"), ("tap", "Patterns"),
              ("tap", "Send me this every"), ("send", "/stats 90")],
}


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def debug_logs() -> Iterator[tuple[io.StringIO, Capture]]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level,
             {n: logging.getLogger(n).level for n in logging.root.manager.loggerDict})
    configure_logging("DEBUG", [TOKEN])
    out = io.StringIO()
    [handler] = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(out)
    capture = Capture()
    root.addHandler(capture)
    try:
        yield out, capture
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)


async def run_step(p: Person, kind: str, value: str) -> list[str]:
    """Act; return what a log must never show of it (text typed, data pressed)."""
    if kind == "send":
        await p.send(value)
        return [value]
    if kind == "contact":
        await p.send_extra(contact={"phone_number": value, "first_name": NAME})
        return [value]
    if kind == "press":
        await p.press(value)
        return [value]
    button = p.find_button(value)
    assert button is not None, (value, [b.label for b in p.buttons()])
    await p.tap(value)
    return [button.callback_data or button.label]


async def test_no_user_content_in_any_log_line(bot: Harness,
                                               debug_logs: tuple[io.StringIO, Capture]) -> None:
    out, capture = debug_logs
    secrets: list[str] = [NAME, PHONE, TOKEN]
    p = bot.person(1001, NAME)
    for flow, steps in FLOWS.items():
        if flow not in ("onboarding",) and not await _consented(bot):
            await p.send("/start")
            await p.tap("I agree")
        for kind, value in steps:
            secrets += await run_step(p, kind, value)
        logging.getLogger("bot").debug("flow %s done", flow)  # the capture is live
    secrets = [s for s in secrets if len(s) >= 4]
    lines = out.getvalue().splitlines()
    raw = [r.getMessage() + (r.exc_text or "") for r in capture.records]
    assert any("flow delete done" in line for line in lines)
    assert len(capture.records) >= len(FLOWS)
    leaks = sorted({(s, line) for s in secrets for line in lines if s in line})
    assert leaks == []
    user_leaks = sorted({(s, m) for s in secrets if s != TOKEN for m in raw if s in m})
    assert user_leaks == []
    # SQL with its parameters would show who did what when: never logged, not even at DEBUG
    assert [r.name for r in capture.records if r.name.startswith("sqlalchemy.engine")] == []


async def _consented(bot: Harness) -> Any:
    async with bot.db.session() as s:
        from storage.models import User

        return await s.get(User, 1001)
