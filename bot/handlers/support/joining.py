"""The support person's side: opening an invitation link, Accept or Decline, /supporting
with pause and stop. Support people need not use the bot for themselves; nothing about
them is kept unless they accept, and then only their chat id on the link."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram import InlineKeyboardButton, Update

from bot import invites
from bot.handlers.common import (
    ANSWERED,
    Context,
    button_invalid,
    catalog,
    edit_or_send,
    reply,
    svc,
    user_id_of,
)
from bot.handlers.support import alerting
from bot.handlers.support.common import TRY_WINDOW, notice_text, tell
from bot.keyboards import button, cb, inline, int_arg, parse
from storage.models import Supporter
from storage.repositories import supporters, users

log = logging.getLogger(__name__)

TRY_LIMIT = 5  # failed links per chat per hour
MUTE = timedelta(hours=8)


async def start_with_invite(update: Update, context: Context, parameter: str) -> None:
    """`/start sup_<token>`: show who is asking and exactly what accepting means."""
    s = svc(context)
    t = catalog(context, None, update)
    chat_id = user_id_of(update)
    now = s.clock.now()
    token = invites.token_from(parameter)
    async with s.db.session() as session:
        if not await supporters.allow_token_try(session, chat_id, now, window=TRY_WINDOW,
                                                limit=TRY_LIMIT):
            answer, values = "support.link_tries", {}
            row = None
        else:
            row = await supporters.by_token(session, invites.token_hash(token)) if token else None
            answer, values = "support.link_invalid", {}
            if row is None:
                await supporters.token_failed(session, chat_id, now, window=TRY_WINDOW)
            elif row.user_id == chat_id:
                answer, row = "support.own_link", None
            elif row.token_expires_at is None or row.token_expires_at <= now:
                answer, values, row = "support.link_expired", {"person": row.person_name}, None
            elif any(r.user_id == row.user_id for r in await supporters.supported_by(
                    session, chat_id)):
                answer, values, row = "support.already", {"person": row.person_name}, None
            else:
                row.opened_by = chat_id
                answer, values = "support.invitation", {"person": row.person_name}
                row_id = row.id
    if row is None:
        await reply(update, context, t.t(answer, **values))
        return
    log.info("invitation opened")
    await reply(update, context, t.t(answer, **values), inline([
        [button(t.t("support.accept"), cb("inv", "acc", row_id))],
        [button(t.t("support.decline"), cb("inv", "dec", row_id))],
    ]))


async def _invite_answer(update: Update, context: Context, args: list[str]) -> bool:
    if len(args) != 2 or args[0] not in ("acc", "dec") or int_arg(args, 1) is None:
        return False
    s = svc(context)
    chat_id = user_id_of(update)
    now = s.clock.now()
    async with s.db.session() as session:
        row = await session.get(Supporter, int_arg(args, 1))
        if (row is None or row.status != supporters.INVITED or row.opened_by != chat_id
                or row.token_hash is None or row.token_expires_at is None
                or row.token_expires_at <= now or row.user_id == chat_id):
            return False
        person_id, person_name, name = row.user_id, row.person_name, row.name
        if args[0] == "acc":
            await supporters.accept(row, chat_id, now)
        else:
            await supporters.remove(session, row)
        person = await users.get(session, person_id)
    t = catalog(context, None, update)
    if args[0] == "acc":
        log.info("invitation accepted")
        await edit_or_send(update, context, t.t("support.accepted", person=person_name))
    else:
        log.info("invitation declined")
        await edit_or_send(update, context, t.t("support.declined"))
    if person is not None:
        pt = svc(context).catalog(person.locale)
        key = "support.told_accepted" if args[0] == "acc" else "support.told_declined"
        await tell(context.application, person.id, notice_text(pt, person, key, name=name))
    return True


# --- /supporting ------------------------------------------------------------------------------
async def supporting_command(update: Update, context: Context) -> None:
    await _show_supporting(update, context, edit=False)


async def _show_supporting(update: Update, context: Context, *, edit: bool) -> None:
    s = svc(context)
    t = catalog(context, None, update)
    chat_id = user_id_of(update)
    now = s.clock.now()
    async with s.db.session() as session:
        await supporters.set_reachable(session, chat_id, True)
        rows = await supporters.supported_by(session, chat_id)
    if not rows:
        text, markup = t.t("support.supporting_none"), None
    else:
        lines = [t.t("support.supporting_title")]
        keys: list[list[InlineKeyboardButton]] = []
        for r in rows:
            muted = r.muted_until is not None and r.muted_until > now
            until = r.muted_until.strftime("%H:%M") if muted and r.muted_until else ""
            lines.append(t.t("support.supporting_line", person=r.person_name,
                             muted=t.t("support.supporting_muted", until=until) if muted
                             else ""))
            keys.append([
                button(t.t("support.supporting_buttons.unmute" if muted
                           else "support.supporting_buttons.mute", person=r.person_name),
                       cb("spt", "unmute" if muted else "mute", r.id)),
                button(t.t("support.supporting_buttons.stop", person=r.person_name),
                       cb("spt", "stop", r.id)),
            ])
        text, markup = "\n".join(lines), inline(keys)
    if edit:
        await edit_or_send(update, context, text, markup)
    else:
        await reply(update, context, text, markup)


async def _supporting_button(update: Update, context: Context, args: list[str]) -> bool:
    if len(args) != 2 or args[0] not in ("mute", "unmute", "stop", "stopok", "stopno"):
        return False
    action, link_id = args[0], int_arg(args, 1)
    s = svc(context)
    chat_id = user_id_of(update)
    t = catalog(context, None, update)
    async with s.db.session() as session:
        row = await session.get(Supporter, link_id) if link_id is not None else None
        if row is None or row.supporter_chat_id != chat_id or row.status != supporters.ACTIVE:
            return False
        person_id, person_name, name = row.user_id, row.person_name, row.name
        if action == "mute":
            row.muted_until = s.clock.now() + MUTE
        elif action == "unmute":
            row.muted_until = None
        elif action == "stopok":
            await supporters.remove(session, row)
            person = await users.get(session, person_id)
    if action == "stop":
        await edit_or_send(update, context, t.t("support.stop_confirm", person=person_name),
                           inline([[button(t.t("support.supporting_buttons.stop_yes"),
                                           cb("spt", "stopok", link_id))],
                                   [button(t.t("support.supporting_buttons.stop_no"),
                                           cb("spt", "stopno", link_id))]]))
    elif action == "stopok":
        log.info("support link ended by the support person")
        await edit_or_send(update, context, t.t("support.stopped", person=person_name))
        if person is not None:
            pt = s.catalog(person.locale)
            await tell(context.application, person.id,
                       notice_text(pt, person, "support.told_stopped", name=name))
    elif action in ("mute", "unmute"):
        await reply(update, context, t.t(f"support.{action}d", person=person_name))
        await _show_supporting(update, context, edit=True)
    else:
        await _show_supporting(update, context, edit=True)
    return True


Action = Callable[[Update, Context, list[str]], Awaitable[bool | str]]
_FEATURES: dict[str, Action] = {"inv": _invite_answer, "spt": _supporting_button}


async def on_button(update: Update, context: Context) -> None:
    """Buttons of support people, who need not have consented to use the bot themselves:
    each action checks the tapping chat is the one the link names."""
    query = update.callback_query
    assert query is not None
    feature = (query.data or "").split(":", 1)[0]
    parsed = parse(query.data, feature)
    if feature == "ans" and parsed is not None:
        result: bool | str = await alerting.on_answer(update, context, [parsed[0], *parsed[1]])
        result = ANSWERED if result else False
    elif feature in _FEATURES and parsed is not None:
        result = await _FEATURES[feature](update, context, [parsed[0], *parsed[1]])
    else:
        result = False
    if not result:
        await button_invalid(query, catalog(context, None, update))
    elif result != ANSWERED:
        await query.answer()
