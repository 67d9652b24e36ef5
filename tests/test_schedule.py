"""Schedule maths: the next local occurrence in UTC, across DST changes both ways."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import schedule

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_plain_day_in_winter_and_summer() -> None:
    assert schedule.occurrence(date(2026, 1, 10), time(9), BERLIN) == utc(2026, 1, 10, 8)
    assert schedule.occurrence(date(2026, 7, 10), time(9), BERLIN) == utc(2026, 7, 10, 7)
    assert schedule.occurrence(date(2026, 7, 10), time(9), NEW_YORK) == utc(2026, 7, 10, 13)


def test_a_time_that_does_not_exist_moves_to_the_next_valid_minute() -> None:
    # Berlin springs forward on 29 March 2026: 02:00 CET becomes 03:00 CEST (01:00 UTC)
    assert schedule.occurrence(date(2026, 3, 29), time(2, 30), BERLIN) == utc(2026, 3, 29, 1)
    # New York on 8 March 2026: 02:00 EST becomes 03:00 EDT (07:00 UTC)
    assert schedule.occurrence(date(2026, 3, 8), time(2, 30), NEW_YORK) == utc(2026, 3, 8, 7)
    assert schedule.occurrence(date(2026, 3, 8), time(2, 0), NEW_YORK) == utc(2026, 3, 8, 7)
    # the day after, 02:30 exists again
    assert schedule.occurrence(date(2026, 3, 9), time(2, 30), NEW_YORK) == utc(2026, 3, 9, 6, 30)


def test_a_time_that_happens_twice_is_taken_once_at_its_first_occurrence() -> None:
    # New York falls back on 1 November 2026: 01:30 happens at 05:30 UTC and 06:30 UTC
    first = schedule.occurrence(date(2026, 11, 1), time(1, 30), NEW_YORK)
    assert first == utc(2026, 11, 1, 5, 30)
    day, when = schedule.next_due(first, NEW_YORK, time(1, 30), after_date=date(2026, 11, 1))
    assert (day, when) == (date(2026, 11, 2), utc(2026, 11, 2, 6, 30))
    # Berlin falls back on 25 October 2026: 02:30 happens at 00:30 and 01:30 UTC
    assert schedule.occurrence(date(2026, 10, 25), time(2, 30), BERLIN) == utc(2026, 10, 25, 0, 30)


def test_next_due_is_today_before_the_time_and_tomorrow_after() -> None:
    at = time(9)
    assert schedule.next_due(utc(2026, 3, 2, 7), BERLIN, at) == (date(2026, 3, 2),
                                                                 utc(2026, 3, 2, 8))
    assert schedule.next_due(utc(2026, 3, 2, 8), BERLIN, at) == (date(2026, 3, 3),
                                                                 utc(2026, 3, 3, 8))


def test_a_date_that_had_its_checkin_gets_no_second_one() -> None:
    # checked in at 09:00; moving the time to 10:00 at 09:30 means tomorrow, not in 30 min
    day, when = schedule.next_due(utc(2026, 3, 2, 8, 30), BERLIN, time(10),
                                  after_date=date(2026, 3, 2))
    assert (day, when) == (date(2026, 3, 3), utc(2026, 3, 3, 9))


def test_a_pause_starts_again_on_its_date() -> None:
    day, when = schedule.next_due(utc(2026, 3, 2, 6), BERLIN, time(9),
                                  not_before=date(2026, 3, 5))
    assert (day, when) == (date(2026, 3, 5), utc(2026, 3, 5, 8))


def test_late_checkins_go_out_within_three_hours_but_never_late_at_night() -> None:
    due = utc(2026, 3, 2, 8)  # 09:00 in Berlin
    assert schedule.late_ok(due, due + timedelta(seconds=20), BERLIN, time(9))
    assert schedule.late_ok(due, due + timedelta(hours=2, minutes=59), BERLIN, time(9))
    assert not schedule.late_ok(due, due + timedelta(hours=3, minutes=1), BERLIN, time(9))
    evening = utc(2026, 3, 2, 20)  # 21:00 in Berlin; an hour late is 22:00: fine
    assert schedule.late_ok(evening, evening + timedelta(hours=1), BERLIN, time(21))
    assert not schedule.late_ok(evening, evening + timedelta(hours=2, minutes=30), BERLIN,
                                time(21))  # 23:30: too late at night
    night = utc(2026, 3, 2, 22, 30)  # a night-shift person chose 23:30 themselves
    assert schedule.late_ok(night, night + timedelta(hours=1), BERLIN, time(23, 30))


def test_parse_times_people_type() -> None:
    good = {"8:30": time(8, 30), "08:30": time(8, 30), "8.30": time(8, 30), "0830": time(8, 30),
            "8am": time(8), "8:30 pm": time(20, 30), "12am": time(0), "12 pm": time(12),
            "20h": time(20), "23:59": time(23, 59), " 7:05 ": time(7, 5)}
    for text, expected in good.items():
        assert schedule.parse_hhmm(text) == expected, text
    for text in ("", "8", "25:00", "8:60", "13pm", "soon", "8:3", "-1:00", "99"):
        assert schedule.parse_hhmm(text) is None, text


def test_goal_weeks_end_on_the_summary_day() -> None:
    sunday = 6
    assert schedule.week_start(date(2026, 3, 4), sunday) == date(2026, 3, 2)  # Wed -> Mon
    assert schedule.week_start(date(2026, 3, 8), sunday) == date(2026, 3, 2)  # Sun -> Mon
    assert schedule.week_start(date(2026, 3, 9), sunday) == date(2026, 3, 9)
    wednesday = 2
    assert schedule.week_start(date(2026, 3, 5), wednesday) == date(2026, 3, 5)  # Thu
    assert schedule.week_start(date(2026, 3, 4), wednesday) == date(2026, 2, 26)
    assert schedule.next_weekly(utc(2026, 3, 2, 12), BERLIN, sunday, time(18)) == utc(
        2026, 3, 8, 17)


ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata",
         "America/Santiago", "Pacific/Apia", "America/St_Johns", "UTC", "Asia/Tehran"]


@settings(max_examples=300, deadline=None)
@given(zone=st.sampled_from(ZONES),
       start=st.datetimes(min_value=datetime(2010, 1, 1), max_value=datetime(2035, 1, 1)),
       hour=st.integers(0, 23), minute=st.integers(0, 59))
def test_each_local_date_gets_exactly_one_checkin_in_order(zone: str, start: datetime,
                                                           hour: int, minute: int) -> None:
    tz = ZoneInfo(zone)
    at = time(hour, minute)
    now = start.replace(tzinfo=UTC)
    seen: list[date] = []
    last = None
    for _ in range(8):
        day, when = schedule.next_due(now, tz, at, after_date=last)
        assert when > now
        assert last is None or day > last
        local = when.astimezone(tz)
        # on time, or pushed forward by a gap by less than a day, never earlier
        assert local.replace(tzinfo=None) >= datetime.combine(day, at)
        assert local.replace(tzinfo=None) - datetime.combine(day, at) < timedelta(days=1)
        seen.append(day)
        now, last = when, day
    assert seen == sorted(set(seen))
