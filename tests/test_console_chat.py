"""The local console chat: lettered buttons, labels typed as taps, keyboard keys."""

from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path

import pytest

from bot.chat import ConsoleChat, letters
from bot.fake_api import png_size
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


async def test_console_saves_a_chart_and_prints_where(bot: Harness, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # the chat saves to <temp dir>/craving-companion-chat/chat1001-message<n>.png: the same
    # name for this test on each backend, which may run at the same time in two workers
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    out = io.StringIO()
    console = ConsoleChat(bot.api, bot.person(), out)
    for line in ("/start", "a", "b", "later", "Skip for now", "/since 5 days ago", "/stats"):
        await console.handle(line)
    found = re.search(r"\[photo: saved to (\S+\.png)\] Last 30 days:", out.getvalue())
    assert found is not None, out.getvalue()[-400:]
    assert Path(found.group(1)).is_relative_to(tmp_path)
    assert png_size(_take(Path(found.group(1)))) == (1080, 1350)


def _take(path: Path) -> bytes:
    content = path.read_bytes()
    path.unlink()
    return content
