"""One repeating tick claims due rows from the database (DESIGN.md principle 2).

Features register due-work functions; each claims what is due and advances it in the
same transaction, so a restart or a second process never sends twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram.ext import Application, CallbackContext

log = logging.getLogger(__name__)

DueWork = Callable[[Application[Any, Any, Any, Any, Any, Any]], Awaitable[int]]
TASKS_KEY = "tick_tasks"


def register(app: Application[Any, Any, Any, Any, Any, Any], name: str, work: DueWork) -> None:
    app.bot_data.setdefault(TASKS_KEY, {})[name] = work


async def run_tick(app: Application[Any, Any, Any, Any, Any, Any]) -> dict[str, int]:
    """Run every registered due-work function once; one failing never stops the others."""
    done: dict[str, int] = {}
    for name, work in app.bot_data.get(TASKS_KEY, {}).items():
        try:
            done[name] = await work(app)
        except Exception as exc:
            log.error("tick task %s failed: %s", name, type(exc).__name__, exc_info=False)
            done[name] = -1
    return done


async def tick_job(context: CallbackContext[Any, Any, Any, Any]) -> None:
    await run_tick(context.application)


def start(app: Application[Any, Any, Any, Any, Any, Any], interval: float) -> None:
    assert app.job_queue is not None
    app.job_queue.run_repeating(tick_job, interval=interval, first=1.0, name="tick",
                                job_kwargs={"max_instances": 1, "coalesce": True})
