"""What people type: time zones and places (offline), dates, weekly goals."""

from __future__ import annotations

from datetime import date

import pytest

from bot import timezones
from bot.date_text import parse_date
from bot.goal_text import parse_goal

TODAY = date(2026, 3, 20)


@pytest.mark.parametrize("typed, expected", [
    ("Europe/Berlin", "Europe/Berlin"), ("europe/berlin", "Europe/Berlin"),
    ("Berlin", "Europe/Berlin"), ("München", "Europe/Berlin"), ("munich", "Europe/Berlin"),
    ("Bielefeld", "Europe/Berlin"), ("berlinn", "Europe/Berlin"), ("New York", "America/New_York"),
    ("Kiev", "Europe/Kyiv"), ("Europe/Kiev", "Europe/Kyiv"), ("bombay", "Asia/Kolkata"),
    ("São Paulo", "America/Sao_Paulo"), ("UTC", "UTC"), ("gmt", "UTC"),
    ("Germany", "Europe/Berlin"),
])
def test_places_resolve_to_a_zone(typed: str, expected: str) -> None:
    assert timezones.resolve(typed, country="US")[0] == expected


def test_ambiguous_places_and_countries_offer_choices_home_country_first() -> None:
    assert timezones.resolve("Portland", country="US")[:2] == ["America/Los_Angeles",
                                                              "America/New_York"]
    us = timezones.resolve("United States")
    assert us[:5] == ["America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
                      "America/Los_Angeles"]
    assert timezones.resolve("xyzzy plugh") == [] and timezones.resolve("  ") == []


def test_country_short_lists_have_one_zone_per_clock() -> None:
    assert timezones.country_zones("DE") == ["Europe/Berlin"]
    assert "Australia/Sydney" in timezones.country_zones("AU")
    assert "America/Toronto" in timezones.country_zones("CA")
    assert timezones.country_zones("ZZ") == []


def test_location_is_resolved_offline() -> None:
    assert timezones.from_location(52.52, 13.40) == "Europe/Berlin"
    assert timezones.from_location(40.71, -74.0) == "America/New_York"
    assert timezones.from_location(-33.87, 151.21) == "Australia/Sydney"
    assert timezones.from_location(95, 0) is None


@pytest.mark.parametrize("typed, expected", [
    ("2026-03-01", date(2026, 3, 1)), ("1 March 2026", date(2026, 3, 1)),
    ("March 1, 2026", date(2026, 3, 1)), ("1st of March 2026", date(2026, 3, 1)),
    ("1 mar 2026", date(2026, 3, 1)), ("01.03.2026", date(2026, 3, 1)), ("today", TODAY),
    ("Yesterday", date(2026, 3, 19)), ("3 days ago", date(2026, 3, 17)),
    ("2 weeks ago", date(2026, 3, 6)), ("a month ago", date(2026, 2, 20)),
    ("1 March", date(2026, 3, 1)), ("25 December", date(2025, 12, 25)),
    ("2027-01-01", date(2027, 1, 1)),  # future dates are read; the caller refuses them
])
def test_dates(typed: str, expected: date) -> None:
    assert parse_date(typed, TODAY) == expected


@pytest.mark.parametrize("typed", ["03/01/2026", "31 February 2026", "soon", "", "2026-13-01",
                                   "1 Smarch 2026", "99999 years ago"])
def test_unreadable_or_ambiguous_dates(typed: str) -> None:
    assert parse_date(typed, TODAY) is None


@pytest.mark.parametrize("typed, expected", [
    ("3 meetings a week", ("meetings", 3)), ("journal every night", ("journal", 7)),
    ("go to the gym twice a week", ("go to the gym", 2)), ("walk 5x per week", ("walk", 5)),
    ("Meditate daily", ("Meditate", 7)), ("call my sister", ("call my sister", None)),
    ("three calls a week.", ("calls", 3)), ("read 10 pages every weekday", ("read 10 pages", 5)),
    ("20 pushups a week", ("20 pushups", None)), ("I want to run once a week", ("run", 1)),
])
def test_goals(typed: str, expected: tuple[str, int | None]) -> None:
    assert parse_goal(typed) == expected


def test_goal_without_a_name() -> None:
    assert parse_goal("every day") is None and parse_goal("   ") is None
