"""If-then plans: guided creation (pick or type), list, edit, delete, and `/plan if … then …`."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import plan_text
from bot.handlers.common import (
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
from bot.keyboards import button, cb, inline, int_arg, main_menu
from content import Catalog
from storage.models import PendingInput, Plan, User
from storage.repositories import pending
from storage.repositories import plans as repo

TRIGGERS = ["people", "place", "feeling", "stress", "boredom", "hungry", "angry", "lonely",
            "tired", "other"]
ASK_SITUATION = "plan_situation"
ASK_ACTION = "plan_action"
ASK_EDIT = "plan_edit"


def line(t: Catalog, plan: Plan) -> str:
    return t.t("plans.plan_line", situation=plan.situation, action=plan.action)


def trigger_rows(t: Catalog, feature: str, action: str) -> list[list[Any]]:
    buttons = [button(t.t(f"triggers.labels.{k}"), cb(feature, action, k)) for k in TRIGGERS]
    return [buttons[i:i + 2] for i in range(0, len(buttons), 2)]


async def show_list(update: Update, context: Context, user: User) -> None:
    t = catalog(context, user)
    async with svc(context).db.session() as s:
        plans = await repo.list_for(s, user.id)
    if not plans:
        await reply(update, context, t.t("plans.list_empty"),
                    inline([[button(t.t("plans.new"), cb("plan", "new"))]]))
        return
    lines = [t.t("plans.list_title")] + [f"{i}. {line(t, p)}" for i, p in enumerate(plans, 1)]
    rows = [[button(t.t("plans.edit", number=i), cb("plan", "edit", p.id)),
             button(t.t("plans.delete", number=i), cb("plan", "del", p.id))]
            for i, p in enumerate(plans, 1)]
    rows.append([button(t.t("plans.new"), cb("plan", "new"))])
    await reply(update, context, "\n".join(lines), inline(rows))


@consented
async def plans_command(update: Update, context: Context, user: User) -> None:
    await show_list(update, context, user)


async def menu_plans(update: Update, context: Context, user: User) -> None:
    await show_list(update, context, user)


async def begin_new_plan(update: Update, context: Context, user: User, *,
                         then: str = "menu", trigger: str | None = None) -> None:
    t = catalog(context, user)
    s = svc(context)
    async with s.db.session() as session:
        if await repo.count_for(session, user.id) >= repo.MAX_PLANS:
            await reply(update, context, t.t("plans.too_many", limit=repo.MAX_PLANS))
            return
        await pending.set_(session, user.id, ASK_SITUATION, s.clock.now(),
                           {"then": then, "trigger": trigger})
    if trigger is not None:
        await _ask_situation(update, context, t, trigger)
        return
    rows = trigger_rows(t, "plan", "trig")
    rows.append([button(t.t("plans.cancel"), cb("plan", "cancel"))])
    await reply(update, context, t.t("plans.ask_trigger"), inline(rows))


async def _ask_situation(update: Update, context: Context, t: Catalog, trigger: str) -> None:
    options = t.list(f"triggers.situations.{trigger}")
    rows = [[button(text, cb("plan", "sit", i))] for i, text in enumerate(options)]
    rows.append([button(t.t("plans.cancel"), cb("plan", "cancel"))])
    await edit_or_send(update, context, t.t("plans.ask_situation"), inline(rows))


async def _ask_action(update: Update, context: Context, user: User, situation: str,
                      data: dict[str, Any]) -> None:
    t = catalog(context, user)
    s = svc(context)
    async with s.db.session() as session:
        await pending.set_(session, user.id, ASK_ACTION, s.clock.now(),
                           {**data, "situation": situation})
    actions = t.list("triggers.actions")
    rows = [[button(text, cb("plan", "act", i))] for i, text in enumerate(actions)]
    rows.append([button(t.t("plans.cancel"), cb("plan", "cancel"))])
    await edit_or_send(update, context, t.t("plans.ask_action", situation=situation), inline(rows))


async def _save(update: Update, context: Context, user: User, data: dict[str, Any],
                action: str) -> None:
    t = catalog(context, user)
    s = svc(context)
    async with s.db.session() as session:
        plan = await repo.add(session, user.id, data["situation"], action, s.clock.now(),
                              trigger=data.get("trigger"))
        await pending.clear(session, user.id)
    await edit_or_send(update, context, t.t("plans.saved", situation=plan.situation,
                                            action=plan.action))
    if data.get("then") == "onboarding":
        await reply(update, context, t.t("onboarding.offer_reasons"), inline([[
            button(t.t("onboarding.add_reason"), cb("onb", "reason")),
            button(t.t("onboarding.later"), cb("onb", "done")),
        ]]))
    elif not user.onboarded:
        await reply(update, context, t.t("common.back_to_menu"), main_menu(t))


# --- typed input ------------------------------------------------------------------------------
async def typed_situation(update: Update, context: Context, user: User, row: PendingInput) -> None:
    t = catalog(context, user)
    text, problem = clean_text(update.effective_message.text if update.effective_message
                               else None, plan_text.MAX_PART)
    if text is None or not plan_text.situation(text):
        await reply(update, context, t.t(problem or "common.empty_text",
                                         limit=plan_text.MAX_PART))
        return
    one = plan_text.parse_oneline(text)
    if one is not None:  # they typed the whole plan at once
        await _save(update, context, user, {**row.data, "situation": one[0]}, one[1])
        return
    await _ask_action(update, context, user, plan_text.situation(text), row.data)


async def typed_action(update: Update, context: Context, user: User, row: PendingInput) -> None:
    t = catalog(context, user)
    text, problem = clean_text(update.effective_message.text if update.effective_message
                               else None, plan_text.MAX_PART)
    if text is None or not plan_text.action(text):
        await reply(update, context, t.t(problem or "common.empty_text",
                                         limit=plan_text.MAX_PART))
        return
    await _save(update, context, user, row.data, plan_text.action(text))


async def typed_edit(update: Update, context: Context, user: User, row: PendingInput) -> None:
    t = catalog(context, user)
    text, problem = clean_text(update.effective_message.text if update.effective_message
                               else None, plan_text.MAX_PART)
    field = row.data.get("field")
    tidy = plan_text.situation if field == "situation" else plan_text.action
    if text is None or not tidy(text):
        await reply(update, context, t.t(problem or "common.empty_text",
                                         limit=plan_text.MAX_PART))
        return
    s = svc(context)
    async with s.db.session() as session:
        plan = await repo.update(session, user.id, int(row.data["plan_id"]), s.clock.now(),
                                 **{field: tidy(text)})
        await pending.clear(session, user.id)
    if plan is None:
        await reply(update, context, t.t("common.button_invalid"))
        return
    await reply(update, context, t.t("plans.updated", situation=plan.situation,
                                     action=plan.action))


# --- buttons ---------------------------------------------------------------------------------
async def _b_new(update: Update, context: Context, user: User, args: list[str]) -> bool:
    await begin_new_plan(update, context, user)
    return True



async def _b_trigger(update: Update, context: Context, user: User, args: list[str]) -> bool:
    row = await pending_of(context, user, ASK_SITUATION)
    if row is None or not args or args[0] not in TRIGGERS:
        return False
    s = svc(context)
    async with s.db.session() as session:
        await pending.set_(session, user.id, ASK_SITUATION, s.clock.now(),
                           {**row.data, "trigger": args[0]})
    await _ask_situation(update, context, catalog(context, user), args[0])
    return True


async def _b_situation(update: Update, context: Context, user: User, args: list[str]) -> bool:
    row = await pending_of(context, user, ASK_SITUATION)
    index = int_arg(args)
    trigger = row.data.get("trigger") if row is not None else None
    if row is None or index is None or trigger not in TRIGGERS:
        return False
    options = catalog(context, user).list(f"triggers.situations.{trigger}")
    if index >= len(options):
        return False
    await _ask_action(update, context, user, options[index], row.data)
    return True


async def _b_action(update: Update, context: Context, user: User, args: list[str]) -> bool:
    row = await pending_of(context, user, ASK_ACTION)
    index = int_arg(args)
    options = catalog(context, user).list("triggers.actions")
    if row is None or index is None or index >= len(options) or "situation" not in row.data:
        return False
    await _save(update, context, user, row.data, options[index])
    return True


async def _b_cancel(update: Update, context: Context, user: User, args: list[str]) -> bool:
    async with svc(context).db.session() as s:
        await pending.clear(s, user.id)
    await edit_or_send(update, context, catalog(context, user).t("common.cancelled"))
    return True


async def _owned(context: Context, user: User, args: list[str]) -> Plan | None:
    plan_id = int_arg(args)
    if plan_id is None:
        return None
    async with svc(context).db.session() as s:
        return await repo.get_owned(s, user.id, plan_id)


async def _b_edit(update: Update, context: Context, user: User, args: list[str]) -> bool:
    plan = await _owned(context, user, args)
    if plan is None:
        return False
    t = catalog(context, user)
    await reply(update, context, t.t("plans.edit_which", situation=plan.situation,
                                     action=plan.action), inline([
        [button(t.t("plans.edit_situation"), cb("plan", "es", plan.id))],
        [button(t.t("plans.edit_action"), cb("plan", "ea", plan.id))],
        [button(t.t("plans.cancel"), cb("plan", "cancel"))],
    ]))
    return True


async def _b_edit_field(field: str, update: Update, context: Context, user: User,
                        args: list[str]) -> bool:
    plan = await _owned(context, user, args)
    if plan is None:
        return False
    s = svc(context)
    async with s.db.session() as session:
        await pending.set_(session, user.id, ASK_EDIT, s.clock.now(),
                           {"plan_id": plan.id, "field": field})
    t = catalog(context, user)
    key = "plans.ask_new_situation" if field == "situation" else "plans.ask_new_action"
    await edit_or_send(update, context, t.t(key, situation=plan.situation, action=plan.action))
    return True


async def _b_edit_situation(update: Update, context: Context, user: User, args: list[str]) -> bool:
    return await _b_edit_field("situation", update, context, user, args)


async def _b_edit_action(update: Update, context: Context, user: User, args: list[str]) -> bool:
    return await _b_edit_field("action", update, context, user, args)


async def _b_delete(update: Update, context: Context, user: User, args: list[str]) -> bool:
    plan = await _owned(context, user, args)
    if plan is None:
        return False
    t = catalog(context, user)
    await reply(update, context, t.t("plans.confirm_delete", situation=plan.situation,
                                     action=plan.action), inline([[
        button(t.t("plans.confirm_yes"), cb("plan", "dok", plan.id)),
        button(t.t("plans.confirm_no"), cb("plan", "dno", plan.id)),
    ]]))
    return True


async def _b_delete_ok(update: Update, context: Context, user: User, args: list[str]) -> bool:
    plan_id = int_arg(args)
    if plan_id is None:
        return False
    async with svc(context).db.session() as s:
        deleted = await repo.delete(s, user.id, plan_id)
    if not deleted:
        return False
    await edit_or_send(update, context, catalog(context, user).t("plans.deleted"))
    return True


async def _b_delete_no(update: Update, context: Context, user: User, args: list[str]) -> bool:
    await edit_or_send(update, context, catalog(context, user).t("plans.kept"))
    return True


_BUTTONS = {
    "new": _b_new, "trig": _b_trigger, "sit": _b_situation, "act": _b_action,
    "cancel": _b_cancel, "edit": _b_edit, "es": _b_edit_situation, "ea": _b_edit_action,
    "del": _b_delete, "dok": _b_delete_ok, "dno": _b_delete_no,
}


@consented
async def plan_command(update: Update, context: Context, user: User) -> None:
    """`/plan if <situation> then <action>` saves at once; bare `/plan` starts the guide."""
    t = catalog(context, user, update)
    message = update.effective_message
    raw = (message.text or "") if message else ""
    rest = raw.split(maxsplit=1)[1] if len(raw.split(maxsplit=1)) > 1 else ""
    if not rest.strip():
        await begin_new_plan(update, context, user)
        return
    parsed = plan_text.parse_oneline(rest)
    if parsed is None:
        await reply(update, context, t.t("plans.oneline_help"))
        return
    if max(len(parsed[0]), len(parsed[1])) > plan_text.MAX_PART:
        await reply(update, context, t.t("common.too_long", limit=plan_text.MAX_PART))
        return
    s = svc(context)
    async with s.db.session() as session:
        if await repo.count_for(session, user.id) >= repo.MAX_PLANS:
            await reply(update, context, t.t("plans.too_many", limit=repo.MAX_PLANS))
            return
        plan = await repo.add(session, user.id, parsed[0], parsed[1], s.clock.now())
    await reply(update, context, t.t("plans.saved", situation=plan.situation, action=plan.action))


def register(app: Application[Any, Any, Any, Any, Any, Any], router: TextRouter) -> None:
    app.add_handler(CommandHandler("plans", plans_command))
    app.add_handler(CommandHandler("plan", plan_command))
    app.add_handler(CallbackQueryHandler(button_router("plan", _BUTTONS), pattern=r"^plan:"))
    router.pending[ASK_SITUATION] = typed_situation
    router.pending[ASK_ACTION] = typed_action
    router.pending[ASK_EDIT] = typed_edit
    router.menu["menu.plans"] = menu_plans
