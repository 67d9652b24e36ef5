"""The morning check-in as a person answers it: one message edited forward, answers
stored, the riskiest situation's plan shown, stale and forged buttons refused."""

from __future__ import annotations

from datetime import date, timedelta

from bot.local_driver import answers
from storage.repositories import recovery
from tests.checkin_helpers import (
    checkin_messages,
    checkin_rows,
    person_with_checkins,
    tick_at,
    utc,
)
from tests.conftest import Harness
from tests.test_content import RULED_OUT

INVALID = ["That button is no longer valid."]


async def make_stress_plan(p) -> None:  # type: ignore[no-untyped-def]
    await p.send("/plans")
    await p.tap("New plan")
    await p.tap("Stress")
    await p.tap("I had an argument")
    await p.tap("I call my support person")


async def test_a_full_checkin_in_five_taps_on_one_message(bot: Harness) -> None:
    bot.clock.set(utc(2026, 3, 2, 6))
    p = await person_with_checkins(bot)
    await p.send("/since 2026-02-23")
    await make_stress_plan(p)
    await tick_at(bot, utc(2026, 3, 2, 8, 0, 5))
    [msg] = checkin_messages(p)
    assert "Days without using: <b>7</b>" in msg["text"]
    assert "7 days in a row" in msg["text"]  # a milestone, celebrated in the check-in
    assert "How strong is any craving" in msg["text"]
    assert [b.label for b in p.buttons(msg)] == [str(n) for n in range(11)]
    count = len(p.messages())
    await p.tap("3")
    assert "Craving: 3/10" in msg["text"] and "How is your mood?" in msg["text"]
    await p.tap("8")
    await p.tap("Well")
    assert "Any use since the last check-in?" in msg["text"]
    await p.tap("No")
    assert "riskiest moment" in msg["text"]
    await p.tap("Stress")
    assert len(p.messages()) == count  # every answer edited the same message
    assert "If I had an argument, then I call my support person." in msg["text"]
    assert "Thanks for checking in" in msg["text"]
    assert "Craving: 3/10\nMood: 8/10\nSleep: 🙂 Well" in msg["text"]
    [row] = await checkin_rows(bot)
    assert (row.craving, row.mood, row.sleep, row.used, row.risk) == (3, 8, "good", False,
                                                                     "stress")
    assert row.completed_at is not None and row.message_id == msg["message_id"]
    stale = await p.press(f"checkin:r:{row.id}:people", msg)  # an old copy tapped again
    assert answers(stale) == INVALID
    [row] = await checkin_rows(bot)
    assert row.risk == "stress"


async def test_no_plan_for_the_situation_offers_to_make_one(bot: Harness) -> None:
    bot.clock.set(utc(2026, 3, 2, 6))
    p = await person_with_checkins(bot)
    await tick_at(bot, utc(2026, 3, 2, 8, 0, 5))
    for label in ("0", "5", "Okay", "No", "Lonely"):
        await p.tap(label)
    assert "You don't have a plan for 🫂 Lonely yet" in p.last_text
    await p.tap("Make a plan for this")
    assert "Pick a situation" in p.last_text
    await p.tap("I feel alone")
    await p.tap("I call my support person")
    assert "If I feel alone, then I call my support person." in p.texts()[-1]


async def test_a_strong_craving_or_low_mood_gets_a_pointer_to_help(bot: Harness) -> None:
    bot.clock.set(utc(2026, 3, 2, 6))
    p = await person_with_checkins(bot)
    await tick_at(bot, utc(2026, 3, 2, 8, 0, 5))
    await p.tap("9")
    assert "type <b>craving</b>" in checkin_messages(p)[0]["text"]
    await p.tap("1")
    assert "hard morning" in checkin_messages(p)[0]["text"]


async def test_use_reported_is_recorded_kindly_and_the_record_is_kept(bot: Harness) -> None:
    bot.clock.set(utc(2026, 3, 2, 6))
    p = await person_with_checkins(bot)
    await p.send("/since 2026-02-01")
    await tick_at(bot, utc(2026, 3, 2, 8, 0, 5))
    for label in ("6", "3", "Poorly", "Yes"):
        await p.tap(label)
    assert "Thank you for telling me" in checkin_messages(p)[0]["text"]
    assert p.buttons(checkin_messages(p)[0]) == []
    slip_flow = "\n".join(p.texts()[-2:])  # the slip flow: safety first, then the situation
    assert "doesn't erase your progress" in slip_flow
    assert "don't use alone" in slip_flow.lower() or "not alone" in slip_flow.lower()
    assert "What was going on?" in p.last_text
    assert RULED_OUT.search(slip_flow) is None
    async with bot.db.session() as s:
        assert await recovery.use_days(s, 1001) == [date(2026, 3, 2)]
    [row] = await checkin_rows(bot)
    assert row.used is True and row.completed_at is not None
    await p.send("/progress")
    assert "Days without using in all: <b>29</b>" in p.last_text
    assert "doesn't erase" in p.last_text


async def test_yesterdays_buttons_are_no_longer_valid(bot: Harness) -> None:
    bot.clock.set(utc(2026, 3, 2, 6))
    p = await person_with_checkins(bot)
    await tick_at(bot, utc(2026, 3, 2, 8, 0, 5))
    old = dict(checkin_messages(p)[0])
    await tick_at(bot, utc(2026, 3, 3, 8, 0, 5))
    assert len(checkin_messages(p)) == 2
    [yesterday, today] = await checkin_rows(bot)
    assert answers(await p.press(f"checkin:c:{yesterday.id}:4", old)) == INVALID
    await p.tap("4")  # today's works
    [yesterday, today] = await checkin_rows(bot)
    assert yesterday.craving is None and today.craving == 4


async def test_a_checkin_left_open_for_a_day_goes_stale(bot: Harness) -> None:
    bot.clock.set(utc(2026, 3, 2, 6))
    p = await person_with_checkins(bot)
    await p.send("/checkin off")
    await p.send("/checkin now")
    bot.clock.advance(hours=21)
    [row] = await checkin_rows(bot)
    assert answers(await p.press(f"checkin:c:{row.id}:4", checkin_messages(p)[0])) == INVALID


async def test_forged_and_out_of_order_buttons_change_nothing(bot: Harness) -> None:
    bot.clock.set(utc(2026, 3, 2, 6))
    alex = await person_with_checkins(bot, 1001)
    sam = await person_with_checkins(bot, 2002, name="Sam")
    await tick_at(bot, utc(2026, 3, 2, 8, 0, 5))
    [sams] = await checkin_rows(bot, 2002)
    [alexs] = await checkin_rows(bot, 1001)
    for data in (f"checkin:c:{sams.id}:3", f"checkin:m:{alexs.id}:3",  # not theirs / too early
                 f"checkin:c:{alexs.id}:11", f"checkin:c:{alexs.id}:x", f"checkin:z:{alexs.id}:1",
                 f"checkin:c:{alexs.id}", "checkin:c:99999:1", f"checkin:p:{alexs.id}:stress",
                 "checkin:" + "9" * 70, "checkin:st:0", "checkin:on:x"):
        assert answers(await alex.press(data)) == INVALID, data
    assert (await checkin_rows(bot, 2002))[0].craving is None
    assert (await checkin_rows(bot, 1001))[0].craving is None
    await sam.tap("2")
    assert (await checkin_rows(bot, 2002))[0].craving == 2


async def test_checking_in_by_hand_once_a_day(bot: Harness) -> None:
    bot.clock.set(utc(2026, 3, 2, 6))
    p = await person_with_checkins(bot)
    await p.send("/checkin now")
    assert "How strong is any craving" in p.last_text
    for label in ("1", "7", "Well", "No", "Nothing in particular"):
        await p.tap(label)
    assert "Thanks for checking in" in p.last_text
    await p.send("/checkin now")
    assert "checked in today already" in p.last_text
    await tick_at(bot, utc(2026, 3, 2, 8, 0, 5))  # the scheduled one for today is not sent
    assert len(checkin_messages(p)) == 1
    await tick_at(bot, utc(2026, 3, 3, 8, 0, 5))
    assert len(checkin_messages(p)) == 2
    user_rows = await checkin_rows(bot)
    assert [r.source for r in user_rows] == ["manual", "scheduled"]
    assert user_rows[1].local_date - user_rows[0].local_date == timedelta(days=1)


async def test_answering_is_remembered_for_the_support_nudge(bot: Harness) -> None:
    from tests.checkin_helpers import user_row

    bot.clock.set(utc(2026, 3, 2, 6))
    p = await person_with_checkins(bot)
    await tick_at(bot, utc(2026, 3, 2, 8, 0, 5))
    assert (await user_row(bot)).last_checkin_answered_at is None
    bot.clock.set(utc(2026, 3, 2, 8, 5))
    await p.tap("2")
    user = await user_row(bot)
    assert user.last_checkin_answered_at == utc(2026, 3, 2, 8, 5)
    assert user.last_checkin_at == utc(2026, 3, 2, 8, 0, 5)


async def test_discreet_check_in_shows_nothing_on_the_lock_screen(bot: Harness) -> None:
    bot.clock.set(utc(2026, 3, 2, 6))
    p = await person_with_checkins(bot)
    await p.send("/discreet on")
    await p.send("/since 2026-02-01")
    await tick_at(bot, utc(2026, 3, 2, 8, 0, 5))
    [message] = [m for m in p.messages() if "Good morning" in (m.get("text") or "")]
    preview = message["text"].split("\n\n")[:2]  # what a lock screen shows
    for word in ("craving", "using", "recovery", "days", "relapse"):
        assert word not in " ".join(preview).lower(), word
    assert "Days without using" in message["text"]  # still there, further down
