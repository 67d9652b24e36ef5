"""The support network: invitations (roster, joining), the one-tap alert and its
escalation (alerting), and ending links from either side (links)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import scheduler
from bot.handlers.common import Context, button_invalid, button_router, catalog
from bot.handlers.router import TextRouter
from bot.handlers.support import alerting, joining, roster
from bot.handlers.support.links import end_links_of
from bot.keyboards import parse

send_alert = alerting.send_alert
start_with_invite = joining.start_with_invite


async def _alert_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    if parse(query.data, "support") != ("alert", []):
        await button_invalid(query, catalog(context, None, update))
        return
    await query.answer()
    await alerting.send_alert(update, context)


def register(app: Application[Any, Any, Any, Any, Any, Any], router: TextRouter) -> None:
    app.add_handler(CommandHandler("alert", alerting.send_alert))
    app.add_handler(CommandHandler("supporters", roster.supporters_command))
    app.add_handler(CommandHandler("supporting", joining.supporting_command))
    app.add_handler(CallbackQueryHandler(_alert_button, pattern=r"^support:"))
    app.add_handler(CallbackQueryHandler(button_router("sup", roster.BUTTONS), pattern=r"^sup:"))
    app.add_handler(CallbackQueryHandler(joining.on_button, pattern=r"^(inv|spt|ans):"))
    router.pending[roster.ASK_NAME] = roster.typed_name
    router.pending[roster.ASK_ROLE] = roster.typed_role
    router.pending[roster.ASK_PHONE] = roster.typed_phone
    scheduler.register(app, "alert_escalations", alerting.escalation_work)


__all__ = ["end_links_of", "register", "send_alert", "start_with_invite"]
