"""Every call to Telegram goes through one rate limiter with two lanes (DESIGN.md, 4).

* **interactive** (the default): replies to what a person just did. It reserves the next
  free slot at once, so it never queues behind scheduled sends.
* **bulk**: scheduled check-ins, follow-ups and summaries (`rate_limit_args={"lane":
  "bulk"}`). A bulk send takes a slot only when one is free *now*; it never books slots
  ahead, so an interactive reply waits at most one slot (1/30 s) behind it.

Limits (Telegram's): about 30 messages a second overall, 1 a second per private chat with
short bursts (a reply and a follow-up line), 20 a minute per group. They are kept as GCRA
timelines ("theoretical arrival times"), one number per chat, pruned when idle. With
several replicas each process takes its share of the overall rate (REPLICAS; see README,
"Deploying at scale").

`RetryAfter` pauses only what it must: the chat it was about and the bulk lane, for the
time Telegram asks; replies to other people go on. A second chat hit within that time
means the limit is the bot's overall one, and then every lane pauses. The call is retried
after the pause, at most `max_retries` times. Calls without a chat (getUpdates,
answerCallbackQuery, getMe) pass straight through. The clock and sleep are injectable, so
tests run in virtual time.

`drain()` (graceful shutdown): bulk sends that have not started are handed back
(`Released`) so the caller can release its claim for another process; sends already on
the wire, and interactive replies, finish.

`send_bulk` is the tick's way to send: a person who blocked the bot comes back as
"blocked" (so the caller can mark them unreachable), any other failure as "failed", a
send given back at shutdown as "released".
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBUserWarning

if TYPE_CHECKING:
    from bot.metrics import Metrics

log = logging.getLogger(__name__)
# send_bulk calls sendMessage through do_api_request on purpose (see there)
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.sendMessage' instead",
                        category=PTBUserWarning)

INTERACTIVE = "interactive"
BULK = "bulk"
BULK_ARGS: dict[str, Any] = {"lane": BULK}
# Calls on the wire at once, and of those scheduled ones: more buys nothing (Telegram takes
# ~30 messages/s), and a long queue inside an HTTP client's pool costs CPU on every request.
# Replies always have IN_FLIGHT - BULK_IN_FLIGHT.
IN_FLIGHT = 32
BULK_IN_FLIGHT = 16

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[Any]]
JSONResult = bool | dict[str, Any] | list[dict[str, Any]]


class Released(Exception):
    """A bulk send was not started because the process is shutting down."""


class TwoLaneRateLimiter(BaseRateLimiter[dict[str, Any]]):
    def __init__(self, *, overall_per_second: float = 30.0, chat_per_second: float = 1.0,
                 chat_burst: int = 3, group_per_minute: float = 20.0, max_retries: int = 3,
                 clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep,
                 metrics: Metrics | None = None) -> None:
        self.overall_per_second = overall_per_second
        self.overall_interval = 1.0 / overall_per_second
        self._slack = self.overall_interval / 4
        self.chat_interval = 1.0 / chat_per_second
        self.chat_tolerance = self.chat_interval * (max(chat_burst, 1) - 1)
        self.group_interval = 60.0 / group_per_minute
        self.max_retries = max_retries
        self._clock = clock
        self._sleep = sleep
        self._global_tat = 0.0
        self._chat_tat: dict[int | str, float] = {}
        self._paused_until = 0.0  # every lane (the bot's overall limit was hit)
        self._bulk_paused_until = 0.0  # scheduled sends, after any RetryAfter
        self._last_retry_after: tuple[int | str, float] | None = None  # (chat, until)
        self._bulk_lock: asyncio.Lock | None = None
        self._draining = False
        self._in_flight: asyncio.Semaphore | None = None
        self._bulk_in_flight: asyncio.Semaphore | None = None
        self.metrics = metrics

    def drain(self) -> None:
        """Shutting down: hand back bulk sends that have not started (see module doc)."""
        self._draining = True

    @property
    def draining(self) -> bool:
        return self._draining

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    # --- timelines --------------------------------------------------------------------------
    def _chat_params(self, chat: int | str) -> tuple[float, float]:
        if isinstance(chat, str) or chat < 0:  # groups, channels (@username)
            return self.group_interval, 0.0
        return self.chat_interval, self.chat_tolerance

    def _chat_ready_at(self, chat: int | str) -> float:
        _, tolerance = self._chat_params(chat)
        tat = self._chat_tat.get(chat)
        return 0.0 if tat is None else tat - tolerance

    def _book_chat(self, chat: int | str, at: float) -> None:
        interval, _ = self._chat_params(chat)
        self._chat_tat[chat] = max(self._chat_tat.get(chat, at), at) + interval
        if len(self._chat_tat) > 10_000:  # forget chats whose timeline has fully recovered
            now = self._clock()
            self._chat_tat = {c: t for c, t in self._chat_tat.items() if t > now}

    def _book(self, chat: int | str, at: float) -> None:
        self._global_tat = max(self._global_tat, at) + self.overall_interval
        self._book_chat(chat, at)

    async def _wait_pause(self) -> None:
        while (delay := self._paused_until - self._clock()) > 0:
            await self._sleep(delay)

    async def acquire(self, lane: str, chat: int | str) -> None:
        """Wait until a message to `chat` may go in `lane`; the slot is then taken."""
        if lane == BULK:
            await self._acquire_bulk(chat)
            return
        # The chat's own slot is reserved first (its messages stay in order), the overall
        # one only once the chat may send: a person over their burst never holds up others.
        await self._wait_pause()
        now = self._clock()
        ready = max(now, self._chat_ready_at(chat))
        self._book_chat(chat, ready)
        if ready > now:
            await self._sleep(ready - now)
        await self._wait_pause()  # Telegram may have asked for a pause meanwhile
        now = self._clock()
        at = max(now, self._global_tat)
        self._global_tat = at + self.overall_interval
        if at > now:
            await self._sleep(at - now)

    async def _acquire_bulk(self, chat: int | str) -> None:
        if self._bulk_lock is None:
            self._bulk_lock = asyncio.Lock()
        while True:
            if self._draining:
                raise Released
            if (delay := self._chat_ready_at(chat) - self._clock()) > 0:
                await self._sleep(delay)  # outside the lock: other chats go meanwhile
                continue
            async with self._bulk_lock:
                while not self._draining:
                    now = self._clock()
                    if self._chat_ready_at(chat) > now:
                        break  # a reply to this person took the chat's slot: wait again
                    delay = max(self._paused_until, self._bulk_paused_until,
                                self._global_tat) - now
                    if delay <= 0:
                        # woken a little after the slot it waited for: take that slot, so
                        # event-loop latency does not add up to a slower fan-out
                        late = now - self._global_tat
                        self._book(chat, self._global_tat if 0 <= late < self._slack else now)
                        return
                    await self._sleep(delay)

    def _flood(self, chat: int | str, seconds: float) -> None:
        """Telegram said RetryAfter for `chat`: pause that chat and the bulk lane; if
        another chat was told the same within its pause, pause everything."""
        now = self._clock()
        until = now + seconds + 0.1
        _, tolerance = self._chat_params(chat)
        self._chat_tat[chat] = max(self._chat_tat.get(chat, 0.0), until + tolerance)
        self._bulk_paused_until = max(self._bulk_paused_until, until)
        last = self._last_retry_after
        if last is not None and last[0] != chat and last[1] > now:
            self._paused_until = max(self._paused_until, until)
        self._last_retry_after = (chat, until)
        if self.metrics is not None:
            self.metrics.retry_after.inc()

    # --- PTB hook ---------------------------------------------------------------------------
    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> JSONResult:
        chat = data.get("chat_id")
        if chat is None:
            return await callback(*args, **kwargs)
        try:
            chat_key: int | str = int(chat)
        except (TypeError, ValueError):
            chat_key = str(chat)
        lane = (rate_limit_args or {}).get("lane", INTERACTIVE)
        for attempt in range(self.max_retries + 1):
            await self.acquire(lane, chat_key)
            try:
                if self._in_flight is None:
                    self._in_flight = asyncio.Semaphore(IN_FLIGHT)
                    self._bulk_in_flight = asyncio.Semaphore(BULK_IN_FLIGHT)
                if lane == BULK:
                    assert self._bulk_in_flight is not None
                    async with self._bulk_in_flight, self._in_flight:
                        result = await callback(*args, **kwargs)
                else:
                    async with self._in_flight:
                        result = await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = _retry_seconds(exc)
                self._flood(chat_key, seconds)
                if attempt == self.max_retries:
                    log.warning("Telegram flood control: giving up after %d retries (%s)",
                                attempt, endpoint)
                    raise
                log.info("Telegram flood control: pausing for %.1f s (%s)", seconds, endpoint)
                continue
            if self.metrics is not None:
                self.metrics.sent.labels(lane).inc()
            return result
        raise AssertionError("unreachable")  # pragma: no cover


def _retry_seconds(exc: RetryAfter) -> float:
    value = getattr(exc, "_retry_after", None)
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value or 1)


# --- sending from the tick --------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    status: str  # "sent" | "blocked" | "failed" | "released"
    message_id: int | None = None


def is_blocked(exc: TelegramError) -> bool:
    """The person blocked the bot, deleted their account, or the chat is gone."""
    if isinstance(exc, Forbidden):
        return True
    return isinstance(exc, BadRequest) and "chat not found" in str(exc).lower()


def markup_json(markup: Any) -> dict[str, Any] | None:
    """An inline keyboard as the Bot API's JSON, built directly (PTB's to_dict walks every
    attribute of every button, which is most of a scheduled send's cost)."""
    if markup is None or isinstance(markup, dict):
        return markup
    rows = []
    for row in markup.inline_keyboard:
        out = []
        for b in row:
            d: dict[str, Any] = {"text": b.text}
            if b.callback_data is not None:
                d["callback_data"] = b.callback_data
            if b.url is not None:
                d["url"] = b.url
            if len(d) == 1:  # a kind of button this shortcut does not know: ask PTB
                return markup.to_dict()  # type: ignore[no-any-return]
            out.append(d)
        rows.append(out)
    return {"inline_keyboard": rows}


_NO_PREVIEW = {"is_disabled": True}


def payload(chat_id: int, text: str, markup: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"chat_id": chat_id, "text": text, "parse_mode": "HTML",
                               "link_preview_options": _NO_PREVIEW}
    if markup is not None:
        payload["reply_markup"] = markup_json(markup)
    return payload


async def send_quick(bot: Any, chat_id: int, text: str, markup: Any = None) -> int | None:
    """A reply (interactive lane) whose Message object nobody reads: built as JSON and
    answered with the message_id only, like send_bulk. Faults raise as with
    `bot.send_message`. Used on the craving reply, the hottest path there is."""
    result = await bot.do_api_request("sendMessage", api_kwargs=payload(chat_id, text, markup))
    message_id = result.get("message_id") if isinstance(result, dict) else None
    return message_id if isinstance(message_id, int) else None


async def send_bulk(bot: Any, chat_id: int, text: str, markup: Any = None) -> Outcome:
    """Send in the bulk lane; never raises for Telegram faults (logged by type only).

    Scheduled sends go out by the thousand, so this is the lean path: the request is
    built as JSON directly and the answer read for its message_id only (no Message
    object). A fault after Telegram may have accepted the message (a timeout) is not
    retried: scheduled messages are at most once, never twice."""
    lane = {"rate_limit_args": BULK_ARGS} if getattr(bot, "rate_limiter", None) else {}
    try:
        result = await bot.do_api_request("sendMessage",
                                          api_kwargs=payload(chat_id, text, markup), **lane)
    except Released:
        return Outcome("released")
    except TelegramError as exc:
        if is_blocked(exc):
            return Outcome("blocked")
        log.warning("scheduled send failed: %s", type(exc).__name__)
        return Outcome("failed")
    message_id = result.get("message_id") if isinstance(result, dict) else None
    return Outcome("sent", message_id if isinstance(message_id, int) else None)


class InstantTime:
    """Virtual time for tests and benchmarks: `sleep` moves the clock instead of waiting.
    With a limiter on it, every rule is applied and nothing waits for real."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        if delay > 0:
            self.now += delay
            self.slept += delay
        await asyncio.sleep(0)
