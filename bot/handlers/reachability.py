"""Who can be reached: a person who blocked the bot is skipped by scheduled sends until
they write again (or Telegram reports that they unblocked it)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from telegram import ChatMember, Update
from telegram.ext import Application, TypeHandler

from bot.handlers.common import Context, svc
from bot.handlers.timing import reschedule
from storage.repositories import supporters, users

_SEEN_KEY = "reachable_seen"
_SEEN_FOR = 600.0  # seconds


def forget(app: Application[Any, Any, Any, Any, Any, Any], user_ids: Iterable[int]) -> None:
    """After a failed send marked people unreachable, check them again when they write."""
    seen = app.bot_data.get(_SEEN_KEY, {})
    for uid in user_ids:
        seen.pop(uid, None)


async def mark_reachable(update: object, context: Context) -> None:
    """Someone who blocked the bot wrote again (or unblocked it): check-ins resume.
    Telegram also tells us when a person blocks the bot; then they are skipped at once."""
    if not isinstance(update, Update) or update.effective_user is None:
        return
    chat = update.effective_chat
    if chat is not None and chat.type != "private":
        return
    blocked = (update.my_chat_member is not None
               and update.my_chat_member.new_chat_member.status == ChatMember.BANNED)
    user_id = update.effective_user.id
    # Most updates come from people known to be reachable: a short-lived note of that
    # keeps a database round trip off every reply. It is only an optimisation; when it
    # lapses (or another process saw a block) the database answers again.
    seen: dict[int, float] = context.application.bot_data.setdefault(_SEEN_KEY, {})
    now = time.monotonic()
    if not blocked and update.my_chat_member is None and now - seen.get(user_id, -1e9) < _SEEN_FOR:
        return
    s = svc(context)
    async with s.db.session() as session:
        # a support person who blocked the bot gets alerts again once they write
        await supporters.set_reachable(session, user_id, not blocked)
        user = await users.get(session, user_id)
        if user is None:
            return
        if user.unreachable != blocked:
            user.unreachable = blocked
            await reschedule(session, user, s.clock.now(), s.settings.default_timezone)
    if blocked:
        seen.pop(user_id, None)
    else:
        if len(seen) > 100_000:
            seen.clear()
        seen[user_id] = now


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    # A group runs one handler per update: the gate is in -3, exercises stop in -1.
    app.add_handler(TypeHandler(Update, mark_reachable), group=-2)
