"""Before any feature: private chats only; groups and channels get one line and a goodbye."""

from __future__ import annotations

import logging

from telegram import Chat, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.handlers.common import Context, catalog

log = logging.getLogger(__name__)


async def private_only(update: object, context: Context) -> None:
    if not isinstance(update, Update):
        raise ApplicationHandlerStop
    chat = update.effective_chat
    if chat is None:
        # inline queries, polls and the like: nothing for us
        if update.callback_query is None:
            raise ApplicationHandlerStop
        return
    if chat.type == Chat.PRIVATE:
        if update.edited_message is not None:
            await _edited(update, context)
        return
    if update.message is not None or update.my_chat_member is not None:
        try:
            if chat.type != Chat.CHANNEL:
                await context.bot.send_message(chat.id, catalog(context).t("common.private_only"))
            await context.bot.leave_chat(chat.id)
        except TelegramError as exc:
            log.info("could not leave a non-private chat: %s", type(exc).__name__)
    raise ApplicationHandlerStop


async def _edited(update: Update, context: Context) -> None:
    """An edit corrects an earlier message; it is not new input. Handled as new, it would
    re-run what the original started (a craving, /delete) or answer whatever the bot has
    asked since. Crisis language in an edit is still answered: safety first."""
    from bot.handlers.safety import crisis_fallback

    try:
        await crisis_fallback(update, context)
    except TelegramError as exc:
        log.warning("could not answer an edited message: %s", type(exc).__name__)
    raise ApplicationHandlerStop
