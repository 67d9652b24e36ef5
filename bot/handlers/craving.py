"""The craving moment: own plan first, one-tap tools, intensity and trigger, follow-up.

Entry points: the 🆘 keyboard button, /craving, and free text that means a craving. Every
button carries the episode id and is checked against the person who pressed it.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from telegram import InlineKeyboardButton, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import delivery, what_works
from bot import exercises as exercise_defs
from bot.handlers import pacer, reachability
from bot.handlers.common import (
    Context,
    button_invalid,
    catalog,
    clean_text,
    edit_or_send,
    load_user,
    reply,
    svc,
    user_id_of,
)
from bot.handlers.plans import TRIGGERS, begin_new_plan, trigger_rows
from bot.handlers.router import TextRouter
from bot.intents import PhraseSet
from bot.keyboards import Key, button, cb, inline, int_arg, key, keyboard_json, parse, scale
from bot.sender import send_quick
from content import Catalog
from storage.models import CravingEpisode, PendingInput, Plan, User
from storage.repositories import distractions as distraction_repo
from storage.repositories import episodes, pending, users
from storage.repositories import plans as plan_repo

log = logging.getLogger(__name__)

MENU_OPTIONS = ["breathe", "surf", "distract", "reasons"]
HELPED_EXTRA = ["plan", "time"]
ASK_DISTRACTION = "distraction"
FOLLOW_UP_LEASE = timedelta(minutes=2)
FOLLOW_UP_STALE = timedelta(hours=3)
FOLLOW_UP_RETRY = timedelta(seconds=30)  # after Telegram did not take one
STILL_STRONG = 7
MAX_DISTRACTION = 200


# --- detection ------------------------------------------------------------------------------
def craving_phrases(t: Catalog) -> PhraseSet:
    cache = _phrase_cache.get(t.locale)
    if cache is None:
        cache = _phrase_cache[t.locale] = PhraseSet.from_content(t.raw("intents_craving.craving"))
    return cache


_phrase_cache: dict[str, PhraseSet] = {}


async def craving_stage(update: Update, context: Context, text: str, user: User | None) -> bool:
    if not text or not craving_phrases(catalog(context, user, update)).match(text):
        return False
    await start_craving(update, context, user, source="text")
    return True


_NUMBER = re.compile(r"\s*(10|[0-9])\s*")


async def number_stage(update: Update, context: Context, text: str, user: User | None) -> bool:
    """A bare 0-10 typed during a craving answers the scale the bot just asked, as a tap
    would: the first rating is the urge's strength, later ones how strong it is now."""
    match = _NUMBER.fullmatch(text)
    if user is None or match is None:
        return False
    s = svc(context)
    async with s.db.session() as session:
        if await pending.get(session, user.id) is not None:
            return False  # a flow is waiting for this number (e.g. a goal's count)
        recent = await episodes.recent(session, user.id, limit=1)
        episode = None
        if recent and recent[0].ended_at is None and \
                s.clock.now() - recent[0].started_at <= episodes.REUSE_WITHIN:
            episode = await episodes.get_owned(session, user.id, recent[0].id)
    if episode is None:
        return False
    t = catalog(context, user, update)
    action = _a_intensity if episode.intensity_start is None else _a_rate
    return await action(update, context, t, user, episode, [match.group(1)])


# --- history helpers --------------------------------------------------------------------------
def outcomes(history: Sequence[CravingEpisode | episodes.OutcomeRow | episodes.Recent],
             ) -> list[what_works.Outcome]:
    return [what_works.Outcome(e.started_at, e.intensity_start, e.intensity_end,
                               tuple(e.tried or ()), e.helped, e.plan_id) for e in history]


def tool_name(t: Catalog, tool: str) -> str:
    name = f"craving.tools.{tool}"
    return t.t(name) if t.has(name) else tool


def plan_line(t: Catalog, key: str, plan: Plan | Any) -> str:
    """`plan`: a Plan, or a row of plans.brief_for."""
    return t.t(key, situation=plan.situation, action=plan.action)


def options_rows(t: Catalog, episode_id: int, ranked: list[str]) -> list[list[Key]]:
    tools = [key(t.t(f"craving.buttons.{o}"), cb("crave", o, episode_id)) for o in ranked]
    return [
        tools[:2], tools[2:],
        [key(t.t("craving.buttons.support"), cb("support", "alert"))],
        [key(t.t("craving.buttons.crisis"), cb("safety", "lines")),
         key(t.t("craving.buttons.eased"), cb("crave", "eased", episode_id))],
    ]


def options_markup(t: Catalog, episode_id: int, ranked: list[str]) -> Any:
    return inline(options_rows(t, episode_id, ranked))


# --- the first reply ----------------------------------------------------------------------------
async def start_craving(update: Update, context: Context, user: User | None, *,
                        source: str) -> None:
    s = svc(context)
    t = catalog(context, user, update)
    pacer.stop(context, user_id_of(update))
    if user is None:  # no consent: help now, store nothing
        await reply(update, context, t.t("craving.not_signed_up"), inline([
            [button(t.t("craving.buttons.breathe"), cb("crave", "breathe", 0))],
            [button(t.t("craving.buttons.crisis"), cb("safety", "lines"))],
        ]))
        return
    now = s.clock.now()
    async with s.db.session() as session:
        await pending.clear(session, user.id)
        plans = await plan_repo.brief_for(session, user.id)
        recent = await episodes.recent(session, user.id)
        past = [e for e in recent if e.intensity_end is not None]
        ranked_plans = what_works.rank_plans([p.id for p in plans], outcomes(past))
        episode, created = await episodes.open_or_continue(
            session, user.id, now, timedelta(minutes=s.settings.follow_up_minutes), source,
            recent, plan_id=ranked_plans[0] if ranked_plans else None)
        history = outcomes([e for e in past if e.id != episode.id])
        by_id = {p.id: p for p in plans}
        if episode.trigger:
            for_trigger = [pid for pid in ranked_plans if by_id[pid].trigger == episode.trigger]
            ranked_plans = for_trigger + [p for p in ranked_plans if p not in for_trigger]
        episode_id, has_intensity = episode.id, episode.intensity_start is not None
    lines = [random.choice(t.list("craving.ack")), t.t("craving.wave"), ""]
    if ranked_plans:
        lines.append(plan_line(t, "craving.your_plan", by_id[ranked_plans[0]]))
        if len(ranked_plans) > 1:
            lines.append(plan_line(t, "craving.also_plan", by_id[ranked_plans[1]]))
    else:
        lines.append(t.t("craving.no_plan"))
    found = what_works.evidence(history)
    if found is not None:
        lines.append(t.t("craving.evidence", tool=tool_name(t, found.tool), before=found.before,
                         after=found.after))
    lines += ["", t.t("craving.choose")]
    ranked = what_works.rank(MENU_OPTIONS, history, {"breathe": exercise_defs.BREATHING})
    chat_id = update.effective_chat.id if update.effective_chat else user.id
    await send_quick(context.bot, chat_id, "\n".join(lines),
                     keyboard_json(options_rows(t, episode_id, ranked)))
    if created or not has_intensity:
        await send_quick(context.bot, chat_id, t.t("craving.ask_intensity"),
                         keyboard_json(scale("crave", "int", episode_id)))


async def breathe_command(update: Update, context: Context) -> None:
    user = await load_user(context, user_id_of(update))
    await _a_breathe(update, context, catalog(context, user, update), user, None, [])


async def menu_breathe(update: Update, context: Context, user: User) -> None:
    await _a_breathe(update, context, catalog(context, user, update), user, None, [])


async def craving_command(update: Update, context: Context) -> None:
    user = await load_user(context, user_id_of(update))
    await start_craving(update, context, user, source="command")


async def menu_craving(update: Update, context: Context, user: User) -> None:
    await start_craving(update, context, user, source="button")


# --- buttons ------------------------------------------------------------------------------------
async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    user_id = user_id_of(update)
    parsed = parse(query.data, "crave")
    user = await load_user(context, user_id)
    t = catalog(context, user, update)
    if parsed is None:
        await button_invalid(query, t)
        return
    action, args = parsed
    episode_id = int_arg(args, 0)
    handler = _ACTIONS.get(action)
    if handler is None or episode_id is None:
        await button_invalid(query, t)
        return
    if episode_id == 0:  # exercises outside an episode (/breathe, or before consent)
        if action not in _ANONYMOUS or not await handler(update, context, t, user, None,
                                                         args[1:]):
            await button_invalid(query, t)
            return
        await query.answer()
        return
    if user is None:
        await button_invalid(query, t)
        return
    async with svc(context).db.session() as session:
        episode = await episodes.get_owned(session, user.id, episode_id)
    if episode is None:
        await button_invalid(query, t)
        return
    if not await handler(update, context, t, user, episode, args[1:]):
        await button_invalid(query, t)
        return
    await query.answer()


async def _update_episode(context: Context, user: User, episode_id: int,
                          **changes: Any) -> CravingEpisode | None:
    tried = changes.pop("tried", None)
    async with svc(context).db.session() as session:
        episode = await episodes.get_owned(session, user.id, episode_id)
        if episode is None:
            return None
        for name, value in changes.items():
            setattr(episode, name, value)
        if tried:
            episodes.add_tried(episode, tried)
        return episode


async def _a_intensity(update: Update, context: Context, t: Catalog, user: User | None,
                       episode: CravingEpisode | None, args: list[str]) -> bool:
    value = int_arg(args)
    if value is None or value > 10 or user is None or episode is None:
        return False
    if episode.intensity_start is None:
        await _update_episode(context, user, episode.id, intensity_start=value)
    rows = trigger_rows(t, "crave", f"trig:{episode.id}")
    rows.append([button(t.t("craving.skip"), cb("crave", "trig", episode.id, "skip"))])
    await edit_or_send(update, context, t.t("craving.noted_intensity", intensity=value) + "\n"
                       + t.t("craving.ask_trigger"), inline(rows))
    return True


async def _a_trigger(update: Update, context: Context, t: Catalog, user: User | None,
                     episode: CravingEpisode | None, args: list[str]) -> bool:
    if not args or user is None or episode is None or args[0] not in [*TRIGGERS, "skip"]:
        return False
    if args[0] == "skip":
        ranked = what_works.rank(MENU_OPTIONS, await _history(context, user),
                                 {"breathe": exercise_defs.BREATHING})
        await edit_or_send(update, context, t.t("craving.choose"),
                           options_markup(t, episode.id, ranked))
        return True
    trigger = args[0]
    await _update_episode(context, user, episode.id, trigger=trigger)
    async with svc(context).db.session() as session:
        plans = [p for p in await plan_repo.list_for(session, user.id) if p.trigger == trigger]
    lines = [t.t("craving.noted_trigger", trigger=t.t(f"triggers.labels.{trigger}"))]
    markup = None
    if plans:
        lines += [plan_line(t, "craving.trigger_plan", p) for p in plans[:2]]
    else:
        lines.append(t.t("craving.trigger_no_plan"))
        markup = inline([[button(t.t("craving.make_plan_for_this"),
                                 cb("crave", "mkplan", episode.id, trigger))]])
    await edit_or_send(update, context, "\n".join(lines), markup)
    return True


async def _a_make_plan(update: Update, context: Context, t: Catalog, user: User | None,
                       episode: CravingEpisode | None, args: list[str]) -> bool:
    if user is None or not args or args[0] not in TRIGGERS:
        return False
    await begin_new_plan(update, context, user, trigger=args[0])
    return True


async def _a_breathe(update: Update, context: Context, t: Catalog, user: User | None,
                     episode: CravingEpisode | None, args: list[str]) -> bool:
    defs = exercise_defs.load(t)
    order = [k for k in defs if k != "surf"]
    if user is not None:
        order = what_works.rank(order, await _history(context, user))
    ep = episode.id if episode is not None else 0
    rows = [[button(defs[k].label, cb("crave", "ex", ep, k))] for k in order]
    if ep:
        rows.append([button(t.t("craving.buttons.back"), cb("crave", "menu", ep))])
    await reply(update, context, t.t("craving.choose_exercise"), inline(rows))
    return True


async def _a_exercise(update: Update, context: Context, t: Catalog, user: User | None,
                      episode: CravingEpisode | None, args: list[str], *,
                      fresh: bool = False) -> bool:
    defs = exercise_defs.load(t)
    if not args or args[0] not in defs:
        return False
    exercise = args[0]
    if user is not None and episode is not None:
        await _update_episode(context, user, episode.id, tried=exercise)
    await pacer.begin(update, context, t, defs[exercise], episode.id if episode else 0,
                      fresh=fresh)
    return True


async def _a_surf(update: Update, context: Context, t: Catalog, user: User | None,
                  episode: CravingEpisode | None, args: list[str]) -> bool:
    return await _a_exercise(update, context, t, user, episode, ["surf"], fresh=True)


async def _a_step(update: Update, context: Context, t: Catalog, user: User | None,
                  episode: CravingEpisode | None, args: list[str]) -> bool:
    defs = exercise_defs.load(t)
    index = int_arg(args, 1)
    if len(args) < 2 or args[0] not in defs or index is None:
        return False
    return await pacer.step(update, context, t, defs[args[0]], episode.id if episode else 0, index)


async def _a_stop(update: Update, context: Context, t: Catalog, user: User | None,
                  episode: CravingEpisode | None, args: list[str]) -> bool:
    defs = exercise_defs.load(t)
    if not args or args[0] not in defs:
        return False
    pacer.stop(context, user_id_of(update))
    await pacer.finish(update, context, t, defs[args[0]], episode.id if episode else 0,
                       stopped=True)
    return True


async def _a_surf_rating(update: Update, context: Context, t: Catalog, user: User | None,
                         episode: CravingEpisode | None, args: list[str]) -> bool:
    ride, value = int_arg(args, 0), int_arg(args, 1)
    if ride is None or value is None or value > 10:
        return False
    before = None
    if user is not None and episode is not None:
        before = episode.intensity_start
        if before is None:
            await _update_episode(context, user, episode.id, intensity_start=value)
        await _update_episode(context, user, episode.id, intensity_end=value)
    defs = exercise_defs.load(t)
    eased = value <= 3 or (before is not None and value <= before - 3)
    return await pacer.surf_rated(update, context, t, defs["surf"],
                                  episode.id if episode else 0, ride, eased)


async def _a_rate(update: Update, context: Context, t: Catalog, user: User | None,
                  episode: CravingEpisode | None, args: list[str]) -> bool:
    """'How strong is it now?' after a tool."""
    value = int_arg(args)
    if value is None or value > 10:
        return False
    if user is None or episode is None:
        text = t.t("craving.rated_noted", after=value)
        if user is None:
            text += "\n" + t.t("craving.start_hint")
        await edit_or_send(update, context, text)
        return True
    before = (episode.intensity_end if episode.intensity_end is not None
              else episode.intensity_start)
    await _update_episode(context, user, episode.id, intensity_end=value,
                          **({"intensity_start": value} if episode.intensity_start is None else {}))
    if before is None:
        text = t.t("craving.rated_noted", after=value)
    elif value == before:
        text = t.t("craving.rated_same", after=value)
    elif value < before:
        text = t.t("craving.rated_lower", before=before, after=value)
    else:
        text = t.t("craving.rated_higher", after=value)
    if value >= STILL_STRONG:
        await edit_or_send(update, context, text + "\n\n" + t.t("craving.still_strong"),
                           still_strong_markup(t, episode.id))
        return True
    history = await _history(context, user)
    ranked = what_works.rank(MENU_OPTIONS, history, {"breathe": exercise_defs.BREATHING})
    await edit_or_send(update, context, text + "\n\n" + t.t("craving.choose"),
                       options_markup(t, episode.id, ranked))
    return True


def still_strong_markup(t: Catalog, episode_id: int) -> Any:
    return inline([
        [button(t.t("craving.another_round"), cb("crave", "breathe", episode_id)),
         button(t.t("craving.buttons.surf"), cb("crave", "surf", episode_id))],
        [button(t.t("craving.buttons.support"), cb("support", "alert"))],
        [button(t.t("craving.buttons.crisis"), cb("safety", "lines"))],
    ])


async def _history(context: Context, user: User) -> list[what_works.Outcome]:
    async with svc(context).db.session() as session:
        return outcomes(await episodes.outcomes(session, user.id))


async def _a_menu(update: Update, context: Context, t: Catalog, user: User | None,
                  episode: CravingEpisode | None, args: list[str]) -> bool:
    if user is None or episode is None:
        return False
    ranked = what_works.rank(MENU_OPTIONS, await _history(context, user),
                             {"breathe": exercise_defs.BREATHING})
    await edit_or_send(update, context, t.t("craving.choose"),
                       options_markup(t, episode.id, ranked))
    return True


async def _a_distract(update: Update, context: Context, t: Catalog, user: User | None,
                      episode: CravingEpisode | None, args: list[str]) -> bool:
    if user is None or episode is None:
        return False
    index = int_arg(args) or 0
    async with svc(context).db.session() as session:
        own = [d.text for d in await distraction_repo.list_for(session, user.id)]
        ep = await episodes.get_owned(session, user.id, episode.id)
        if ep is not None:
            episodes.add_tried(ep, "distract")
    defaults = t.list("craving.distractions")
    items = own + defaults
    index %= len(items)
    header = t.t("craving.distract_own") if index < len(own) else t.t("craving.distract_intro")
    from html import escape

    text = f"{header}\n<b>{escape(items[index], quote=False)}</b>"
    markup = inline([
        [button(t.t("craving.another_one"), cb("crave", "dist", episode.id, index + 1))],
        [button(t.t("craving.add_own"), cb("crave", "adddist", episode.id)),
         button(t.t("craving.buttons.back"), cb("crave", "menu", episode.id))],
    ])
    if args:  # "another one" edits the same message
        await edit_or_send(update, context, text, markup)
    else:
        await reply(update, context, text, markup)
    return True


async def _a_add_distraction(update: Update, context: Context, t: Catalog, user: User | None,
                             episode: CravingEpisode | None, args: list[str]) -> bool:
    if user is None:
        return False
    s = svc(context)
    async with s.db.session() as session:
        await pending.set_(session, user.id, ASK_DISTRACTION, s.clock.now(), {})
    await reply(update, context, t.t("craving.ask_distraction"))
    return True


async def typed_distraction(update: Update, context: Context, user: User,
                            row: PendingInput) -> None:
    t = catalog(context, user)
    message = update.effective_message
    text, problem = clean_text(message.text if message else None, MAX_DISTRACTION)
    if text is None:
        await reply(update, context, t.t(problem or "common.empty_text", limit=MAX_DISTRACTION))
        return
    s = svc(context)
    async with s.db.session() as session:
        if len(await distraction_repo.list_for(session, user.id)) < \
                distraction_repo.MAX_DISTRACTIONS:
            await distraction_repo.add(session, user.id, text, s.clock.now())
        await pending.clear(session, user.id)
    await reply(update, context, t.t("craving.distraction_saved", text=text))


async def _a_reasons(update: Update, context: Context, t: Catalog, user: User | None,
                     episode: CravingEpisode | None, args: list[str]) -> bool:
    if user is None or episode is None:
        return False
    from bot.handlers.reasons import has_reasons, show

    await _update_episode(context, user, episode.id, tried="reasons")
    if not await has_reasons(context, user):
        await reply(update, context, t.t("craving.reasons_none"))
        return True
    await show(update, context, user, manage=False)
    return True


async def _a_eased(update: Update, context: Context, t: Catalog, user: User | None,
                   episode: CravingEpisode | None, args: list[str]) -> bool:
    if user is None or episode is None:
        return False
    await reply(update, context, t.t("craving.close_ask"),
                inline(scale("crave", "end", episode.id)))
    return True


async def _a_end(update: Update, context: Context, t: Catalog, user: User | None,
                 episode: CravingEpisode | None, args: list[str]) -> bool:
    """The last rating of an episode (from 'It's easing' or the follow-up)."""
    value = int_arg(args)
    if value is None or value > 10 or user is None or episode is None:
        return False
    if episode.ended_at is not None and episode.helped is not None:
        return False  # already closed: an old button
    changes: dict[str, Any] = {"intensity_end": value, "follow_up_at": None}
    if episode.intensity_start is None:
        changes["intensity_start"] = value
    await _update_episode(context, user, episode.id, **changes)
    if value >= STILL_STRONG:
        await edit_or_send(update, context, t.t("craving.still_strong"),
                           still_strong_markup(t, episode.id))
        return True
    await edit_or_send(update, context, t.t("craving.ask_helped"),
                       helped_markup(t, episode.id, list(episode.tried or ())))
    return True


def helped_markup(t: Catalog, episode_id: int, tried: list[str]) -> Any:
    tools = [*tried, *[x for x in HELPED_EXTRA if x not in tried]]
    rows: list[list[InlineKeyboardButton]] = [
        [button(tool_name(t, tool).capitalize(), cb("crave", "helped", episode_id, tool))]
        for tool in tools
    ]
    rows.append([button(t.t("craving.helped_buttons.nothing"),
                        cb("crave", "helped", episode_id, "nothing"))])
    return inline(rows)


async def _a_helped(update: Update, context: Context, t: Catalog, user: User | None,
                    episode: CravingEpisode | None, args: list[str]) -> bool:
    if user is None or episode is None or not args:
        return False
    tool = args[0]
    known = set(exercise_defs.BREATHING) | {"surf", "tape", "distract", "reasons", "support",
                                            "plan", "time", "nothing"}
    if tool not in known or episode.helped is not None:
        return False
    now = svc(context).clock.now()
    await _update_episode(context, user, episode.id, helped=tool, ended_at=now, follow_up_at=None)
    if tool == "nothing":
        await edit_or_send(update, context, t.t("craving.helped_nothing"))
    else:
        await edit_or_send(update, context, t.t("craving.helped_thanks", tool=tool_name(t, tool))
                           + "\n" + t.t("craving.closed"))
    return True


async def _a_start(update: Update, context: Context, t: Catalog, user: User | None,
                   episode: CravingEpisode | None, args: list[str]) -> bool:
    """'Ride it out with me' from elsewhere (e.g. the harm-reduction answer)."""
    await start_craving(update, context, user, source="button")
    return True


_ACTIONS = {
    "int": _a_intensity, "trig": _a_trigger, "mkplan": _a_make_plan, "breathe": _a_breathe,
    "ex": _a_exercise, "surf": _a_surf, "next": _a_step, "stop": _a_stop,
    "sr": _a_surf_rating, "rate": _a_rate, "menu": _a_menu, "dist": _a_distract,
    "distract": _a_distract,
    "adddist": _a_add_distraction, "reasons": _a_reasons, "eased": _a_eased, "end": _a_end,
    "fu": _a_end, "helped": _a_helped, "start": _a_start,
}
_ANONYMOUS = {"breathe", "ex", "next", "stop", "sr", "rate", "start"}


# --- follow-up (scheduled through the database tick) ---------------------------------------------
async def follow_up_work(app: Application[Any, Any, Any, Any, Any, Any]) -> int:
    """Follow-ups are leased by the claim and marked sent after the send. One Telegram did
    not take (an outage, flood control) is tried again by a later tick without counting
    as an attempt: `follow_up_attempts` counts claims that ended with no known outcome (a
    crash mid-send), so a message that keeps killing the process is eventually dropped."""
    s = app.bot_data["services"]
    now = s.clock.now()
    async with s.db.session() as session:
        due = await episodes.claim_follow_ups(session, now, FOLLOW_UP_LEASE)
        claimed = [(e.id, e.user_id, e.started_at, e.follow_up_attempts) for e in due]
        people = {u.id: u for u in await session.scalars(
            select(User).where(User.id.in_({c[1] for c in claimed})))} if claimed else {}
    todo = []
    stale = []
    for episode_id, user_id, started_at, attempts in claimed:
        user = people.get(user_id)
        if user is None or user.unreachable or now - started_at > FOLLOW_UP_STALE or attempts > 5:
            stale.append(episode_id)
        else:
            todo.append((episode_id, user, started_at))
    if stale:
        async with s.db.session() as session:
            await episodes.drop_follow_up(session, *stale)
    S = delivery.Status

    async def send(item: tuple[int, User, Any], breaker: delivery.Breaker) -> delivery.Delivery:
        if breaker.open:
            return delivery.Delivery(S.LATER)
        episode_id, user, started_at = item
        t = s.catalog(user.locale)
        minutes = max(1, round((now - started_at).total_seconds() / 60))
        text = t.t("craving.follow_up_discreet" if user.discreet else "craving.follow_up",
                   minutes=minutes)
        return await delivery.send(app.bot, user.id, text, keyboard_json(
            scale("crave", "fu", episode_id)), bulk=False, breaker=breaker)

    sent = 0

    async def write(batch: list[tuple[tuple[int, User, Any], delivery.Delivery]]) -> None:
        nonlocal sent
        at = s.clock.now()
        def ids(*statuses: delivery.Status) -> list[int]:
            return [episode_id for (episode_id, _, _), r in batch if r.status in statuses]

        blocked = [user.id for (_, user, _), r in batch if r.status is S.BLOCKED]
        async with s.db.session() as session:
            await episodes.finish_follow_up(session, at, *ids(S.SENT))
            await episodes.drop_follow_up(session, *ids(S.BLOCKED, S.DROP))
            # not taken, or not tried while the API is unreachable: a later tick
            await episodes.retry_follow_up(session, at + FOLLOW_UP_RETRY, *ids(S.RETRY))
            await episodes.retry_follow_up(session, at, *ids(S.LATER))
            for uid in blocked:
                await users.update(session, uid, unreachable=True)
        sent += len(ids(S.SENT))
        reachability.forget(app, blocked)

    await delivery.deliver_all(todo, send, write)
    return sent


def register(app: Application[Any, Any, Any, Any, Any, Any], router: TextRouter) -> None:
    from bot import scheduler

    app.add_handler(CommandHandler("craving", craving_command))
    app.add_handler(CommandHandler("breathe", breathe_command))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^crave:"))
    router.stages.append(craving_stage)
    router.stages.append(number_stage)
    router.pending[ASK_DISTRACTION] = typed_distraction
    router.menu["menu.craving"] = menu_craving
    router.menu["menu.breathe"] = menu_breathe
    scheduler.register(app, "follow_ups", follow_up_work)
