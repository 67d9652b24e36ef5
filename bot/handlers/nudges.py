"""A check-in before a person's own high-risk time ("Friday evenings have been hard.
Want a short check-in at 17:30 on Fridays?"), offered from /stats patterns and the
weekly summary when bot/insights/patterns.py finds a clear window.

On Yes, the due time is a row in `insight_nudges` (UTC `next_at`, indexed), claimed by the
one database tick like daily check-ins: locked (SKIP LOCKED on PostgreSQL), moved a week
on and only then sent, in the bulk lane, at most once. It skips people who paused
check-ins or blocked the bot, and starts with a neutral line in discreet mode. No (or
Stop) is respected: the same window is not offered again for 8 weeks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler

from bot import schedule
from bot.discreet import first_line
from bot.handlers import reachability
from bot.handlers.common import Context, button_router, catalog, reply, svc
from bot.handlers.timing import next_nudge
from bot.insights import patterns
from bot.keyboards import button, cb, inline, int_arg
from bot.scheduler import register as register_tick
from bot.sender import Outcome, send_bulk
from bot.services import KEY, Services
from content import Catalog
from storage.models import InsightNudge, User
from storage.repositories import checkins as checkins_repo
from storage.repositories import insights as repo

log = logging.getLogger(__name__)

OFFER_VALID = timedelta(days=14)  # a Yes/No offer can be answered this long
RESPECT_NO = timedelta(weeks=8)  # after No (or Stop), the same window is not offered again
REOFFER_AFTER = timedelta(weeks=4)  # an unanswered offer comes back in a summary after this
NUDGE_LATE = timedelta(minutes=45)  # a reminder more overdue (the bot was down) is skipped


def hhmm(hour: int) -> str:
    return f"{hour % 24:02d}:00"


def window_words(t: Catalog, w: patterns.Window) -> dict[str, Any]:
    remind_day, remind_at = w.remind_at()
    return {
        "weekday": t.list("settings.weekdays")[w.weekday],
        "weekdays": t.list("stats.weekdays_plural")[w.weekday],
        "remind_weekdays": t.list("stats.weekdays_plural")[remind_day],
        "parts": t.t(f"stats.parts_many.{w.part_of_day}"),
        "part": t.t(f"stats.parts_one.{w.part_of_day}"),
        "start": hhmm(w.hour), "end": hhmm(w.end_hour), "count": w.count,
        "at": schedule.format_hhmm(remind_at),
    }


def should_offer(row: InsightNudge | None, risk: patterns.Window | None, now: datetime, *,
                 proactive: bool) -> bool:
    """Offer a check-in before `risk`? Never while one is on; never again for a while
    after No or Stop for the same window; in a summary (proactive), an unanswered offer
    is repeated only after a few weeks."""
    if risk is None:
        return False
    if row is None:
        return True
    same = (row.window_weekday, row.window_hour) == (risk.weekday, risk.hour)
    if row.status == "on":
        return False
    if row.status in ("declined", "off"):
        return not same or now - (row.answered_at or row.offered_at) > RESPECT_NO
    return not proactive or not same or now - row.offered_at > REOFFER_AFTER


def offer(t: Catalog, risk: patterns.Window) -> tuple[str, list[list[Any]]]:
    words = window_words(t, risk)
    at = str(words["at"]).replace(":", "")
    text = t.t("stats.nudge.offer", **{k: words[k] for k in (
        "weekday", "parts", "count", "start", "end", "at")}, weekdays=words["remind_weekdays"])
    return text, [[button(t.t("stats.nudge.accept", weekdays=words["remind_weekdays"],
                              at=words["at"]), cb("nudge", "yes", risk.weekday, risk.hour, at)),
                   button(t.t("stats.nudge.decline"), cb("nudge", "no", risk.weekday, risk.hour))]]


def is_on_line(t: Catalog, row: InsightNudge) -> str:
    w = patterns.Window(row.window_weekday, row.window_hour, 0, 0, None)
    words = window_words(t, w)
    return t.t("stats.nudge.is_on", weekday=words["weekday"], parts=words["parts"],
               weekdays=t.list("stats.weekdays_plural")[row.remind_weekday],
               at=row.remind_time)


async def record_offer(session: Any, user_id: int, risk: patterns.Window, now: datetime,
                       ) -> InsightNudge:
    remind_day, remind_at = risk.remind_at()
    return await repo.offer(session, user_id, window=(risk.weekday, risk.hour),
                            remind=(remind_day, schedule.format_hhmm(remind_at)), now=now)


# --- answering an offer, and the check-in itself ----------------------------------------------
def _offer_matches(row: InsightNudge | None, args: list[str], now: datetime) -> bool:
    """Does this Yes/No button belong to the offer now standing (same window, recent)?"""
    weekday, hour = int_arg(args, 0), int_arg(args, 1)
    return (row is not None and row.status == "offered" and now - row.offered_at <= OFFER_VALID
            and (row.window_weekday, row.window_hour) == (weekday, hour))


async def _drop_buttons(update: Update) -> None:
    query = update.callback_query
    if query is not None and query.message is not None:
        try:
            await query.edit_message_reply_markup(None)
        except BadRequest:
            pass


async def _b_yes(update: Update, context: Context, user: User, args: list[str]) -> bool:
    if len(args) != 3:
        return False
    s = svc(context)
    now = s.clock.now()
    async with s.db.session() as session:
        row = await repo.nudge_of(session, user.id)
        if not _offer_matches(row, args, now) or row is None or \
                args[2] != row.remind_time.replace(":", ""):
            return False
        row.status, row.answered_at = "on", now
        row.next_at = next_nudge(user, "on", row.remind_weekday, row.remind_time, now,
                                 s.settings.default_timezone)
        weekday, at = row.remind_weekday, row.remind_time
    t = catalog(context, user)
    await _drop_buttons(update)
    await reply(update, context, t.t("stats.nudge.saved",
                                     weekdays=t.list("stats.weekdays_plural")[weekday], at=at))
    return True


async def _b_no(update: Update, context: Context, user: User, args: list[str]) -> bool:
    if len(args) != 2:
        return False
    s = svc(context)
    async with s.db.session() as session:
        row = await repo.nudge_of(session, user.id)
        if not _offer_matches(row, args, s.clock.now()) or row is None:
            return False
        row.status, row.answered_at, row.next_at = "declined", s.clock.now(), None
    await _drop_buttons(update)
    await reply(update, context, catalog(context, user).t("stats.nudge.declined"))
    return True


async def _b_ok(update: Update, context: Context, user: User, args: list[str]) -> bool:
    if args:
        return False
    # the buttons stay: the evening is not over, and 🆘 Craving may still be needed
    await reply(update, context, catalog(context, user).t("stats.nudge.ok_reply"))
    return True


async def _b_crave(update: Update, context: Context, user: User, args: list[str]) -> bool:
    if args:
        return False
    from bot.handlers.craving import start_craving  # the craving flow owns episodes

    await start_craving(update, context, user, source="nudge")
    return True


async def _b_stop(update: Update, context: Context, user: User, args: list[str]) -> bool:
    if args:
        return False
    s = svc(context)
    async with s.db.session() as session:
        row = await repo.nudge_of(session, user.id)
        if row is None or row.status != "on":
            return False
        row.status, row.answered_at, row.next_at = "off", s.clock.now(), None
        weekday, at = row.remind_weekday, row.remind_time
    t = catalog(context, user)
    await _drop_buttons(update)
    await reply(update, context, t.t("stats.nudge.stopped",
                                     weekdays=t.list("stats.weekdays_plural")[weekday], at=at))
    return True


def nudge_message(t: Catalog, user: User | None, row: repo.DueNudge) -> tuple[str, Any]:
    w = patterns.Window(row.window_weekday, row.window_hour, 0, 0, None)
    words = window_words(t, w)
    title = first_line(t, user, "stats.nudge.title", weekday=words["weekday"],
                       part=words["part"])
    body = t.t("stats.nudge.body", weekday=words["weekday"], parts=words["parts"])
    markup = inline([
        [button(t.t("stats.nudge.ok"), cb("nudge", "ok")),
         button(t.t("stats.nudge.craving"), cb("nudge", "crave"))],
        [button(t.t("stats.nudge.breathe"), cb("crave", "breathe", 0))],
        [button(t.t("stats.nudge.stop"), cb("nudge", "stop"))],
    ])
    return f"{title}\n{body}", markup


async def nudge_work(app: Application[Any, Any, Any, Any, Any, Any]) -> int:
    """Send the check-ins before high-risk times that are due. Each row moves a week on
    in the same transaction as the claim, before the send (at most once)."""
    from bot.handlers.checkin import per_tick

    s: Services = app.bot_data[KEY]
    now = s.clock.now()
    default = s.settings.default_timezone
    todo: list[repo.DueNudge] = []
    async with s.db.session() as session:
        due = await repo.lock_due_nudges(session, now, per_tick(app))
        moves: list[tuple[int, datetime | None]] = []
        for d in due:
            at = schedule.parse_hhmm(d.remind_time)
            if d.status != "on" or d.unreachable or at is None:
                moves.append((d.user_id, None))
                continue
            tz = schedule.zone(d.timezone, default)
            moves.append((d.user_id, schedule.next_weekly(now, tz, d.remind_weekday, at)))
            paused = d.paused_until is not None and schedule.local_date(now, tz) < d.paused_until
            if not paused and now - d.due <= NUDGE_LATE:
                todo.append(d)
        await repo.advance_nudges(session, moves)
    if not todo:
        return 0

    async def send(d: repo.DueNudge) -> Outcome:
        try:
            t = s.catalog(d.locale)
            stub = User(id=d.user_id, discreet=d.discreet)
            text, markup = nudge_message(t, stub, d)
            return await send_bulk(app.bot, d.user_id, text, markup)
        except Exception as exc:  # one person's fault never stops the others
            log.error("nudge send failed: %s", type(exc).__name__)
            return Outcome("failed")

    results = await asyncio.gather(*(send(d) for d in todo))
    sent = [d.user_id for d, r in zip(todo, results, strict=True) if r.status == "sent"]
    blocked = [d.user_id for d, r in zip(todo, results, strict=True) if r.status == "blocked"]
    async with s.db.session() as session:
        await repo.mark_nudges_sent(session, sent, s.clock.now())
        await checkins_repo.mark_unreachable(session, blocked)
        await repo.advance_nudges(session, [(uid, None) for uid in blocked])
    reachability.forget(app, blocked)
    return len(sent)


_BUTTONS: dict[str, Callable[[Update, Context, User, list[str]], Awaitable[bool | str]]] = {
    "yes": _b_yes, "no": _b_no, "ok": _b_ok, "crave": _b_crave, "stop": _b_stop,
}


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CallbackQueryHandler(button_router("nudge", _BUTTONS), pattern=r"^nudge:"))
    register_tick(app, "insight_nudges", nudge_work)
