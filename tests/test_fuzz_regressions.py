"""What the fuzz suite (tests/test_fuzz_updates.py) found, pinned as plain tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from telegram import Update

from bot.local_driver import message_update, sent_texts
from storage.models import CravingEpisode, User
from tests.conftest import Harness


async def edit(bot: Harness, user_id: int, text: str) -> list[str]:
    raw: dict[str, Any] = message_update(user_id, text=text)
    raw["edited_message"] = raw.pop("message") | {"edit_date": 2}
    start = len(bot.api.calls)
    await bot.app.process_update(Update.de_json(raw, bot.app.bot))
    return sent_texts(bot.api.calls[start:])


async def test_an_edited_message_is_not_new_input(bot: Harness) -> None:
    """Found by fuzzing: edits ran as new messages, so fixing a typo in "I'm craving"
    started a second craving and an edited /delete asked to delete everything again."""
    p = await bot.consented()
    await p.send("I'm craving")
    assert await edit(bot, 1001, "I'm craving so bad") == []
    assert await edit(bot, 1001, "/delete") == []
    assert await edit(bot, 1001, "7") == []
    async with bot.db.session() as s:
        episodes = await s.scalar(select(func.count()).select_from(CravingEpisode))
        assert await s.get(User, 1001) is not None
    assert episodes == 1


async def test_crisis_language_in_an_edit_is_still_answered(bot: Harness) -> None:
    await bot.consented()
    [answer] = await edit(bot, 1001, "i want to kill myself")
    assert "988" in answer
