"""Command line: `craving-companion run | chat | migrate | rotate-key`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from bot.config import ConfigError, Settings, configure_logging, load_settings
from content import ContentError
from storage.crypto import DataKeyError
from storage.db import DatabaseError

log = logging.getLogger("bot")

EXIT_CONFIG = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="craving-companion",
        description="A Telegram bot that stays with a person in recovery through a craving.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="run the bot (needs TELEGRAM_BOT_TOKEN)",
                         description="Run the bot against TELEGRAM_API_BASE_URL, with long "
                         "polling or (--webhook) behind a webhook. Migrations are applied "
                         "first. SIGTERM stops it gracefully.")
    run.add_argument("--webhook", action="store_true",
                     help="serve a webhook on PORT (needs WEBHOOK_URL and WEBHOOK_SECRET), "
                     "with /healthz and /metrics; several replicas may share PostgreSQL")
    chat = sub.add_parser("chat", help="try the bot in this terminal, no token or network",
                          description="A local console chat with the real bot, in process. "
                          "Type text or /commands; a letter (a, b, ...) or a button's label "
                          "taps it; k1, k2, ... tap the keyboard; /quit ends.")
    chat.add_argument("--database", default=None,
                      help="SQLite file to keep the chat in (default: data/chat.sqlite3)")
    chat.add_argument("--user-id", type=int, default=1001, help="your pretend Telegram id")
    sub.add_parser("migrate", help="apply database migrations and exit",
                   description="Apply all database migrations to DATABASE_URL and exit.")
    sub.add_parser("rotate-key", help="re-encrypt stored text with the first DATA_KEY",
                   description="Re-encrypt every encrypted field with the first key in DATA_KEY "
                   "(list the new key first, the old one after it, comma-separated).")
    return parser


def _fail(message: str) -> int:
    print(f"craving-companion: {message}", file=sys.stderr)
    return EXIT_CONFIG


async def _migrate(settings: Settings) -> None:
    from bot.app import open_database

    db = open_database(settings)
    try:
        await db.migrate()
    finally:
        await db.dispose()


async def _wait_for_telegram(settings: Settings, token: str) -> None:
    """Start-up calls getMe once and exits on a network error; during an outage wait for
    the API instead (the polling loop itself rides out outages once running)."""
    from telegram import Bot
    from telegram.error import NetworkError

    from bot.http_client import AiohttpRequest

    delay = 1.0
    bot = Bot(token, base_url=settings.telegram_api_base_url, request=AiohttpRequest(1))
    try:
        while True:
            try:
                await bot.initialize()  # getMe
                return
            except NetworkError as exc:
                log.warning("Telegram is unreachable (%s); trying again in %.0f s",
                            type(exc).__name__, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)
    finally:
        await bot.shutdown()


def _run(settings: Settings, webhook: bool = False) -> None:
    from bot.app import build_application

    token = settings.require_token()
    if webhook:
        settings.require_webhook()
    asyncio.run(_migrate(settings))
    asyncio.run(_wait_for_telegram(settings, token))
    app = build_application(settings, token)
    if webhook:
        from bot.webhook import serve

        asyncio.run(serve(app, settings))
        log.info("stopped")
        return
    log.info("starting long polling")
    app.run_polling(allowed_updates=None, drop_pending_updates=False, bootstrap_retries=-1)
    log.info("stopped")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        overrides = {}
        if args.command == "chat":
            overrides["database_url"] = (
                f"sqlite+aiosqlite:///{args.database}" if args.database
                else "sqlite+aiosqlite:///data/chat.sqlite3"
            )
        settings = load_settings(**overrides)
        secrets = [s.get_secret_value() for s in (settings.telegram_bot_token,
                                                  settings.webhook_secret) if s]
        configure_logging(settings.log_level if args.command != "chat" else "WARNING", secrets)
        if args.command == "run":
            _run(settings, webhook=args.webhook)
        elif args.command == "migrate":
            asyncio.run(_migrate(settings))
            print("craving-companion: database is up to date")
        elif args.command == "rotate-key":
            from bot.app import open_database
            from storage.rotate import rotate_keys

            count = asyncio.run(rotate_keys(open_database(settings)))
            print(f"craving-companion: re-encrypted {count} fields with the first key")
        elif args.command == "chat":
            from bot.chat import run_chat

            asyncio.run(run_chat(settings, args.user_id))
    except (ConfigError, DatabaseError, DataKeyError, ContentError) as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
