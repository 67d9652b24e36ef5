"""Recovery maths: streaks, totals and milestones; a slip never wipes the record."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import recovery_math
from bot.recovery_math import is_milestone, milestone, progress

START = date(2026, 3, 1)


def test_counting_starts_the_day_after_the_start() -> None:
    p = progress(START, [], START)
    assert (p.current_streak, p.total_without, p.longest_streak) == (0, 0, 0)
    p = progress(START, [], date(2026, 3, 8))
    assert (p.current_streak, p.total_without, p.longest_streak) == (7, 7, 7)
    assert (p.last30_without, p.last30_window) == (7, 7)
    assert milestone(p) == ("streak", 7)


def test_a_slip_ends_the_streak_and_keeps_the_days_before_it() -> None:
    p = progress(START, [date(2026, 3, 11)], date(2026, 3, 15))
    assert p.current_streak == 3  # 12, 13, 14 March
    assert p.total_without == 13  # 14 days, one of them a day of use
    assert p.longest_streak == 10  # 1 to 10 March
    assert p.had_slip


def test_use_reported_today_makes_the_streak_zero_until_tomorrow() -> None:
    p = progress(START, [date(2026, 3, 5)], date(2026, 3, 5))
    assert (p.current_streak, p.total_without, p.longest_streak) == (0, 4, 4)


def test_last_30_days_and_old_use_before_the_start_is_ignored() -> None:
    today = date(2026, 6, 1)
    uses = [date(2026, 2, 1), date(2026, 5, 20), date(2026, 5, 25)]
    p = progress(START, uses, today)
    assert (p.last30_without, p.last30_window) == (28, 30)
    assert p.use_days == 2


def test_milestones() -> None:
    assert [d for d in range(1, 800) if is_milestone(d)] == [1, 3, 7, 14, 30, 60, 90, 180, 365,
                                                            730]
    p = progress(START, [], START + timedelta(days=365))
    assert milestone(p) == ("streak", 365) and recovery_math.years(365) == 1
    # after a slip the streak restarts, and 60 days in all is still celebrated
    slip = START + timedelta(days=50)
    p = progress(START, [slip], START + timedelta(days=61))
    assert (p.current_streak, p.total_without) == (10, 60)
    assert milestone(p) == ("total", 60)
    p = progress(START, [slip], slip + timedelta(days=2))
    assert milestone(p) == ("streak", 1)
    assert milestone(progress(START, [], START + timedelta(days=2))) is None


@settings(max_examples=300, deadline=None)
@given(length=st.integers(0, 500), offsets=st.lists(st.integers(-20, 520), max_size=40),
       extra=st.integers(0, 520))
def test_properties(length: int, offsets: list[int], extra: int) -> None:
    today = START + timedelta(days=length)
    uses = [START + timedelta(days=o) for o in offsets]
    p = progress(START, uses, today)
    assert 0 <= p.current_streak <= p.longest_streak <= p.total_without <= p.days_since_start
    assert p.total_without + p.use_days == p.days_since_start
    assert 0 <= p.last30_without <= p.last30_window <= 30
    # a new day of use never takes away what was counted before it
    slip = START + timedelta(days=extra)
    if slip < today:
        before = progress(START, uses, slip)
        after = progress(START, [*uses, slip], today)
        assert after.total_without >= before.total_without
        assert after.longest_streak >= before.longest_streak
        assert after.total_without >= p.total_without - 1
