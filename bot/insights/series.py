"""What a chart shows, built from plain records (pure: no Telegram, no database).

Everything is in the person's local time: a day is a local date, an episode sits at the
local time it began. The chart's x axis counts days from the first day shown, so an
episode at 18:00 on the third day is at x = 2.75.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

RANGES = (7, 30, 90)
DEFAULT_RANGE = 30

FREE = "free"  # a day without using
USE = "use"  # a day of use
UNKNOWN = "unknown"  # before the recovery start, with no start set, or today (not over yet)


@dataclass(frozen=True)
class EpisodeRecord:
    """A craving episode as stored: when it began (aware) and its two ratings."""

    started_at: datetime
    start: int | None
    end: int | None
    trigger: str | None = None


@dataclass(frozen=True)
class CheckinRecord:
    day: date
    mood: int | None
    craving: int | None


@dataclass(frozen=True)
class EpisodePoint:
    x: float  # days since the first day shown
    start: int | None
    end: int | None


@dataclass(frozen=True)
class ChartData:
    first: date
    last: date  # the last day shown (today), inclusive
    episodes: tuple[EpisodePoint, ...]
    mood: tuple[tuple[float, int], ...]  # (x at midday, 0-10)
    craving: tuple[tuple[float, int], ...]  # check-in craving, (x at midday, 0-10)
    days: tuple[str, ...]  # FREE / USE / UNKNOWN for each day from first to last

    @property
    def span(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def empty(self) -> bool:
        return not self.episodes and not self.mood and not self.craving and all(
            d == UNKNOWN for d in self.days)


def window(today: date, days: int) -> tuple[date, date]:
    """The first and last local date of a chart of `days` days ending today."""
    return today - timedelta(days=days - 1), today


def day_status(day: date, today: date, recovery_start: date | None,
               use_days: set[date]) -> str:
    if day in use_days:
        return USE
    if recovery_start is None or day < recovery_start or day >= today:
        return UNKNOWN
    return FREE


def build(*, today: date, days: int, tz: ZoneInfo, episodes: Iterable[EpisodeRecord],
          checkins: Iterable[CheckinRecord], recovery_start: date | None,
          use_days: Iterable[date]) -> ChartData:
    """The series of a `days`-day chart ending on local date `today`."""
    first, last = window(today, days)
    origin = datetime.combine(first, datetime.min.time())
    points = []
    for e in sorted(episodes, key=lambda e: e.started_at):
        local = e.started_at.astimezone(tz).replace(tzinfo=None)
        if not first <= local.date() <= last or (e.start is None and e.end is None):
            continue
        points.append(EpisodePoint(round((local - origin).total_seconds() / 86400, 4),
                                   e.start, e.end))
    mood: list[tuple[float, int]] = []
    craving: list[tuple[float, int]] = []
    for c in sorted(checkins, key=lambda c: c.day):
        if not first <= c.day <= last:
            continue
        x = (c.day - first).days + 0.5
        if c.mood is not None:
            mood.append((x, c.mood))
        if c.craving is not None:
            craving.append((x, c.craving))
    uses = set(use_days)
    statuses = tuple(day_status(first + timedelta(days=i), today, recovery_start, uses)
                     for i in range(days))
    return ChartData(first, last, tuple(points), tuple(mood), tuple(craving), statuses)


@dataclass(frozen=True)
class Facts:
    """What the caption says in words."""

    days: int
    episodes: int
    rated: int  # episodes with both a first and a last rating
    mean_start: float | None
    mean_end: float | None
    mean_mood: float | None
    free_days: int
    known_days: int  # days whose status is known (free or use)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def facts(data: ChartData) -> Facts:
    rated = [e for e in data.episodes if e.start is not None and e.end is not None]
    return Facts(
        days=data.span, episodes=len(data.episodes), rated=len(rated),
        mean_start=_mean([e.start for e in rated if e.start is not None]),
        mean_end=_mean([e.end for e in rated if e.end is not None]),
        mean_mood=_mean([v for _, v in data.mood]),
        free_days=sum(1 for d in data.days if d == FREE),
        known_days=sum(1 for d in data.days if d != UNKNOWN),
    )


def tick_days(first: date, days: int) -> list[date]:
    """Dates to label on the x axis: every day for a week, then weekly or fortnightly,
    counted back from the last day so today is always labelled."""
    step = 1 if days <= 7 else 7 if days <= 31 else 14
    last = first + timedelta(days=days - 1)
    return sorted(last - timedelta(days=i) for i in range(0, days, step))
