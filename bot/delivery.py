"""Scheduled messages that must arrive: what a failed send means, and when to stop trying.

Every scheduled message (check-in, craving follow-up, supporter escalation) is claimed
from the database with a lease, sent, and recorded as sent. A send that fails in a way
that shows Telegram did not take the message (connection refused, a timeout, 5xx, flood
control beyond the limiter's retries) is tried again by a later tick; a person who
blocked the bot is marked unreachable; a request Telegram rejects as malformed is given
up, since sending it again would fail the same way.

`Breaker`: when the API is unreachable, the rest of a batch is put back without a
request each, so an outage costs a few failed calls a tick, not one per due person (with
timeouts, that would hold the tick for minutes and starve other due work).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Generic, TypeVar

from telegram.error import BadRequest, TelegramError

from bot.sender import BULK_ARGS, Released, is_blocked, payload

log = logging.getLogger(__name__)

T = TypeVar("T")
WORKERS = 16  # sends in flight at once; enough for the bulk pace at Telegram's latency
PROBE = 3  # sends tried first; also how many failures in a row mean "unreachable"
FLUSH_SIZE = 100  # outcomes are written at least every FLUSH_SIZE sends...
FLUSH_SECONDS = 0.5  # ...and at least this often while sending at the real pace


class Status(Enum):
    SENT = "sent"
    BLOCKED = "blocked"  # the person blocked the bot or the chat is gone: stop
    RETRY = "retry"  # Telegram did not take it (outage, flood control): a later tick
    DROP = "drop"  # Telegram rejected the request itself: sending again cannot help
    LATER = "later"  # not tried: the API looks unreachable right now


@dataclass(frozen=True)
class Delivery:
    status: Status
    message_id: int | None = None


def classify(exc: TelegramError) -> Status:
    if is_blocked(exc):
        return Status.BLOCKED
    if isinstance(exc, BadRequest):
        return Status.DROP
    # NetworkError (refused, reset, TimedOut, 5xx), RetryAfter, anything else transient
    return Status.RETRY


class Breaker:
    """Opens after `threshold` failures in a row, or after the first one if nothing has
    got through yet (a batch started during an outage stops at once)."""

    def __init__(self, threshold: int = 3) -> None:
        self.threshold = threshold
        self.failures = 0
        self.proven = False

    @property
    def open(self) -> bool:
        return self.failures >= (self.threshold if self.proven else 1)

    def record(self, status: Status) -> None:
        if status is Status.RETRY:
            self.failures += 1
        elif status is not Status.LATER:
            self.failures = 0
            self.proven = True


async def send(bot: Any, chat_id: int, text: str, markup: Any = None, *,
               bulk: bool = True, breaker: Breaker | None = None) -> Delivery:
    """Send one scheduled message; never raises for Telegram faults (logged by type)."""
    if breaker is not None and breaker.open:
        return Delivery(Status.LATER)
    lane = {"rate_limit_args": BULK_ARGS} if bulk and getattr(bot, "rate_limiter", None) else {}
    try:
        # the lean path (sender.payload): JSON built directly, the answer read for its id
        result = await bot.do_api_request("sendMessage", api_kwargs=payload(chat_id, text, markup),
                                          **lane)
    except Released:  # the process is stopping: due again at once, for any process
        return Delivery(Status.LATER)
    except TelegramError as exc:
        status = classify(exc)
        if breaker is not None:
            breaker.record(status)
        if status is not Status.BLOCKED:
            log.warning("scheduled send failed: %s (%s)", type(exc).__name__, status.value)
        return Delivery(status)
    if breaker is not None:
        breaker.record(Status.SENT)
    message_id = result.get("message_id") if isinstance(result, dict) else None
    return Delivery(Status.SENT, message_id if isinstance(message_id, int) else None)


class _Recorder(Generic[T]):
    """Outcomes written in small batches as they come in. A message Telegram took but not
    yet written is what a crash can send twice: at most WORKERS in flight plus one batch."""

    def __init__(self, write: Callable[[list[tuple[T, Delivery]]], Awaitable[None]]) -> None:
        self.write = write
        self.buffer: list[tuple[T, Delivery]] = []
        self.lock = asyncio.Lock()
        self.flushed_at = asyncio.get_running_loop().time()
        self.failed: BaseException | None = None

    async def ready(self) -> bool:
        """May another send start? Not while outcomes are being written (that keeps what a
        crash can repeat to one batch plus the sends in flight), nor after a write failed."""
        if self.lock.locked():
            async with self.lock:
                pass
        return self.failed is None

    async def add(self, item: T, result: Delivery) -> None:
        self.buffer.append((item, result))
        now = asyncio.get_running_loop().time()
        if len(self.buffer) >= FLUSH_SIZE or now - self.flushed_at >= FLUSH_SECONDS:
            await self.flush()

    async def flush(self) -> None:
        async with self.lock:
            batch, self.buffer = self.buffer, []
            self.flushed_at = asyncio.get_running_loop().time()
            if batch and self.failed is None:
                try:
                    await self.write(batch)
                except BaseException as exc:
                    self.failed = exc
                    raise


async def deliver_all(items: Sequence[T],
                      send_one: Callable[[T, Breaker], Awaitable[Delivery]],
                      write: Callable[[list[tuple[T, Delivery]]], Awaitable[None]], *,
                      workers: int = WORKERS) -> None:
    """Send each item with `send_one` and hand the outcomes to `write` in small batches,
    the last one before returning. PROBE sends go first; the other workers join once the
    API answers one of them, so a batch started during an outage costs a few calls."""
    breaker = Breaker(threshold=PROBE)
    recorder: _Recorder[T] = _Recorder(write)
    queue = deque(items)
    through = asyncio.Event()

    async def worker() -> None:
        while await recorder.ready() and queue:  # no await between the check and the pop
            item = queue.popleft()
            result = await send_one(item, breaker)
            if result.status in (Status.SENT, Status.BLOCKED, Status.DROP):
                through.set()  # the API answered
            await recorder.add(item, result)

    async def joiner() -> None:
        await through.wait()
        await worker()

    total = min(workers, len(items))
    probes = [asyncio.create_task(worker()) for _ in range(min(PROBE, total))]
    joiners = [asyncio.create_task(joiner()) for _ in range(total - len(probes))]
    try:
        await asyncio.gather(*probes)
        through.set()  # the queue is empty: joiners still waiting exit at once
        await asyncio.gather(*joiners)
    except BaseException:
        # e.g. the database went away while writing outcomes: stop sending, since what is
        # sent now could not be recorded; the leases bring the rest back later
        for task in (*probes, *joiners):
            task.cancel()
        await asyncio.gather(*probes, *joiners, return_exceptions=True)
        raise
    await recorder.flush()
