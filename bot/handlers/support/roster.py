"""The person's side: /supporters lists their support people in alert order, adds one by
name, role and optional phone number (then an invitation link), reorders, renews a link,
removes, and chooses plain or neutral alert wording."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardButton, Update

from bot import invites
from bot.handlers.common import (
    Context,
    catalog,
    consented,
    edit_or_send,
    pending_of,
    reply,
    svc,
)
from bot.handlers.router import bare
from bot.handlers.support.common import MAX_SUPPORTERS, App, notice_text, share_url, tell
from bot.keyboards import button, cb, inline, int_arg
from content import Catalog
from storage.models import PendingInput, Supporter, User
from storage.repositories import pending, supporters, users

ASK_NAME, ASK_ROLE, ASK_PHONE = "supporter_name", "supporter_role", "supporter_phone"
INVITE_DAYS = 7


def _state(t: Catalog, row: Supporter, now: Any) -> str:
    if row.status == supporters.ACTIVE:
        if row.unreachable:
            return t.t("support.state.unreachable")
        if row.muted_until is not None and row.muted_until > now:
            return t.t("support.state.paused")
        return t.t("support.state.active")
    if row.token_expires_at is None or row.token_expires_at <= now:
        return t.t("support.state.expired")
    days = max(1, math.ceil((row.token_expires_at - now).total_seconds() / 86400))
    return t.t("support.state.invited", days=days)


def person_name(update: Update) -> str:
    first = update.effective_user.first_name if update.effective_user else ""
    return " ".join((first or "").split())[: invites.NAME_LIMIT] or "Your friend"


async def show_list(update: Update, context: Context, user: User, *, edit: bool = False,
                    ) -> None:
    s = svc(context)
    t = catalog(context, user)
    now = s.clock.now()
    async with s.db.session() as session:
        rows = await supporters.for_person(session, user.id)
    if not rows:
        text = t.t("support.list_empty")
    else:
        lines = [t.t("support.list_title")]
        lines += [t.t("support.list_line", n=i, name=r.name, role=t.t(f"support.roles.{r.role}"),
                      state=_state(t, r, now)) for i, r in enumerate(rows, start=1)]
        name = person_name(update)
        lines.append(t.t("support.wording_neutral" if user.alert_neutral
                         else "support.wording_plain", name=name))
        text = "\n".join(lines)
    keys: list[list[InlineKeyboardButton]] = []
    for i, r in enumerate(rows):
        row = [button(t.t("support.buttons.remove", name=r.name), cb("sup", "rm", r.id))]
        if i > 0:
            row.insert(0, button(t.t("support.buttons.up", name=r.name), cb("sup", "up", r.id)))
        keys.append(row)
        if r.status == supporters.INVITED:
            keys.append([button(t.t("support.buttons.new_link", name=r.name),
                                cb("sup", "link", r.id))])
    if len(rows) < MAX_SUPPORTERS:
        keys.append([button(t.t("support.buttons.add"), cb("sup", "add"))])
    if rows:
        keys.append([button(t.t("support.buttons.wording_plain" if user.alert_neutral
                                else "support.buttons.wording_neutral"), cb("sup", "wording"))])
    markup = inline(keys)
    if edit:
        await edit_or_send(update, context, text, markup)
    else:
        await reply(update, context, text, markup)


@consented
async def supporters_command(update: Update, context: Context, user: User) -> None:
    await show_list(update, context, user)


# --- adding -------------------------------------------------------------------------------------
async def begin_add(update: Update, context: Context, user: User) -> None:
    s = svc(context)
    t = catalog(context, user)
    async with s.db.session() as session:
        count = len(await supporters.for_person(session, user.id))
        if count < MAX_SUPPORTERS:
            await pending.set_(session, user.id, ASK_NAME, s.clock.now())
    if count >= MAX_SUPPORTERS:
        await reply(update, context, t.t("support.too_many", limit=MAX_SUPPORTERS))
        return
    await reply(update, context, t.t("support.ask_name"), inline([[
        button(t.t("support.buttons.cancel"), cb("sup", "cancel"))]]))


def _role_buttons(t: Catalog) -> Any:
    return inline([[button(t.t(f"support.roles.{r}").capitalize(), cb("sup", "role", r))
                    for r in invites.ROLES[:2]],
                   [button(t.t(f"support.roles.{r}").capitalize(), cb("sup", "role", r))
                    for r in invites.ROLES[2:]],
                   [button(t.t("support.buttons.cancel"), cb("sup", "cancel"))]])


async def typed_name(update: Update, context: Context, user: User, row: PendingInput) -> None:
    t = catalog(context, user)
    message = update.effective_message
    name, problem = invites.clean_name(message.text if message else None)
    if name is None:
        await reply(update, context, t.t(f"support.name_{problem}", limit=invites.NAME_LIMIT))
        return
    s = svc(context)
    async with s.db.session() as session:
        await pending.set_(session, user.id, ASK_ROLE, s.clock.now(), {"name": name})
    await reply(update, context, t.t("support.ask_role", name=name), _role_buttons(t))


async def _ask_phone(update: Update, context: Context, user: User, name: str, role: str,
                     ) -> None:
    s = svc(context)
    t = catalog(context, user)
    async with s.db.session() as session:
        await pending.set_(session, user.id, ASK_PHONE, s.clock.now(),
                           {"name": name, "role": role})
    await reply(update, context, t.t("support.ask_phone", name=name), inline([[
        button(t.t("support.buttons.skip_phone"), cb("sup", "skip")),
        button(t.t("support.buttons.cancel"), cb("sup", "cancel"))]]))


async def typed_role(update: Update, context: Context, user: User, row: PendingInput) -> None:
    t = catalog(context, user)
    message = update.effective_message
    typed = bare(message.text or "") if message else ""
    role = next((r for r in invites.ROLES if bare(t.t(f"support.roles.{r}")) == typed), None)
    name = str(row.data.get("name", ""))
    if role is None:
        await reply(update, context, t.t("support.ask_role", name=name), _role_buttons(t))
        return
    await _ask_phone(update, context, user, name, role)


async def typed_phone(update: Update, context: Context, user: User, row: PendingInput) -> None:
    t = catalog(context, user)
    message = update.effective_message
    raw = message.text if message else None
    if message is not None and message.contact is not None:
        raw = message.contact.phone_number
    phone = invites.clean_phone(raw, user.country)
    if phone is None:
        await reply(update, context, t.t("support.phone_invalid"), inline([[
            button(t.t("support.buttons.skip_phone"), cb("sup", "skip"))]]))
        return
    await _create_invite(update, context, user, row.data, phone)


async def _create_invite(update: Update, context: Context, user: User, data: dict[str, Any],
                         phone: str | None) -> bool:
    name, role = str(data.get("name", "")), str(data.get("role", ""))
    if invites.clean_name(name)[0] is None or role not in invites.ROLES:
        return False
    s = svc(context)
    t = catalog(context, user)
    token = invites.new_token()
    now = s.clock.now()
    async with s.db.session() as session:
        await pending.clear(session, user.id)
        if len(await supporters.for_person(session, user.id)) >= MAX_SUPPORTERS:
            full = True
        else:
            full = False
            await supporters.add_invite(
                session, user.id, name=name, role=role, phone=phone,
                person_name=person_name(update), token_hash=invites.token_hash(token),
                expires_at=now + timedelta(days=INVITE_DAYS), now=now)
    if full:
        await reply(update, context, t.t("support.too_many", limit=MAX_SUPPORTERS))
        return True
    await _send_link(update, context, t, name, token, "support.invite_ready")
    return True


async def _send_link(update: Update, context: Context, t: Catalog, name: str, token: str,
                     key: str) -> None:
    link = invites.deep_link(context.bot.username, token)
    await reply(update, context, t.t(key, name=name, link=link), inline([
        [InlineKeyboardButton(t.t("support.buttons.share_invite"), url=share_url(
            t.t("support.invite_share_text", name=name), link))],
    ]))


# --- buttons ------------------------------------------------------------------------------------

async def b_add(update: Update, context: Context, user: User, args: list[str]) -> bool:
    if args:
        return False
    await begin_add(update, context, user)
    return True


async def b_role(update: Update, context: Context, user: User, args: list[str]) -> bool:
    row = await pending_of(context, user, ASK_ROLE)
    if row is None or len(args) != 1 or args[0] not in invites.ROLES:
        return False
    await _ask_phone(update, context, user, str(row.data.get("name", "")), args[0])
    return True


async def b_skip(update: Update, context: Context, user: User, args: list[str]) -> bool:
    row = await pending_of(context, user, ASK_PHONE)
    if row is None or args:
        return False
    return await _create_invite(update, context, user, row.data, None)


async def b_cancel(update: Update, context: Context, user: User, args: list[str]) -> bool:
    async with svc(context).db.session() as session:
        row = await pending.get(session, user.id)
        if row is None or row.kind not in (ASK_NAME, ASK_ROLE, ASK_PHONE):
            return False
        await pending.clear(session, user.id)
    await edit_or_send(update, context, catalog(context, user).t("common.cancelled"))
    return True


async def _owned(context: Context, user: User, args: list[str]) -> Supporter | None:
    if len(args) != 1:
        return None
    async with svc(context).db.session() as session:
        return await supporters.owned(session, user.id, int_arg(args))


async def b_up(update: Update, context: Context, user: User, args: list[str]) -> bool:
    row = await _owned(context, user, args)
    if row is None:
        return False
    async with svc(context).db.session() as session:
        moved = await supporters.move_up(session, user.id, row.id)
    if not moved:
        return False
    await show_list(update, context, user, edit=True)
    return True


async def b_remove(update: Update, context: Context, user: User, args: list[str]) -> bool:
    row = await _owned(context, user, args)
    if row is None:
        return False
    t = catalog(context, user)
    await edit_or_send(update, context, t.t("support.remove_confirm", name=row.name), inline([
        [button(t.t("support.buttons.remove_yes", name=row.name), cb("sup", "rmok", row.id))],
        [button(t.t("support.buttons.remove_no"), cb("sup", "rmno", row.id))],
    ]))
    return True


async def b_remove_ok(update: Update, context: Context, user: User, args: list[str]) -> bool:
    s = svc(context)
    async with s.db.session() as session:
        row = await supporters.owned(session, user.id, int_arg(args) if len(args) == 1 else None)
        if row is None:
            return False
        name, chat_id, person = row.name, row.supporter_chat_id, row.person_name
        active = row.status == supporters.ACTIVE
        await supporters.remove(session, row)
    t = catalog(context, user)
    await edit_or_send(update, context, t.t("support.removed", name=name))
    if active and chat_id is not None:
        await tell_link_ended(context.application, chat_id, person, user.locale)
    return True


async def tell_link_ended(app: App, chat_id: int, person: str, locale: str | None) -> None:
    """Tell a support person the person ended the link (in their own discreet setting
    when they also use the bot for themselves)."""
    s = app.bot_data["services"]
    async with s.db.session() as session:
        them = await users.get(session, chat_id)
    t = s.catalog(them.locale if them is not None else locale)
    await tell(app, chat_id, notice_text(t, them, "privacy.supporter_link_ended", name=person))


async def b_remove_no(update: Update, context: Context, user: User, args: list[str]) -> bool:
    row = await _owned(context, user, args)
    if row is None:
        return False
    await edit_or_send(update, context, catalog(context, user).t("support.kept", name=row.name))
    return True


async def b_new_link(update: Update, context: Context, user: User, args: list[str]) -> bool:
    s = svc(context)
    token = invites.new_token()
    async with s.db.session() as session:
        row = await supporters.owned(session, user.id, int_arg(args) if len(args) == 1 else None)
        if row is None or row.status != supporters.INVITED:
            return False
        await supporters.renew_token(row, invites.token_hash(token),
                                     s.clock.now() + timedelta(days=INVITE_DAYS))
        name = row.name
    await _send_link(update, context, catalog(context, user), name, token,
                     "support.new_link_ready")
    return True


async def b_wording(update: Update, context: Context, user: User, args: list[str]) -> bool:
    if args:
        return False
    async with svc(context).db.session() as session:
        updated = await users.update(session, user.id, alert_neutral=not user.alert_neutral)
    assert updated is not None
    t = catalog(context, updated)
    key = "support.wording_now_neutral" if updated.alert_neutral else "support.wording_now_plain"
    await reply(update, context, t.t(key, name=person_name(update)))
    await show_list(update, context, updated, edit=True)
    return True


BUTTONS = {"add": b_add, "role": b_role, "skip": b_skip, "cancel": b_cancel, "up": b_up,
           "rm": b_remove, "rmok": b_remove_ok, "rmno": b_remove_no, "link": b_new_link,
           "wording": b_wording}
