"""The last resort: log the fault without any user content, tell the person briefly."""

from __future__ import annotations

import logging
import traceback

from telegram import Chat, Update
from telegram.error import NetworkError, TelegramError

from bot.handlers.common import Context, catalog
from storage.db import unreachable

log = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
    err = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if err is not None and (isinstance(err, NetworkError) or unreachable(err)):
        # Telegram or the database away for a moment: one line, no frames to wade through
        log.warning("update %s not handled: %s is unreachable (%s)", update_id,
                    "Telegram" if isinstance(err, NetworkError) else "the database",
                    type(err).__name__)
    else:
        # Exception messages can quote user input, so log the type and frames only.
        frames = "".join(traceback.format_tb(err.__traceback__)) if err is not None else ""
        log.error("update %s failed with %s\n%s", update_id, type(err).__name__, frames)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != Chat.PRIVATE:
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
        from bot.handlers.safety import crisis_fallback  # safety first, even in a fault

        if await crisis_fallback(update, context):
            return
        await context.bot.send_message(update.effective_chat.id, catalog(context).t("common.error"))
    except TelegramError as exc:
        log.warning("could not tell the person about the error: %s", type(exc).__name__)
