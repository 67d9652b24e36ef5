"""The local console chat: lettered buttons, labels typed as taps, keyboard keys."""

from __future__ import annotations

import io

from bot.chat import ConsoleChat, letters
from tests.conftest import Harness


def test_letters() -> None:
    assert [letters(i) for i in (0, 1, 25, 26, 27)] == ["a", "b", "z", "aa", "ab"]


async def test_console_shows_buttons_and_taps_them_by_letter_or_label(bot: Harness) -> None:
    out = io.StringIO()
    console = ConsoleChat(bot.api, bot.person(), out)
    assert await console.handle("/start")
    assert "[a] I agree, and I'm 18+" in out.getvalue()
    await console.handle("a")
    assert "You're set up" in out.getvalue()
    await console.handle("b")  # Later
    await console.handle("later")  # typed label
    assert "keyboard: [k1] 🆘 Craving" in out.getvalue()
    await console.handle("k1")
    assert "How strong is the urge right now?" in out.getvalue()
    await console.handle("8")  # the label on the 0-10 scale, not the 8th button
    assert "Urge: 8 of 10" in out.getvalue()
    assert await console.handle("/quit") is False
