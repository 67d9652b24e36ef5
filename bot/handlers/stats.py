"""/stats: a chart of the last 7, 30 or 90 days (cravings from first to last rating, the
check-in's craving and mood, days without using) and the person's own patterns, with the
offer of a check-in before a time of the week that has been hard (bot/handlers/nudges.py).

The chart is drawn in a worker thread (about 0.1 s of CPU, see bench/chart_render.py), so
other people's replies never wait behind it. It carries no names and no plan text.
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
from bot.discreet import neutral_key
from bot.handlers import nudges
from bot.handlers.common import (
    ANSWERED,
    Context,
    button_router,
    catalog,
    consented,
    reply,
    svc,
)
from bot.handlers.timing import reschedule, user_zone
from bot.insights import chart, patterns, series
from bot.keyboards import button, cb, inline, int_arg
from bot.sender import BULK_ARGS, Outcome, Released, is_blocked
from content import Catalog
from storage.models import User
from storage.repositories import goals as goals_repo
from storage.repositories import insights as repo
from storage.repositories import recovery, users

log = logging.getLogger(__name__)

HISTORY = timedelta(days=92)  # the longest chart (90 days) and the week before it
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


@consented
async def stats_command(update: Update, context: Context, user: User) -> None:
    t = catalog(context, user, update)
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
def tool_label(t: Catalog, tool: str) -> str:
    key = f"craving.tools.{tool}"
    return t.t(key) if t.has(key) else tool


def patterns_text(t: Catalog, found: patterns.Patterns,
                  helped: list[what_works.ToolStat]) -> str:
    if found.total < patterns.MIN_FOR_PATTERNS:
        return t.t("stats.patterns.too_few", count=found.total)
    lines = [t.t("stats.patterns.title", count=found.total)]
    if (s := found.busiest_hours) is not None:
        lines.append(t.t("stats.patterns.most_hours", start=nudges.hhmm(s.key),
                         end=nudges.hhmm(s.key + patterns.WINDOW_HOURS)))
    if (s := found.busiest_weekday) is not None:
        lines.append(t.t("stats.patterns.most_weekday",
                         weekdays=t.list("stats.weekdays_plural")[s.key]))
    if (s := found.strongest_hours) is not None and s.mean_intensity is not None:
        lines.append(t.t("stats.patterns.strongest_hours", hour=nudges.hhmm(s.key),
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
        risk = found.risk if nudges.should_offer(row, found.risk, now, proactive=False) \
            else None
        if risk is not None:
            row = await nudges.record_offer(session, user.id, risk, now)
    text = patterns_text(t, found, helped)
    rows: list[list[Any]] = []
    if risk is not None:
        line, rows = nudges.offer(t, risk)
        text = f"{text}\n\n{line}"
    elif row is not None and row.status == "on":
        text = f"{text}\n\n{nudges.is_on_line(t, row)}"
        rows = [[button(t.t("stats.nudge.stop"), cb("nudge", "stop"))]]
    await reply(update, context, text, inline(rows) if rows else None)
    return True


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
    except Released:  # shutting down: the caller gives the claim back
        return Outcome("released")
    except TelegramError as exc:
        if is_blocked(exc):
            return Outcome("blocked")
        log.warning("scheduled photo failed: %s", type(exc).__name__)
        return Outcome("failed")
    return Outcome("sent", message.message_id)


_BUTTONS: dict[str, Callable[[Update, Context, User, list[str]], Awaitable[bool | str]]] = {
    "r": _b_range, "pat": _b_patterns, "wk": _b_weekly,
}


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("stats", stats_command))
    app.add_handler(CallbackQueryHandler(button_router("stats", _BUTTONS), pattern=r"^stats:"))
    nudges.register(app)

