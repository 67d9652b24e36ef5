"""Timed steps of a guided exercise, run as scheduled work (never sleeping in a handler).

Production uses PTB's JobQueue; tests use ManualSteps and fire steps themselves. One key
per person: starting anything new for that person replaces what was running. Live pacing
is deliberately in memory: after a restart it simply stops, and the person taps again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from telegram.ext import Application, CallbackContext

Step = Callable[[], Awaitable[None]]


class StepScheduler(Protocol):
    def call_later(self, key: str, delay: float, step: Step) -> None: ...
    def cancel(self, key: str) -> bool: ...
    def active(self, key: str) -> bool: ...


class JobQueueSteps:
    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        self.app = app

    def call_later(self, key: str, delay: float, step: Step) -> None:
        self.cancel(key)
        assert self.app.job_queue is not None
        self.app.job_queue.run_once(_run_step, when=delay, name=key, data=step)

    def cancel(self, key: str) -> bool:
        if self.app.job_queue is None:
            return False
        jobs = self.app.job_queue.get_jobs_by_name(key)
        for job in jobs:
            job.schedule_removal()
        return bool(jobs)

    def active(self, key: str) -> bool:
        return self.app.job_queue is not None and bool(self.app.job_queue.get_jobs_by_name(key))


async def _run_step(context: CallbackContext[Any, Any, Any, Any]) -> None:
    step: Step = context.job.data  # type: ignore[union-attr,assignment]
    await step()


class ManualSteps:
    """For tests and benchmarks: steps wait until `fire` is called."""

    def __init__(self) -> None:
        self.pending: dict[str, tuple[float, Step]] = {}

    def call_later(self, key: str, delay: float, step: Step) -> None:
        self.pending[key] = (delay, step)

    def cancel(self, key: str) -> bool:
        return self.pending.pop(key, None) is not None

    def active(self, key: str) -> bool:
        return key in self.pending

    def delay(self, key: str) -> float | None:
        item = self.pending.get(key)
        return item[0] if item else None

    async def fire(self, key: str) -> bool:
        item = self.pending.pop(key, None)
        if item is None:
            return False
        await item[1]()
        return True

    async def run_all(self, key: str, limit: int = 1000) -> int:
        count = 0
        while count < limit and await self.fire(key):
            count += 1
        return count
