"""The morning check-in (CONTENT.md): craving 0-10, mood 0-10, sleep, any use since the
last check-in, today's riskiest situation and its if-then plan. At most six taps; every
answer edits the same message forward, so the person gets one ping a day.

Sent by one database-driven tick (DESIGN.md principles 1, 2, 4): `checkin_work` locks
the people who are due, moves their due time to the next local date and records the
check-in rows in one transaction, then sends in the bulk lane. Delivery is AT LEAST ONCE
within the 3-hour rule (bot/delivery.py): a check-in Telegram did not take is tried again
by a later tick, and one claimed by a process that died is sent when its lease ends. A
second copy is possible only for a message Telegram took in the moment before a crash,
before it was recorded (at most delivery.WORKERS sends plus one small batch of outcomes).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot import delivery, recovery_math, schedule
from bot.handlers import goals as goals_handlers
from bot.handlers import progress, reachability, settings, weekly
from bot.handlers.common import (
    Context,
    button_router,
    catalog,
    edit_or_send,
    reply,
    svc,
)
from bot.handlers.progress import ask_recovery_start
from bot.handlers.router import TextRouter
from bot.handlers.timing import DEFAULT_TIME, local_today, user_time, user_zone
from bot.keyboards import button, cb, inline, int_arg, key, keyboard_json, scale
from bot.scheduler import register as register_tick
from bot.services import KEY, Services
from content import Catalog
from storage.models import Checkin, Plan, User
from storage.repositories import checkins as repo
from storage.repositories import plans as plans_repo
from storage.repositories import recovery, users

log = logging.getLogger(__name__)

TRIGGERS = ["people", "place", "feeling", "stress", "boredom", "hungry", "angry", "lonely",
            "tired", "other"]  # the same keys and order as bot/handlers/plans.py
SLEEP = {"p": "poor", "o": "ok", "g": "good"}
VALID_FOR = timedelta(hours=20)  # after that, or once a newer one exists, buttons are stale
BULK_PER_SECOND = 25  # leaves room under Telegram's 30/s for replies to people
HIGH_CRAVING = 7
LOW_MOOD = 2


# --- texts ----------------------------------------------------------------------------------
def days_line(t: Catalog, p: recovery_math.Progress | None) -> str:
    if p is None:
        return ""
    if p.had_slip and p.total_without != p.current_streak:
        return t.t("checkin.days_after_slip", streak=p.current_streak, total=p.total_without)
    return t.t("checkin.days", days=p.current_streak)


def milestone_line(t: Catalog, p: recovery_math.Progress | None) -> str:
    if p is None or (found := recovery_math.milestone(p)) is None:
        return ""
    kind, days = found
    if days >= recovery_math.YEAR:
        years = recovery_math.years(days)
        if years == 1:
            return t.t(f"checkin.milestone_{kind}_year")
        return t.t(f"checkin.milestone_{kind}_years", years=years)
    if days == 1:
        return t.t(f"checkin.milestone_{kind}_1")
    return t.t(f"checkin.milestone_{kind}", days=days)


def header(t: Catalog, p: recovery_math.Progress | None) -> str:
    parts = [t.t("checkin.greeting"), days_line(t, p), milestone_line(t, p)]
    return "\n".join(x for x in parts if x)


def answered_lines(t: Catalog, c: Checkin) -> list[str]:
    lines = []
    if c.craving is not None:
        lines.append(t.t("checkin.answer_craving", value=c.craving))
    if c.mood is not None:
        lines.append(t.t("checkin.answer_mood", value=c.mood))
    if c.sleep is not None:
        lines.append(t.t("checkin.answer_sleep", value=t.t(f"checkin.sleep_{c.sleep}")))
    return lines


def next_step(c: Checkin) -> str | None:
    if c.craving is None:
        return "c"
    if c.mood is None:
        return "m"
    if c.sleep is None:
        return "s"
    if c.used is None:
        return "u"
    if c.risk is None and not c.used:
        return "r"
    return None


def question(t: Catalog, c: Checkin, step: str) -> tuple[str, list[list[Any]]]:
    if step in ("c", "m"):
        ask = "checkin.ask_craving" if step == "c" else "checkin.ask_mood"
        return t.t(ask), scale("checkin", step, c.id)
    if step == "s":
        return t.t("checkin.ask_sleep"), [[
            key(t.t(f"checkin.sleep_{name}"), cb("checkin", "s", c.id, code))
            for code, name in SLEEP.items()]]
    if step == "u":
        return t.t("checkin.ask_use"), [[
            key(t.t("checkin.use_no"), cb("checkin", "u", c.id, "n")),
            key(t.t("checkin.use_yes"), cb("checkin", "u", c.id, "y"))]]
    labels = [key(t.t(f"triggers.labels.{k}"), cb("checkin", "r", c.id, k)) for k in TRIGGERS]
    rows = [labels[i:i + 2] for i in range(0, len(labels), 2)]
    rows.append([key(t.t("checkin.risk_none"), cb("checkin", "r", c.id, "none"))])
    return t.t("checkin.ask_risk"), rows


def render(t: Catalog, c: Checkin, p: recovery_math.Progress | None, *,
           discreet: bool = False) -> tuple[str, list[list[Any]]]:
    """The check-in message. In discreet mode what a lock screen shows (the first lines)
    says nothing about recovery: days and milestones come after the question."""
    step = next_step(c) or "r"
    text, rows = question(t, c, step)
    extra = []
    if c.craving is not None and c.craving >= HIGH_CRAVING and step in ("m", "s"):
        extra.append(t.t("checkin.high_craving"))
    if c.mood is not None and c.mood <= LOW_MOOD and step in ("s", "u"):
        extra.append(t.t("checkin.low_mood"))
    if discreet:
        if step == "c":
            text = t.t("checkin.ask_craving_discreet")
        parts = (t.t("checkin.greeting_discreet"), text, "\n".join(answered_lines(t, c)),
                 "\n".join(extra), "\n".join(x for x in (days_line(t, p), milestone_line(t, p))
                                              if x))
    else:
        parts = (header(t, p), "\n".join(answered_lines(t, c)), "\n".join(extra), text)
    return "\n\n".join(x for x in parts if x), rows


# --- the tick -------------------------------------------------------------------------------
LEASE = timedelta(minutes=2)  # a claimed check-in not recorded as sent by then is sent again
RETRY = timedelta(seconds=30)  # after Telegram did not take one (outage, flood control)


@dataclass
class _Claimed:
    checkin_id: int
    user_id: int
    locale: str
    local_date: date
    recovery_start: date | None
    discreet: bool = False
    due: datetime | None = None  # the claimed due time, given back if the send is released


def per_tick(app: Application[Any, Any, Any, Any, Any, Any]) -> int:
    """How many check-ins one tick claims: about what the bulk lane sends before the next
    tick, so a crash loses little and other due work is never starved."""
    override = app.bot_data.get("checkin_batch")
    if override:
        return int(override)
    s: Services = app.bot_data[KEY]
    return max(10, int(BULK_PER_SECOND * s.settings.tick_seconds))


async def claim(s: Services, now: datetime, limit: int) -> tuple[list[_Claimed], int]:
    """Lock due people, advance them and record their check-ins in one transaction, leased
    to this tick until `now + LEASE`. Returns the check-ins to send now and how many overdue
    ones were skipped."""
    default = s.settings.default_timezone
    claimed: list[_Claimed] = []
    skipped = 0
    async with s.db.session() as session:
        due = await repo.lock_due(session, now, limit)
        moves: list[tuple[int, datetime | None]] = []
        rows: list[dict[str, Any]] = []
        info: dict[int, repo.DueUser] = {}
        plans: dict[tuple[Any, ...], tuple[Any, time, date, datetime]] = {}
        for d in due:
            if not d.enabled or d.unreachable:
                moves.append((d.id, None))
                continue
            when = (d.timezone, d.checkin_time, d.due, d.paused_until)
            if when not in plans:  # people due together mostly share zone and time: once each
                tz = schedule.zone(d.timezone, default)
                at = schedule.parse_hhmm(d.checkin_time) or DEFAULT_TIME
                day = schedule.local_date(d.due, tz)
                _, following = schedule.next_due(now, tz, at, after_date=day,
                                                 not_before=d.paused_until)
                plans[when] = (tz, at, day, following)
            tz, at, day, following = plans[when]
            moves.append((d.id, following))
            paused = d.paused_until is not None and day < d.paused_until
            if paused or not schedule.late_ok(d.due, now, tz, at):
                skipped += 1
                continue
            rows.append({"user_id": d.id, "local_date": day, "due_at": d.due,
                         "retry_at": now + LEASE})
            info[d.id] = d
        await repo.advance(session, moves)
        inserted = await repo.insert_scheduled(session, rows)
        for row in rows:
            uid = row["user_id"]
            if uid in inserted:
                d = info[uid]
                claimed.append(_Claimed(inserted[uid], uid, d.locale, row["local_date"],
                                        d.recovery_start, d.discreet, d.due))
    return claimed, skipped


async def claim_unsent(s: Services, now: datetime, limit: int) -> tuple[list[_Claimed], int]:
    """Check-ins recorded earlier but not delivered (an outage, a crash mid-send) whose
    retry time has come, leased again; those now past the 3-hour rule are given up."""
    default = s.settings.default_timezone
    async with s.db.session() as session:
        rows = await repo.lock_unsent(session, now, limit)
        keep: list[repo.Unsent] = []
        give_up: list[int] = []
        for r in rows:
            tz = schedule.zone(r.timezone, default)
            at = schedule.parse_hhmm(r.checkin_time) or DEFAULT_TIME
            if r.sendable and schedule.late_ok(r.due, now, tz, at):
                keep.append(r)
            else:
                give_up.append(r.checkin_id)
        await repo.set_retry(session, [r.checkin_id for r in keep], now + LEASE)
        await repo.set_retry(session, give_up, None)
    return [_Claimed(r.checkin_id, r.user_id, r.locale, r.local_date, r.recovery_start,
                     r.discreet) for r in keep], len(give_up)


async def checkin_work(app: Application[Any, Any, Any, Any, Any, Any]) -> int:
    """Check-ins are delivered AT LEAST ONCE and, unless the process dies mid-send, exactly
    once: each is recorded before it is sent and marked sent right after. One that Telegram
    did not take is retried (within the 3-hour rule); one claimed by a tick that died is
    retried when its lease ends. Retries go first, then newly due people."""
    s: Services = app.bot_data[KEY]
    now = s.clock.now()
    budget = per_tick(app)
    claimed, given_up = await claim_unsent(s, now, budget)
    skipped = 0
    if len(claimed) < budget:
        fresh, skipped = await claim(s, now, budget - len(claimed))
        claimed += fresh
    if skipped or given_up:
        log.info("skipped %d overdue check-ins", skipped + given_up)
    if not claimed:
        return 0
    async with s.db.session() as session:
        uses = await repo.use_days_for(session, [c.user_id for c in claimed if c.recovery_start])
    S = delivery.Status

    async def send(c: _Claimed, breaker: delivery.Breaker) -> delivery.Delivery:
        if breaker.open:
            return delivery.Delivery(S.LATER)
        try:
            t = s.catalog(c.locale)
            p = (recovery_math.progress(c.recovery_start, uses.get(c.user_id, []),
                                        c.local_date) if c.recovery_start else None)
            stub = Checkin(id=c.checkin_id, user_id=c.user_id, local_date=c.local_date)
            text, rows = render(t, stub, p, discreet=c.discreet)
        except Exception as exc:  # one person's fault never stops the others
            log.error("check-in render failed: %s", type(exc).__name__)
            return delivery.Delivery(S.DROP)
        return await delivery.send(app.bot, c.user_id, text, keyboard_json(rows),
                                   breaker=breaker)

    sent_count = 0

    async def write(batch: list[tuple[_Claimed, delivery.Delivery]]) -> None:
        nonlocal sent_count
        now = s.clock.now()
        sent = [(c.checkin_id, c.user_id, r.message_id, now) for c, r in batch
                if r.status is S.SENT and r.message_id is not None]
        blocked = [c.user_id for c, r in batch if r.status is S.BLOCKED]
        retry = [c.checkin_id for c, r in batch if r.status is S.RETRY]
        later = [c.checkin_id for c, r in batch if r.status is S.LATER]
        done = [c.checkin_id for c, r in batch
                if r.status in (S.DROP, S.BLOCKED) or (r.status is S.SENT and not r.message_id)]
        async with s.db.session() as session:
            await repo.mark_sent(session, sent)
            await repo.set_retry(session, retry, now + RETRY)
            await repo.set_retry(session, later, now)
            await repo.set_retry(session, done, None)
            await repo.mark_unreachable(session, blocked)
        sent_count += len(sent)
        if blocked:
            reachability.forget(app, blocked)
            log.info("%d people blocked the bot; check-ins stop until they write again",
                     len(blocked))
        if retry or later:
            log.info("%d check-ins not delivered yet; retrying", len(retry) + len(later))

    await delivery.deliver_all(claimed, send, write)
    return sent_count


async def checkins_due(app: Application[Any, Any, Any, Any, Any, Any]) -> bool:
    s: Services = app.bot_data[KEY]
    async with s.db.session() as session:
        return await repo.any_due(session, s.clock.now())


# --- answering ------------------------------------------------------------------------------
async def _progress_for(s: Services, user: User, day: date) -> recovery_math.Progress | None:
    if user.recovery_start is None:
        return None
    async with s.db.session() as session:
        days = await recovery.use_days(session, user.id)
    return recovery_math.progress(user.recovery_start, days, day)


def _valid(c: Checkin, latest: Checkin | None, now: datetime) -> bool:
    sent = c.sent_at or c.due_at
    return latest is not None and latest.id == c.id and now - sent < VALID_FOR


def _value(step: str, raw: str) -> Any:
    if step in ("c", "m"):
        n = int_arg([raw])
        return n if n is not None and 0 <= n <= 10 else None
    if step == "s":
        return SLEEP.get(raw)
    if step == "u":
        return {"y": True, "n": False}.get(raw)
    if step == "r":
        return raw if raw in TRIGGERS or raw == "none" else None
    return None


async def _answer(update: Update, context: Context, user: User, step: str,
                  args: list[str]) -> bool:
    checkin_id = int_arg(args)
    if checkin_id is None or len(args) != 2 or step not in ("c", "m", "s", "u", "r", "p"):
        return False
    s = svc(context)
    now = s.clock.now()
    async with s.db.session() as session:
        c = await repo.get_owned(session, user.id, checkin_id)
        latest = await repo.latest(session, user.id)
        if c is None or not _valid(c, latest, now):
            return False
        if step == "p":
            trigger = args[1]
            if c.risk != trigger or trigger not in TRIGGERS:
                return False
        else:
            value = _value(step, args[1])
            if value is None or next_step(c) != step:
                return False
            field = {"c": "craving", "m": "mood", "s": "sleep", "u": "used", "r": "risk"}[step]
            setattr(c, field, value)
            c.answered_at = c.answered_at or now
            if next_step(c) is None:
                c.completed_at = now
            await users.update(session, user.id, last_checkin_answered_at=now)
    if step == "p":
        from bot.handlers.plans import begin_new_plan  # plans own plan creation

        await begin_new_plan(update, context, user, trigger=args[1])
        return True
    t = catalog(context, user)
    if step == "u" and c.used:
        await edit_or_send(update, context, "\n\n".join(
            [t.t("checkin.greeting"), "\n".join(answered_lines(t, c)),
             t.t("checkin.use_thanks")]))
        await _on_use_reported(update, context, user, c)
        return True
    if step == "r":
        await _finish(update, context, user, c)
        return True
    p = await _progress_for(s, user, c.local_date)
    text, rows = render(t, c, p)
    await edit_or_send(update, context, text, inline(rows))
    return True


def _step(step: str) -> Callable[[Update, Context, User, list[str]], Awaitable[bool]]:
    async def action(update: Update, context: Context, user: User, args: list[str]) -> bool:
        return await _answer(update, context, user, step, args)

    return action


_BUTTONS = {**progress.BUTTONS, **{step: _step(step) for step in ("c", "m", "s", "u", "r", "p")}}


async def _on_use_reported(update: Update, context: Context, user: User, c: Checkin) -> None:
    """Use since the last check-in: the kind slip flow, which records the day itself."""
    from bot.handlers.safety import start_slip_flow

    await start_slip_flow(update, context, user, source="checkin")


async def _plan_for(context: Context, user: User, trigger: str) -> Plan | None:
    async with svc(context).db.session() as session:
        plans = await plans_repo.list_for(session, user.id)
    matching = [p for p in plans if p.trigger == trigger]
    return max(matching, key=lambda p: p.updated_at) if matching else None


async def _finish(update: Update, context: Context, user: User, c: Checkin) -> None:
    t = catalog(context, user)
    p = await _progress_for(svc(context), user, c.local_date)
    lines = [header(t, p), "\n".join(answered_lines(t, c))]
    rows: list[list[Any]] = []
    if c.risk and c.risk != "none":
        label = t.t(f"triggers.labels.{c.risk}")
        plan = await _plan_for(context, user, c.risk)
        if plan is not None:
            lines.append(t.t("checkin.your_plan", trigger=label, situation=plan.situation,
                             action=plan.action))
        else:
            lines.append(t.t("checkin.no_plan", trigger=label))
            rows.append([button(t.t("checkin.make_plan"), cb("checkin", "p", c.id, c.risk))])
    else:
        lines.append(t.t("checkin.no_risk"))
    lines.append(t.t("checkin.thanks"))
    rows += await goals_handlers.log_rows(context, user)
    await edit_or_send(update, context, "\n\n".join(lines), inline(rows) if rows else None)


async def start_now(update: Update, context: Context, user: User) -> None:
    """A check-in started by the person (/checkin now). One per local date: today's is
    shown again if it is still open."""
    s = svc(context)
    now = s.clock.now()
    t = catalog(context, user)
    today = local_today(user, now, s.settings.default_timezone)
    async with s.db.session() as session:
        c = await repo.on_date(session, user.id, today)
        if c is not None and c.completed_at is not None:
            await reply(update, context, t.t("checkin.already_done"))
            return
        if c is None:
            c = await repo.start_manual(session, user.id, today, now)
        else:
            c.sent_at = now  # shown again: its buttons count from now
    p = await _progress_for(s, user, today)
    text, rows = render(t, c, p)
    message = await reply(update, context, text, inline(rows))
    async with s.db.session() as session:
        row = await repo.get_owned(session, user.id, c.id)
        if row is not None:
            row.message_id = message.message_id
        await users.update(session, user.id, last_checkin_at=now)


def register(app: Application[Any, Any, Any, Any, Any, Any], router: TextRouter) -> None:
    reachability.register(app)
    app.add_handler(CallbackQueryHandler(button_router("checkin", _BUTTONS), pattern=r"^checkin:"))
    settings.register(app, router)
    progress.register(app, router)
    goals_handlers.register(app, router)
    register_tick(app, "checkins", checkin_work, again=checkins_due)
    register_tick(app, "goal_summaries", weekly.summary_work)  # goals, chart, facts


__all__ = ["ask_recovery_start", "checkin_work", "register", "start_now", "user_time",
           "user_zone"]
