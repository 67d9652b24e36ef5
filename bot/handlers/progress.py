"""Recovery start date (/since) and /progress: current streak, total days without using,
longest streak and days of the last 30, from users.recovery_start and use_events.

`ask_recovery_start(update, context, user)` is what onboarding calls to ask for the date.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot import recovery_math
from bot.date_text import EARLIEST, parse_date
from bot.handlers.common import (
    Context,
    catalog,
    consented,
    edit_or_send,
    reply,
    svc,
)
from bot.handlers.router import TextRouter
from bot.handlers.timing import fmt_date_year, local_today
from bot.keyboards import button, cb, inline
from storage.models import PendingInput, User
from storage.repositories import pending, recovery, users

ASK_SINCE = "since_date"


def _today(context: Context, user: User) -> date:
    s = svc(context)
    return local_today(user, s.clock.now(), s.settings.default_timezone)


async def ask_recovery_start(update: Update, context: Context, user: User) -> None:
    """Ask when recovery started: one tap for today or yesterday, or a typed date."""
    s = svc(context)
    t = catalog(context, user)
    async with s.db.session() as session:
        await pending.set_(session, user.id, ASK_SINCE, s.clock.now())
    await reply(update, context, t.t("progress.ask_start"), inline([
        [button(t.t("progress.start_today"), cb("checkin", "st", 0)),
         button(t.t("progress.start_yesterday"), cb("checkin", "st", 1))],
        [button(t.t("progress.start_skip"), cb("checkin", "st", "skip"))],
    ]))


def summary(t: Any, p: recovery_math.Progress) -> str:
    lines = [t.t("progress.title", date=fmt_date_year(t, p.start)),
             t.t("progress.streak", days=p.current_streak),
             t.t("progress.total", days=p.total_without),
             t.t("progress.longest", days=p.longest_streak)]
    if p.last30_window > 0:
        lines.append(t.t("progress.last30", days=p.last30_without, window=p.last30_window))
    if p.had_slip:
        lines.append(t.t("progress.slip_note"))
    return "\n".join(lines)


async def set_start(update: Update, context: Context, user: User, day: date) -> bool:
    """Save the start date; False (with a kind answer) for a date that can't be right."""
    t = catalog(context, user)
    today = _today(context, user)
    if day > today:
        await reply(update, context, t.t("progress.future", today=fmt_date_year(t, today)))
        return False
    if day < EARLIEST:
        await reply(update, context, t.t("progress.too_early"))
        return False
    s = svc(context)
    async with s.db.session() as session:
        updated = await users.update(session, user.id, recovery_start=day)
        await pending.clear(session, user.id)
        days = await recovery.use_days(session, user.id)
    assert updated is not None
    p = recovery_math.progress(day, days, today)
    text = "\n\n".join([t.t("progress.saved", date=fmt_date_year(t, day)), summary(t, p)])
    await edit_or_send(update, context, text)
    if not updated.checkins_enabled:
        await reply(update, context, t.t("progress.offer_checkins", time=updated.checkin_time),
                    inline([[button(t.t("progress.checkins_yes", time=updated.checkin_time),
                                    cb("checkin", "on"))],
                            [button(t.t("progress.checkins_pick"), cb("settings", "time")),
                             button(t.t("progress.checkins_later"), cb("checkin", "later"))]]))
    return True


async def typed_start(update: Update, context: Context, user: User, row: PendingInput) -> None:
    text = update.effective_message.text if update.effective_message else None
    day = parse_date(text or "", _today(context, user))
    if day is None:
        await reply(update, context, catalog(context, user).t("progress.date_example"))
        return
    await set_start(update, context, user, day)


@consented
async def since_command(update: Update, context: Context, user: User) -> None:
    t = catalog(context, user, update)
    raw = update.effective_message.text if update.effective_message else ""
    parts = (raw or "").split(maxsplit=1)
    if len(parts) < 2:
        await ask_recovery_start(update, context, user)
        return
    day = parse_date(parts[1], _today(context, user))
    if day is None:
        await reply(update, context, t.t("progress.date_example"))
        return
    await set_start(update, context, user, day)


@consented
async def progress_command(update: Update, context: Context, user: User) -> None:
    t = catalog(context, user, update)
    if user.recovery_start is None:
        await reply(update, context, t.t("progress.no_start"))
        return
    async with svc(context).db.session() as session:
        days = await recovery.use_days(session, user.id)
    p = recovery_math.progress(user.recovery_start, days, _today(context, user))
    await reply(update, context, summary(t, p))


# --- buttons (checkin:st:…, checkin:on, checkin:later; dispatched with the check-in steps) -----
async def _b_start(update: Update, context: Context, user: User, args: list[str]) -> bool:
    async with svc(context).db.session() as session:
        row = await pending.get(session, user.id)
    if row is None or row.kind != ASK_SINCE or len(args) != 1:
        return False
    t = catalog(context, user)
    if args[0] == "skip":
        async with svc(context).db.session() as session:
            await pending.clear(session, user.id)
        await edit_or_send(update, context, t.t("progress.skipped"))
        return True
    if args[0] not in ("0", "1"):
        return False
    return await set_start(update, context, user,
                           _today(context, user) - timedelta(days=int(args[0])))


async def _b_on(update: Update, context: Context, user: User, args: list[str]) -> bool:
    if args:
        return False
    from bot.handlers.settings import set_enabled

    await set_enabled(update, context, user, True)
    return True


async def _b_later(update: Update, context: Context, user: User, args: list[str]) -> bool:
    if args:
        return False
    await edit_or_send(update, context, catalog(context, user).t("progress.checkins_not_now"))
    return True


BUTTONS: dict[str, Callable[[Update, Context, User, list[str]], Awaitable[bool]]] = {
    "st": _b_start, "on": _b_on, "later": _b_later,
}


def register(app: Application[Any, Any, Any, Any, Any, Any], router: TextRouter) -> None:
    app.add_handler(CommandHandler("since", since_command))
    app.add_handler(CommandHandler("progress", progress_command))
    router.pending[ASK_SINCE] = typed_start
