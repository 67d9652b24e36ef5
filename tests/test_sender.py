"""The two-lane rate limiter, in virtual time (nothing sleeps for real)."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Coroutine
from typing import Any

import pytest
from telegram.error import Forbidden, NetworkError, RetryAfter

from bot.sender import BULK_ARGS, Outcome, Released, TwoLaneRateLimiter, send_bulk

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


class VirtualTime:
    """Sleepers wait on futures; time jumps to the next wake-up once every task is idle."""

    def __init__(self) -> None:
        self.now = 0.0
        self._heap: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = 0

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        if delay <= 0:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._heap, (self.now + delay, self._seq, fut))
        self._seq += 1
        await fut

    async def run(self, *coros: Coroutine[Any, Any, Any]) -> list[Any]:
        tasks = [asyncio.ensure_future(c) for c in coros]
        while not all(t.done() for t in tasks):
            for _ in range(30):
                await asyncio.sleep(0)
            if all(t.done() for t in tasks):
                break
            assert self._heap, "deadlock: tasks wait but nobody sleeps"
            when, _, fut = heapq.heappop(self._heap)
            self.now = max(self.now, when)
            fut.set_result(None)
        return [t.result() for t in tasks]


class Recorder:
    def __init__(self, vt: VirtualTime) -> None:
        self.vt = vt
        self.sent: list[tuple[float, Any, str]] = []
        self.fail_with: list[Exception] = []

    async def call(self, endpoint: str, data: dict[str, Any]) -> dict[str, Any]:
        if self.fail_with:
            raise self.fail_with.pop(0)
        self.sent.append((self.vt.now, data.get("chat_id"), data.get("text", endpoint)))
        return {"ok": True}


def limiter(vt: VirtualTime, **kw: Any) -> TwoLaneRateLimiter:
    return TwoLaneRateLimiter(clock=vt.clock, sleep=vt.sleep, **kw)


async def send(rl: TwoLaneRateLimiter, rec: Recorder, chat: Any, text: str = "x",
               lane: dict[str, Any] | None = None, endpoint: str = "sendMessage",
               after: float = 0.0, vt: VirtualTime | None = None) -> Any:
    if after and vt is not None:
        await vt.sleep(after)
    data = {"chat_id": chat, "text": text} if chat is not None else {}
    return await rl.process_request(rec.call, (endpoint, data), {}, endpoint, data, lane)


def max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - window + 1e-9:
            j += 1
        best = max(best, i - j + 1)
    return best


async def test_bulk_fan_out_stays_under_30_a_second_overall() -> None:
    vt = VirtualTime()
    rl, rec = limiter(vt), Recorder(vt)
    await vt.run(*(send(rl, rec, 1000 + i, lane=BULK_ARGS) for i in range(300)))
    times = [t for t, _, _ in rec.sent]
    assert len(times) == 300
    assert max_in_window(times, 1.0) <= 30
    assert 9.5 <= max(times) <= 10.5  # and it does use the capacity


async def test_one_chat_gets_a_short_burst_then_one_a_second() -> None:
    vt = VirtualTime()
    rl, rec = limiter(vt), Recorder(vt)
    await vt.run(*(send(rl, rec, 42, f"m{i}") for i in range(8)))
    assert [text for _, _, text in rec.sent] == [f"m{i}" for i in range(8)]  # in order
    times = [t for t, _, _ in rec.sent]
    assert times[:3] == pytest.approx([0.0, 1 / 30, 2 / 30], abs=1e-6)
    assert all(b - a >= 0.999 for a, b in itertools.pairwise(times[3:]))
    assert max_in_window(times, 5.0) <= 3 + 5


async def test_a_reply_never_waits_behind_scheduled_sends() -> None:
    vt = VirtualTime()
    rl, rec = limiter(vt), Recorder(vt)
    bulk = [send(rl, rec, 1000 + i, f"bulk{i}", lane=BULK_ARGS) for i in range(600)]
    replies = [send(rl, rec, 7, f"reply{i}", after=2.0 + i * 3, vt=vt) for i in range(3)]
    await vt.run(*bulk, *replies)
    sent_at = {text: t for t, _, text in rec.sent}
    for i in range(3):
        arrived = 2.0 + i * 3
        assert sent_at[f"reply{i}"] - arrived <= 2 / 30 + 1e-6
    assert max(sent_at.values()) > 19  # the bulk lane was busy the whole time
    assert max_in_window([t for t, _, _ in rec.sent], 1.0) <= 31


async def test_bulk_to_a_busy_chat_does_not_hold_up_other_chats() -> None:
    vt = VirtualTime()
    rl, rec = limiter(vt), Recorder(vt)
    await vt.run(*(send(rl, rec, 5, f"r{i}") for i in range(3)))  # chat 5 used its burst
    start = vt.now
    await vt.run(send(rl, rec, 5, "bulk5", lane=BULK_ARGS),
                 *(send(rl, rec, 100 + i, f"b{i}", lane=BULK_ARGS) for i in range(5)))
    sent_at = {text: t for t, _, text in rec.sent}
    assert all(sent_at[f"b{i}"] - start < 0.5 for i in range(5))
    assert sent_at["bulk5"] - sent_at["r0"] >= 0.999


async def test_retry_after_pauses_that_chat_and_the_bulk_lane_then_retries() -> None:
    vt = VirtualTime()
    rl, rec = limiter(vt, max_retries=2), Recorder(vt)
    rec.fail_with = [RetryAfter(5)]
    await vt.run(send(rl, rec, 1, "first"),
                 send(rl, rec, 2, "reply to someone else", after=1.0, vt=vt),
                 send(rl, rec, 3, "scheduled", lane=BULK_ARGS, after=1.0, vt=vt))
    sent_at = {text: t for t, _, text in rec.sent}
    assert sent_at["first"] >= 5.0  # retried once the pause Telegram asked for is over
    assert sent_at["reply to someone else"] < 1.1  # not held by another chat's limit
    assert sent_at["scheduled"] >= 5.0  # scheduled sends wait out the pause
    rec.fail_with = [RetryAfter(1), RetryAfter(1), RetryAfter(1)]
    with pytest.raises(RetryAfter):
        await vt.run(send(rl, rec, 3, "never"))
    assert rec.fail_with == []  # three attempts: the first and two retries
    assert "never" not in {text for _, _, text in rec.sent}


async def test_retry_after_for_two_chats_pauses_every_lane() -> None:
    vt = VirtualTime()
    rl, rec = limiter(vt), Recorder(vt)
    rec.fail_with = [RetryAfter(5), RetryAfter(5)]
    await vt.run(send(rl, rec, 1, "a"), send(rl, rec, 2, "b"),
                 send(rl, rec, 3, "c", after=0.5, vt=vt))
    sent_at = {text: t for t, _, text in rec.sent}
    assert min(sent_at.values()) >= 5.0  # the bot's overall limit: everyone waits


async def test_a_person_over_their_burst_does_not_hold_up_replies_to_others() -> None:
    vt = VirtualTime()
    rl, rec = limiter(vt), Recorder(vt)
    await vt.run(*(send(rl, rec, 9, f"own{i}") for i in range(6)),
                 send(rl, rec, 10, "other", after=0.5, vt=vt))
    sent_at = {text: t for t, _, text in rec.sent}
    assert sent_at["other"] < 0.6
    assert sent_at["own5"] >= 3.0  # 3 at once, then one a second


async def test_calls_without_a_chat_pass_straight_through() -> None:
    vt = VirtualTime()
    rl, rec = limiter(vt), Recorder(vt)
    await vt.run(*(send(rl, rec, None, endpoint="answerCallbackQuery") for _ in range(100)))
    assert vt.now == 0.0 and len(rec.sent) == 100


async def test_groups_get_20_a_minute() -> None:
    vt = VirtualTime()
    rl, rec = limiter(vt), Recorder(vt)
    await vt.run(*(send(rl, rec, -100123, f"g{i}") for i in range(25)))
    times = [t for t, _, _ in rec.sent]
    assert max_in_window(times, 60.0) <= 20


class _Bot:
    rate_limiter = object()

    def __init__(self, error: Exception | None) -> None:
        self.error = error
        self.kwargs: dict[str, Any] = {}

    async def do_api_request(self, endpoint: str, api_kwargs: dict[str, Any],
                             **kwargs: Any) -> Any:
        self.kwargs = kwargs
        if self.error is not None:
            raise self.error
        return {"message_id": 5, "chat": {"id": api_kwargs["chat_id"]}}


async def test_send_bulk_reports_blocked_people_and_uses_the_bulk_lane() -> None:
    bot = _Bot(Forbidden("Forbidden: bot was blocked by the user"))
    assert (await send_bulk(bot, 1, "hi")).status == "blocked"
    assert bot.kwargs["rate_limit_args"] == BULK_ARGS
    assert (await send_bulk(_Bot(NetworkError("timed out")), 1, "hi")).status == "failed"
    assert await send_bulk(_Bot(None), 1, "hi") == Outcome("sent", 5)


async def test_a_stopping_limiter_hands_back_bulk_sends_but_not_replies() -> None:
    vt = VirtualTime()
    rl, rec = limiter(vt), Recorder(vt)
    rl.drain()
    await vt.run(send(rl, rec, 1, "reply"))
    with pytest.raises(Released):
        await vt.run(send(rl, rec, 2, "scheduled", lane=BULK_ARGS))
    assert [text for _, _, text in rec.sent] == ["reply"]


def test_keyboards_as_json_match_what_ptb_would_send() -> None:
    """The lean send path builds keyboards as JSON; it must be what PTB's objects give."""
    from telegram import InlineKeyboardButton

    from bot.keyboards import button, inline, key, keyboard_json, scale

    rows = scale("crave", "int", 12)
    rows.append([button("Stop", "crave:stop:12"), key("Again", "crave:ex:12:box")])
    rows.append([InlineKeyboardButton("Lines", url="https://example.org/help")])
    assert keyboard_json(rows) == inline(rows).to_dict()
    assert keyboard_json(rows)["inline_keyboard"][0][3] == {"text": "3",
                                                           "callback_data": "crave:int:12:3"}
