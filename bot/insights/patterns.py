"""When cravings come, how strong, what sets them off, and a clear high-risk time
(pure: no Telegram, no database). Times are the person's local wall-clock times.

A *window* is three hours starting at a given weekday and hour; it may run past midnight
into the next day. A high-risk window is **clear** when, over the last 8 weeks:

* at least 3 episodes began in it,
* on at least 2 different dates (one bad evening is not a pattern), and
* that is at least 3 times the person's own average per 3-hour window of the week
  (all their episodes x 3 / 168 hours), so someone with cravings at every hour of the
  week is not told that one of them stands out.

The busiest such window wins. Overlapping windows often hold the same cravings (three at
19:xx are in the windows from 17, 18 and 19 o'clock): ties go to the window they sit in
the middle of, then to stronger cravings, then to the earlier one in the week.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

WINDOW_HOURS = 3
WEEK_HOURS = 7 * 24
LOOKBACK = timedelta(weeks=8)
MIN_EPISODES = 3
MIN_DATES = 2
ABOVE_AVERAGE = 3.0
MIN_FOR_STRENGTH = 2  # a mean of one episode says nothing about "strongest"
MIN_FOR_PATTERNS = 3  # fewer episodes than this: no patterns yet
REMIND_BEFORE = timedelta(minutes=30)


@dataclass(frozen=True)
class Craving:
    """One episode in local time (naive wall-clock datetime)."""

    at: datetime
    intensity: int | None = None  # the first rating
    trigger: str | None = None


@dataclass(frozen=True)
class Slot:
    """Cravings in one weekday, one hour of the day, or one 3-hour window of the day."""

    key: int  # weekday 0-6 (Monday 0), or the (first) hour 0-23
    count: int
    mean_intensity: float | None
    rated: int = 0  # cravings with a first rating
    off_centre: float = 0.0  # hours between the cravings' mean time and the window's middle


@dataclass(frozen=True)
class Window:
    weekday: int  # of the window's first hour
    hour: int  # first hour, 0-23; the window is [hour, hour + 3)
    count: int
    dates: int
    mean_intensity: float | None

    @property
    def end_hour(self) -> int:
        return (self.hour + WINDOW_HOURS) % 24

    @property
    def part_of_day(self) -> str:
        """morning / afternoon / evening / night, by the window's middle hour."""
        middle = (self.hour + WINDOW_HOURS // 2) % 24
        if 5 <= middle < 12:
            return "morning"
        if 12 <= middle < 17:
            return "afternoon"
        if 17 <= middle < 22:
            return "evening"
        return "night"

    def remind_at(self) -> tuple[int, time]:
        """(weekday, local time) of a reminder 30 minutes before the window begins."""
        start = datetime(2024, 1, 1 + self.weekday, self.hour)  # 2024-01-01 was a Monday
        at = start - REMIND_BEFORE
        return at.weekday(), at.time()


@dataclass(frozen=True)
class Patterns:
    total: int
    busiest_hours: Slot | None  # a 3-hour window
    strongest_hours: Slot | None  # one hour of the day
    busiest_weekday: Slot | None
    strongest_weekday: Slot | None
    triggers: tuple[tuple[str, int], ...]
    risk: Window | None


def recent(cravings: Iterable[Craving], now: datetime,
           lookback: timedelta = LOOKBACK) -> list[Craving]:
    """The cravings of the last `lookback` before `now` (local, naive)."""
    return [c for c in cravings if now - lookback <= c.at <= now]


def _mean(values: Sequence[int]) -> float | None:
    return sum(values) / len(values) if values else None


def _hour_of_week(at: datetime) -> int:
    return at.weekday() * 24 + at.hour


def _off_centre(offsets: Sequence[float]) -> float:
    """How far the mean of the cravings' offsets into a window is from its middle."""
    return abs(sum(offsets) / len(offsets) - WINDOW_HOURS / 2) if offsets else 0.0


def _hours(at: datetime) -> float:
    return at.hour + at.minute / 60


def _slot(key: int, inside: Sequence[Craving], off_centre: float = 0.0) -> Slot:
    rated = [c.intensity for c in inside if c.intensity is not None]
    return Slot(key, len(inside), _mean(rated), len(rated), off_centre)


def window_slots(cravings: Sequence[Craving]) -> list[Slot]:
    """For each first hour 0-23: the cravings that began within the 3 hours from it."""
    slots = []
    for h in range(24):
        inside = [c for c in cravings if (c.at.hour - h) % 24 < WINDOW_HOURS]
        slots.append(_slot(h, inside, _off_centre([(_hours(c.at) - h) % 24 for c in inside])))
    return slots


def hour_slots(cravings: Sequence[Craving]) -> list[Slot]:
    """For each hour 0-23: the cravings that began in it."""
    return [_slot(h, [c for c in cravings if c.at.hour == h]) for h in range(24)]


def weekday_slots(cravings: Sequence[Craving]) -> list[Slot]:
    return [_slot(d, [c for c in cravings if c.at.weekday() == d]) for d in range(7)]


def busiest(slots: Sequence[Slot]) -> Slot | None:
    """The slot with the most cravings (ties: the window they are centred in, stronger,
    earlier); None if there are none."""
    best = max(slots, key=lambda s: (s.count, -s.off_centre, s.mean_intensity or 0.0, -s.key),
               default=None)
    return best if best is not None and best.count > 0 else None


def strongest(slots: Sequence[Slot]) -> Slot | None:
    """The slot with the highest mean first rating, among those with at least two rated
    cravings (ties: more cravings, then earlier)."""
    eligible = [s for s in slots if s.mean_intensity is not None and s.rated >= MIN_FOR_STRENGTH]
    return max(eligible, key=lambda s: (s.mean_intensity or 0.0, s.count, -s.key),
               default=None)


def top_triggers(cravings: Iterable[Craving], n: int = 3) -> tuple[tuple[str, int], ...]:
    counts = Counter(c.trigger for c in cravings if c.trigger and c.trigger != "skip")
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n])


def risk_window(cravings: Sequence[Craving]) -> Window | None:
    """The clear high-risk window among `cravings` (already limited to 8 weeks), or None."""
    if len(cravings) < MIN_EPISODES:
        return None
    average = len(cravings) * WINDOW_HOURS / WEEK_HOURS
    hours = [(_hour_of_week(c.at), c) for c in cravings]
    best: tuple[tuple[int, float, float, int], Window] | None = None
    for start in range(WEEK_HOURS):
        inside = [c for how, c in hours if (how - start) % WEEK_HOURS < WINDOW_HOURS]
        if len(inside) < MIN_EPISODES or len(inside) < ABOVE_AVERAGE * average:
            continue
        dates = len({c.at.date() for c in inside})
        if dates < MIN_DATES:
            continue
        mean = _mean([c.intensity for c in inside if c.intensity is not None])
        w = Window(start // 24, start % 24, len(inside), dates, mean)
        offsets = [(_hour_of_week(c.at) + c.at.minute / 60 - start) % WEEK_HOURS
                   for c in inside]
        key = (len(inside), -round(_off_centre(offsets), 6), mean or 0.0, -start)
        if best is None or key > best[0]:
            best = (key, w)
    return best[1] if best is not None else None


def analyse(cravings: Iterable[Craving], now: datetime) -> Patterns:
    """Patterns of the last 8 weeks before `now` (local, naive)."""
    mine = recent(cravings, now)
    if len(mine) < MIN_FOR_PATTERNS:
        return Patterns(len(mine), None, None, None, None, top_triggers(mine),
                        risk_window(mine))
    days = weekday_slots(mine)
    return Patterns(
        total=len(mine),
        busiest_hours=busiest(window_slots(mine)),
        strongest_hours=strongest(hour_slots(mine)),
        busiest_weekday=busiest(days),
        strongest_weekday=strongest(days),
        triggers=top_triggers(mine),
        risk=risk_window(mine),
    )


# --- one encouraging fact for the weekly summary --------------------------------------------
@dataclass(frozen=True)
class Week:
    """One week of a person's data, for comparing with the week before."""

    episodes: int
    rated_starts: tuple[int, ...]  # first ratings of episodes with both ratings
    rated_ends: tuple[int, ...]
    moods: tuple[int, ...]
    checkin_days: int


@dataclass(frozen=True)
class Fact:
    kind: str  # a content key under stats.fact
    values: dict[str, int | str]


def encouraging_fact(this: Week, before: Week, *, best_tool: tuple[str, float, int] | None,
                     streak: int | None, free_last30: tuple[int, int] | None) -> Fact:
    """One true, encouraging sentence's worth of data, the most encouraging first:
    fewer cravings than the week before, better mood, cravings that eased, a tool that
    works, days without using, check-ins kept; else a plain word of encouragement."""
    if before.episodes >= 2 and this.episodes < before.episodes:
        return Fact("fewer", {"this": this.episodes, "before": before.episodes})
    mood, mood_before = _mean(list(this.moods)), _mean(list(before.moods))
    if mood is not None and mood_before is not None and mood - mood_before >= 1:
        return Fact("mood_up", {"this": round(mood), "before": round(mood_before)})
    start, end = _mean(list(this.rated_starts)), _mean(list(this.rated_ends))
    if start is not None and end is not None and round(start) > round(end):
        return Fact("eased", {"count": len(this.rated_starts), "start": round(start),
                              "end": round(end)})
    if best_tool is not None and round(best_tool[1]) >= 1:
        return Fact("tool", {"tool": best_tool[0], "drop": round(best_tool[1]),
                             "times": best_tool[2]})
    if streak is not None and streak >= 1:
        return Fact("streak", {"days": streak})
    if free_last30 is not None and free_last30[0] >= 1:
        return Fact("last30", {"days": free_last30[0], "window": free_last30[1]})
    if this.checkin_days >= 1:
        return Fact("checkins", {"days": this.checkin_days})
    return Fact("showing_up", {})


def week_of(cravings: Iterable[tuple[date, int | None, int | None]],
            checkins: Iterable[tuple[date, int | None]], first: date, last: date) -> Week:
    """A Week from (local date, first rating, last rating) episodes and (date, mood)
    check-ins, counting those between `first` and `last` inclusive."""
    eps = [(s, e) for d, s, e in cravings if first <= d <= last]
    rated = [(s, e) for s, e in eps if s is not None and e is not None]
    days = [(d, m) for d, m in checkins if first <= d <= last]
    return Week(len(eps), tuple(s for s, _ in rated if s is not None),
                tuple(e for _, e in rated if e is not None),
                tuple(m for _, m in days if m is not None), len({d for d, _ in days}))
