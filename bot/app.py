"""build_application(): every handler registered in one place, in order."""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommand, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    CallbackQueryHandler,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import exercises, lifecycle, scheduler
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.handlers import (
    checkin,
    craving,
    errors,
    gate,
    onboarding,
    pacer,
    plans,
    privacy,
    reasons,
    safety,
    stats,
    support,
)
from bot.handlers.common import Context, button_invalid, catalog
from bot.handlers.router import ROUTER_KEY, TextRouter
from bot.http_client import AiohttpRequest
from bot.metrics import Metrics
from bot.pacing import JobQueueSteps, ManualSteps, StepScheduler
from bot.sender import TwoLaneRateLimiter
from bot.services import KEY, Services
from bot.update_processor import PerUserUpdateProcessor
from content import Texts
from content import load as load_texts
from storage.crypto import FieldCipher, load_or_create_keys
from storage.db import Database

log = logging.getLogger(__name__)

COMMANDS = ["craving", "alert", "supporters", "supporting", "plans", "plan", "reasons",
            "breathe", "checkin", "progress", "since", "goals", "stats", "settings", "timezone",
            "pause", "helpnow", "country", "discreet", "export", "delete", "help", "start",
            "cancel"]

App = Application[Any, Any, Any, Any, Any, Any]


def open_database(settings: Settings) -> Database:
    keys = load_or_create_keys(
        settings.data_key.get_secret_value() if settings.data_key else None, settings.data_dir
    )
    return Database(settings.database_url, FieldCipher(keys))


async def _post_init(app: App) -> None:
    s: Services = app.bot_data[KEY]
    t = s.texts.default
    commands = [BotCommand(name, t.t(f"commands.{name}")) for name in COMMANDS
                if t.has(f"commands.{name}") and name in app.bot_data.get("commands", set())]
    try:
        await app.bot.set_my_commands(commands)
    except TelegramError as exc:  # cosmetic: never stops the bot
        log.warning("could not set the command menu: %s", type(exc).__name__)
    if app.bot_data.get("use_job_queue"):
        scheduler.start(app, s.settings.tick_seconds)


async def _post_shutdown(app: App) -> None:
    await app.bot_data[KEY].db.dispose()


async def _unknown_command(update: Any, context: Context) -> None:
    await context.bot.send_message(update.effective_chat.id,
                                   catalog(context, None, update).t("common.unknown_command"))


async def _stale_button(update: Any, context: Context) -> None:
    query = update.callback_query
    await button_invalid(query, catalog(context, None, update))


def build_application(settings: Settings, token: str, *, request: BaseRequest | None = None,
                      clock: Clock | None = None, db: Database | None = None,
                      texts: Texts | None = None, job_queue: bool = True,
                      rate_limiter: BaseRateLimiter[Any] | None = None) -> App:
    texts = texts or load_texts()
    db = db or open_database(settings)
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_api_base_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML,
                           link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .application_class(lifecycle.CompanionApplication)
        .concurrent_updates(PerUserUpdateProcessor(256))
        .rate_limiter(rate_limiter or TwoLaneRateLimiter(
            overall_per_second=30.0 / settings.replicas))  # each replica takes its share
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    else:
        builder = builder.request(AiohttpRequest(64)).get_updates_request(AiohttpRequest(1))
    if not job_queue:
        builder = builder.job_queue(None)
    app = builder.build()
    app.bot_data["use_job_queue"] = job_queue
    steps: StepScheduler = JobQueueSteps(app) if job_queue else ManualSteps()
    app.bot_data[KEY] = Services(settings=settings, db=db, texts=texts,
                                 clock=clock or SystemClock(), steps=steps)
    exercises.load(texts.default)  # malformed exercises stop start-up, not a craving
    router = TextRouter()
    app.bot_data[ROUTER_KEY] = router

    # groups before 0 run in order, one handler each: the private-chats gate, then
    # reachability (check-ins), then stopping a running exercise when the person moves on
    app.add_handler(TypeHandler(object, gate.private_only), group=-3)
    pacer.register(app)
    onboarding.register(app)
    craving.register(app, router)
    support.register(app, router)
    plans.register(app, router)
    reasons.register(app, router)
    safety.register(app, router)
    privacy.register(app, router)
    checkin.register(app, router)
    stats.register(app)
    app.add_handler(MessageHandler(
        filters.ChatType.PRIVATE & ~filters.COMMAND & ~filters.StatusUpdate.ALL,
        router.on_message,
    ))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.COMMAND, _unknown_command))
    app.add_handler(CallbackQueryHandler(_stale_button))
    app.add_error_handler(errors.on_error)
    lifecycle.install(app, Metrics())
    app.bot_data["commands"] = {
        name for handlers in app.handlers.values() for h in handlers
        for name in getattr(h, "commands", ())
    }
    return app
