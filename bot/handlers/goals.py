"""Weekly goals: '3 meetings a week', 'journal every night'. One tap logs progress; a goal
met is celebrated once a week; the weekly summary (bot/handlers/weekly.py) shows them on
the person's chosen day. Goal names are encrypted at rest."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import goal_text, schedule
from bot.handlers.common import (
    ANSWERED,
    Context,
    button_router,
    catalog,
    clean_text,
    consented,
    edit_or_send,
    pending_of,
    reply,
    svc,
)
from bot.handlers.router import TextRouter
from bot.handlers.timing import fmt_date, local_today, reschedule
from bot.keyboards import button, cb, inline, int_arg
from content import Catalog
from storage.models import Goal, PendingInput, User
from storage.repositories import goals as repo
from storage.repositories import pending, users

log = logging.getLogger(__name__)

ASK_NAME = "goal_name"
ASK_COUNT = "goal_count"
COUNTS = [1, 2, 3, 4, 5, 6, 7]


def week_of(user: User, today: date) -> tuple[date, date]:
    first = schedule.week_start(today, user.summary_weekday)
    return first, first + timedelta(days=6)


def goal_line(t: Catalog, number: int, goal: Goal, done: int) -> str:
    key = "goals.line_met" if done >= goal.target else "goals.line"
    return t.t(key, number=number, name=goal.name, done=done, target=goal.target)


async def _list(context: Context, user: User) -> tuple[list[Goal], dict[int, int], date, date]:
    s = svc(context)
    today = local_today(user, s.clock.now(), s.settings.default_timezone)
    first, last = week_of(user, today)
    async with s.db.session() as session:
        goals = await repo.list_for(session, user.id)
        counts = await repo.counts(session, user.id, first, last)
    return goals, counts, first, last


async def show_list(update: Update, context: Context, user: User, *, edit: bool = False,
                    undo: int | None = None) -> None:
    t = catalog(context, user)
    goals, counts, first, last = await _list(context, user)
    day_label = t.list("settings.weekdays")[user.summary_weekday]
    if not goals:
        text = t.t("goals.empty")
        rows = [[button(t.t("goals.new"), cb("goal", "new"))]]
    else:
        lines = [t.t("goals.title", first=fmt_date(t, first), last=fmt_date(t, last))]
        lines += [goal_line(t, i, g, counts.get(g.id, 0)) for i, g in enumerate(goals, 1)]
        lines.append(t.t("goals.hint", day=day_label))
        text = "\n".join(lines)
        rows = [[button(t.t("goals.log", number=i, name=_short(g.name)), cb("goal", "log", g.id)),
                 button(t.t("goals.delete", number=i), cb("goal", "del", g.id))]
                for i, g in enumerate(goals, 1)]
        if undo is not None:
            rows.append([button(t.t("goals.undo"), cb("goal", "undo", undo))])
        rows.append([button(t.t("goals.new"), cb("goal", "new")),
                     button(t.t("goals.summary_day", day=day_label), cb("goal", "day"))])
    if edit:
        await edit_or_send(update, context, text, inline(rows))
    else:
        await reply(update, context, text, inline(rows))


def _short(name: str, limit: int = 24) -> str:
    return name if len(name) <= limit else name[:limit - 1] + "…"


async def log_rows(context: Context, user: User) -> list[list[Any]]:
    """Buttons to log goals, for the end of a check-in (none when there are no goals)."""
    async with svc(context).db.session() as session:
        goals = await repo.list_for(session, user.id)
    t = catalog(context, user)
    return [[button(t.t("goals.log_short", name=_short(g.name)), cb("goal", "log", g.id))]
            for g in goals[:3]]


@consented
async def goals_command(update: Update, context: Context, user: User) -> None:
    raw = update.effective_message.text if update.effective_message else ""
    parts = (raw or "").split(maxsplit=1)
    if len(parts) > 1:
        await _from_text(update, context, user, parts[1])
        return
    await show_list(update, context, user)


# --- new goals ------------------------------------------------------------------------------
async def begin_new_goal(update: Update, context: Context, user: User) -> None:
    s = svc(context)
    t = catalog(context, user)
    async with s.db.session() as session:
        if await repo.count_for(session, user.id) >= repo.MAX_GOALS:
            await reply(update, context, t.t("goals.too_many", limit=repo.MAX_GOALS))
            return
        await pending.set_(session, user.id, ASK_NAME, s.clock.now())
    examples = t.list("goals.examples")
    rows = [[button(e["label"], cb("goal", "ex", i))] for i, e in enumerate(examples)]
    rows.append([button(t.t("goals.cancel"), cb("goal", "cancel"))])
    await edit_or_send(update, context, t.t("goals.ask"), inline(rows))


async def _from_text(update: Update, context: Context, user: User, raw: str) -> None:
    t = catalog(context, user)
    text, problem = clean_text(raw, goal_text.MAX_NAME + 40)
    parsed = goal_text.parse_goal(text) if text else None
    if parsed is None:
        await reply(update, context, t.t(problem or "goals.example", limit=goal_text.MAX_NAME))
        return
    name, target = parsed
    if len(name) > goal_text.MAX_NAME:
        await reply(update, context, t.t("common.too_long", limit=goal_text.MAX_NAME))
        return
    if target is None:
        await _ask_count(update, context, user, name)
        return
    await _save(update, context, user, name, target)


async def _ask_count(update: Update, context: Context, user: User, name: str) -> None:
    s = svc(context)
    t = catalog(context, user)
    async with s.db.session() as session:
        await pending.set_(session, user.id, ASK_COUNT, s.clock.now(), {"name": name})
    buttons = [button(t.t("goals.count", count=n), cb("goal", "n", n)) for n in COUNTS]
    await edit_or_send(update, context, t.t("goals.ask_count", name=name),
                       inline([buttons[:4], buttons[4:]]))


async def _save(update: Update, context: Context, user: User, name: str, target: int) -> None:
    s = svc(context)
    t = catalog(context, user)
    async with s.db.session() as session:
        if await repo.count_for(session, user.id) >= repo.MAX_GOALS:
            await reply(update, context, t.t("goals.too_many", limit=repo.MAX_GOALS))
            return
        goal = await repo.add(session, user.id, name, target, s.clock.now())
        await pending.clear(session, user.id)
        fresh = await users.get(session, user.id)
        assert fresh is not None
        await reschedule(session, fresh, s.clock.now(), s.settings.default_timezone)
    day = t.list("settings.weekdays")[user.summary_weekday]
    await edit_or_send(update, context, t.t("goals.saved", name=goal.name, target=goal.target,
                                            day=day))
    await show_list(update, context, user)


async def typed_name(update: Update, context: Context, user: User, row: PendingInput) -> None:
    text = update.effective_message.text if update.effective_message else None
    if not text:
        await reply(update, context, catalog(context, user).t("goals.example"))
        return
    await _from_text(update, context, user, text)


async def typed_count(update: Update, context: Context, user: User, row: PendingInput) -> None:
    text = (update.effective_message.text if update.effective_message else "") or ""
    t = catalog(context, user)
    digits = text.strip().split()[0] if text.strip() else ""
    if not digits.isdigit() or not 1 <= int(digits) <= goal_text.MAX_TARGET:
        await reply(update, context, t.t("goals.count_example", max=goal_text.MAX_TARGET))
        return
    await _save(update, context, user, str(row.data.get("name", "")), int(digits))


# --- buttons --------------------------------------------------------------------------------

async def _b_new(update: Update, context: Context, user: User, args: list[str]) -> bool:
    if args:
        return False
    await begin_new_goal(update, context, user)
    return True


async def _b_example(update: Update, context: Context, user: User, args: list[str]) -> bool:
    index = int_arg(args)
    examples = catalog(context, user).list("goals.examples")
    if await pending_of(context, user, ASK_NAME) is None or index is None or index >= len(
            examples):
        return False
    await _save(update, context, user, examples[index]["name"], int(examples[index]["target"]))
    return True


async def _b_count(update: Update, context: Context, user: User, args: list[str]) -> bool:
    n = int_arg(args)
    row = await pending_of(context, user, ASK_COUNT)
    if row is None or n is None or n not in COUNTS or not row.data.get("name"):
        return False
    await _save(update, context, user, str(row.data["name"]), n)
    return True


async def _b_cancel(update: Update, context: Context, user: User, args: list[str]) -> bool:
    async with svc(context).db.session() as s:
        await pending.clear(s, user.id)
    await edit_or_send(update, context, catalog(context, user).t("common.cancelled"))
    return True


async def _b_log(update: Update, context: Context, user: User, args: list[str]) -> bool | str:
    goal_id = int_arg(args)
    if goal_id is None:
        return False
    s = svc(context)
    now = s.clock.now()
    today = local_today(user, now, s.settings.default_timezone)
    first, last = week_of(user, today)
    celebrate = False
    async with s.db.session() as session:
        goal = await repo.get_owned(session, user.id, goal_id)
        if goal is None:
            return False
        entry = await repo.log(session, goal, today, now)
        done = (await repo.counts(session, user.id, first, last)).get(goal.id, 0)
        if done >= goal.target and goal.celebrated_week != first:
            goal.celebrated_week = first
            celebrate = True
    t = catalog(context, user)
    query = update.callback_query
    if query is not None:
        await query.answer(t.t("goals.logged", name=_short(goal.name), done=done,
                               target=goal.target))
    await show_list(update, context, user, edit=True, undo=entry.id)
    if celebrate:
        await reply(update, context, t.t("goals.met", name=goal.name, target=goal.target))
    return ANSWERED


async def _b_undo(update: Update, context: Context, user: User, args: list[str]) -> bool:
    log_id = int_arg(args)
    if log_id is None:
        return False
    async with svc(context).db.session() as session:
        entry = await repo.undo(session, user.id, log_id)
    if entry is None:
        return False
    await show_list(update, context, user, edit=True)
    return True


async def _b_delete(update: Update, context: Context, user: User, args: list[str]) -> bool:
    goal_id = int_arg(args)
    async with svc(context).db.session() as session:
        goal = await repo.get_owned(session, user.id, goal_id) if goal_id is not None else None
    if goal is None:
        return False
    t = catalog(context, user)
    await edit_or_send(update, context, t.t("goals.confirm_delete", name=goal.name), inline([[
        button(t.t("goals.confirm_yes"), cb("goal", "dok", goal.id)),
        button(t.t("goals.confirm_no"), cb("goal", "dno", goal.id))]]))
    return True


async def _b_delete_ok(update: Update, context: Context, user: User, args: list[str]) -> bool:
    goal_id = int_arg(args)
    if goal_id is None:
        return False
    s = svc(context)
    async with s.db.session() as session:
        if not await repo.delete_goal(session, user.id, goal_id):
            return False
        fresh = await users.get(session, user.id)
        assert fresh is not None
        await reschedule(session, fresh, s.clock.now(), s.settings.default_timezone)
    await edit_or_send(update, context, catalog(context, user).t("goals.deleted"))
    return True


async def _b_delete_no(update: Update, context: Context, user: User, args: list[str]) -> bool:
    await show_list(update, context, user, edit=True)
    return True


async def _b_day(update: Update, context: Context, user: User, args: list[str]) -> bool:
    if args:
        return False
    t = catalog(context, user)
    names = t.list("settings.weekdays")
    buttons = [button(name, cb("goal", "wd", i)) for i, name in enumerate(names)]
    await edit_or_send(update, context, t.t("goals.ask_day"),
                       inline([buttons[:4], buttons[4:]]))
    return True


async def _b_weekday(update: Update, context: Context, user: User, args: list[str]) -> bool:
    day = int_arg(args)
    if day is None or day > 6:
        return False
    s = svc(context)
    async with s.db.session() as session:
        fresh = await users.update(session, user.id, summary_weekday=day)
        assert fresh is not None
        await reschedule(session, fresh, s.clock.now(), s.settings.default_timezone)
    await show_list(update, context, fresh, edit=True)
    return True


_BUTTONS = {
    "new": _b_new, "ex": _b_example, "n": _b_count, "cancel": _b_cancel, "log": _b_log,
    "undo": _b_undo, "del": _b_delete, "dok": _b_delete_ok, "dno": _b_delete_no,
    "day": _b_day, "wd": _b_weekday,
}


def register(app: Application[Any, Any, Any, Any, Any, Any], router: TextRouter) -> None:
    app.add_handler(CommandHandler("goals", goals_command))
    app.add_handler(CallbackQueryHandler(button_router("goal", _BUTTONS), pattern=r"^goal:"))
    router.pending[ASK_NAME] = typed_name
    router.pending[ASK_COUNT] = typed_count
