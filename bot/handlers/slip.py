"""The slip flow (CONTENT.md, Milestones and slips): thank them, safety first, note the day
of use without touching the start date, look at the situation (trigger incl. HALT, time
of day), agree one next step, and offer an if-then plan for next time.

Every step is a button carrying the slip's id, checked against the person who pressed;
the answers live in the `slips` row, so a restart between taps loses nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application

from bot.handlers.common import Context, catalog, clean_text, edit_or_send, reply, svc
from bot.handlers.plans import TRIGGERS, begin_new_plan, trigger_rows
from bot.handlers.router import TextRouter
from bot.keyboards import button, cb, inline, int_arg, main_menu
from bot.safety_text import format_day, slip_message
from content import Catalog
from content.crisis import CountryLines, lines_for
from storage.models import PendingInput, Slip, User
from storage.repositories import pending, slips
from storage.repositories import plans as plans_repo

ASK_STEP = "slip_step"
TIMES = ("morning", "afternoon", "evening", "night")
STEPS = ("support", "meeting", "clinician", "own", "unsure")
SKIP = "skip"
MAX_STEP = 200
MAX_DAYS_BACK = 6
PLAN_LABEL = 48


def _today(context: Context, user: User) -> date:
    from bot.handlers.safety import local_today

    return local_today(context, user)


def _lines(context: Context, t: Catalog, user: User | None) -> CountryLines:
    from bot.handlers.safety import country_of

    return lines_for(t, country_of(context, user))


def _recorded_text(t: Catalog, slip: Slip, *, already: bool) -> str:
    key = "safety.slip_recorded_already" if already else "safety.slip_recorded"
    return t.t(key, day=format_day(t, slip.day))


def _first_message(context: Context, t: Catalog, user: User, slip: Slip | None) -> str:
    """Thanks and safety, then what was noted (or that nothing is, after an undo)."""
    last = (t.t("safety.undone") if slip is None else
            _recorded_text(t, slip, already=not slip.recorded))
    return slip_message(t, _lines(context, t, user)) + "\n\n" + last


def _record_buttons(t: Catalog, slip: Slip) -> InlineKeyboardMarkup:
    return inline([[button(t.t("safety.wrong_day"), cb("safety", "sd", slip.id))],
                   [button(t.t("safety.undo"), cb("safety", "su", slip.id))]])


async def send_safety_only(update: Update, context: Context, t: Catalog,
                           lines: CountryLines) -> None:
    """For someone who hasn't consented: the safety words, nothing stored."""
    await reply(update, context, slip_message(t, lines) + "\n\n" + t.t("safety.slip_no_consent"),
                inline([[button(t.t("safety.lines_button"), cb("safety", "lines"))]]))


async def start_slip_flow(update: Update, context: Context, user: User, *, source: str,
                          day: date | None = None, time_of_day: str | None = None) -> None:
    """Record the day of use (the person's local today unless told) and run the kind
    slip flow. `source` says where it came from: "message", "checkin", ..."""
    s = svc(context)
    t = catalog(context, user)
    today = _today(context, user)
    day = min(day or today, today)
    async with s.db.session() as session:
        slip = await slips.start(session, user.id, day, s.clock.now(), source[:20],
                                 time_of_day if time_of_day in TIMES else None)
    await reply(update, context, _first_message(context, t, user, slip),
                _record_buttons(t, slip))
    await _ask_trigger(update, context, t, slip, edit=False)


# --- questions --------------------------------------------------------------------------------
async def _ask_trigger(update: Update, context: Context, t: Catalog, slip: Slip, *,
                       edit: bool = True) -> None:
    rows = trigger_rows(t, "safety", f"st:{slip.id}")
    rows.append([button(t.t("safety.skip"), cb("safety", "st", slip.id, SKIP))])
    markup = inline(rows)
    if edit:
        await edit_or_send(update, context, t.t("safety.ask_trigger"), markup)
    else:
        await reply(update, context, t.t("safety.ask_trigger"), markup)


async def _ask_time(update: Update, context: Context, t: Catalog, slip: Slip) -> None:
    buttons = [button(t.t(f"safety.times.{k}"), cb("safety", "sm", slip.id, k)) for k in TIMES]
    rows = [buttons[:2], buttons[2:],
            [button(t.t("safety.skip"), cb("safety", "sm", slip.id, SKIP))]]
    await edit_or_send(update, context, t.t("safety.ask_time"), inline(rows))


async def _ask_step(update: Update, context: Context, t: Catalog, slip: Slip) -> None:
    rows = [[button(t.t(f"safety.steps.{k}"), cb("safety", "sn", slip.id, k))] for k in STEPS]
    await edit_or_send(update, context, t.t("safety.ask_step"), inline(rows))


async def _offer_plan(update: Update, context: Context, user: User, slip: Slip) -> None:
    t = catalog(context, user)
    async with svc(context).db.session() as s:
        plans = await plans_repo.list_for(s, user.id)
    rows = [[button(t.t("safety.plan_new"), cb("safety", "sp", slip.id))]]
    for plan in [p for p in plans if slip.trigger and p.trigger == slip.trigger][:2]:
        label = t.t("plans.plan_line", situation=plan.situation, action=plan.action)
        if len(label) > PLAN_LABEL:
            label = label[: PLAN_LABEL - 1].rstrip() + "…"
        rows.append([button(t.t("safety.plan_update", plan=label), cb("plan", "edit", plan.id))])
    rows.append([button(t.t("safety.plan_later"), cb("safety", "sx", slip.id))])
    await reply(update, context, t.t("safety.ask_plan"), inline(rows))


# --- buttons: each returns False for anything forged or stale ---------------------------------
async def _owned(context: Context, user: User, args: list[str]) -> Slip | None:
    slip_id = int_arg(args)
    if slip_id is None:
        return None
    async with svc(context).db.session() as s:
        return await slips.get_owned(s, user.id, slip_id)


async def _b_trigger(update: Update, context: Context, user: User, args: list[str]) -> bool:
    slip = await _owned(context, user, args)
    choice = args[1] if len(args) == 2 else None
    if slip is None or (choice not in TRIGGERS and choice != SKIP):
        return False
    async with svc(context).db.session() as s:
        slip = await slips.update(s, user.id, slip.id,
                                  trigger=None if choice == SKIP else choice) or slip
    t = catalog(context, user)
    if slip.time_of_day is None:
        await _ask_time(update, context, t, slip)
    else:
        await _ask_step(update, context, t, slip)
    return True


async def _b_time(update: Update, context: Context, user: User, args: list[str]) -> bool:
    slip = await _owned(context, user, args)
    choice = args[1] if len(args) == 2 else None
    if slip is None or (choice not in TIMES and choice != SKIP):
        return False
    if choice != SKIP:
        async with svc(context).db.session() as s:
            slip = await slips.update(s, user.id, slip.id, time_of_day=choice) or slip
    await _ask_step(update, context, catalog(context, user), slip)
    return True


async def _b_step(update: Update, context: Context, user: User, args: list[str]) -> bool:
    slip = await _owned(context, user, args)
    choice = args[1] if len(args) == 2 else None
    if slip is None or choice not in STEPS:
        return False
    t = catalog(context, user)
    s = svc(context)
    async with s.db.session() as session:
        slip = await slips.update(session, user.id, slip.id, next_step=choice) or slip
        if choice == "own":
            await pending.set_(session, user.id, ASK_STEP, s.clock.now(), {"slip_id": slip.id})
    if choice == "own":
        await edit_or_send(update, context, t.t("safety.step_ask_own"))
        return True
    markup = None
    if choice == "support":
        from bot.handlers.safety import ALERT

        markup = inline([[button(t.t("safety.alert_button"), ALERT)]])
    await edit_or_send(update, context, t.t(f"safety.step_done.{choice}"), markup)
    await _offer_plan(update, context, user, slip)
    return True


async def typed_step(update: Update, context: Context, user: User, row: PendingInput) -> None:
    t = catalog(context, user)
    message = update.effective_message
    text, problem = clean_text(message.text if message else None, MAX_STEP)
    if text is None:
        await reply(update, context, t.t(problem or "common.empty_text", limit=MAX_STEP))
        return
    slip_id = int(row.data.get("slip_id", 0))
    async with svc(context).db.session() as s:
        slip = await slips.update(s, user.id, slip_id, next_step="own", next_step_text=text)
        await pending.clear(s, user.id)
    if slip is None:  # undone meanwhile: nothing to attach it to
        await reply(update, context, t.t("common.button_invalid"))
        return
    await reply(update, context, t.t("safety.step_own_saved", step=text))
    await _offer_plan(update, context, user, slip)


async def _b_plan(update: Update, context: Context, user: User, args: list[str]) -> bool:
    slip = await _owned(context, user, args)
    if slip is None:
        return False
    trigger = slip.trigger if slip.trigger in TRIGGERS else None
    await begin_new_plan(update, context, user, trigger=trigger)
    return True


async def _b_finish(update: Update, context: Context, user: User, args: list[str]) -> bool:
    if await _owned(context, user, args) is None:
        return False
    t = catalog(context, user)
    await edit_or_send(update, context, t.t("safety.slip_done"))
    if user.onboarded:
        await reply(update, context, t.t("common.back_to_menu"), main_menu(t))
    return True


async def _b_pick_day(update: Update, context: Context, user: User, args: list[str]) -> bool:
    slip = await _owned(context, user, args)
    if slip is None:
        return False
    t = catalog(context, user)
    labels = [t.t("safety.today"), t.t("safety.yesterday")] + [
        t.t("safety.days_ago", n=n) for n in range(2, MAX_DAYS_BACK + 1)]
    buttons = [button(label, cb("safety", "sdd", slip.id, n)) for n, label in enumerate(labels)]
    text = _first_message(context, t, user, slip) + "\n\n" + t.t("safety.pick_day")
    await edit_or_send(update, context, text,
                       inline([buttons[i:i + 2] for i in range(0, len(buttons), 2)]))
    return True


async def _b_set_day(update: Update, context: Context, user: User, args: list[str]) -> bool:
    back = int_arg(args, 1)
    if back is None or back > MAX_DAYS_BACK or await _owned(context, user, args) is None:
        return False
    s = svc(context)
    day = _today(context, user) - timedelta(days=back)
    async with s.db.session() as session:
        slip = await slips.move_day(session, user.id, int(args[0]), day, s.clock.now())
    if slip is None:
        return False
    t = catalog(context, user)
    await edit_or_send(update, context, _first_message(context, t, user, slip),
                       _record_buttons(t, slip))
    return True


async def _b_undo(update: Update, context: Context, user: User, args: list[str]) -> bool:
    slip = await _owned(context, user, args)
    if slip is None:
        return False
    async with svc(context).db.session() as s:
        await slips.undo(s, user.id, slip.id)
        row = await pending.get(s, user.id)
        if row is not None and row.kind == ASK_STEP and row.data.get("slip_id") == slip.id:
            await pending.clear(s, user.id)
    await edit_or_send(update, context, _first_message(context, catalog(context, user), user,
                                                       None))
    return True


Button = Callable[[Update, Context, User, list[str]], Awaitable[bool]]
BUTTONS: dict[str, Button] = {
    "st": _b_trigger, "sm": _b_time, "sn": _b_step, "sp": _b_plan, "sx": _b_finish,
    "sd": _b_pick_day, "sdd": _b_set_day, "su": _b_undo,
}


def register(app: Application[Any, Any, Any, Any, Any, Any], router: TextRouter) -> None:
    router.pending[ASK_STEP] = typed_step
