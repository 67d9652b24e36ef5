"""Webhook mode: `craving-companion run --webhook` (the custom-webhook pattern from
python-telegram-bot's examples: Starlette routes, uvicorn, updates put on the queue).

Routes:
  POST <path of WEBHOOK_URL>  Telegram's updates. The `X-Telegram-Bot-Api-Secret-Token`
                              header must match WEBHOOK_SECRET (compared in constant time;
                              403 otherwise); a body that is not an update is a 400.
  GET  /healthz               200 when the database answers, 503 when not (or stopping)
  GET  /metrics               Prometheus text (bot/metrics.py)

Several replicas may run behind one load balancer on one PostgreSQL database (see
README, "Deploying at scale"). SIGTERM: stop accepting, answer what was received, hand
back unsent scheduled messages, exit 0 (bot/lifecycle.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import signal
from collections.abc import Iterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application

from bot import scheduler
from bot.config import ConfigError, Settings
from bot.metrics import CONTENT_TYPE, Metrics
from bot.services import KEY, Services

log = logging.getLogger(__name__)

App = Application[Any, Any, Any, Any, Any, Any]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1_000_000  # an update is a few kB; anything this big is not from Telegram


def build_web_app(app: App, *, secret: str, path: str) -> Starlette:
    expected = secret.encode()
    metrics: Metrics = app.bot_data["metrics"]
    services: Services = app.bot_data[KEY]

    def refuse(reason: str, status: int) -> Response:
        metrics.webhook_rejected.labels(reason).inc()
        return Response(status_code=status)

    async def telegram(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return refuse("secret", 403)
        if scheduler.stopping(app) or not app.running:
            return refuse("stopping", 503)  # Telegram delivers it again, maybe elsewhere
        body = await request.body()
        if len(body) > MAX_BODY:
            return refuse("too_large", 413)
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or type(data.get("update_id")) is not int:
                raise ValueError("not an update")
            update = Update.de_json(data, app.bot)
        except Exception as exc:  # whatever the body held: a 400, and nothing else happens
            log.info("webhook: refused a body that is not an update (%s)", type(exc).__name__)
            return refuse("malformed", 400)
        await app.update_queue.put(update)
        return Response(status_code=200)

    async def healthz(request: Request) -> Response:
        if scheduler.stopping(app):
            return PlainTextResponse("stopping\n", status_code=503)
        if not await services.db.ping():
            return PlainTextResponse("database unreachable\n", status_code=503)
        return PlainTextResponse("ok\n")

    async def metrics_route(request: Request) -> Response:
        try:
            await asyncio.wait_for(metrics.refresh_backlog(services.db, services.clock.now()),
                                   timeout=5)
        except Exception as exc:  # the rest of the metrics still help when the db is down
            log.warning("metrics: backlog not counted (%s)", type(exc).__name__)
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    return Starlette(routes=[
        Route(path, telegram, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics_route, methods=["GET"]),
    ])


class _Server(uvicorn.Server):
    """uvicorn, with SIGTERM/SIGINT left to `serve` below: uvicorn's own handling raises
    the signal again once it has stopped, which would kill the process before the bot
    has finished stopping (and with a non-zero exit code)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def register_webhook(app: App, url: str, secret: str, attempts: int = 4) -> None:
    for attempt in range(attempts):
        try:
            await app.bot.set_webhook(url, secret_token=secret, allowed_updates=None,
                                      drop_pending_updates=False)
            return
        except BadRequest as exc:
            raise ConfigError(f"WEBHOOK_URL was refused by Telegram: {exc.message}") from None
        except TelegramError as exc:
            if attempt == attempts - 1:
                raise
            log.warning("could not register the webhook (%s); retrying", type(exc).__name__)
            await asyncio.sleep(2 ** attempt)


async def serve(app: App, settings: Settings, *, ready: asyncio.Event | None = None) -> None:
    """Run the bot behind the webhook until SIGTERM/SIGINT (or `app.bot_data["stop"]`)."""
    url, secret = settings.require_webhook()
    web = build_web_app(app, secret=secret, path=settings.webhook_path)
    # log_config=None: uvicorn logs through our handler (RedactingFormatter) like the rest
    config = uvicorn.Config(web, host=settings.listen, port=settings.port, lifespan="off",
                            log_level="warning", access_log=False, server_header=False,
                            log_config=None)
    server = _Server(config)
    loop = asyncio.get_running_loop()

    def stop() -> None:
        server.should_exit = True

    app.bot_data["stop"] = stop
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop)
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await register_webhook(app, url, secret)
        await app.start()
        log.info("serving the webhook on %s:%d%s", settings.listen, settings.port,
                 settings.webhook_path)
        if ready is not None:
            ready.set()
        try:
            await server.serve()
        except SystemExit:  # uvicorn exits when it cannot listen (and has logged why)
            raise ConfigError(f"PORT {settings.port} on LISTEN {settings.listen} cannot be "
                              "used: it is taken, or not allowed for this user") from None
        log.info("stopped accepting updates")
    finally:
        if app.running:
            await app.stop()
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
