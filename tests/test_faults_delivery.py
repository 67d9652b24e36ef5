"""bot/delivery.py: what a failed send means, and when a batch stops trying."""

from __future__ import annotations

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.delivery import Breaker, Status, classify


@pytest.mark.parametrize(("error", "status"), [
    (Forbidden("Forbidden: bot was blocked by the user"), Status.BLOCKED),
    (BadRequest("Bad Request: chat not found"), Status.BLOCKED),
    (BadRequest("Bad Request: message is too long"), Status.DROP),
    (NetworkError("httpx.ConnectError: All connection attempts failed"), Status.RETRY),
    (NetworkError("Bad Gateway"), Status.RETRY),
    (TimedOut(), Status.RETRY),
    (RetryAfter(5), Status.RETRY),
])
def test_each_telegram_error_means_one_thing(error: Exception, status: Status) -> None:
    assert classify(error) is status  # type: ignore[arg-type]


def test_the_breaker_opens_at_the_first_failure_until_something_got_through() -> None:
    breaker = Breaker(threshold=3)
    breaker.record(Status.RETRY)
    assert breaker.open  # a batch that starts in an outage stops at once

    breaker = Breaker(threshold=3)
    breaker.record(Status.SENT)
    breaker.record(Status.RETRY)
    breaker.record(Status.RETRY)
    assert not breaker.open  # one bad moment in a healthy batch is not an outage
    breaker.record(Status.BLOCKED)  # a 403 is an answer: the API is there
    breaker.record(Status.RETRY)
    breaker.record(Status.RETRY)
    assert not breaker.open
    breaker.record(Status.RETRY)
    assert breaker.open

