"""Start and stop as an operator expects, in polling and webhook mode alike.

Stopping (SIGTERM, Ctrl-C) is graceful: no new updates are taken on, the ones already
received are answered, scheduled sends not yet started are handed back so their claims
return to the database for the next process (check-ins, follow-ups), sends on the wire
finish, this process's per-person leases are released, and the process exits 0.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from telegram.ext import Application

from bot import scheduler
from bot.metrics import Metrics
from bot.sender import TwoLaneRateLimiter
from bot.services import KEY, Services
from bot.update_processor import PerUserUpdateProcessor, UpdateGate
from storage.repositories import updates as updates_repo

log = logging.getLogger(__name__)

# Telegram keeps an unconfirmed update for up to 24 hours and may deliver it again
# meanwhile; ids older than that can be forgotten.
KEEP_UPDATE_IDS = timedelta(hours=25)


class CompanionApplication(Application):  # type: ignore[type-arg]
    async def stop(self) -> None:
        self.bot_data[scheduler.STOPPING_KEY] = True
        limiter = self.bot.rate_limiter
        if isinstance(limiter, TwoLaneRateLimiter):
            limiter.drain()
        log.info("stopping: answering updates already received, handing back unsent "
                 "scheduled messages")
        await super().stop()
        processor = self.update_processor
        if isinstance(processor, PerUserUpdateProcessor) and processor.gate is not None:
            try:
                await processor.gate.release_all()
            except Exception as exc:  # they expire by themselves
                log.warning("could not release leases: %s", type(exc).__name__)


async def prune_work(app: Application[Any, Any, Any, Any, Any, Any]) -> int:
    s: Services = app.bot_data[KEY]
    now = s.clock.now()
    async with s.db.session() as session:
        await updates_repo.prune(session, now - KEEP_UPDATE_IDS, now)
    return 0  # housekeeping: never a reason to run again at once


def install(app: Application[Any, Any, Any, Any, Any, Any], metrics: Metrics) -> None:
    """Wire metrics, the update gate and housekeeping into a built application."""
    s: Services = app.bot_data[KEY]
    app.bot_data["metrics"] = metrics
    limiter = app.bot.rate_limiter
    if isinstance(limiter, TwoLaneRateLimiter) and limiter.metrics is None:
        limiter.metrics = metrics
    processor = app.update_processor
    if isinstance(processor, PerUserUpdateProcessor):
        processor.metrics = metrics
        # one process orders a person's updates by itself; several need the lease row
        processor.gate = UpdateGate(s.db, s.clock,
                                    leases=not s.db.is_sqlite and s.settings.replicas > 1)
    scheduler.register(app, "processed_updates", prune_work)
