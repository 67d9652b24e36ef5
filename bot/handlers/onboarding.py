"""/start with consent first (nothing is stored before it), then first plan and reasons."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application as _App
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import invites
from bot.handlers.common import (
    Context,
    button_invalid,
    catalog,
    edit_or_send,
    load_user,
    reply,
    svc,
    user_id_of,
)
from bot.keyboards import button, cb, inline, main_menu, parse
from storage.repositories import pending, users


async def start(update: Update, context: Context) -> None:
    if context.args and invites.is_invite(context.args[0]):
        from bot.handlers.support import start_with_invite  # support owns invitations

        await start_with_invite(update, context, context.args[0])
        return
    user = await load_user(context, user_id_of(update))
    t = catalog(context, user, update)
    if user is not None:
        await reply(update, context, t.t("onboarding.welcome_back"), main_menu(t))
        return
    await reply(update, context, t.t("onboarding.consent"), inline([
        [button(t.t("onboarding.consent_yes"), cb("consent", "yes"))],
        [button(t.t("onboarding.consent_no"), cb("consent", "no"))],
    ]))


async def on_consent(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    user_id = user_id_of(update)
    t = catalog(context, None, update)
    parsed = parse(query.data, "consent")
    if parsed is None or parsed[0] not in ("yes", "no") or parsed[1]:
        await button_invalid(query, t)
        return
    await query.answer()
    if parsed[0] == "no":
        if await load_user(context, user_id) is None:
            await edit_or_send(update, context, t.t("onboarding.declined"))
        return
    s = svc(context)
    locale = update.effective_user.language_code if update.effective_user else None
    async with s.db.session() as session:
        await users.create(session, user_id, s.clock.now(),
                           locale=s.texts.get(locale).locale,
                           timezone=s.settings.default_timezone,
                           country=s.settings.default_country)
    from bot.handlers.privacy import discreet_choice  # privacy owns discreet mode

    # The consent text stays as it was agreed to; its buttons go. The welcome brings the
    # 🆘 keyboard at once, before the optional steps.
    await query.edit_message_reply_markup(None)
    await reply(update, context, t.t("onboarding.welcome"), main_menu(t))
    await reply(update, context, t.t("privacy.discreet_ask"), discreet_choice(t))
    await reply(update, context, t.t("onboarding.offer_plan"), inline([[
        button(t.t("onboarding.make_plan"), cb("onb", "plan")),
        button(t.t("onboarding.later"), cb("onb", "reasons")),
    ]]))


async def on_onboarding(update: Update, context: Context) -> None:
    """Steps after consent; each can be skipped and picked up later."""
    query = update.callback_query
    assert query is not None
    user = await load_user(context, user_id_of(update))
    t = catalog(context, user, update)
    parsed = parse(query.data, "onb")
    if user is None or parsed is None or parsed[0] not in ("plan", "reasons", "reason", "done"):
        await button_invalid(query, t)
        return
    await query.answer()
    action = parsed[0]
    if action == "plan":
        from bot.handlers.plans import begin_new_plan  # one feature owns plan creation

        await query.edit_message_reply_markup(None)
        await begin_new_plan(update, context, user, then="onboarding")
    elif action == "reasons":
        await edit_or_send(update, context, t.t("onboarding.offer_reasons"), inline([[
            button(t.t("onboarding.add_reason"), cb("onb", "reason")),
            button(t.t("onboarding.later"), cb("onb", "done")),
        ]]))
    elif action == "reason":
        from bot.handlers.reasons import begin_new_reason

        await query.edit_message_reply_markup(None)
        await begin_new_reason(update, context, user, then="onboarding")
    else:
        await finish(update, context)


async def finish(update: Update, context: Context) -> None:
    user_id = user_id_of(update)
    s = svc(context)
    async with s.db.session() as session:
        user = await users.update(session, user_id, onboarded=True)
        await pending.clear(session, user_id)
    t = catalog(context, user, update)
    if update.callback_query is not None:
        await edit_or_send(update, context, t.t("onboarding.done"))
        await reply(update, context, t.t("common.back_to_menu"), main_menu(t))
    else:
        await reply(update, context, t.t("onboarding.done"), main_menu(t))
    if user is not None and user.recovery_start is None:
        from bot.handlers.progress import ask_recovery_start  # milestones own the question

        await ask_recovery_start(update, context, user)


async def help_command(update: Update, context: Context) -> None:
    user = await load_user(context, user_id_of(update))
    t = catalog(context, user, update)
    await reply(update, context, t.t("onboarding.help"), main_menu(t) if user else None)


async def cancel(update: Update, context: Context) -> None:
    user_id = user_id_of(update)
    async with svc(context).db.session() as session:
        await pending.clear(session, user_id)
        user = await users.get(session, user_id)
    t = catalog(context, user, update)
    await reply(update, context, t.t("common.cancelled"), main_menu(t) if user else None)


def register(app: _App) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CommandHandler("cancel", cancel))
    app.add_handler(CallbackQueryHandler(on_consent, pattern=r"^consent:"))
    app.add_handler(CallbackQueryHandler(on_onboarding, pattern=r"^onb:"))
