"""Discreet mode: the first line of anything sent unprompted is neutral on a lock screen."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.discreet import LOCK_SCREEN_WORDS, compose, first_line, neutral_key
from content import load
from storage.models import User

T = load().default
NOW = datetime(2026, 3, 2, tzinfo=UTC)


def person(discreet: bool) -> User:
    return User(id=1, created_at=NOW, consented_at=NOW, discreet=discreet)


def lock_screen_words(line: str) -> list[str]:
    return [w for w in LOCK_SCREEN_WORDS if re.search(rf"\b{w}", line, re.IGNORECASE)]


def test_discreet_people_get_the_neutral_line_others_the_normal_one() -> None:
    key = "privacy.supporter_link_ended"
    assert first_line(T, person(True), key, name="Alex") == "A note about a contact"
    assert first_line(T, person(False), key, name="Alex").startswith("Alex has ended")
    assert first_line(T, None, key, name="Alex").startswith("Alex has ended")


def test_a_key_without_its_own_neutral_line_gets_the_default() -> None:
    assert neutral_key(T, "safety.slip_done") == "discreet.neutral_default"
    assert first_line(T, person(True), "safety.slip_done") == "A message for you"
    assert compose(T, person(True), "safety.slip_done", "body").split("\n") == [
        "A message for you", "body"]


def test_every_neutral_line_is_quiet_on_a_lock_screen() -> None:
    lines = {k: v for k, v in T.entries.items()
             if k.startswith("discreet.") and isinstance(v, str)}
    assert "discreet.neutral_default" in lines and len(lines) >= 2
    assert {k: lock_screen_words(v) for k, v in lines.items() if lock_screen_words(v)} == {}
    # and the check would notice a bad one
    assert lock_screen_words("Your craving check-in") == ["craving"]


def test_what_this_feature_sends_unprompted_starts_neutral_in_discreet_mode() -> None:
    # The only unprompted text of safety and privacy: telling linked people a link ended.
    for key in ("privacy.supporter_link_ended",):
        line = first_line(T, person(True), key, name="Alex")
        assert lock_screen_words(line) == [] and "\n" not in line
