"""Dates people type: '2026-03-01', '1 March 2026', 'March 1, 2026', '01.03.2026', 'today',
'yesterday', '3 days ago', '2 weeks ago'. Pure; English month names.

Slashed dates like 03/01/2026 are refused: they read differently in the US and Europe,
and a wrong start date would be worse than asking again."""

from __future__ import annotations

import re
from datetime import date, timedelta

MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}
_ABBR = {name[:3]: n for name, n in MONTHS.items()} | {"sept": 9}
EARLIEST = date(1950, 1, 1)

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_DAY_MONTH = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?(?:\s+of)?\s+([a-z]+)\.?,?(?:\s+(\d{4}))?$")
_MONTH_DAY = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?(?:\s+(\d{4}))?$")
_AGO = re.compile(r"^(\d{1,5}|a|an|one)\s+(day|days|week|weeks|month|months|year|years)\s+ago$")


def _month(word: str) -> int | None:
    return MONTHS.get(word) or _ABBR.get(word)


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _without_year(month: int, day: int, today: date) -> date | None:
    """'1 March' means the latest 1 March that is not in the future."""
    candidate = _make(today.year, month, day)
    if candidate is None:
        return _make(today.year - 1, month, day)
    return candidate if candidate <= today else _make(today.year - 1, month, day)


def parse_date(text: str, today: date) -> date | None:
    """The date meant, or None when it can't be read unambiguously. Future dates are
    returned as they are (the caller refuses them kindly)."""
    s = " ".join(text.strip().lower().replace(",", " ").split())
    if not s:
        return None
    if s == "today":
        return today
    if s == "yesterday":
        return today - timedelta(days=1)
    if m := _AGO.match(s):
        n = 1 if m.group(1) in ("a", "an", "one") else int(m.group(1))
        unit = m.group(2).rstrip("s")
        if unit == "day":
            return today - timedelta(days=n)
        if unit == "week":
            return today - timedelta(weeks=n)
        months = n * (12 if unit == "year" else 1)
        y, mo = divmod(today.year * 12 + today.month - 1 - months, 12)
        if y < EARLIEST.year:
            return None
        for d in (today.day, 30, 29, 28):
            if (found := _make(y, mo + 1, d)) is not None:
                return found
        return None
    if m := _ISO.match(s):
        return _make(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _DOTTED.match(s):
        return _make(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    for pattern, day_first in ((_DAY_MONTH, True), (_MONTH_DAY, False)):
        if m := pattern.match(s):
            day_s, month_s = (m.group(1), m.group(2)) if day_first else (m.group(2), m.group(1))
            month = _month(month_s)
            if month is None:
                return None
            if m.group(3):
                return _make(int(m.group(3)), month, int(day_s))
            return _without_year(month, int(day_s), today)
    return None
