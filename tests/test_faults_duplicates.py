"""Duplicate delivery: Telegram can deliver an update twice (after a webhook retry, or when
a polling process dies after handling an update and before confirming its offset).

The dedupe by update_id (storage/repositories/updates.py, a table shared by webhook
replicas) covers in-process and polling delivery too."""

from __future__ import annotations

from sqlalchemy import func, select
from telegram import Update

from bot.local_driver import message_update, sent_texts
from storage.models import Plan
from tests.conftest import Harness


async def test_the_same_update_delivered_twice_is_processed_once(bot: Harness) -> None:
    await bot.consented()
    raw = message_update(1001, text="/plan if I pass the old corner then I call Sam")

    async def deliver() -> list[str]:
        """As the Application does for every update it receives: through its processor."""
        update = Update.de_json(raw, bot.app.bot)
        start = len(bot.api.calls)
        await bot.app.update_processor.process_update(update, bot.app.process_update(update))
        return sent_texts(bot.api.calls[start:])

    first = await deliver()
    second = await deliver()  # the same update_id again
    async with bot.db.session() as s:
        plans = await s.scalar(select(func.count()).select_from(Plan))
    assert first and plans == 1
    assert second == []
