"""Guided exercises, live: one message edited in place, phase by phase (paced ones) or step
by step (grounding, urge surfing, the tape). Timed steps run as scheduled work through
`Services.steps`; any other update from the person stops a running exercise cleanly."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from telegram import Bot, Update
from telegram.error import TelegramError
from telegram.ext import Application, TypeHandler

from bot.exercises import Exercise
from bot.handlers.common import Context, catalog, edit_or_send, load_user, reply, user_id_of
from bot.keyboards import button, cb, inline, scale
from bot.services import Services
from content import Catalog
from storage.repositories import episodes
from storage.repositories import plans as plan_repo

log = logging.getLogger(__name__)

STATE_KEY = "pacing"
_OWN_BUTTONS = ("crave:stop:", "crave:next:", "crave:sr:")


@dataclass
class Running:
    chat_id: int
    message_id: int
    key: str


def _key(user_id: int) -> str:
    return f"pace:{user_id}"


def _running(app: Application[Any, Any, Any, Any, Any, Any]) -> dict[int, Running]:
    return app.bot_data.setdefault(STATE_KEY, {})  # type: ignore[no-any-return]


def stop(context: Context, user_id: int) -> Running | None:
    s: Services = context.application.bot_data["services"]
    s.steps.cancel(_key(user_id))
    return _running(context.application).pop(user_id, None)


def _stop_markup(t: Catalog, ex: Exercise, ep: int) -> Any:
    return inline([[button(t.t("exercises.stop"), cb("crave", "stop", ep, ex.key))]])


def _paced_text(t: Catalog, ex: Exercise, round_no: int, phase_no: int) -> str:
    phase = ex.phases[phase_no]
    dots = "●" * round_no + "○" * max(0, min(ex.rounds, 10) - round_no) if ex.rounds <= 10 else ""
    lines = [f"<b>{ex.title}</b>", ex.intro, ""]
    if ex.rounds > 1:
        lines.append(t.t("exercises.round", n=round_no, total=ex.rounds) + (f"  {dots}" if dots
                                                                            else ""))
    lines.append(f"<b>{phase.say}</b> · {phase.seconds:g} s")
    return "\n".join(lines)


async def _edit(bot: Bot, chat_id: int, message_id: int, text: str, markup: Any) -> bool:
    try:
        await bot.edit_message_text(text, chat_id, message_id, reply_markup=markup)
        return True
    except TelegramError as exc:
        if "not modified" in str(exc).lower():
            return True
        log.info("exercise message could not be edited (%s); stopping", type(exc).__name__)
        return False


async def _show(update: Update, context: Context, text: str, markup: Any, fresh: bool) -> int:
    """Show in a new message, or in place of the message the button sits on; its id."""
    if fresh:
        return (await reply(update, context, text, markup)).message_id
    sent = await edit_or_send(update, context, text, markup)
    if not isinstance(sent, bool):
        return sent.message_id
    query = update.callback_query
    return query.message.message_id if query is not None and query.message is not None else 0


async def begin(update: Update, context: Context, t: Catalog, ex: Exercise, ep: int, *,
                fresh: bool = False) -> None:
    """Start `ex`: in a new message when `fresh`, else in place of the tapped message."""
    user_id = user_id_of(update)
    stop(context, user_id)
    if not ex.paced:
        await _show_step(update, context, t, ex, ep, 0, fresh=fresh)
        return
    message_id = await _show(update, context, _paced_text(t, ex, 1, 0), _stop_markup(t, ex, ep),
                             fresh)
    run = Running(user_id, message_id, ex.key)
    _running(context.application)[user_id] = run
    _schedule_phase(context.application, t, ex, ep, user_id, run, 1, 1)


def _schedule_phase(app: Application[Any, Any, Any, Any, Any, Any], t: Catalog, ex: Exercise,
                    ep: int, user_id: int, run: Running, round_no: int, phase_no: int) -> None:
    """Show phase `phase_no` of round `round_no` when the previous phase has run out."""
    s: Services = app.bot_data["services"]
    previous = ex.phases[phase_no - 1] if phase_no > 0 else ex.phases[-1]
    if phase_no == len(ex.phases):
        round_no, phase_no = round_no + 1, 0

    async def step() -> None:
        if _running(app).get(user_id) is not run:
            return
        if round_no > ex.rounds:
            _running(app).pop(user_id, None)
            await _finish_message(app, t, ex, ep, run, stopped=False)
            return
        ok = await _edit(app.bot, run.chat_id, run.message_id,
                         _paced_text(t, ex, round_no, phase_no), _stop_markup(t, ex, ep))
        if not ok:
            _running(app).pop(user_id, None)
            return
        _schedule_phase(app, t, ex, ep, user_id, run, round_no, phase_no + 1)

    s.steps.call_later(_key(user_id), previous.seconds, step)


async def _plan_line(s: Services, t: Catalog, user_id: int, ep: int) -> str | None:
    if not ep:
        return None
    async with s.db.session() as session:
        episode = await episodes.get_owned(session, user_id, ep)
        if episode is None or episode.plan_id is None:
            return None
        plan = await plan_repo.get_owned(session, user_id, episode.plan_id)
    if plan is None:
        return None
    return t.t("craving.your_plan", situation=plan.situation, action=plan.action)


def _after_markup(t: Catalog, ex: Exercise, ep: int) -> Any:
    rows = scale("crave", "rate", ep)
    rows.append([button(t.t("craving.another_round"), cb("crave", "ex", ep, ex.key))])
    return inline(rows)


async def _finish_message(app: Application[Any, Any, Any, Any, Any, Any], t: Catalog,
                          ex: Exercise, ep: int, run: Running, *, stopped: bool) -> None:
    s: Services = app.bot_data["services"]
    lines = [t.t("exercises.stopped" if stopped else "exercises.finished")]
    plan = await _plan_line(s, t, run.chat_id, ep)
    if plan:
        lines.append(plan)
    lines += ["", t.t("craving.ask_now")]
    await _edit(app.bot, run.chat_id, run.message_id, "\n".join(lines), _after_markup(t, ex, ep))


async def finish(update: Update, context: Context, t: Catalog, ex: Exercise, ep: int, *,
                 stopped: bool) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    run = Running(user_id_of(update), query.message.message_id, ex.key)
    await _finish_message(context.application, t, ex, ep, run, stopped=stopped)


def _step_text(ex: Exercise, index: int) -> str:
    head = [f"<b>{ex.title}</b>", ex.intro, ""] if index == 0 else [f"<b>{ex.title}</b>", ""]
    return "\n".join([*head, f"{index + 1}/{len(ex.steps)}  {ex.steps[index]}"])


async def _show_step(update: Update, context: Context, t: Catalog, ex: Exercise, ep: int,
                     index: int, *, fresh: bool = False) -> None:
    user_id = user_id_of(update)
    last = index == len(ex.steps) - 1
    if ex.key == "surf" and last:
        message_id = await _show(update, context, _step_text(ex, index), _stop_markup(t, ex, ep),
                                 fresh)
        run = Running(user_id, message_id, ex.key)
        _running(context.application)[user_id] = run
        _schedule_ride(context.application, t, ex, ep, user_id, run, 1)
        return
    rows = [[button(t.t("exercises.next") if not last else t.t("exercises.done_button"),
                    cb("crave", "next", ep, ex.key, index + 1)),
             button(t.t("exercises.stop"), cb("crave", "stop", ep, ex.key))]]
    await _show(update, context, _step_text(ex, index), inline(rows), fresh)


async def step(update: Update, context: Context, t: Catalog, ex: Exercise, ep: int,
               index: int) -> bool:
    if ex.paced or index > len(ex.steps) or index < 1:
        return False
    if index == len(ex.steps):
        await finish(update, context, t, ex, ep, stopped=False)
        return True
    await _show_step(update, context, t, ex, ep, index)
    return True


def _surf(t: Catalog, name: str) -> Any:
    return t.raw(f"exercises.surf.{name}")


def _schedule_ride(app: Application[Any, Any, Any, Any, Any, Any], t: Catalog, ex: Exercise,
                   ep: int, user_id: int, run: Running, ride: int) -> None:
    s: Services = app.bot_data["services"]

    async def rerate() -> None:
        if _running(app).get(user_id) is not run:
            return
        rows = scale("crave", "sr", ep, ride)
        rows.append([button(t.t("exercises.stop"), cb("crave", "stop", ep, ex.key))])
        if not await _edit(app.bot, run.chat_id, run.message_id,
                           f"<b>{ex.title}</b>\n\n{_surf(t, 'rerate')}", inline(rows)):
            _running(app).pop(user_id, None)

    s.steps.call_later(_key(user_id), float(_surf(t, "ride_seconds")), rerate)


async def surf_rated(update: Update, context: Context, t: Catalog, ex: Exercise, ep: int,
                     ride: int, eased: bool) -> bool:
    user_id = user_id_of(update)
    run = _running(context.application).get(user_id)
    if run is None or run.key != "surf":
        return False
    if eased or ride >= int(_surf(t, "max_rides")):
        stop(context, user_id)
        s: Services = context.application.bot_data["services"]
        lines = [_surf(t, "eased") if eased else t.t("craving.still_strong")]
        plan = await _plan_line(s, t, user_id, ep)
        if plan:
            lines.append(plan)
        from bot.handlers.craving import MENU_OPTIONS, options_markup, still_strong_markup

        markup = (options_markup(t, ep, MENU_OPTIONS) if eased else still_strong_markup(t, ep)
                  ) if ep else None
        await edit_or_send(update, context, "\n".join(lines), markup)
        return True
    await edit_or_send(update, context, f"<b>{ex.title}</b>\n\n{_surf(t, 'again')}",
                       _stop_markup(t, ex, ep))
    _schedule_ride(context.application, t, ex, ep, user_id, run, ride + 1)
    return True


async def _moved_on(update: object, context: Context) -> None:
    """Anything else the person does stops a running exercise, and says so in its message."""
    if not isinstance(update, Update) or update.effective_user is None:
        return
    user_id = update.effective_user.id
    if user_id not in _running(context.application):
        return
    data = update.callback_query.data if update.callback_query else None
    if data and data.startswith(_OWN_BUTTONS):
        return
    run = stop(context, user_id)
    if run is None:
        return
    user = await load_user(context, user_id)
    t = catalog(context, user, update)
    await _edit(context.bot, run.chat_id, run.message_id, t.t("exercises.stopped"), None)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(TypeHandler(Update, _moved_on), group=-1)
