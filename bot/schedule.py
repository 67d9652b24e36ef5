"""Schedule maths for daily check-ins and weekly summaries: pure, no Telegram, no database.

Due times are stored in UTC; the person thinks in local wall-clock time. The rules:

* One occurrence per local date. The check-in of a date is at the chosen wall time.
* A wall time that does not exist that day (the clock jumps forward over it, e.g. 02:30
  on the spring-forward day in Berlin) happens at the next valid minute (03:00).
* A wall time that happens twice (the clock falls back over it, e.g. 01:30 on the
  fall-back day in New York) happens once, at its first occurrence.
* Because occurrences are counted by local date, changing the time or the zone never
  produces a second check-in on a date that already had one.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

LATE_LIMIT = timedelta(hours=3)  # a check-in more overdue than this is skipped, not sent
NIGHT_START = time(23, 0)
NIGHT_END = time(6, 0)

_HHMM = re.compile(
    r"^\s*(\d{1,2})(?:\s*[:.h]\s*(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.|h)?\s*$", re.IGNORECASE
)
_COMPACT = re.compile(r"^\s*(\d{1,2})(\d{2})\s*$")


def zone(name: str | None, default: str = "UTC") -> ZoneInfo:
    """The zone for an IANA name; the default (then UTC) for a missing or unknown one."""
    for candidate in (name, default, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def parse_hhmm(text: str) -> time | None:
    """'8:30', '08:30', '8.30', '0830', '8am', '8:30 pm', '20h' -> a time; else None."""
    text = text.strip().lower().replace(" ", "") if text else ""
    if not text:
        return None
    compact = _COMPACT.match(text)
    if compact and len(text) in (3, 4):
        hour, minute, suffix = int(compact.group(1)), int(compact.group(2)), None
    else:
        m = _HHMM.match(text)
        if m is None:
            return None
        hour, minute = int(m.group(1)), int(m.group(2) or 0)
        suffix = (m.group(3) or "").replace(".", "")
        if suffix in ("am", "pm"):
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if suffix == "pm" else 0)
        elif m.group(2) is None and suffix != "h":
            return None  # a bare number like "8" is too ambiguous to guess
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


def format_hhmm(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


def local_date(when: datetime, tz: ZoneInfo) -> date:
    return when.astimezone(tz).date()


def _exists(naive: datetime, tz: ZoneInfo) -> bool:
    utc = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    return utc.astimezone(tz).replace(tzinfo=None) == naive


def occurrence(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall time `at` on local date `day`.

    Ambiguous times take their first occurrence; times in a gap move to the first wall
    time that exists after them (the end of the gap)."""
    naive = datetime.combine(day, at)
    if _exists(naive, tz):
        return naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    # In a gap: fold=1 reads the time with the offset after the jump (an instant before the
    # transition), fold=0 with the offset before it (an instant after the transition). The
    # transition, where the wall clock first reaches `naive` or later, lies between them.
    low = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    high = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if low > high:
        low, high = high, low
    lo_min, hi_min = 0, int((high - low).total_seconds() // 60) + 1
    while lo_min < hi_min:  # first whole minute whose wall time is at or past `naive`
        mid = (lo_min + hi_min) // 2
        if (low + timedelta(minutes=mid)).astimezone(tz).replace(tzinfo=None) >= naive:
            hi_min = mid
        else:
            lo_min = mid + 1
    return low + timedelta(minutes=lo_min)


def next_due(now: datetime, tz: ZoneInfo, at: time, *, after_date: date | None = None,
             not_before: date | None = None) -> tuple[date, datetime]:
    """The next (local date, UTC instant) strictly after `now`.

    `after_date`: a date that already had its occurrence (the last check-in), so the
    next one is on a later date. `not_before`: the first date allowed (end of a pause)."""
    day = local_date(now, tz)
    if after_date is not None and after_date >= day:
        day = after_date + timedelta(days=1)
    if not_before is not None and not_before > day:
        day = not_before
    for _ in range(3):  # at most: today has passed, and the day after is skipped by a gap
        when = occurrence(day, at, tz)
        if when > now:
            return day, when
        day += timedelta(days=1)
    when = occurrence(day, at, tz)
    return day, when


def late_ok(due: datetime, now: datetime, tz: ZoneInfo, at: time) -> bool:
    """May an overdue occurrence still go out? Not after LATE_LIMIT, and never late into
    the night, unless the person chose a night-time check-in themselves."""
    if now - due > LATE_LIMIT:
        return False
    if now - due <= timedelta(minutes=1):
        return True
    return not is_night(now.astimezone(tz).time()) or is_night(at)


def is_night(value: time) -> bool:
    return value >= NIGHT_START or value < NIGHT_END


# --- weeks ----------------------------------------------------------------------------------
def week_start(day: date, summary_weekday: int) -> date:
    """First date of the goal week holding `day`. Weeks end on the summary weekday
    (Monday=0), so a summary sent that day covers the whole week."""
    first = (summary_weekday + 1) % 7
    return day - timedelta(days=(day.weekday() - first) % 7)


def next_weekly(now: datetime, tz: ZoneInfo, weekday: int, at: time) -> datetime:
    """The next UTC instant strictly after `now` at `at` local on `weekday`."""
    day = local_date(now, tz)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    for _ in range(3):
        when = occurrence(day, at, tz)
        if when > now:
            return when
        day += timedelta(days=7)
    return occurrence(day, at, tz)


def local_now(now: datetime, tz: ZoneInfo) -> datetime:
    return now.astimezone(tz)


def utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    return value.astimezone(UTC)
