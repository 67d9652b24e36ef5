"""Privacy: discreet mode, /export (JSON file + summary) and /delete (hard delete of every
row about the person, found generically over the models; linked supporters are told)."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardMarkup, InputFile, ReplyKeyboardRemove, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import discreet
from bot.handlers.common import (
    Context,
    button_router,
    catalog,
    consented,
    edit_or_send,
    load_user,
    reply,
    svc,
    user_id_of,
)
from bot.handlers.router import TextRouter
from bot.handlers.support.links import LinkEnded, end_links_of
from bot.keyboards import button, cb, inline, int_arg
from content import Catalog
from storage import erasure
from storage.models import User
from storage.repositories import supporters, users

log = logging.getLogger(__name__)

CONFIRM_SECONDS = 24 * 3600  # a /delete confirmation button older than this is stale


# --- links to support people -------------------------------------------------------------------
async def notify_link_ended(context: Context, ended: list[LinkEnded]) -> int:
    """Tell each linked person the link ended; a blocked chat never stops the rest."""
    sent = 0
    for notice in ended:
        async with svc(context).db.session() as s:
            other = await users.get(s, notice.chat_id)
        t = catalog(context, other)
        text = discreet.first_line(t, other, notice.key, name=notice.name)
        if other is not None and other.discreet:
            text += "\n" + t.t(notice.key, name=notice.name)
        try:
            await context.bot.send_message(notice.chat_id, text)
            sent += 1
        except TelegramError as exc:
            log.warning("could not tell a linked person the link ended: %s", type(exc).__name__)
    return sent


async def _nothing_or_links(update: Update, context: Context, t: Catalog) -> None:
    """Someone who never consented may still be a support person: say what is kept."""
    async with svc(context).db.session() as s:
        links = await supporters.supported_by(s, user_id_of(update))
    await reply(update, context, t.t("privacy.supporter_only" if links
                                     else "privacy.nothing_stored"))


# --- discreet mode ------------------------------------------------------------------------------
def discreet_choice(t: Catalog) -> InlineKeyboardMarkup:
    """The two buttons of the discreet-mode question asked at onboarding."""
    return inline([
        [button(t.t("privacy.discreet_on_button"), cb("privacy", "discreet", "on"))],
        [button(t.t("privacy.discreet_off_button"), cb("privacy", "discreet", "off"))],
    ])


def _status(t: Catalog, on: bool) -> tuple[str, InlineKeyboardMarkup]:
    if on:
        return t.t("privacy.discreet_status_on"), inline([[
            button(t.t("privacy.discreet_turn_off"), cb("privacy", "discreet", "off"))]])
    return t.t("privacy.discreet_status_off"), inline([[
        button(t.t("privacy.discreet_turn_on"), cb("privacy", "discreet", "on"))]])


async def _set_discreet(context: Context, user_id: int, on: bool) -> User | None:
    async with svc(context).db.session() as s:
        return await users.update(s, user_id, discreet=on)


@consented
async def discreet_command(update: Update, context: Context, user: User) -> None:
    t = catalog(context, user, update)
    message = update.effective_message
    parts = (message.text or "").split() if message else []
    arg = parts[1].casefold() if len(parts) > 1 else None
    if arg is None:
        await reply(update, context, *_status(t, user.discreet))
    elif arg in ("on", "off"):
        await _set_discreet(context, user.id, arg == "on")
        await reply(update, context, t.t(f"privacy.discreet_{arg}"))
    else:
        await reply(update, context, t.t("privacy.discreet_usage"), _status(t, user.discreet)[1])


# --- export -----------------------------------------------------------------------------------
def _json_default(value: Any) -> Any:
    return str(value)


async def export_command(update: Update, context: Context) -> None:
    user = await load_user(context, user_id_of(update))
    t = catalog(context, user, update)
    if user is None:
        await _nothing_or_links(update, context, t)
        return
    s = svc(context)
    async with s.db.session() as session:
        tables = await erasure.export_user(session, user.id)
    now = s.clock.now()
    document = {"exported_at": now.isoformat(), "format": "craving-companion-export/1",
                "user_id": user.id, "tables": tables}
    payload = json.dumps(document, ensure_ascii=False, indent=2, default=_json_default)
    name = f"craving-companion-export-{now.date().isoformat()}.json"
    await context.bot.send_document(user.id, InputFile(payload.encode("utf-8"), filename=name),
                                    caption=t.t("privacy.export_caption"))
    await reply(update, context, _summary(t, user, tables))


def _summary(t: Catalog, user: User, tables: dict[str, list[dict[str, Any]]]) -> str:
    lines = [t.t("privacy.export_since", date=user.consented_at.date().isoformat()),
             t.t("privacy.export_settings", country=user.country or "-",
                 timezone=user.timezone or "-",
                 discreet=t.t("privacy.on" if user.discreet else "privacy.off"))]
    for name, rows in tables.items():
        if name == erasure.USERS or not rows:
            continue
        key = f"privacy.tables.{name}"
        label = t.t(key) if t.has(key) else name.replace("_", " ")
        lines.append(t.t("privacy.export_line", label=label, count=len(rows)))
    return t.t("privacy.export_summary", lines="{lines}").replace("{lines}", "\n".join(lines))


# --- delete -----------------------------------------------------------------------------------
def _stamp(when: datetime) -> int:
    return int(when.timestamp())


async def delete_command(update: Update, context: Context) -> None:
    user = await load_user(context, user_id_of(update))
    t = catalog(context, user, update)
    if user is None:
        await _nothing_or_links(update, context, t)
        return
    # The button names this consent and this moment: after a delete and a new /start, or
    # a day later, an old confirmation can't erase anything.
    now = _stamp(svc(context).clock.now())
    await reply(update, context, t.t("privacy.delete_confirm"), inline([
        [button(t.t("privacy.delete_yes"),
                cb("privacy", "delok", _stamp(user.consented_at), now))],
        [button(t.t("privacy.delete_no"), cb("privacy", "delno"))],
    ]))


async def _delete_confirmed(update: Update, context: Context, user: User, args: list[str],
                            ) -> bool:
    consent, issued = int_arg(args, 0), int_arg(args, 1)
    now = _stamp(svc(context).clock.now())
    if consent != _stamp(user.consented_at) or issued is None or len(args) != 2 or not (
        0 <= now - issued <= CONFIRM_SECONDS
    ):
        return False
    async with svc(context).db.session() as s:
        linked = await end_links_of(s, user.id)
        counts = await erasure.erase_user(s, user.id)
    log.info("person deleted: %d rows", sum(counts.values()))
    t = catalog(context, None, update)
    query = update.callback_query
    if query is not None:
        try:
            await query.edit_message_reply_markup(None)
        except TelegramError:
            pass  # the old message keeps its buttons; they are stale now anyway
    await reply(update, context, t.t("privacy.delete_done"), ReplyKeyboardRemove())
    await notify_link_ended(context, [n for n in linked if n.chat_id != user.id])
    return True


# --- buttons ------------------------------------------------------------------------------------
async def _b_discreet(update: Update, context: Context, user: User, args: list[str]) -> bool:
    if args not in (["on"], ["off"]):
        return False
    await _set_discreet(context, user.id, args[0] == "on")
    await edit_or_send(update, context, catalog(context, user).t(f"privacy.discreet_{args[0]}"))
    return True


async def _b_keep(update: Update, context: Context, user: User, args: list[str]) -> bool:
    if args:
        return False
    await edit_or_send(update, context, catalog(context, user).t("privacy.delete_kept"))
    return True


_BUTTONS = {"discreet": _b_discreet, "delno": _b_keep, "delok": _delete_confirmed}


def register(app: Application[Any, Any, Any, Any, Any, Any], router: TextRouter) -> None:
    app.add_handler(CommandHandler("discreet", discreet_command))
    app.add_handler(CommandHandler("export", export_command))
    app.add_handler(CommandHandler("delete", delete_command))
    app.add_handler(CallbackQueryHandler(button_router("privacy", _BUTTONS), pattern=r"^privacy:"))
