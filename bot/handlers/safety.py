"""Safety first (DESIGN.md principle 5): crisis answers, /helpnow, the person's country,
harm reduction when use is about to happen, and the entry to the slip flow.

Router stages `crisis_stage` and `slip_stage` run before anything else, also mid-flow:
they never touch pending input, so a half-made plan waits until the person is ready.
Crisis answers work without consent and store nothing then.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.handlers import slip
from bot.handlers.common import (
    Context,
    button_invalid,
    catalog,
    edit_or_send,
    load_user,
    reply,
    svc,
    user_id_of,
)
from bot.handlers.router import TextRouter
from bot.keyboards import button, cb, inline, parse
from bot.safety_intents import Crisis, SafetyDetector
from bot.safety_text import about_to_use_message, crisis_message, lines_block, overdose_message
from content import Catalog
from content.crisis import UNKNOWN, CountryLines, codes, lines_for, parse_country, validate
from storage.models import User
from storage.repositories import users

log = logging.getLogger(__name__)

DETECTORS_KEY = "safety_detectors"
ALERT = "support:alert"  # owned by the craving / support features; the same button everywhere

__all__ = ["crisis_fallback", "crisis_stage", "register", "slip_stage", "start_slip_flow"]

start_slip_flow = slip.start_slip_flow


# --- shared helpers -------------------------------------------------------------------------
def detector(context: Context, t: Catalog) -> SafetyDetector:
    found: dict[str, SafetyDetector] = context.application.bot_data[DETECTORS_KEY]
    return found.get(t.locale) or found[svc(context).texts.default.locale]


def country_of(context: Context, user: User | None) -> str:
    return (user.country if user is not None and user.country else
            svc(context).settings.default_country)


def local_today(context: Context, user: User | None) -> date:
    name = (user.timezone if user is not None and user.timezone else
            svc(context).settings.default_timezone)
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(svc(context).settings.default_timezone)
    return svc(context).clock.now().astimezone(zone).date()


def lines_of(context: Context, t: Catalog, user: User | None) -> CountryLines:
    return lines_for(t, country_of(context, user))


def crisis_buttons(t: Catalog, user: User | None, *, overdose_shown: bool = False,
                   country: str | None = None) -> InlineKeyboardMarkup:
    """`country`: the numbers the message shows, so its overdose steps name the same ones."""
    rows = []
    if user is not None:
        rows.append([button(t.t("safety.alert_button"), ALERT)])
    if not overdose_shown:
        rows.append([button(t.t("safety.overdose_button"),
                            cb("safety", "od", *([country] if country else [])))])
    rows.append([button(t.t("safety.countries_button"), cb("safety", "countries"))])
    return inline(rows)


def country_picker(t: Catalog) -> InlineKeyboardMarkup:
    choices = [lines_for(t, code) for code in codes(t)]
    rows = [[button(f"{c.flag} {c.label}", cb("safety", "country", c.code))] for c in choices]
    other = lines_for(t, UNKNOWN)
    rows.append([button(f"{other.flag} {other.label}", cb("safety", "country", UNKNOWN))])
    return inline(rows)


# --- crisis -----------------------------------------------------------------------------------
async def send_crisis(update: Update, context: Context, user: User | None,
                      crisis: Crisis) -> None:
    t = catalog(context, user, update)
    lines = lines_of(context, t, user)
    if crisis.overdose:  # the steps that save a life go first
        await reply(update, context, overdose_message(t, lines))
    await reply(update, context,
                crisis_message(t, lines, talk=crisis.talk, craving_hint=user is not None),
                crisis_buttons(t, user, overdose_shown=crisis.overdose, country=lines.code))
    log.info("crisis answer sent")


async def crisis_stage(update: Update, context: Context, text: str, user: User | None) -> bool:
    if not text.strip():
        return False
    found = detector(context, catalog(context, user, update)).crisis(text)
    if found is None:
        return False
    await send_crisis(update, context, user, found)
    return True


async def _user_if_reachable(context: Context, update: Update) -> User | None:
    """The person, or None when the database can't answer: crisis lines never wait on it."""
    try:
        return await load_user(context, user_id_of(update))
    except Exception as exc:
        log.warning("crisis lines sent without the person's settings: %s", type(exc).__name__)
        return None


async def helpnow(update: Update, context: Context) -> None:
    user = await _user_if_reachable(context, update)
    await send_crisis(update, context, user, Crisis(talk=False, overdose=False))


async def crisis_fallback(update: object, context: Context) -> bool:
    """For the error handler: when a fault stopped the normal path (the database is down,
    say), a crisis message is still answered, with the default country's numbers."""
    if not isinstance(update, Update) or update.effective_message is None:
        return False
    message = update.effective_message
    text = message.text or message.caption or ""
    if not text.strip() or text.startswith("/"):
        if text.split("@")[0].strip() == "/helpnow":
            await send_crisis(update, context, None, Crisis(talk=False, overdose=False))
            return True
        return False
    found = detector(context, catalog(context, None, update)).crisis(text)
    if found is None:
        return False
    await send_crisis(update, context, None, found)
    return True


# --- slip and "about to use" -----------------------------------------------------------------
async def send_about_to_use(update: Update, context: Context, user: User | None) -> None:
    t = catalog(context, user, update)
    text = about_to_use_message(t, lines_of(context, t, user))
    rows = [[button(t.t("safety.ride_it_out_button"), cb("crave", "start", 0))]]
    if user is not None:
        text += "\n\n" + t.t("safety.about_to_use_reach_out")
        rows.append([button(t.t("safety.alert_button"), ALERT)])
    rows.append([button(t.t("safety.lines_button"), cb("safety", "lines"))])
    await reply(update, context, text, inline(rows))


async def slip_stage(update: Update, context: Context, text: str, user: User | None) -> bool:
    if not text.strip():
        return False
    t = catalog(context, user, update)
    today = local_today(context, user)
    found = detector(context, t).slip_or_intent(text, today.weekday())
    if found is None:
        return False
    if isinstance(found, str):
        await send_about_to_use(update, context, user)
        return True
    if user is None:  # safety words without consent; nothing is stored
        await slip.send_safety_only(update, context, t, lines_of(context, t, user))
        return True
    day = today - timedelta(days=found.days_ago or 0)
    await slip.start_slip_flow(update, context, user, source="message", day=day,
                               time_of_day=found.time_of_day)
    return True


# --- country ------------------------------------------------------------------------------
def _fallback_key(key: str, lines: CountryLines) -> str:
    return f"{key}_fallback" if lines.fallback else key


async def show_country_lines(update: Update, context: Context, user: User | None, code: str,
                             ) -> None:
    t = catalog(context, user, update)
    lines = lines_for(t, code)
    if user is not None:
        async with svc(context).db.session() as s:
            user = await users.update(s, user.id, country=lines.code) or user
        note = t.t(_fallback_key("safety.country_set", lines), country=lines.name)
    else:
        note = t.t(_fallback_key("safety.country_not_saved", lines), country=lines.name)
    await edit_or_send(update, context, note + "\n\n" + lines_block(t, lines),
                       crisis_buttons(t, user, country=lines.code))


async def country_command(update: Update, context: Context) -> None:
    user = await load_user(context, user_id_of(update))
    t = catalog(context, user, update)
    message = update.effective_message
    parts = (message.text or "").split(maxsplit=1) if message else []
    if len(parts) < 2:
        current = lines_of(context, t, user)
        await reply(update, context, t.t(_fallback_key("safety.country_current", current),
                                         country=current.name)
                    + "\n" + t.t("safety.country_ask"), country_picker(t))
        return
    code = parse_country(t, parts[1])
    if code is None:
        await reply(update, context, t.t("safety.country_unknown"), country_picker(t))
        return
    await show_country_lines(update, context, user, code)


# --- buttons ------------------------------------------------------------------------------
async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    user = await _user_if_reachable(context, update)
    t = catalog(context, user, update)
    parsed = parse(query.data, "safety")
    if parsed is None:
        await button_invalid(query, t)
        return
    action, args = parsed
    if action == "lines" and not args:
        await query.answer()
        await send_crisis(update, context, user, Crisis(talk=False, overdose=False))
    elif action == "od" and (not args or (len(args) == 1 and (
            (len(args[0]) == 2 and args[0].isascii() and args[0].isupper())
            or args[0] == UNKNOWN))):
        await query.answer()
        lines = lines_for(t, args[0]) if args else lines_of(context, t, user)
        await reply(update, context, overdose_message(t, lines))
    elif action == "countries" and not args:
        await query.answer()
        await reply(update, context, t.t("safety.country_ask"), country_picker(t))
    elif action == "country" and len(args) == 1 and (
        args[0] in codes(t) or args[0] == UNKNOWN
    ):
        await query.answer()
        await show_country_lines(update, context, user, args[0])
    elif user is not None and action in slip.BUTTONS:
        if await slip.BUTTONS[action](update, context, user, args):
            await query.answer()
        else:
            await button_invalid(query, t)
    else:
        await button_invalid(query, t)


def register(app: Application[Any, Any, Any, Any, Any, Any], router: TextRouter) -> None:
    texts = app.bot_data["services"].texts
    detectors = {}
    for locale, t in texts.catalogs.items():
        validate(t)  # a broken crisis entry stops start-up, naming file and entry
        detectors[locale] = SafetyDetector.from_content(t.raw("intents_safety"))
    app.bot_data[DETECTORS_KEY] = detectors
    app.add_handler(CommandHandler("helpnow", helpnow))
    app.add_handler(CommandHandler("country", country_command))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^safety:"))
    # Safety beats flow: crisis, then slip, ahead of every other stage whatever the order
    # features register in.
    router.stages[0:0] = [crisis_stage, slip_stage]
    slip.register(app, router)
