"""A person's clock: their zone, check-in time, local today, and (re)scheduling of the
due times the tick claims. Shared by check-ins, settings and goals."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import schedule
from content import Catalog
from storage.models import User
from storage.repositories import checkins as checkins_repo
from storage.repositories import goals as goals_repo
from storage.repositories import insights as insights_repo

DEFAULT_TIME = time(9, 0)
SUMMARY_TIME = time(18, 0)  # weekly goal summaries go out at 18:00 local on the chosen day


def user_zone(user: User, default: str) -> ZoneInfo:
    return schedule.zone(user.timezone, default)


def user_time(user: User) -> time:
    return schedule.parse_hhmm(user.checkin_time or "") or DEFAULT_TIME


def local_today(user: User, now: datetime, default: str) -> date:
    return schedule.local_date(now, user_zone(user, default))


def next_checkin(user: User, now: datetime, default: str, last: date | None) -> datetime | None:
    if not user.checkins_enabled or user.unreachable:
        return None
    _, when = schedule.next_due(now, user_zone(user, default), user_time(user),
                                after_date=last, not_before=user.paused_until)
    return when


async def reschedule(session: AsyncSession, user: User, now: datetime, default: str) -> None:
    """Recompute every due time after any change of settings (takes effect at once):
    the check-in, the weekly summary (people with goals, or who asked for it in /stats)
    and a check-in before a high-risk time that the person said yes to."""
    last = await checkins_repo.last_date(session, user.id)
    user.next_checkin_at = next_checkin(user, now, default, last)
    weekly = user.weekly_insights or await goals_repo.count_for(session, user.id) > 0
    user.next_summary_at = (
        schedule.next_weekly(now, user_zone(user, default), user.summary_weekday, SUMMARY_TIME)
        if weekly and not user.unreachable else None
    )
    nudge = await insights_repo.nudge_of(session, user.id)
    if nudge is not None:
        nudge.next_at = next_nudge(user, nudge.status, nudge.remind_weekday,
                                   nudge.remind_time, now, default)


def next_nudge(user: User, status: str, weekday: int, at: str, now: datetime, default: str,
               ) -> datetime | None:
    when = schedule.parse_hhmm(at)
    if status != "on" or user.unreachable or when is None:
        return None
    return schedule.next_weekly(now, user_zone(user, default), weekday, when)


def fmt_date(t: Catalog, day: date) -> str:
    """'Tue 3 March' in the person's language."""
    return t.t("settings.date", weekday=t.list("settings.weekdays_short")[day.weekday()],
               day=day.day, month=t.list("settings.months")[day.month - 1])


def fmt_date_year(t: Catalog, day: date) -> str:
    return t.t("settings.date_year", day=day.day, month=t.list("settings.months")[day.month - 1],
               year=day.year)


def fmt_when(t: Catalog, when: datetime, tz: ZoneInfo) -> str:
    local = when.astimezone(tz)
    return t.t("settings.when", date=fmt_date(t, local.date()), time=local.strftime("%H:%M"))
