"""Recovery numbers from a start date and the days of use: pure, no Telegram, no database.

A day counts once it has passed: on the start date the count is 0, the next day 1 (the
way "days since" is counted in recovery groups). A day of use never wipes the record:
it ends the current streak, and the days before it still count in the total and the
longest streak (CONTENT.md, abstinence violation effect).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

MILESTONES = (1, 3, 7, 14, 30, 60, 90, 180, 365)
YEAR = 365


@dataclass(frozen=True)
class Progress:
    start: date
    today: date
    days_since_start: int  # whole days from the start date to today
    current_streak: int  # days without using since the last day of use (or the start)
    total_without: int  # all days without using since the start
    longest_streak: int
    last30_without: int  # days without using among the last `last30_window` days
    last30_window: int  # 30, or fewer when the start is more recent
    use_days: int  # days of use since the start, before today
    used_today: bool = False

    @property
    def had_slip(self) -> bool:
        return self.use_days > 0 or self.used_today


def _uses_in_range(use_days: Iterable[date], start: date, today: date) -> list[date]:
    return sorted({d for d in use_days if start <= d < today})


def progress(start: date, use_days: Iterable[date], today: date) -> Progress:
    """Numbers for the days from `start` (inclusive) to `today` (exclusive)."""
    if today < start:
        today = start
    days = (today - start).days
    uses = _uses_in_range(use_days, start, today)
    all_uses = {d for d in use_days if start <= d <= today}
    last_use = max(all_uses) if all_uses else None
    current = (today - max(start, last_use + timedelta(days=1))).days if last_use else days
    current = max(current, 0)
    longest, run_start = 0, start
    for u in uses:
        longest = max(longest, (u - run_start).days)
        run_start = u + timedelta(days=1)
    longest = max(longest, current, (today - run_start).days if run_start <= today else 0)
    window = min(30, days)
    window_start = today - timedelta(days=window)
    last30 = window - sum(1 for u in uses if u >= window_start)
    return Progress(start=start, today=today, days_since_start=days, current_streak=current,
                    total_without=days - len(uses), longest_streak=longest,
                    last30_without=last30, last30_window=window, use_days=len(uses),
                    used_today=today in all_uses)


def is_milestone(days: int) -> bool:
    return days in MILESTONES or (days >= YEAR and days % YEAR == 0)


def milestone(p: Progress) -> tuple[str, int] | None:
    """What to celebrate today: ("streak", n) for days in a row, or ("total", n) for days
    without using in all when only that reached a milestone (after a slip)."""
    if p.current_streak > 0 and is_milestone(p.current_streak):
        return "streak", p.current_streak
    if p.had_slip and p.total_without > 0 and is_milestone(p.total_without):
        return "total", p.total_without
    return None


def next_milestone(days: int) -> int:
    """The next milestone after `days` (days in a row or in all): 1, 3, 7, … 365, then
    every year."""
    for m in MILESTONES:
        if m > days:
            return m
    return (days // YEAR + 1) * YEAR


def years(days: int) -> int:
    return days // YEAR
