"""The one-tap alert. Until supporters can be invited (support-network issue), the alert
still works: a share button that sends a pre-filled "Can you call me?" to any contact,
plus crisis lines. Never a dead end."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from telegram import InlineKeyboardButton, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.handlers.common import Context, button_invalid, catalog, load_user, reply, user_id_of
from bot.keyboards import button, cb, inline, parse
from storage.repositories import episodes


def share_url(text: str) -> str:
    return "https://t.me/share/url?url=%20&text=" + quote(text)


async def send_alert_options(update: Update, context: Context) -> None:
    user = await load_user(context, user_id_of(update))
    t = catalog(context, user, update)
    if user is not None:
        s = context.application.bot_data["services"]
        async with s.db.session() as session:
            [latest] = (await episodes.history(session, user.id, limit=1)) or [None]
            if latest is not None and latest.ended_at is None:
                episodes.add_tried(latest, "support")
    await reply(update, context, t.t("support.not_yet"), inline([
        [InlineKeyboardButton(t.t("support.share_button"),
                              url=share_url(t.t("support.share_text")))],
        [button(t.t("craving.buttons.crisis"), cb("safety", "lines"))],
    ]))


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    parsed = parse(query.data, "support")
    if parsed is None or parsed != ("alert", []):
        await button_invalid(query, catalog(context, None, update))
        return
    await query.answer()
    await send_alert_options(update, context)


async def alert_command(update: Update, context: Context) -> None:
    await send_alert_options(update, context)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("alert", alert_command))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^support:"))
