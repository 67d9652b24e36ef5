"""Small helpers every feature uses: who is this, which texts, answer and reply."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from telegram import CallbackQuery, Message, ReplyKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.keyboards import parse
from bot.services import Services, services
from content import Catalog
from storage.models import PendingInput, User
from storage.repositories import pending, users

Context = ContextTypes.DEFAULT_TYPE
Markup = Any


async def load_user(context: Context, user_id: int) -> User | None:
    async with services(context).db.connection() as conn:
        return await users.load(conn, user_id)


async def pending_of(context: Context, user: User, kind: str) -> PendingInput | None:
    """What this person's pending input is, when it is of `kind` (a button of that step)."""
    async with services(context).db.session() as s:
        row = await pending.get(s, user.id)
    return row if row is not None and row.kind == kind else None


def catalog(context: Context, user: User | None = None, update: Update | None = None) -> Catalog:
    locale = user.locale if user is not None else None
    if locale is None and update is not None and update.effective_user is not None:
        locale = update.effective_user.language_code
    return services(context).catalog(locale)


def svc(context: Context) -> Services:
    return services(context)


async def send(context: Context, chat_id: int, text: str, markup: Markup = None) -> Message:
    return await context.bot.send_message(chat_id, text, reply_markup=markup)


async def reply(update: Update, context: Context, text: str, markup: Markup = None) -> Message:
    chat = update.effective_chat
    assert chat is not None
    return await context.bot.send_message(chat.id, text, reply_markup=markup)


async def edit_or_send(update: Update, context: Context, text: str, markup: Markup = None,
                       ) -> Message | bool:
    """Edit the message a button sits on; send anew when it can't be edited."""
    query = update.callback_query
    if query is not None and query.message is not None and not isinstance(
        markup, ReplyKeyboardMarkup
    ):
        try:
            return await query.edit_message_text(text, reply_markup=markup)
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return True
    return await reply(update, context, text, markup)


async def button_invalid(query: CallbackQuery, t: Catalog) -> None:
    """Stale or forged buttons: say so politely and change nothing."""
    await query.answer(t.t("common.button_invalid"), show_alert=False)


ANSWERED = "answered"  # a button action that showed its own pop-up
ButtonAction = Callable[[Update, Context, User, list[str]], Awaitable[bool | str]]


def button_router(feature: str, actions: Mapping[str, ButtonAction],
                  ) -> Callable[[Update, Context], Awaitable[None]]:
    """One callback handler for `feature:action:args` buttons of consented people: an
    unknown action, a stranger, or an action that returns False changes nothing and
    says the button is no longer valid."""

    async def on_button(update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None
        user = await load_user(context, user_id_of(update))
        t = catalog(context, user, update)
        parsed = parse(query.data, feature)
        action = actions.get(parsed[0]) if parsed is not None else None
        result = (await action(update, context, user, parsed[1])
                  if user is not None and action is not None and parsed is not None else False)
        if not result:
            await button_invalid(query, t)
        elif result != ANSWERED:
            await query.answer()

    return on_button


def user_id_of(update: Update) -> int:
    assert update.effective_user is not None
    return update.effective_user.id


def clean_text(raw: str | None, limit: int) -> tuple[str | None, str | None]:
    """(text, None) when acceptable, else (None, content key of the problem)."""
    text = " ".join((raw or "").split())
    if not text:
        return None, "common.empty_text"
    if len(text) > limit:
        return None, "common.too_long"
    return text, None


UserCommand = Callable[[Update, Context, User], Awaitable[None]]


def consented(handler: UserCommand) -> Callable[[Update, Context], Awaitable[None]]:
    """A command for people who consented, called with their User; anyone else is told
    how to start, and nothing else happens."""

    @functools.wraps(handler)
    async def run(update: Update, context: Context) -> None:
        user = await load_user(context, user_id_of(update))
        if user is None:
            await reply(update, context, catalog(context, None, update).t("common.need_consent"))
            return
        await handler(update, context, user)

    return run
