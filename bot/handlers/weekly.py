"""The weekly summary, on the person's chosen day at 18:00 local, through the tick: the
chart of the week, goals met, the next milestone ahead and one encouraging fact from
their own data (and, once, an offer of a check-in before a time that has been hard).

It goes to people with weekly goals, and to people who asked for it in /stats. Each
due time moves a week on in the same transaction as the claim, before anything is
drawn or sent (at most once, like check-ins). Charts cost CPU (~0.1 s each), so a tick
claims a bounded number and draws them one at a time in a worker thread; the sends go
in the bulk lane.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from telegram.ext import Application

from bot import recovery_math, schedule, scheduler, what_works
from bot.discreet import first_line
from bot.handlers import nudges, reachability, stats
from bot.handlers.goals import goal_line, week_of
from bot.handlers.timing import SUMMARY_TIME, fmt_date
from bot.insights import patterns, series
from bot.keyboards import inline
from bot.sender import Outcome, send_bulk
from bot.services import KEY, Services
from content import Catalog
from storage.models import Goal, User
from storage.repositories import checkins as checkins_repo
from storage.repositories import goals as repo
from storage.repositories import insights as insights_repo
from storage.repositories import users

log = logging.getLogger(__name__)

CHARTS_PER_SECOND = 2  # of tick time: ~0.12 s each, so drawing takes about a quarter of a core
CHART_DAYS = 7


def per_tick(app: Application[Any, Any, Any, Any, Any, Any]) -> int:
    override = app.bot_data.get("summary_batch")
    if override:
        return int(override)
    s: Services = app.bot_data[KEY]
    return max(3, int(CHARTS_PER_SECOND * s.settings.tick_seconds))


@dataclass
class Summary:
    user_id: int
    text: str
    markup: Any
    data: series.ChartData | None  # None: nothing to draw this week
    t: Catalog
    caption_head: str  # what the photo says when the whole text does not fit its caption


def milestone_line(t: Catalog, user: User, use_days: list[date], today: date) -> str | None:
    if user.recovery_start is None:
        return None
    p = recovery_math.progress(user.recovery_start, use_days, today)
    target = recovery_math.next_milestone(p.current_streak)
    left = target - p.current_streak
    if left == 1:
        return t.t("stats.weekly.milestone_tomorrow", target=target)
    return t.t("stats.weekly.milestone", target=target, left=left)


def fact_line(t: Catalog, h: stats.History, user: User, first: date, last: date,
              now: datetime) -> str:
    def local(e: Any) -> date:
        return e.started_at.astimezone(h.tz).date()

    eps = [(local(e), e.intensity_start, e.intensity_end) for e in h.episodes]
    moods = [(d, mood) for d, mood, _ in h.checkins]
    this = patterns.week_of(eps, moods, first, last)
    before = patterns.week_of(eps, moods, first - timedelta(days=7), first - timedelta(days=1))
    tools = what_works.tool_stats(stats.outcomes(h, now - patterns.LOOKBACK))
    best = (stats.tool_label(t, tools[0].tool), tools[0].mean_drop, tools[0].times) \
        if tools else None
    streak = free30 = None
    if user.recovery_start is not None:
        p = recovery_math.progress(user.recovery_start, h.use_days, h.today)
        streak = p.current_streak
        free30 = (p.last30_without, p.last30_window)
    fact = patterns.encouraging_fact(this, before, best_tool=best, streak=streak,
                                     free_last30=free30)
    if fact.kind == "streak" and fact.values["days"] == 1:
        sentence = t.t("stats.fact.streak_one")
    elif fact.kind == "fewer" and fact.values["this"] == 0:
        sentence = t.t("stats.fact.fewer_none", before=fact.values["before"])
    else:
        sentence = t.t(f"stats.fact.{fact.kind}", **fact.values)
    return t.t("stats.weekly.fact", fact="{fact}").replace("{fact}", sentence)


async def compose(s: Services, user: User, goals: list[Goal], day: date, now: datetime,
                  ) -> Summary:
    """The summary of the week ending on local date `day` (the summary day)."""
    t = s.catalog(user.locale)
    default = s.settings.default_timezone
    first, last = week_of(user, day)
    async with s.db.session() as session:
        h = await stats.load_history(session, user, now, default)
        counts = await repo.counts(session, user.id, first, last) if goals else {}
        found = patterns.analyse(stats.cravings(h), h.now_local)
        row = await insights_repo.nudge_of(session, user.id)
        risk = found.risk if nudges.should_offer(row, found.risk, now, proactive=True) \
            else None
        if risk is not None:
            await nudges.record_offer(session, user.id, risk, now)
    data = stats.chart_data(h, CHART_DAYS)
    title = first_line(t, user, "stats.weekly.title", first=fmt_date(t, first),
                       last=fmt_date(t, last))
    lines = [title]
    if not data.empty:
        lines.append(stats.caption_words(t, data))
    if goals:
        lines += [goal_line(t, i, g, counts.get(g.id, 0)) for i, g in enumerate(goals, 1)]
        met = sum(1 for g in goals if counts.get(g.id, 0) >= g.target)
        lines.append(t.t("stats.weekly.goals_met", met=met, total=len(goals)))
    if (m := milestone_line(t, user, h.use_days, h.today)) is not None:
        lines.append(m)
    lines.append(fact_line(t, h, user, first, last, now))
    markup = None
    if risk is not None:
        text, rows = nudges.offer(t, risk)
        lines.append(text)
        markup = inline(rows)
    if goals:
        met = sum(1 for g in goals if counts.get(g.id, 0) >= g.target)
        lines.append(t.t("goals.summary_all_met") if met == len(goals)
                     else t.t("goals.summary_close"))
    head = title if data.empty else f"{title}\n{stats.caption_words(t, data)}"
    return Summary(user.id, "\n".join(lines), markup, None if data.empty else data, t, head)


async def deliver(app: Application[Any, Any, Any, Any, Any, Any], summary: Summary) -> Outcome:
    """The chart with the summary as its caption (or a short caption and the summary as a
    message below it, when the summary is longer than a caption may be)."""
    if summary.data is None:
        return await send_bulk(app.bot, summary.user_id, summary.text, summary.markup)
    png = await stats.render(summary.t, summary.data)
    if stats.caption_fits(summary.text):
        return await stats.send_bulk_photo(app.bot, summary.user_id, png, summary.text,
                                           summary.markup)
    outcome = await stats.send_bulk_photo(app.bot, summary.user_id, png, summary.caption_head)
    if outcome.status != "sent":
        return outcome
    rest = await send_bulk(app.bot, summary.user_id, summary.text, summary.markup)
    return outcome if rest.status == "released" else rest  # the chart went: never again


async def summary_work(app: Application[Any, Any, Any, Any, Any, Any]) -> int:
    """Send the weekly summaries that are due."""
    s: Services = app.bot_data[KEY]
    now = s.clock.now()
    default = s.settings.default_timezone
    todo: list[tuple[int, date, datetime]] = []
    async with s.db.session() as session:
        due = await repo.lock_due_summaries(session, now, per_tick(app))
        owners = await repo.goals_of(session, [d[0] for d in due])
        moves: list[tuple[int, datetime | None]] = []
        for uid, when, zone_name, weekday, _locale, unreachable, wanted in due:
            tz = schedule.zone(zone_name, default)
            if unreachable or not (owners.get(uid) or wanted):
                moves.append((uid, None))
                continue
            moves.append((uid, schedule.next_weekly(now, tz, weekday, SUMMARY_TIME)))
            if schedule.late_ok(when, now, tz, SUMMARY_TIME):
                todo.append((uid, schedule.local_date(when, tz), when))
        await repo.advance_summaries(session, moves)
    sent = 0
    blocked: list[int] = []
    released: list[tuple[int, datetime | None]] = []  # shutting down: due again, elsewhere
    for uid, day, when in todo:  # one at a time: each draws a chart in a worker thread
        if scheduler.stopping(app):
            released.append((uid, when))
            continue
        try:
            async with s.db.session() as session:
                user = await users.get(session, uid)
            if user is None:  # deleted meanwhile
                continue
            outcome = await deliver(app, await compose(s, user, owners.get(uid, []), day, now))
        except Exception as exc:  # one person's fault never stops the others
            log.error("weekly summary failed: %s", type(exc).__name__)
            continue
        if outcome.status == "sent":
            sent += 1
        elif outcome.status == "blocked":
            blocked.append(uid)
        elif outcome.status == "released":
            released.append((uid, when))
    if released:
        async with s.db.session() as session:
            await repo.advance_summaries(session, released)
    if blocked:
        async with s.db.session() as session:
            await checkins_repo.mark_unreachable(session, blocked)
        reachability.forget(app, blocked)
    return sent
