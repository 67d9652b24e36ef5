"""Insights without Telegram or a database: the series a chart is built from, the PNG it
becomes, the pattern maths on constructed histories, and what helped."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.text import Text

from bot import recovery_math, what_works
from bot.fake_api import png_size
from bot.insights import chart, patterns, series
from bot.insights.patterns import Craving, Week

BERLIN = ZoneInfo("Europe/Berlin")
TODAY = date(2026, 3, 20)  # a Friday


def at_berlin(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=BERLIN).astimezone(UTC)


def sample(days: int = 7) -> series.ChartData:
    return series.build(
        today=TODAY, days=days, tz=BERLIN,
        episodes=[
            series.EpisodeRecord(at_berlin(date(2026, 3, 14), 18), 9, 9),  # before the week
            series.EpisodeRecord(at_berlin(date(2026, 3, 15), 6), 8, 3),
            series.EpisodeRecord(at_berlin(date(2026, 3, 17), 18), 7, None),
            series.EpisodeRecord(at_berlin(date(2026, 3, 19), 0, 30), 6, 8),
            series.EpisodeRecord(at_berlin(date(2026, 3, 19), 12), None, None),  # no rating
        ],
        checkins=[series.CheckinRecord(date(2026, 3, 16), 4, 6),
                  series.CheckinRecord(date(2026, 3, 18), 6, None),
                  series.CheckinRecord(date(2026, 3, 20), 7, 2),
                  series.CheckinRecord(date(2026, 3, 10), 1, 9)],  # before the week
        recovery_start=date(2026, 3, 15), use_days=[date(2026, 3, 17)])


# --- series -------------------------------------------------------------------------------------
def test_the_series_hold_the_local_times_and_values_of_the_week() -> None:
    data = sample()
    assert (data.first, data.last, data.span) == (date(2026, 3, 14), TODAY, 7)
    # x counts days from the first day shown, in Berlin time (00:30 on the 19th is day 5)
    assert data.episodes == (
        series.EpisodePoint(0.75, 9, 9), series.EpisodePoint(1.25, 8, 3),
        series.EpisodePoint(3.75, 7, None), series.EpisodePoint(round(5 + 0.5 / 24, 4), 6, 8))
    assert data.mood == ((2.5, 4), (4.5, 6), (6.5, 7))
    assert data.craving == ((2.5, 6), (6.5, 2))
    # 14th: before the start; 17th: a day of use; today is not over yet
    assert data.days == ("unknown", "free", "free", "use", "free", "free", "unknown")


def test_an_episode_late_in_the_utc_evening_lands_on_the_next_local_day() -> None:
    utc_evening = datetime(2026, 3, 13, 23, 30, tzinfo=UTC)  # 00:30 on the 14th in Berlin
    data = series.build(today=TODAY, days=7, tz=BERLIN,
                        episodes=[series.EpisodeRecord(utc_evening, 5, 2)], checkins=[],
                        recovery_start=None, use_days=[])
    assert [e.x for e in data.episodes] == [round(0.5 / 24, 4)]
    assert data.days == ("unknown",) * 7 and not data.empty


def test_facts_for_the_caption() -> None:
    f = series.facts(sample())
    assert (f.episodes, f.rated) == (4, 3)
    assert (f.mean_start, f.mean_end) == (pytest.approx(23 / 3), pytest.approx(20 / 3))
    assert f.mean_mood == pytest.approx(17 / 3)
    assert (f.free_days, f.known_days) == (4, 5)


def test_tick_days_always_label_today() -> None:
    assert series.tick_days(date(2026, 3, 14), 7) == [date(2026, 3, 14) + timedelta(days=i)
                                                      for i in range(7)]
    thirty = series.tick_days(date(2026, 2, 19), 30)
    assert thirty[-1] == TODAY and len(thirty) == 5
    assert series.tick_days(date(2025, 12, 21), 90)[-1] == TODAY


# --- the chart ----------------------------------------------------------------------------------
LABELS = chart.Labels("Craving", "Mood", "Days", "craving: first → last rating",
                      "check-in craving", "check-in mood", "day without using", "day of use",
                      ticks=[(date(2026, 3, 14), "Sat 14"), (TODAY, "Fri 20")])


def test_the_chart_is_a_png_of_the_phone_size() -> None:
    for days in series.RANGES:
        png = chart.render(sample(days), LABELS)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert png_size(png) == (chart.WIDTH, chart.HEIGHT) == (1080, 1350)
        assert 10_000 < len(png) < 1_000_000


def test_the_chart_draws_exactly_the_series() -> None:
    data = sample()
    fig = chart.figure(data, LABELS)
    ax_c, ax_m, ax_d = fig.axes
    [segments] = [c for c in ax_c.collections if isinstance(c, LineCollection)]
    drawn = sorted((round(float(seg[0][0]), 4), float(seg[0][1]), float(seg[1][1]))
                   for seg in segments.get_segments())
    assert drawn == [(0.75, 9, 9), (1.25, 8, 3), (round(5 + 0.5 / 24, 4), 6, 8)]
    starts = next(c for c in ax_c.collections if isinstance(c, PathCollection))
    assert [tuple(p) for p in starts.get_offsets()] == [(e.x, e.start) for e in data.episodes]
    [checkin_line] = ax_c.get_lines()
    assert list(zip(checkin_line.get_xdata(), checkin_line.get_ydata(), strict=True)) == list(
        data.craving)
    [mood_line] = ax_m.get_lines()
    assert list(mood_line.get_ydata()) == [4, 6, 7]
    cells = [bar for bar in ax_d.collections]
    assert len(cells) == 2  # days without using, and the day of use
    assert ax_c.get_xlim() == ax_m.get_xlim() == ax_d.get_xlim() == (0, 7)


def test_the_only_words_on_a_chart_are_its_labels() -> None:
    fig = chart.figure(sample(), LABELS)
    fig.canvas.draw()
    words = {t.get_text() for t in fig.findobj(Text) if t.get_text()}
    allowed = {LABELS.craving, LABELS.mood, LABELS.days, LABELS.episode, LABELS.checkin_craving,
               LABELS.checkin_mood, LABELS.free_day, LABELS.use_day, "Sat 14", "Fri 20",
               "0", "5", "10"}
    assert words <= allowed and {LABELS.craving, LABELS.free_day, "Fri 20"} <= words


def test_an_empty_range_is_empty() -> None:
    data = series.build(today=TODAY, days=30, tz=BERLIN, episodes=[], checkins=[],
                        recovery_start=None, use_days=[])
    assert data.empty


# --- patterns ----------------------------------------------------------------------------------
FRIDAYS = [date(2026, 2, 27), date(2026, 3, 6), date(2026, 3, 13), date(2026, 3, 20)]
NOW = datetime(2026, 3, 22, 12, 0)  # a Sunday, local


def friday_evenings() -> list[Craving]:
    evenings = [Craving(datetime.combine(d, time(h, m)), i, "stress")
                for d, (h, m), i in zip(FRIDAYS, [(18, 30), (19, 15), (20, 40), (19, 30)],
                                        [8, 9, 7, 8], strict=True)]
    others = [Craving(datetime(2026, 3, 2, 9, 0), 4, "boredom"),
              Craving(datetime(2026, 3, 10, 14, 0), 5, "lonely"),
              Craving(datetime(2026, 3, 17, 9, 30), 3, "boredom")]
    return evenings + others


def test_a_clear_friday_evening_is_found_and_the_reminder_is_before_it() -> None:
    risk = patterns.risk_window(friday_evenings())
    assert risk is not None
    assert (risk.weekday, risk.hour, risk.end_hour, risk.count, risk.dates) == (4, 18, 21, 4, 4)
    assert risk.part_of_day == "evening" and risk.mean_intensity == 8
    assert risk.remind_at() == (4, time(17, 30))


@pytest.mark.parametrize("name, cravings", [
    ("two episodes are not a pattern",
     [Craving(datetime(2026, 3, 6, 19)), Craving(datetime(2026, 3, 13, 19))]),
    ("one bad evening is not a pattern",
     [Craving(datetime(2026, 3, 13, 19, m)) for m in (0, 20, 40, 50)]),
    ("cravings at every time of the week: nothing stands out",
     [Craving(datetime(2026, 2, 23) + timedelta(hours=5 * i)) for i in range(60)]),
])
def test_no_window_without_a_clear_pattern(name: str, cravings: list[Craving]) -> None:
    assert patterns.risk_window(cravings) is None, name


def test_a_window_can_run_past_midnight() -> None:
    nights = [Craving(datetime.combine(d + timedelta(days=1), time(23, 15))) for d in FRIDAYS[:3]]
    nights += [Craving(datetime.combine(d + timedelta(days=2), time(0, 40))) for d in FRIDAYS[1:3]]
    risk = patterns.risk_window(nights)
    assert risk is not None and (risk.weekday, risk.hour, risk.end_hour) == (5, 22, 1)
    assert risk.part_of_day == "night" and risk.remind_at() == (5, time(21, 30))
    midnight = patterns.Window(0, 0, 3, 3, None)  # Monday 00:00: remind on Sunday 23:30
    assert midnight.remind_at() == (6, time(23, 30))


def test_patterns_of_the_last_eight_weeks() -> None:
    old = [Craving(datetime(2026, 1, 5, 9), 10, "people")] * 5  # eleven weeks ago: left out
    found = patterns.analyse(friday_evenings() + old, NOW)
    assert found.total == 7
    assert found.busiest_hours is not None and found.busiest_hours.key == 18
    assert found.busiest_weekday is not None and found.busiest_weekday.key == 4
    # strongest: the hour with the highest mean of at least two rated cravings
    assert found.strongest_hours is not None and (found.strongest_hours.key,
                                                  found.strongest_hours.mean_intensity) == (
        19, 8.5)
    assert found.strongest_weekday is not None and found.strongest_weekday.key == 4
    assert found.triggers == (("stress", 4), ("boredom", 2), ("lonely", 1))
    assert found.risk is not None and found.risk.weekday == 4


def test_strongest_needs_two_rated_cravings() -> None:
    one_huge = [Craving(datetime(2026, 3, 16, 3), 10),  # Monday 03:00, alone
                Craving(datetime(2026, 3, 18, 3), None)]  # and one without a rating
    found = patterns.analyse(friday_evenings() + one_huge, NOW)
    assert found.strongest_weekday is not None and found.strongest_weekday.key == 4
    assert found.strongest_hours is not None and found.strongest_hours.key != 3


def test_too_few_cravings_give_no_patterns() -> None:
    found = patterns.analyse(friday_evenings()[:2], NOW)
    assert found.total == 2 and found.busiest_hours is None and found.risk is None


# --- what helped ------------------------------------------------------------------------------
def outcome(start: int, end: int, tried: tuple[str, ...], helped: str | None = None,
            ) -> what_works.Outcome:
    return what_works.Outcome(datetime(2026, 3, 1, tzinfo=UTC), start, end, tried, helped, None)


def test_what_brought_intensity_down_most() -> None:
    history = [outcome(8, 4, ("box",), "box"), outcome(9, 5, ("box", "surf")),
               outcome(7, 3, ("box",)), outcome(8, 4, ("box",), "box"),
               outcome(6, 2, ("box",)), outcome(9, 5, ("box",)),
               outcome(8, 7, ("surf",)), outcome(7, 7, ("distract",), "nothing"),
               outcome(8, 6, ("distract",))]
    stats = what_works.tool_stats(history)
    assert [(s.tool, s.mean_drop, s.times) for s in stats] == [
        ("box", 4.0, 6), ("surf", 2.5, 2), ("distract", 1.0, 2)]
    # "helped" names a tool once per episode (here: waiting it out, never tried as a tool)
    stats = what_works.tool_stats([outcome(8, 2, (), "time"), outcome(8, 4, (), "time")])
    assert [(s.tool, s.mean_drop, s.times) for s in stats] == [("time", 5.0, 2)]
    assert what_works.tool_stats([outcome(8, 2, ("box",))]) == []  # once is not enough


# --- one encouraging fact -----------------------------------------------------------------
def week(episodes: int = 0, starts: tuple[int, ...] = (), ends: tuple[int, ...] = (),
         moods: tuple[int, ...] = (), checkins: int = 0) -> Week:
    return Week(episodes, starts, ends, moods, checkins)


def test_the_most_encouraging_true_fact_is_chosen() -> None:
    fact = patterns.encouraging_fact
    assert fact(week(2), week(5), best_tool=None, streak=3, free_last30=None) == patterns.Fact(
        "fewer", {"this": 2, "before": 5})
    assert fact(week(5, moods=(6, 7)), week(2, moods=(4, 5)), best_tool=None, streak=None,
                free_last30=None).kind == "mood_up"
    eased = fact(week(3, (8, 7), (3, 4)), week(3), best_tool=None, streak=None,
                 free_last30=None)
    assert eased == patterns.Fact("eased", {"count": 2, "start": 8, "end": 4})
    assert fact(week(1), week(1), best_tool=("box breathing", 3.6, 5), streak=9,
                free_last30=None).values == {"tool": "box breathing", "drop": 4, "times": 5}
    assert fact(week(), week(), best_tool=None, streak=9, free_last30=(20, 30)).kind == "streak"
    assert fact(week(), week(), best_tool=None, streak=0, free_last30=(20, 30)).kind == "last30"
    assert fact(week(checkins=4), week(), best_tool=None, streak=None,
                free_last30=None).values == {"days": 4}
    assert fact(week(), week(), best_tool=None, streak=None, free_last30=None).kind == \
        "showing_up"


def test_a_week_counts_only_its_own_days() -> None:
    eps = [(date(2026, 3, 15), 8, 3), (date(2026, 3, 16), 6, None), (date(2026, 3, 8), 9, 9)]
    moods = [(date(2026, 3, 15), 5), (date(2026, 3, 21), None), (date(2026, 3, 1), 1)]
    w = patterns.week_of(eps, moods, date(2026, 3, 15), date(2026, 3, 21))
    assert w == Week(2, (8,), (3,), (5,), 2)


def test_next_milestone() -> None:
    assert [recovery_math.next_milestone(d) for d in (0, 1, 5, 29, 30, 364, 365, 800)] == [
        1, 3, 7, 30, 60, 365, 730, 1095]
