"""Weekly goals: made by picking or typing, logged with a tap, celebrated once when met,
summarised on the chosen day through the tick; names are encrypted at rest."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from bot.local_driver import answers
from storage.repositories import goals
from tests.checkin_helpers import tick_at, user_row, utc
from tests.conftest import DbTarget, Harness


async def stored(bot: Harness, user_id: int = 1001) -> list[tuple[str, int]]:
    async with bot.db.session() as s:
        return [(g.name, g.target) for g in await goals.list_for(s, user_id)]


async def test_typed_goal_logged_to_its_target_and_celebrated_once(bot: Harness) -> None:
    bot.clock.set(utc(2026, 3, 2, 10))  # a Monday
    p = await bot.consented()
    await p.send("/goals")
    assert "You don't have a weekly goal yet" in p.last_text
    await p.tap("New goal")
    await p.send("3 meetings a week")
    assert "Saved: <b>meetings</b>, 3× a week" in p.texts()[-2]
    assert "1. meetings: 0 of 3" in p.last_text
    assert await stored(bot) == [("meetings", 3)]
    for _ in range(2):
        await p.tap("1. meetings")
    assert "1. meetings: 2 of 3" in p.last_text
    calls = await p.tap("1. meetings")
    assert answers(calls) == ["Logged: meetings, 3 of 3 this week"]
    assert "Goal met" in p.last_text
    await p.tap("1. meetings")  # a fourth time: counted, not celebrated again
    assert sum("Goal met" in t for t in p.texts()) == 1
    assert "4 of 3 ✅" in p.texts()[-2] or "4 of 3 ✅" in p.last_text


async def test_picking_an_example_and_asking_for_a_count(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/goals")
    await p.tap("New goal")
    await p.tap("Write in my journal every night")
    assert await stored(bot) == [("write in my journal", 7)]
    await p.send("/goals call my sister")
    assert "How many times a week for <b>call my sister</b>?" in p.last_text
    await p.send("lots")
    assert "number from 1 to 14" in p.last_text
    await p.tap("2×")
    assert await stored(bot) == [("write in my journal", 7), ("call my sister", 2)]


async def test_undo_and_delete(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/goals walk 5 times a week")
    await p.tap("1. walk")
    await p.tap("Undo the last tap")
    assert "1. walk: 0 of 5" in p.last_text
    await p.tap("🗑 1")
    await p.tap("Yes, delete it")
    assert await stored(bot) == []
    assert (await user_row(bot)).next_summary_at is None


async def test_weekly_summary_on_the_chosen_day_through_the_tick(bot: Harness) -> None:
    bot.clock.set(utc(2026, 3, 2, 10))  # Monday
    p = await bot.consented()
    await p.send("/timezone Europe/Berlin")
    await p.send("/goals 3 meetings a week")
    await p.send("/goals journal every night")
    await p.tap("1. meetings")
    await p.tap("1. meetings")
    await p.tap("Summary: Sunday")
    await p.tap("Saturday")
    assert (await user_row(bot)).next_summary_at == utc(2026, 3, 7, 17)  # 18:00 in Berlin
    before = len(p.messages())
    await tick_at(bot, utc(2026, 3, 7, 16, 59))
    assert len(p.messages()) == before
    await tick_at(bot, utc(2026, 3, 7, 17, 0, 5))
    assert "<b>Your week</b>" in p.last_text
    assert "1. meetings: 2 of 3" in p.last_text and "2. journal: 0 of 7" in p.last_text
    await tick_at(bot, utc(2026, 3, 7, 17, 30))
    assert sum("<b>Your week</b>" in t for t in p.texts()) == 1
    assert (await user_row(bot)).next_summary_at == utc(2026, 3, 14, 17)
    # the new week (Sunday to Saturday) starts from zero
    bot.clock.set(utc(2026, 3, 8, 10))
    await p.send("/goals")
    assert "1. meetings: 0 of 3" in p.last_text


async def test_goal_names_are_encrypted_at_rest(bot: Harness, db_target: DbTarget) -> None:
    p = await bot.consented()
    await p.send("/goals call my sister Jo twice a week")
    async with bot.db.engine.connect() as conn:
        raw = (await conn.execute(text("SELECT name FROM goals"))).scalar_one()
    # a Fernet token is base64, so short words can turn up by chance: look for a phrase
    assert "sister Jo" not in raw and await stored(bot) == [("call my sister Jo", 2)]


async def test_someone_elses_goal_buttons_change_nothing(bot: Harness) -> None:
    alex = await bot.consented(1001)
    sam = await bot.consented(2002, "Sam")
    await sam.send("/goals 3 meetings a week")
    async with bot.db.session() as s:
        [goal] = await goals.list_for(s, 2002)
    for data in (f"goal:log:{goal.id}", f"goal:del:{goal.id}", f"goal:dok:{goal.id}",
                 "goal:undo:1", "goal:n:3", "goal:ex:0", "goal:wd:9", "goal:log:x"):
        assert answers(await alex.press(data)) == ["That button is no longer valid."], data
    async with bot.db.session() as s:
        assert await goals.counts(s, 2002, date(2000, 1, 1), date(2100, 1, 1)) == {}
    assert await stored(bot, 2002) == [("meetings", 3)]


async def test_goals_can_be_logged_from_the_end_of_a_checkin(bot: Harness) -> None:
    from tests.checkin_helpers import person_with_checkins

    bot.clock.set(utc(2026, 3, 2, 6))
    p = await person_with_checkins(bot)
    await p.send("/goals 3 meetings a week")
    await tick_at(bot, utc(2026, 3, 2, 8, 0, 5))
    for label in ("1", "6", "Okay", "No", "Nothing in particular"):
        await p.tap(label)
    calls = await p.tap("✔️ meetings")
    assert answers(calls) == ["Logged: meetings, 1 of 3 this week"]
