"""/stats: a chart of the last 7, 30 or 90 days (cravings from first to last rating, the
check-in's craving and mood, days without using), the person's own patterns, and a
check-in before a time of the week that has been hard.

The chart is drawn in a worker thread (about 0.1 s of CPU, see bench/chart_render.py), so
other people's replies never wait behind it. It carries no names and no plan text.

Check-ins before a high-risk time ("nudges") are rows in `insight_nudges`, claimed by the
database tick like daily check-ins: locked, moved a week on and only then sent, in the
bulk lane, at most once. They skip people who paused check-ins or blocked the bot, and
start with a neutral line in discreet mode.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time as clock
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InputFile, InputMediaPhoto, Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import schedule, what_works
from bot.discreet import first_line, neutral_key
from bot.handlers import reachability
from bot.handlers.common import (
    ANSWERED,
    Context,
    button_router,
    catalog,
    load_user,
    reply,
    svc,
    user_id_of,
)
from bot.handlers.timing import next_nudge, reschedule, user_zone
from bot.insights import chart, patterns, series
from bot.keyboards import button, cb, inline, int_arg
from bot.scheduler import register as register_tick
from bot.sender import BULK_ARGS, Outcome, is_blocked, send_bulk
from bot.services import KEY, Services
from content import Catalog
from storage.models import InsightNudge, User
from storage.repositories import checkins as checkins_repo
from storage.repositories import goals as goals_repo
from storage.repositories import insights as repo
from storage.repositories import recovery, users

log = logging.getLogger(__name__)

HISTORY = timedelta(days=92)  # the longest chart (90 days) and the week before it
OFFER_VALID = timedelta(days=14)  # a Yes/No offer can be answered this long
RESPECT_NO = timedelta(weeks=8)  # after No (or Stop), the same window is not offered again
REOFFER_AFTER = timedelta(weeks=4)  # an unanswered offer comes back in a summary after this
NUDGE_LATE = timedelta(minutes=45)  # a reminder more overdue (the bot was down) is skipped
CAPTION_LIMIT = 1024  # Telegram's limit for a photo caption (visible characters)
PNG_NAME = "chart.png"
_TAG = re.compile(r"<[^>]+>")


# --- a person's data, loaded once -----------------------------------------------------------
@dataclass(frozen=True)
class History:
    episodes: list[repo.EpisodeRow]
    checkins: list[tuple[date, int | None, int | None]]
    use_days: list[date]
    recovery_start: date | None
    today: date
    now_local: datetime  # naive wall-clock time
    tz: ZoneInfo


async def load_history(session: Any, user: User, now: datetime, default: str) -> History:
    tz = user_zone(user, default)
    today = schedule.local_date(now, tz)
    return History(
        episodes=await repo.episodes_since(session, user.id, now - HISTORY),
        checkins=await repo.checkins_between(session, user.id,
                                             today - timedelta(days=HISTORY.days), today),
        use_days=await recovery.use_days(session, user.id),
        recovery_start=user.recovery_start, today=today,
        now_local=now.astimezone(tz).replace(tzinfo=None), tz=tz)


def chart_data(h: History, days: int) -> series.ChartData:
    return series.build(
        today=h.today, days=days, tz=h.tz,
        episodes=[series.EpisodeRecord(e.started_at, e.intensity_start, e.intensity_end,
                                       e.trigger) for e in h.episodes],
        checkins=[series.CheckinRecord(d, mood, craving) for d, mood, craving in h.checkins],
        recovery_start=h.recovery_start, use_days=h.use_days)


def cravings(h: History) -> list[patterns.Craving]:
    return [patterns.Craving(e.started_at.astimezone(h.tz).replace(tzinfo=None),
                             e.intensity_start, e.trigger) for e in h.episodes]


def outcomes(h: History, since: datetime | None = None) -> list[what_works.Outcome]:
    return [what_works.Outcome(e.started_at, e.intensity_start, e.intensity_end,
                               tuple(e.tried), e.helped, e.plan_id)
            for e in h.episodes if since is None or e.started_at >= since]


# --- the chart --------------------------------------------------------------------------------
def chart_labels(t: Catalog, data: series.ChartData) -> chart.Labels:
    months = t.list("stats.chart.months_short")
    weekdays = t.list("settings.weekdays_short")
    if data.span <= 7:
        ticks = [(d, t.t("stats.chart.tick_weekday", weekday=weekdays[d.weekday()], day=d.day))
                 for d in series.tick_days(data.first, data.span)]
    else:
        ticks = [(d, t.t("stats.chart.tick_day", day=d.day, month=months[d.month - 1]))
                 for d in series.tick_days(data.first, data.span)]
    return chart.Labels(
        craving=t.t("stats.chart.craving"), mood=t.t("stats.chart.mood"),
        days=t.t("stats.chart.days"), episode=t.t("stats.chart.episode"),
        checkin_craving=t.t("stats.chart.checkin_craving"),
        checkin_mood=t.t("stats.chart.checkin_mood"), free_day=t.t("stats.chart.free_day"),
        use_day=t.t("stats.chart.use_day"), ticks=ticks)


def caption_words(t: Catalog, data: series.ChartData) -> str:
    """One line in words: how many cravings and how they went, mood, days without using."""
    f = series.facts(data)
    if f.episodes == 0:
        parts = [t.t("stats.caption.no_cravings")]
    elif f.rated and f.mean_start is not None and f.mean_end is not None:
        start, end = round(f.mean_start), round(f.mean_end)
        parts = [t.t("stats.caption.craving_one_rated", start=start, end=end) if f.episodes == 1
                 else t.t("stats.caption.cravings_rated", count=f.episodes, start=start,
                          end=end)]
    else:
        parts = [t.t("stats.caption.craving_one") if f.episodes == 1
                 else t.t("stats.caption.cravings", count=f.episodes)]
    if f.mean_mood is not None:
        parts.append(t.t("stats.caption.mood", mood=round(f.mean_mood)))
    if f.known_days:
        parts.append(t.t("stats.caption.free_days", free=f.free_days, known=f.known_days))
    return f"{t.t('stats.caption.head', days=f.days)} {' · '.join(parts)}"


def caption(t: Catalog, user: User, data: series.ChartData) -> str:
    """The chart's caption: one line in words; in discreet mode a neutral line first."""
    words = caption_words(t, data)
    return f"{t.t(neutral_key(t, 'stats.caption'))}\n{words}" if user.discreet else words


async def render(t: Catalog, data: series.ChartData) -> bytes:
    labels = chart_labels(t, data)
    started = clock.perf_counter()
    png = await asyncio.to_thread(chart.render, data, labels)
    log.debug("chart of %d days drawn in %.0f ms", data.span,
              (clock.perf_counter() - started) * 1000)
    return png


def photo(png: bytes) -> InputFile:
    return InputFile(png, filename=PNG_NAME)


def chart_markup(t: Catalog, user: User, days: int, has_goals: bool) -> Any:
    ranges = [button(t.t("stats.range_current" if d == days else "stats.range", days=d),
                     cb("stats", "r", d)) for d in series.RANGES]
    rows = [ranges, [button(t.t("stats.patterns_button"), cb("stats", "pat"))]]
    if not has_goals:  # with goals the weekly summary comes anyway, chart included
        day = t.list("settings.weekdays")[user.summary_weekday]
        rows.append([button(t.t("stats.weekly_on_button", day=day), cb("stats", "wk", 0))
                     if user.weekly_insights else
                     button(t.t("stats.weekly_off_button", day=day), cb("stats", "wk", 1))])
    return inline(rows)


async def _chart_for(context: Context, user: User, days: int,
                     ) -> tuple[series.ChartData, bool]:
    s = svc(context)
    async with s.db.session() as session:
        h = await load_history(session, user, s.clock.now(), s.settings.default_timezone)
        has_goals = await goals_repo.count_for(session, user.id) > 0
    return chart_data(h, days), has_goals


async def stats_command(update: Update, context: Context) -> None:
    user = await load_user(context, user_id_of(update))
    t = catalog(context, user, update)
    if user is None:
        await reply(update, context, t.t("common.need_consent"))
        return
    raw = update.effective_message.text if update.effective_message else ""
    parts = (raw or "").split()
    days = series.DEFAULT_RANGE
    if len(parts) > 1:
        arg = parts[1].lower().rstrip("d")
        if len(parts) > 2 or not arg.isdigit() or int(arg) not in series.RANGES:
            await reply(update, context, t.t("stats.example"))
            return
        days = int(arg)
    data, has_goals = await _chart_for(context, user, days)
    if data.empty:
        await reply(update, context, t.t("stats.nothing_yet"))
        return
    try:
        png = await render(t, data)
    except Exception as exc:  # a drawing fault is answered, never a silent failure
        log.error("chart drawing failed: %s", type(exc).__name__)
        await reply(update, context, t.t("stats.failed"))
        return
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_photo(chat.id, photo(png), caption=caption(t, user, data),
                                 reply_markup=chart_markup(t, user, days, has_goals))


async def _b_range(update: Update, context: Context, user: User, args: list[str]) -> bool:
    days = int_arg(args)
    query = update.callback_query
    if days not in series.RANGES or len(args) != 1 or query is None or query.message is None:
        return False
    assert days is not None
    t = catalog(context, user)
    data, has_goals = await _chart_for(context, user, days)
    png = await render(t, data)
    media = InputMediaPhoto(png, filename=PNG_NAME, caption=caption(t, user, data))
    markup = chart_markup(t, user, days, has_goals)
    try:
        await query.edit_message_media(media, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return True
        chat = update.effective_chat
        assert chat is not None
        await context.bot.send_photo(chat.id, photo(png), caption=caption(t, user, data),
                                     reply_markup=markup)
    return True


async def _b_weekly(update: Update, context: Context, user: User, args: list[str]) -> bool | str:
    on = int_arg(args)
    query = update.callback_query
    if on not in (0, 1) or len(args) != 1 or query is None:
        return False
    s = svc(context)
    async with s.db.session() as session:
        fresh = await users.update(session, user.id, weekly_insights=bool(on))
        assert fresh is not None
        await reschedule(session, fresh, s.clock.now(), s.settings.default_timezone)
        has_goals = await goals_repo.count_for(session, user.id) > 0
    t = catalog(context, user)
    day = t.list("settings.weekdays")[fresh.summary_weekday]
    await query.answer(t.t("stats.weekly_turned_on" if on else "stats.weekly_turned_off",
                           day=day))
    days = _days_shown(query.message)
    try:
        await query.edit_message_reply_markup(chart_markup(t, fresh, days, has_goals))
    except BadRequest:
        pass  # the switch is saved; the old buttons are only cosmetic
    return ANSWERED


def _days_shown(message: Any) -> int:
    """Which range the chart message shows, from its own buttons."""
    markup = getattr(message, "reply_markup", None)
    for row in getattr(markup, "inline_keyboard", ()) or ():
        for b in row:
            data = getattr(b, "callback_data", "") or ""
            if data.startswith("stats:r:") and "•" in (b.text or ""):
                value = int_arg(data.split(":")[2:])
                if value in series.RANGES:
                    return value
    return series.DEFAULT_RANGE


# --- patterns ---------------------------------------------------------------------------------
def _hhmm(hour: int) -> str:
    return f"{hour % 24:02d}:00"


def window_words(t: Catalog, w: patterns.Window) -> dict[str, Any]:
    remind_day, remind_at = w.remind_at()
    return {
        "weekday": t.list("settings.weekdays")[w.weekday],
        "weekdays": t.list("stats.weekdays_plural")[w.weekday],
        "remind_weekdays": t.list("stats.weekdays_plural")[remind_day],
        "parts": t.t(f"stats.parts_many.{w.part_of_day}"),
        "part": t.t(f"stats.parts_one.{w.part_of_day}"),
        "start": _hhmm(w.hour), "end": _hhmm(w.end_hour), "count": w.count,
        "at": schedule.format_hhmm(remind_at),
    }


def tool_label(t: Catalog, tool: str) -> str:
    key = f"craving.tools.{tool}"
    return t.t(key) if t.has(key) else tool


def patterns_text(t: Catalog, found: patterns.Patterns,
                  helped: list[what_works.ToolStat]) -> str:
    if found.total < patterns.MIN_FOR_PATTERNS:
        return t.t("stats.patterns.too_few", count=found.total)
    lines = [t.t("stats.patterns.title", count=found.total)]
    if (s := found.busiest_hours) is not None:
        lines.append(t.t("stats.patterns.most_hours", start=_hhmm(s.key),
                         end=_hhmm(s.key + patterns.WINDOW_HOURS)))
    if (s := found.busiest_weekday) is not None:
        lines.append(t.t("stats.patterns.most_weekday",
                         weekdays=t.list("stats.weekdays_plural")[s.key]))
    if (s := found.strongest_hours) is not None and s.mean_intensity is not None:
        lines.append(t.t("stats.patterns.strongest_hours", hour=_hhmm(s.key),
                         mean=_one_decimal(s.mean_intensity)))
    if (s := found.strongest_weekday) is not None and s.mean_intensity is not None:
        lines.append(t.t("stats.patterns.strongest_weekday",
                         weekdays=t.list("stats.weekdays_plural")[s.key],
                         mean=_one_decimal(s.mean_intensity)))
    if found.triggers:
        items = [t.t("stats.patterns.trigger_item", label=t.t(f"triggers.labels.{k}")
                     if t.has(f"triggers.labels.{k}") else k, count=n)
                 for k, n in found.triggers]
        lines.append(t.t("stats.patterns.triggers", list="{list}").replace(
            "{list}", ", ".join(items)))
    useful = [h for h in helped if round(h.mean_drop) >= 1][:3]
    if useful:
        lines.append(t.t("stats.patterns.helped_title"))
        lines += [t.t("stats.patterns.helped_item", tool=tool_label(t, h.tool),
                      drop=round(h.mean_drop), times=h.times) for h in useful]
    else:
        lines.append(t.t("stats.patterns.helped_none"))
    lines.append(t.t("stats.patterns.times_note"))
    return "\n".join(lines)


def _one_decimal(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


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
                              at=words["at"]), cb("stats", "ny", risk.weekday, risk.hour, at)),
                   button(t.t("stats.nudge.decline"), cb("stats", "nn", risk.weekday, risk.hour))]]


def is_on_line(t: Catalog, row: InsightNudge) -> str:
    w = patterns.Window(row.window_weekday, row.window_hour, 0, 0, None)
    words = window_words(t, w)
    return t.t("stats.nudge.is_on", weekday=words["weekday"], parts=words["parts"],
               weekdays=t.list("stats.weekdays_plural")[row.remind_weekday],
               at=row.remind_time)


async def _b_patterns(update: Update, context: Context, user: User, args: list[str]) -> bool:
    if args:
        return False
    s = svc(context)
    now = s.clock.now()
    t = catalog(context, user)
    async with s.db.session() as session:
        h = await load_history(session, user, now, s.settings.default_timezone)
        found = patterns.analyse(cravings(h), h.now_local)
        helped = what_works.tool_stats(outcomes(h, now - patterns.LOOKBACK))
        row = await repo.nudge_of(session, user.id)
        offering = should_offer(row, found.risk, now, proactive=False)
        if offering:
            assert found.risk is not None
            remind_day, remind_at = found.risk.remind_at()
            row = await repo.offer(session, user.id, window=(found.risk.weekday,
                                                             found.risk.hour),
                                   remind=(remind_day, schedule.format_hhmm(remind_at)),
                                   now=now)
    text = patterns_text(t, found, helped)
    rows: list[list[Any]] = []
    if offering and found.risk is not None:
        line, rows = offer(t, found.risk)
        text = f"{text}\n\n{line}"
    elif row is not None and row.status == "on":
        text = f"{text}\n\n{is_on_line(t, row)}"
        rows = [[button(t.t("stats.nudge.stop"), cb("stats", "noff"))]]
    await reply(update, context, text, inline(rows) if rows else None)
    return True


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
        [button(t.t("stats.nudge.ok"), cb("stats", "ok")),
         button(t.t("stats.nudge.craving"), cb("stats", "crave"))],
        [button(t.t("stats.nudge.breathe"), cb("crave", "breathe", 0))],
        [button(t.t("stats.nudge.stop"), cb("stats", "noff"))],
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


# --- sending a chart from the tick --------------------------------------------------------------
def caption_fits(text: str) -> bool:
    """Telegram counts a caption's characters after the HTML tags are parsed away."""
    return len(html.unescape(_TAG.sub("", text))) <= CAPTION_LIMIT


async def send_bulk_photo(bot: Any, chat_id: int, png: bytes, caption_text: str,
                          markup: Any = None) -> Outcome:
    """Like sender.send_bulk, for a photo: the bulk lane, never raises for Telegram
    faults, "blocked" when the person blocked the bot."""
    lane = {"rate_limit_args": BULK_ARGS} if getattr(bot, "rate_limiter", None) else {}
    try:
        message: Message = await bot.send_photo(chat_id, photo(png), caption=caption_text,
                                                reply_markup=markup, **lane)
    except TelegramError as exc:
        if is_blocked(exc):
            return Outcome("blocked")
        log.warning("scheduled photo failed: %s", type(exc).__name__)
        return Outcome("failed")
    return Outcome("sent", message)


_BUTTONS: dict[str, Callable[[Update, Context, User, list[str]], Awaitable[bool | str]]] = {
    "r": _b_range, "pat": _b_patterns, "wk": _b_weekly, "ny": _b_yes, "nn": _b_no,
    "ok": _b_ok, "crave": _b_crave, "noff": _b_stop,
}


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("stats", stats_command))
    app.add_handler(CallbackQueryHandler(button_router("stats", _BUTTONS), pattern=r"^stats:"))
    register_tick(app, "insight_nudges", nudge_work)

