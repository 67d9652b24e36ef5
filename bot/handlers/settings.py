"""Settings for check-ins: time zone (typed place, short list, or shared location, all
resolved offline), check-in time, on / off, pause for N days. Also as one-line commands:
/timezone Europe/Berlin, /checkin 08:30, /checkin off, /checkin on, /pause 3.

Every change reschedules at once (the due time in the database is recomputed)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import time, timedelta
from typing import Any

from telegram import KeyboardButton, ReplyKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import schedule, timezones
from bot.handlers.common import (
    ANSWERED,
    ButtonAction,
    Context,
    button_router,
    catalog,
    consented,
    edit_or_send,
    reply,
    svc,
)
from bot.handlers.router import TextRouter
from bot.handlers.timing import (
    fmt_date,
    fmt_date_year,
    fmt_when,
    local_today,
    reschedule,
    user_time,
    user_zone,
)
from bot.keyboards import button, cb, inline, int_arg, main_menu
from content import Catalog
from storage.models import PendingInput, User
from storage.repositories import pending, users

ASK_TZ = "settings_tz"
ASK_TIME = "settings_time"
TIMES = ["07:00", "08:00", "09:00", "10:00", "12:00", "18:00", "20:00", "21:00"]
PAUSES = [1, 3, 7, 14]
MAX_PAUSE = 90


def _arg(update: Update) -> str:
    text = update.effective_message.text if update.effective_message else ""
    parts = (text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def _status(t: Catalog, user: User, context: Context) -> str:
    s = svc(context)
    tz = user_zone(user, s.settings.default_timezone)
    if not user.checkins_enabled:
        return t.t("settings.status_off")
    if user.paused_until is not None and user.paused_until > local_today(
            user, s.clock.now(), s.settings.default_timezone):
        return t.t("settings.status_paused", time=user.checkin_time,
                   date=fmt_date(t, user.paused_until))
    if user.next_checkin_at is None:
        return t.t("settings.status_on", time=user.checkin_time)
    return t.t("settings.status_next", time=user.checkin_time,
               next=fmt_when(t, user.next_checkin_at, tz))


def card(context: Context, user: User) -> tuple[str, Any]:
    t = catalog(context, user)
    s = svc(context)
    zone = user.timezone or s.settings.default_timezone
    start = (t.t("settings.start_set", date=fmt_date_year(t, user.recovery_start))
             if user.recovery_start else t.t("settings.start_unset"))
    text = t.t("settings.card", zone=zone, clock=timezones.local_clock(zone, s.clock.now()),
               checkin=_status(t, user, context), start=start,
               summary=t.list("settings.weekdays")[user.summary_weekday])
    toggle = (button(t.t("settings.turn_off"), cb("settings", "off")) if user.checkins_enabled
              else button(t.t("settings.turn_on"), cb("settings", "on")))
    paused = user.paused_until is not None and user.paused_until > local_today(
        user, s.clock.now(), s.settings.default_timezone)
    pause = (button(t.t("settings.resume"), cb("settings", "on")) if paused
             else button(t.t("settings.pause"), cb("settings", "pause")))
    rows = [[button(t.t("settings.change_zone"), cb("settings", "tzask")),
             button(t.t("settings.change_time"), cb("settings", "time"))],
            [toggle, pause] if user.checkins_enabled else [toggle],
            [button(t.t("settings.check_in_now"), cb("settings", "now")),
             button(t.t("settings.set_start"), cb("settings", "since"))]]
    return text, inline(rows)


@consented
async def settings_command(update: Update, context: Context, user: User) -> None:
    text, markup = card(context, user)
    await reply(update, context, text, markup)


# --- changes --------------------------------------------------------------------------------
async def _apply(context: Context, user_id: int, **fields: Any) -> User | None:
    s = svc(context)
    async with s.db.session() as session:
        user = await users.update(session, user_id, **fields)
        if user is not None:
            await reschedule(session, user, s.clock.now(), s.settings.default_timezone)
    return user


def _confirmation(context: Context, user: User, key: str) -> str:
    t = catalog(context, user)
    s = svc(context)
    zone = user.timezone or s.settings.default_timezone
    lines = [t.t(key, zone=zone, time=user.checkin_time,
                 clock=timezones.local_clock(zone, s.clock.now()))]
    lines.append(t.t("settings.checkin_line", status=_status(t, user, context)))
    return "\n".join(lines)


async def set_zone(update: Update, context: Context, user: User, zone: str) -> None:
    async with svc(context).db.session() as session:
        await pending.clear(session, user.id)
    # Emergency numbers follow where the person is: the zone names the country.
    country = timezones.country_of_zone(zone)
    moved = country is not None and country != user.country
    updated = await _apply(context, user.id, timezone=zone,
                           **({"country": country} if moved else {}))
    assert updated is not None
    t = catalog(context, updated)
    text = _confirmation(context, updated, "settings.zone_set")
    if moved:
        from bot.handlers.safety import lines_of

        text += "\n" + t.t("settings.country_follows", emergency=lines_of(context, t, updated)
                            .emergency)
    if update.callback_query is not None:
        await edit_or_send(update, context, text)
        await reply(update, context, t.t("common.back_to_menu"), main_menu(t))
    else:
        await reply(update, context, text, main_menu(t))


async def set_time(update: Update, context: Context, user: User, at: time) -> None:
    async with svc(context).db.session() as session:
        await pending.clear(session, user.id)
    fields: dict[str, Any] = {"checkin_time": schedule.format_hhmm(at)}
    if not user.checkins_enabled:
        fields.update(checkins_enabled=True, paused_until=None)
    updated = await _apply(context, user.id, **fields)
    assert updated is not None
    await edit_or_send(update, context, _confirmation(context, updated, "settings.time_set"))


async def set_enabled(update: Update, context: Context, user: User, on: bool) -> None:
    updated = await _apply(context, user.id, checkins_enabled=on, paused_until=None)
    assert updated is not None
    key = "settings.turned_on" if on else "settings.turned_off"
    await edit_or_send(update, context, _confirmation(context, updated, key))


async def set_pause(update: Update, context: Context, user: User, days: int) -> None:
    s = svc(context)
    now = s.clock.now()
    tz = user_zone(user, s.settings.default_timezone)
    # the pause covers the next `days` dates that would have had a check-in
    first, _ = schedule.next_due(now, tz, user_time(user), not_before=None,
                                 after_date=await _last_date(context, user))
    resume = first + timedelta(days=days)
    updated = await _apply(context, user.id, paused_until=resume, checkins_enabled=True)
    assert updated is not None
    t = catalog(context, updated)
    await edit_or_send(update, context, t.t("settings.paused", days=days,
                                            date=fmt_date(t, resume), time=updated.checkin_time))


async def _last_date(context: Context, user: User) -> Any:
    from storage.repositories import checkins as checkins_repo

    async with svc(context).db.session() as session:
        return await checkins_repo.last_date(session, user.id)


# --- time zone ------------------------------------------------------------------------------
def zone_label(t: Catalog, zone: str, context: Context) -> str:
    return t.t("settings.zone_button", city=timezones.city_of(zone),
               clock=timezones.local_clock(zone, svc(context).clock.now()))


def zone_rows(t: Catalog, zones: list[str], context: Context) -> list[list[Any]]:
    buttons = [button(zone_label(t, z, context), cb("settings", "tz", z)) for z in zones]
    return [buttons[i:i + 2] for i in range(0, len(buttons), 2)]


async def ask_zone(update: Update, context: Context, user: User) -> None:
    s = svc(context)
    t = catalog(context, user)
    async with s.db.session() as session:
        await pending.set_(session, user.id, ASK_TZ, s.clock.now())
    zones = timezones.country_zones(user.country or s.settings.default_country)
    if "UTC" not in zones:
        zones = [*zones, "UTC"]
    await reply(update, context, t.t("settings.ask_zone_location"), ReplyKeyboardMarkup(
        [[KeyboardButton(t.t("settings.share_location"), request_location=True)],
         [KeyboardButton(t.t("settings.keep_zone"))]],
        resize_keyboard=True, one_time_keyboard=True))
    await reply(update, context, t.t("settings.ask_zone"), inline(zone_rows(t, zones, context)))


async def _resolve(text: str, user: User, context: Context) -> tuple[list[str], bool]:
    country = user.country or svc(context).settings.default_country
    return await asyncio.to_thread(timezones.lookup, text, country=country)


async def _offer_zones(update: Update, context: Context, user: User, text: str,
                       found: list[str]) -> None:
    t = catalog(context, user)
    if not found:
        await reply(update, context, t.t("settings.zone_unknown", text=text[:60]))
        return
    await reply(update, context, t.t("settings.zone_pick", text=text[:60]),
                inline(zone_rows(t, found, context)))


async def typed_zone(update: Update, context: Context, user: User, row: PendingInput) -> None:
    message = update.effective_message
    assert message is not None
    t = catalog(context, user)
    if message.location is not None:
        zone = await asyncio.to_thread(timezones.from_location, message.location.latitude,
                                       message.location.longitude)
        if zone is None:
            await reply(update, context, t.t("settings.zone_unknown_location"))
            return
        await set_zone(update, context, user, zone)
        return
    text = " ".join((message.text or "").split())
    if not text:
        await reply(update, context, t.t("settings.zone_example"))
        return
    if text == t.t("settings.keep_zone"):
        async with svc(context).db.session() as session:
            await pending.clear(session, user.id)
        await reply(update, context, _confirmation(context, user, "settings.zone_kept"),
                    main_menu(t))
        return
    found, sure = await _resolve(text, user, context)
    if sure:
        await set_zone(update, context, user, found[0])
        return
    await _offer_zones(update, context, user, text, found)


@consented
async def timezone_command(update: Update, context: Context, user: User) -> None:
    text = _arg(update)
    if not text:
        await ask_zone(update, context, user)
        return
    found, sure = await _resolve(text, user, context)
    if sure:
        await set_zone(update, context, user, found[0])
        return
    await _offer_zones(update, context, user, text, found)


# --- check-in time, on / off, pause ---------------------------------------------------------
async def ask_time(update: Update, context: Context, user: User) -> None:
    s = svc(context)
    t = catalog(context, user)
    async with s.db.session() as session:
        await pending.set_(session, user.id, ASK_TIME, s.clock.now())
    buttons = [button(x, cb("settings", "t", x.replace(":", ""))) for x in TIMES]
    await edit_or_send(update, context, t.t("settings.ask_time", time=user.checkin_time),
                       inline([buttons[:4], buttons[4:]]))


async def typed_time(update: Update, context: Context, user: User, row: PendingInput) -> None:
    text = update.effective_message.text if update.effective_message else None
    at = schedule.parse_hhmm(text or "")
    if at is None:
        await reply(update, context, catalog(context, user).t("settings.time_example"))
        return
    await set_time(update, context, user, at)


@consented
async def checkin_command(update: Update, context: Context, user: User) -> None:
    """/checkin [HH:MM | on | off | now]; bare: the check-in settings."""
    arg = _arg(update).lower()
    t = catalog(context, user)
    if not arg:
        text, markup = card(context, user)
        await reply(update, context, text, markup)
    elif arg in ("on", t.t("settings.word_on").lower()):
        await set_enabled(update, context, user, True)
    elif arg in ("off", t.t("settings.word_off").lower()):
        await set_enabled(update, context, user, False)
    elif arg in ("now", t.t("settings.word_now").lower()):
        from bot.handlers.checkin import start_now

        await start_now(update, context, user)
    elif (at := schedule.parse_hhmm(arg)) is not None:
        await set_time(update, context, user, at)
    else:
        await reply(update, context, t.t("settings.checkin_example"))


@consented
async def pause_command(update: Update, context: Context, user: User) -> None:
    arg = _arg(update)
    t = catalog(context, user)
    if not arg:
        await _ask_pause(update, context, user)
        return
    days = int(arg) if arg.isdigit() and len(arg) <= 3 else None
    if days is None or not 0 <= days <= MAX_PAUSE:
        await reply(update, context, t.t("settings.pause_example", max=MAX_PAUSE))
        return
    if days == 0:
        await set_enabled(update, context, user, True)
        return
    await set_pause(update, context, user, days)


async def _ask_pause(update: Update, context: Context, user: User) -> None:
    t = catalog(context, user)
    await edit_or_send(update, context, t.t("settings.ask_pause"), inline([
        [button(t.t("settings.pause_days" if n > 1 else "settings.pause_one_day", days=n),
                cb("settings", "p", n)) for n in PAUSES]]))


# --- buttons --------------------------------------------------------------------------------
async def _b_zone(update: Update, context: Context, user: User, args: list[str]) -> bool | str:
    zone = ":".join(args)
    if not args or not timezones.is_zone(zone):
        return False
    await _answer_now(update)
    await set_zone(update, context, user, timezones.canonical(zone))
    return ANSWERED


def _no_args(action: Callable[[Update, Context, User], Awaitable[None]], *,
             answer_early: bool = False) -> ButtonAction:
    async def run(update: Update, context: Context, user: User, args: list[str]) -> bool | str:
        if args:
            return False
        if answer_early:  # slow actions: stop the button's spinner before they run
            await _answer_now(update)
        await action(update, context, user)
        return ANSWERED if answer_early else True

    return run


async def _answer_now(update: Update) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer()


async def _b_time(update: Update, context: Context, user: User, args: list[str]) -> bool:
    at = schedule.parse_hhmm(args[0]) if len(args) == 1 else None
    if at is None:
        return False
    await set_time(update, context, user, at)
    return True


async def _b_pause(update: Update, context: Context, user: User, args: list[str]) -> bool:
    n = int_arg(args)
    if n is None or not 1 <= n <= MAX_PAUSE or len(args) != 1:
        return False
    await set_pause(update, context, user, n)
    return True


async def _on(update: Update, context: Context, user: User) -> None:
    await set_enabled(update, context, user, True)


async def _off(update: Update, context: Context, user: User) -> None:
    await set_enabled(update, context, user, False)


async def _now(update: Update, context: Context, user: User) -> None:
    from bot.handlers.checkin import start_now

    await start_now(update, context, user)


async def _since(update: Update, context: Context, user: User) -> None:
    from bot.handlers.progress import ask_recovery_start

    await ask_recovery_start(update, context, user)


_BUTTONS: dict[str, ButtonAction] = {
    "tz": _b_zone, "tzask": _no_args(ask_zone, answer_early=True),
    "time": _no_args(ask_time), "t": _b_time, "on": _no_args(_on), "off": _no_args(_off),
    "pause": _no_args(_ask_pause), "p": _b_pause,
    "now": _no_args(_now, answer_early=True), "since": _no_args(_since, answer_early=True),
}


def register(app: Application[Any, Any, Any, Any, Any, Any], router: TextRouter) -> None:
    app.add_handler(CommandHandler("settings", settings_command))
    app.add_handler(CommandHandler("timezone", timezone_command))
    app.add_handler(CommandHandler("checkin", checkin_command))
    app.add_handler(CommandHandler("pause", pause_command))
    app.add_handler(CallbackQueryHandler(button_router("settings", _BUTTONS),
                                         pattern=r"^settings:"))
    router.pending[ASK_TZ] = typed_zone
    router.pending[ASK_TIME] = typed_time
