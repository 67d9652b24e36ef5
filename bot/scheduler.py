"""The database tick claims due rows (DESIGN.md principle 2).

Features register due-work functions; each claims what is due and advances it in the
same transaction, so a restart or a second process never sends twice. In a running bot
each registered function repeats on its own (still one job per feature, never one per
person), so a long check-in fan-out never holds up follow-ups. A feature may pass
`again`: a cheap "is more due right now?" query; while it says yes and a run did some
work, the function runs again at once instead of waiting for the next interval, so a
large fan-out keeps the bulk lane busy (Telegram's ~30 messages/s) instead of idling
between ticks. Stopping (SIGTERM) ends such a run after the batch in hand.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram.ext import Application, CallbackContext

log = logging.getLogger(__name__)

App = Application[Any, Any, Any, Any, Any, Any]
DueWork = Callable[[App], Awaitable[int]]
MoreDue = Callable[[App], Awaitable[bool]]
TASKS_KEY = "tick_tasks"
STOPPING_KEY = "stopping"


@dataclass(frozen=True)
class Task:
    work: DueWork
    again: MoreDue | None = None


def register(app: App, name: str, work: DueWork, *, again: MoreDue | None = None) -> None:
    app.bot_data.setdefault(TASKS_KEY, {})[name] = Task(work, again)


def stopping(app: App) -> bool:
    return bool(app.bot_data.get(STOPPING_KEY))


async def _run_one(app: App, name: str, task: Task) -> int:
    try:
        return await task.work(app)
    except Exception as exc:
        log.error("tick task %s failed: %s", name, type(exc).__name__, exc_info=False)
        return -1


async def run_tick(app: App) -> dict[str, int]:
    """Run every registered due-work function once; one failing never stops the others."""
    return {name: await _run_one(app, name, task)
            for name, task in app.bot_data.get(TASKS_KEY, {}).items()}


async def run_task(app: App, name: str) -> int:
    """One scheduled run of a task: again and again while it works through a backlog."""
    task: Task = app.bot_data[TASKS_KEY][name]
    total = 0
    while True:
        done = await _run_one(app, name, task)
        if done <= 0:
            return total
        total += done
        if task.again is None or stopping(app):
            return total
        try:
            if not await task.again(app):
                return total
        except Exception as exc:
            log.error("tick task %s: backlog check failed: %s", name, type(exc).__name__)
            return total


async def _job(context: CallbackContext[Any, Any, Any, Any]) -> None:
    assert context.job is not None
    await run_task(context.application, str(context.job.data))


def start(app: App, interval: float) -> None:
    assert app.job_queue is not None
    for name in app.bot_data.get(TASKS_KEY, {}):
        app.job_queue.run_repeating(_job, interval=interval, first=1.0, name=f"tick:{name}",
                                    data=name,
                                    job_kwargs={"max_instances": 1, "coalesce": True})
