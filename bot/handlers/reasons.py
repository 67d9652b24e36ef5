"""Reasons for recovery: a sentence or a photo (kept by its Telegram file id)."""

from __future__ import annotations

import html
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.handlers.common import (
    Context,
    button_invalid,
    catalog,
    clean_text,
    consented,
    edit_or_send,
    load_user,
    reply,
    svc,
    user_id_of,
)
from bot.handlers.router import TextRouter
from bot.keyboards import button, cb, inline, int_arg, parse
from storage.models import PendingInput, User
from storage.repositories import pending
from storage.repositories import reasons as repo

ASK_REASON = "reason"
MAX_REASON = 500
MAX_REASONS = 30


async def show(update: Update, context: Context, user: User, *, manage: bool = True) -> None:
    """Send the person's reasons: texts in one message, photos as photos."""
    t = catalog(context, user)
    async with svc(context).db.session() as s:
        reasons = await repo.list_for(s, user.id)
    add = [button(t.t("reasons.add"), cb("reason", "new"))]
    if not reasons:
        await reply(update, context, t.t("reasons.list_empty"), inline([add]))
        return
    lines = [t.t("reasons.list_title")]
    rows = []
    for i, r in enumerate(reasons, 1):
        label = t.t("reasons.photo_label", number=i)
        lines.append(f"{i}. " + (html.escape(r.text, quote=False) if r.text else label))
        if manage:
            rows.append([button(t.t("reasons.delete", number=i), cb("reason", "del", r.id))])
    rows.append(add)
    for r in reasons:
        if r.photo_file_id:
            await context.bot.send_photo(user.id, r.photo_file_id,
                                         caption=t.t("reasons.photo_caption"))
    await reply(update, context, "\n".join(lines), inline(rows) if manage else None)


async def has_reasons(context: Context, user: User) -> bool:
    async with svc(context).db.session() as s:
        return bool(await repo.list_for(s, user.id))


@consented
async def reasons_command(update: Update, context: Context, user: User) -> None:
    await show(update, context, user)


async def menu_reasons(update: Update, context: Context, user: User) -> None:
    await show(update, context, user)


async def begin_new_reason(update: Update, context: Context, user: User, *,
                           then: str = "menu") -> None:
    s = svc(context)
    async with s.db.session() as session:
        await pending.set_(session, user.id, ASK_REASON, s.clock.now(), {"then": then})
    await reply(update, context, catalog(context, user).t("reasons.ask"))


async def typed_reason(update: Update, context: Context, user: User, row: PendingInput) -> None:
    t = catalog(context, user)
    message = update.effective_message
    assert message is not None
    s = svc(context)
    photo_id = message.photo[-1].file_id if message.photo else None
    text: str | None = None
    if photo_id is None:
        text, problem = clean_text(message.text, MAX_REASON)
        if text is None:
            await reply(update, context, t.t(problem or "common.empty_text", limit=MAX_REASON))
            return
    async with s.db.session() as session:
        if len(await repo.list_for(session, user.id)) >= MAX_REASONS:
            await pending.clear(session, user.id)
            await reply(update, context, t.t("reasons.too_many", limit=MAX_REASONS))
            return
        await repo.add(session, user.id, s.clock.now(), text=text, photo_file_id=photo_id)
        await pending.clear(session, user.id)
    if text is not None:
        await reply(update, context, t.t("reasons.saved_text", text=text))
    else:
        await reply(update, context, t.t("reasons.saved_photo"))
    if row.data.get("then") == "onboarding":
        from bot.handlers.onboarding import finish

        await finish(update, context)


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    user = await load_user(context, user_id_of(update))
    t = catalog(context, user, update)
    parsed = parse(query.data, "reason")
    if user is None or parsed is None:
        await button_invalid(query, t)
        return
    action, args = parsed
    if action == "new" and not args:
        await query.answer()
        await begin_new_reason(update, context, user)
        return
    if action == "del":
        reason_id = int_arg(args)
        if reason_id is not None:
            async with svc(context).db.session() as s:
                deleted = await repo.delete(s, user.id, reason_id)
            if deleted:
                await query.answer()
                await edit_or_send(update, context, t.t("reasons.deleted"))
                return
    await button_invalid(query, t)


def register(app: Application[Any, Any, Any, Any, Any, Any], router: TextRouter) -> None:
    app.add_handler(CommandHandler("reasons", reasons_command))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^reason:"))
    router.pending[ASK_REASON] = typed_reason
    router.menu["menu.reasons"] = menu_reasons
