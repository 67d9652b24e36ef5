"""/stats as a person sees it: the chart photo and its caption and buttons, patterns, the
check-in before a hard time (offered, scheduled through the tick, sent once), and the
weekly summary carrying the chart."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.discreet import LOCK_SCREEN_WORDS
from bot.fake_api import Call, png_size, uploaded
from bot.handlers import nudges
from bot.insights import chart, series
from bot.local_driver import Person, answers
from bot.sender import BULK
from storage.models import Checkin, CravingEpisode, InsightNudge
from storage.repositories import recovery
from tests.checkin_helpers import tick_at, user_row, utc
from tests.conftest import DbTarget, Harness, start_harness, stop_harness

BERLIN = ZoneInfo("Europe/Berlin")
NOW = utc(2026, 3, 30, 10)  # Monday 12:00 in Berlin (summer time since 29 March)
FRIDAYS = [date(2026, 3, 6), date(2026, 3, 13), date(2026, 3, 20), date(2026, 3, 27)]
INVALID = ["That button is no longer valid."]


def berlin(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=BERLIN).astimezone(
        ZoneInfo("UTC"))


async def add_episodes(bot: Harness, rows: Sequence[tuple[datetime, int | None, int | None,
                                                          str | None, list[str], str | None]],
                       user_id: int = 1001) -> None:
    async with bot.db.session() as s:
        for started, start, end, trigger, tried, helped in rows:
            s.add(CravingEpisode(user_id=user_id, started_at=started,
                                 ended_at=started + timedelta(minutes=20),
                                 intensity_start=start, intensity_end=end, trigger=trigger,
                                 tried=tried, helped=helped, follow_up_attempts=0,
                                 source="text"))


async def add_checkins(bot: Harness, rows: Sequence[tuple[date, int, int]],
                       user_id: int = 1001) -> None:
    async with bot.db.session() as s:
        for day, mood, craving in rows:
            due = berlin(day, 9)
            s.add(Checkin(user_id=user_id, local_date=day, source="scheduled", due_at=due,
                          sent_at=due, craving=craving, mood=mood, completed_at=due))


async def person_in_berlin(bot: Harness, user_id: int = 1001, name: str = "Alex") -> Person:
    bot.clock.set(NOW)
    p = await bot.consented(user_id, name)
    await p.send("/timezone Europe/Berlin")
    await p.send("/since 2026-03-01")
    return p


def friday_history() -> list[tuple[datetime, int | None, int | None, str | None, list[str],
                                   str | None]]:
    """Four hard Friday evenings, and a few other cravings; box breathing helped."""
    evenings = [(berlin(d, h, m), 8, 4, "stress", ["box"], "box")
                for d, (h, m) in zip(FRIDAYS, [(18, 30), (19, 15), (20, 40), (19, 30)],
                                     strict=True)]
    return [
        *evenings,
        (berlin(date(2026, 3, 9), 9), 6, 2, "boredom", ["box"], None),
        (berlin(date(2026, 3, 16), 14), 7, 3, "lonely", ["box", "surf"], "surf"),
        (berlin(date(2026, 3, 24), 8), 5, 4, "boredom", ["surf"], None),
    ]


class ChartSpy:
    """Records what reaches the plotting layer, and still draws the real chart."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[series.ChartData, chart.Labels]] = []
        real = chart.render

        def spy(data: series.ChartData, labels: chart.Labels) -> bytes:
            self.calls.append((data, labels))
            return real(data, labels)

        monkeypatch.setattr(chart, "render", spy)


def photos(calls: list[Call]) -> list[Call]:
    return [c for c in calls if c.method == "sendPhoto"]


# --- /stats ----------------------------------------------------------------------------------
async def test_stats_sends_the_chart_of_the_last_30_days(bot: Harness,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    spy = ChartSpy(monkeypatch)
    p = await person_in_berlin(bot)
    await add_episodes(bot, friday_history())
    await add_checkins(bot, [(date(2026, 3, 28), 4, 6), (date(2026, 3, 29), 6, 3),
                             (date(2026, 3, 30), 7, 1), (date(2026, 2, 1), 1, 9)])
    async with bot.db.session() as s:  # a day of use, as the slip flow records it
        await recovery.record_use(s, 1001, date(2026, 3, 22), NOW, "text")
    calls = await p.send("/stats")
    [call] = photos(calls)
    png = uploaded(call, "photo")
    assert png is not None and png_size(png) == (1080, 1350)
    # what the plotting layer was given: the person's own numbers, in Berlin time
    [(data, labels)] = spy.calls
    assert (data.first, data.last) == (date(2026, 3, 1), date(2026, 3, 30))
    assert [(e.start, e.end) for e in data.episodes] == [(8, 4), (6, 2), (8, 4), (7, 3),
                                                         (8, 4), (5, 4), (8, 4)]
    friday_27 = (date(2026, 3, 27) - data.first).days + (19.5 / 24)
    assert any(abs(e.x - friday_27) < 1e-3 and (e.start, e.end) == (8, 4) for e in data.episodes)
    assert data.mood == ((27.5, 4), (28.5, 6), (29.5, 7))
    assert data.craving == ((27.5, 6), (28.5, 3), (29.5, 1))
    assert data.days[21] == "use" and data.days.count("free") == 28
    assert labels.craving == "Craving" and labels.ticks[-1] == (date(2026, 3, 30), "30 Mar")
    # what the person sees: one line in words and the range buttons
    shown = p.messages()[-1]
    assert shown["caption"] == ("Last 30 days: 7 cravings, on average from 7 to 4 · mood around"
                                " 6 · 28 of 29 days without using")
    assert shown["photo"][-1]["width"] == 1080 and shown["photo"][-1]["height"] == 1350
    assert [b.label for b in p.buttons(shown)] == [
        "7 days", "• 30 days •", "90 days", "🔍 Patterns", "📅 Send me this every Sunday"]


async def test_the_range_buttons_redraw_the_same_message(bot: Harness,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    spy = ChartSpy(monkeypatch)
    p = await person_in_berlin(bot)
    await add_episodes(bot, friday_history())
    await p.send("/stats")
    before = len(p.messages())
    calls = await p.tap("7 days")
    assert [c.method for c in calls if c.method.startswith("edit")] == ["editMessageMedia"]
    assert len(p.messages()) == before
    assert spy.calls[-1][0].span == 7 and spy.calls[-1][0].first == date(2026, 3, 24)
    assert p.last_text.startswith("Last 7 days: 2 cravings")
    assert "• 7 days •" in [b.label for b in p.buttons(p.messages()[-1])]
    assert png_size(uploaded(calls[0], "media") or b"") is None  # sent as attach://
    await p.tap("90 days")
    assert spy.calls[-1][0].span == 90 and p.last_text.startswith("Last 90 days: 7 cravings")
    await p.send("/stats 7")
    assert spy.calls[-1][0].span == 7


async def test_stats_with_nothing_yet_bad_input_and_before_consent(bot: Harness) -> None:
    stranger = bot.person(2002, "Sam")
    await stranger.send("/stats")
    assert "need your okay" in stranger.last_text
    p = await person_in_berlin(bot)
    await p.send("/stats")
    # a start date alone already shows days without using
    assert p.messages()[-1].get("photo")
    q = await bot.consented(3003, "Kim")
    calls = await q.send("/stats")
    assert photos(calls) == [] and "Nothing to chart yet" in q.last_text
    await p.send("/stats 12")
    assert "/stats 7" in p.last_text and "/stats 90" in p.last_text
    for data in ("stats:r:12", "stats:r:", "stats:wk:5", "nudge:yes:4:18:1730", "nudge:no:4:18",
                 "nudge:ok:1", "nudge:stop", "stats:pat:1", "stats:zz"):
        assert answers(await p.press(data)) == INVALID, data


async def test_discreet_caption_starts_neutral(bot: Harness) -> None:
    p = await person_in_berlin(bot)
    await add_episodes(bot, friday_history())
    await p.send("/discreet on")
    await p.send("/stats")
    first, words = p.last_text.split("\n")
    assert first == "Your chart"
    assert [w for w in LOCK_SCREEN_WORDS if w in first.lower()] == []
    assert words.startswith("Last 30 days: 7 cravings")


# --- patterns and the check-in before a hard time -----------------------------------------------
async def test_patterns_show_hard_times_triggers_and_what_helped(bot: Harness) -> None:
    p = await person_in_berlin(bot)
    await add_episodes(bot, friday_history())
    await p.send("/stats")
    await p.tap("Patterns")
    text = p.last_text
    assert "<b>Your patterns</b> (last 8 weeks, 7 cravings)" in text
    assert "Most often between 18:00 and 21:00" in text and "Most often on Fridays" in text
    assert "Strongest around 19:00 (8 out of 10 on average)" in text
    assert "What set them off most: 😣 Stress (4), 🥱 Boredom (2), 🫂 Lonely (1)" in text
    assert "• box breathing: −4 on average over 6 times" in text
    assert "• urge surfing: −2 on average over 2 times" in text
    assert ("Friday evenings have been hard: 4 cravings between 18:00 and 21:00 in the last 8 "
            "weeks. Want a short check-in at 17:30 on Fridays?") in text
    assert [b.label for b in p.buttons(p.messages()[-1])] == ["Yes, Fridays at 17:30",
                                                              "No, thanks"]


async def nudge_row(bot: Harness, user_id: int = 1001) -> InsightNudge | None:
    async with bot.db.session() as s:
        return await s.get(InsightNudge, user_id)


async def accept_nudge(bot: Harness, p: Person) -> None:
    await add_episodes(bot, friday_history(), p.user_id)
    await p.send("/stats")
    await p.tap("Patterns")
    await p.tap("Yes, Fridays at 17:30")


def nudges_sent(bot: Harness, user_id: int = 1001) -> list[Call]:
    return [c for c in bot.api.calls if c.method == "sendMessage"
            and int(c.params["chat_id"]) == user_id and "nudge:stop" in str(
                c.params.get("reply_markup"))]


async def test_yes_schedules_a_weekly_check_in_sent_once_through_the_tick(bot: Harness) -> None:
    p = await person_in_berlin(bot)
    await accept_nudge(bot, p)
    assert "I'll check in on Fridays at 17:30 your time" in p.last_text
    row = await nudge_row(bot)
    assert row is not None and row.status == "on"
    assert row.next_at == utc(2026, 4, 3, 15, 30)  # 17:30 in Berlin, summer time
    await tick_at(bot, utc(2026, 4, 3, 15, 29))
    assert nudges_sent(bot) == []
    await tick_at(bot, utc(2026, 4, 3, 15, 30, 4))
    await tick_at(bot, utc(2026, 4, 3, 15, 30, 14))
    [sent] = nudges_sent(bot)
    assert sent.params["text"].startswith("<b>Friday evening check-in</b>\nFriday evenings have"
                                          " been hard before.")
    assert [b.label for b in p.buttons(p.messages()[-1])] == [
        "👍 I'm okay", "🆘 Craving", "🫁 Breathe", "Stop these check-ins"]
    assert (await nudge_row(bot)).next_at == utc(2026, 4, 10, 15, 30)  # type: ignore[union-attr]
    nudge = p.messages()[-1]
    await p.tap("I'm okay")
    assert "Good to hear" in p.last_text
    await p.press("nudge:crave", nudge)
    assert "Most urges peak and ease" in "\n".join(p.texts()[-2:])
    async with bot.db.session() as s:
        sources = list(await s.scalars(select(CravingEpisode.source)))
    assert "nudge" in sources


async def test_the_check_in_respects_pause_discreet_mode_and_stop(bot: Harness) -> None:
    p = await person_in_berlin(bot)
    await accept_nudge(bot, p)
    await p.send("/pause 7")  # until 6 April: the Friday of 3 April is skipped
    await tick_at(bot, utc(2026, 4, 3, 15, 30, 5))
    assert nudges_sent(bot) == []
    assert (await nudge_row(bot)).next_at == utc(2026, 4, 10, 15, 30)  # type: ignore[union-attr]
    await p.send("/discreet on")
    await tick_at(bot, utc(2026, 4, 10, 15, 30, 5))
    [sent] = nudges_sent(bot)
    first = sent.params["text"].split("\n")[0]
    assert first == "Checking in on you"
    await p.tap("Stop these check-ins")
    assert "no more check-ins on Fridays at 17:30" in p.last_text
    assert (await nudge_row(bot)).next_at is None  # type: ignore[union-attr]
    await tick_at(bot, utc(2026, 4, 17, 15, 30, 5))
    assert len(nudges_sent(bot)) == 1
    assert answers(await p.press("nudge:stop")) == INVALID


async def test_a_check_in_overdue_by_more_than_45_minutes_is_skipped(bot: Harness) -> None:
    p = await person_in_berlin(bot)
    await accept_nudge(bot, p)
    await tick_at(bot, utc(2026, 4, 3, 16, 20))  # the bot was down at 17:30
    assert nudges_sent(bot) == []
    assert (await nudge_row(bot)).next_at == utc(2026, 4, 10, 15, 30)  # type: ignore[union-attr]


async def test_blocked_people_get_no_check_in_until_they_write_again(bot: Harness) -> None:
    p = await person_in_berlin(bot)
    await accept_nudge(bot, p)
    bot.api.blocked_chats.add(1001)
    await tick_at(bot, utc(2026, 4, 3, 15, 30, 5))
    assert (await user_row(bot)).unreachable
    assert (await nudge_row(bot)).next_at is None  # type: ignore[union-attr]
    bot.api.blocked_chats.clear()
    await p.send("hello again")
    assert (await nudge_row(bot)).next_at == utc(2026, 4, 10, 15, 30)  # type: ignore[union-attr]


async def test_no_is_respected_and_a_zone_change_moves_the_check_in(bot: Harness) -> None:
    p = await person_in_berlin(bot)
    await add_episodes(bot, friday_history())
    await p.send("/stats")
    await p.tap("Patterns")
    offer = p.messages()[-1]
    yes = next(b.callback_data for b in p.buttons(offer) if b.label.startswith("Yes"))
    await p.tap("No, thanks")
    assert "Okay, no reminder" in p.last_text
    assert (await nudge_row(bot)).status == "declined"  # type: ignore[union-attr]
    await p.send("/stats")
    await p.tap("Patterns")
    assert "Want a short check-in" not in p.last_text
    # the old offer's Yes is no longer valid
    assert yes is not None and answers(await p.press(yes, offer)) == INVALID
    # someone who said yes and moves to New York gets it at 17:30 New York time
    q = await person_in_berlin(bot, 2002, "Sam")
    await accept_nudge(bot, q)
    await q.send("/timezone America/New_York")
    assert (await nudge_row(bot, 2002)).next_at == utc(2026, 4, 3, 21, 30)  # type: ignore[union-attr]


@pytest.mark.postgres
async def test_two_processes_send_each_check_in_once(db_target: DbTarget) -> None:
    if db_target.search_path is None:
        pytest.skip("replicas share the work on PostgreSQL; SQLite is one process")
    one = await start_harness(db_target)
    two = await start_harness(db_target, api=one.api, clock=one.clock)
    try:
        people = [await person_in_berlin(one, 5000 + i, "P") for i in range(12)]
        for p in people:
            await accept_nudge(one, p)
        for h in (one, two):
            h.app.bot_data["checkin_batch"] = 4
        one.clock.set(utc(2026, 4, 3, 15, 30, 5))
        for _ in range(6):
            await asyncio.gather(one.tick(), two.tick())
        sent = [int(c.params["chat_id"]) for c in one.api.calls if c.method == "sendMessage"
                and "nudge:stop" in str(c.params.get("reply_markup"))]
        assert sorted(sent) == [p.user_id for p in people]
    finally:
        await stop_harness(two)
        await stop_harness(one)


# --- the weekly summary ----------------------------------------------------------------------
class Lanes:
    def __init__(self, bot: Harness) -> None:
        self.seen: list[tuple[str, str]] = []
        limiter = bot.app.bot.rate_limiter
        real = limiter.process_request

        async def record(callback: Any, args: Any, kwargs: Any, endpoint: str, data: Any,
                         rate_limit_args: Any) -> Any:
            self.seen.append((endpoint, (rate_limit_args or {}).get("lane", "interactive")))
            return await real(callback, args, kwargs, endpoint, data, rate_limit_args)

        limiter.process_request = record  # type: ignore[method-assign]


async def test_weekly_summary_carries_the_chart_goals_milestone_and_a_fact(
        bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = ChartSpy(monkeypatch)
    p = await person_in_berlin(bot)
    await p.send("/goals 3 meetings a week")
    await p.send("/goals journal every night")
    for _ in range(3):
        await p.tap("1. meetings")
    await add_episodes(bot, friday_history())
    await add_checkins(bot, [(date(2026, 3, 30), 5, 3), (date(2026, 4, 2), 7, 2)])
    lanes = Lanes(bot)
    assert (await user_row(bot)).next_summary_at == utc(2026, 4, 5, 16)  # Sunday 18:00
    await tick_at(bot, utc(2026, 4, 5, 16, 0, 5))
    await tick_at(bot, utc(2026, 4, 5, 16, 0, 15))
    sent = [c for c in bot.api.calls if c.method == "sendPhoto"]
    assert len(sent) == 1 and ("sendPhoto", BULK) in lanes.seen
    assert png_size(uploaded(sent[0], "photo") or b"") == (1080, 1350)
    assert spy.calls[-1][0].span == 7 and spy.calls[-1][0].first == date(2026, 3, 30)
    text = p.last_text
    lines = text.split("\n")
    assert lines[0] == "<b>Your week</b> (Mon 30 March – Sun 5 April)"
    assert lines[1].startswith("Last 7 days: no cravings logged · mood around 6 · 6 of 6 days")
    assert "1. meetings: 3 of 3 ✅" in text and "2. journal: 0 of 7" in text
    assert "Goals met: 1 of 2" in text
    assert "Next milestone: 60 days without using in a row, 25 days to go." in text
    # none this week against two the week before (24 and 27 March): the fact says so
    assert "💡 No cravings logged this week, after 2 the week before." in text
    assert "Friday evenings have been hard" in text
    assert [b.label for b in p.buttons(p.messages()[-1])] == ["Yes, Fridays at 17:30",
                                                              "No, thanks"]
    await p.tap("Yes, Fridays at 17:30")
    assert (await nudge_row(bot)).status == "on"  # type: ignore[union-attr]
    assert (await user_row(bot)).next_summary_at == utc(2026, 4, 12, 16)


async def test_weekly_summary_on_request_without_goals(bot: Harness) -> None:
    p = await person_in_berlin(bot)
    await add_checkins(bot, [(date(2026, 3, 29), 5, 3)])
    await p.send("/stats")
    calls = await p.tap("Send me this every Sunday")
    assert answers(calls) == ["Weekly summary on: every Sunday at 18:00."]
    assert "📅 Weekly summary: on (Sundays)" in [b.label for b in p.buttons(p.messages()[-1])]
    assert (await user_row(bot)).next_summary_at == utc(2026, 4, 5, 16)
    await tick_at(bot, utc(2026, 4, 5, 16, 0, 5))
    text = p.last_text
    assert text.startswith("<b>Your week</b>") and "Goals met" not in text
    assert "💡 " in text and p.messages()[-1].get("photo")
    await p.send("/discreet on")  # what a lock screen shows of next week's is neutral
    await tick_at(bot, utc(2026, 4, 12, 16, 0, 5))
    assert p.last_text.split("\n")[0] == "Your weekly summary"
    await p.send("/stats")
    await p.tap("Weekly summary: on")
    assert (await user_row(bot)).next_summary_at is None


async def test_a_long_summary_goes_as_chart_then_text(bot: Harness) -> None:
    p = await person_in_berlin(bot)
    for i in range(8):
        await p.send(f"/goals {'a really rather long weekly goal name number ' * 2}{i} 3 times"
                     " a week")
    await add_checkins(bot, [(date(2026, 4, 1), 5, 3)])
    await tick_at(bot, utc(2026, 4, 5, 16, 0, 5))
    photo, text = p.messages()[-2:]
    assert photo.get("photo") and photo["caption"].startswith("<b>Your week</b>")
    assert photo["caption"].split("\n")[1].startswith("Last 7 days:")
    assert "Goals met: 0 of 8" in text["text"]


async def test_the_insights_migration_matches_the_models(bot: Harness) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base

    def diff(sync_conn: Any) -> list[Any]:
        return compare_metadata(MigrationContext.configure(sync_conn), Base.metadata)

    async with bot.db.engine.connect() as conn:
        changes = await conn.run_sync(diff)
    assert [c for c in changes if "insight_nudges" in str(c) or "weekly_insights" in str(c)] == []
    assert nudges.OFFER_VALID < nudges.RESPECT_NO
