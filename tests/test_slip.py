"""The slip flow: kind words, safety first, the day of use noted in the person's own time
zone without touching the start date, the situation, one next step, a plan for next time."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import text
from telegram import Update
from telegram.ext import CallbackContext

from bot.handlers.safety import start_slip_flow
from bot.local_driver import answers, callback_update, sent_texts
from storage.models import User
from storage.repositories import plans, recovery, slips, users
from tests.conftest import Harness
from tests.db_scan import row_counts


async def setup_person(bot: Harness, tz: str = "America/New_York") -> object:
    p = await bot.consented()
    async with bot.db.session() as s:
        await users.update(s, 1001, timezone=tz, recovery_start=date(2026, 1, 1))
    # 03:00 UTC on 3 March is 22:00 on 2 March in New York
    bot.clock.set(datetime(2026, 3, 3, 3, 0, tzinfo=UTC))
    return p


async def use_days(bot: Harness, user_id: int = 1001) -> list[date]:
    async with bot.db.session() as s:
        return await recovery.use_days(s, user_id)


async def the_slip(bot: Harness, user_id: int = 1001):  # type: ignore[no-untyped-def]
    async with bot.db.session() as s:
        [slip] = await slips.list_for(s, user_id)
    return slip


async def test_a_slip_is_met_with_thanks_and_safety_and_noted_on_the_local_day(
        bot: Harness) -> None:
    p = await setup_person(bot)
    calls = await p.send("slipped last night")
    first, question = sent_texts(calls)
    assert first.startswith("Thank you for telling me")
    assert "One slip doesn't erase your progress" in first
    for safety in ("tolerance is lower", "Don't use alone", "Never Use Alone",
                   "1-800-484-3731", "naloxone", "benzos or alcohol", "call <b>911</b>"):
        assert safety in first, safety
    assert "noted Sunday 1 March as a day of use" in first  # local yesterday, not UTC's
    assert "start date and all your other days stay as they are" in first
    assert "situation, not at you" in question
    labels = [b.label for b in p.buttons(p.messages()[-1])]
    assert {"🍽 Hungry", "😠 Angry", "🫂 Lonely", "😴 Tired", "Skip"} <= set(labels)
    assert await use_days(bot) == [date(2026, 3, 1)]
    async with bot.db.session() as s:
        user = await s.get(User, 1001)
    assert user is not None and user.recovery_start == date(2026, 1, 1)


async def test_the_whole_flow_ends_in_a_plan_for_that_kind_of_moment(bot: Harness) -> None:
    p = await setup_person(bot)
    await p.send("I used")
    await p.tap("Lonely")
    assert "When was it?" in p.last_text
    await p.tap("Evening")
    assert "one next step" in p.last_text
    await p.tap("Go to a meeting")
    assert "meeting today or tomorrow" in p.texts()[-2]
    assert "if-then plan for this kind of moment" in p.last_text
    await p.tap("Make a plan for this")
    assert "Pick a situation" in p.last_text
    await p.tap("I feel alone")
    await p.tap("I call my support person")
    assert "If I feel alone, then I call my support person." in p.last_text
    slip = await the_slip(bot)
    assert (slip.day, slip.trigger, slip.time_of_day, slip.next_step, slip.source) == (
        date(2026, 3, 2), "lonely", "evening", "meeting", "message")
    async with bot.db.session() as s:
        [plan] = await plans.list_for(s, 1001)
    assert plan.trigger == "lonely"


async def test_an_existing_plan_for_the_trigger_can_be_updated(bot: Harness) -> None:
    p = await setup_person(bot)
    async with bot.db.session() as s:
        plan = await plans.add(s, 1001, "I feel alone", "I call Jo", bot.clock.now(),
                               trigger="lonely")
    await p.send("i relapsed last night")  # "night" is known: no time question
    await p.tap("Lonely")
    assert "one next step" in p.last_text
    await p.tap("Not sure yet")
    assert f"plan:edit:{plan.id}" in [b.callback_data for b in p.buttons(p.messages()[-1])]
    await p.tap("Update: If I feel alone")
    await p.tap("Change the action")
    await p.send("I go to Jo's place")
    assert "If I feel alone, then I go to Jo's place." in p.last_text


async def test_a_next_step_in_own_words_is_kept_encrypted(bot: Harness) -> None:
    p = await setup_person(bot)
    await p.send("I used yesterday")
    await p.tap("Skip")
    await p.tap("Skip")
    await p.tap("Something else")
    assert "Only you will see it" in p.last_text
    await p.send("ring Aunt Philomena tomorrow")
    assert "Your next step: <i>ring Aunt Philomena tomorrow</i>" in p.texts()[-2]
    await p.tap("Not now")
    assert "You're still on your way" in p.texts()[-2] or "still on your way" in p.last_text
    slip = await the_slip(bot)
    assert slip.next_step_text == "ring Aunt Philomena tomorrow" and slip.trigger is None
    async with bot.db.engine.connect() as conn:
        raw = (await conn.execute(text("SELECT next_step_text FROM slips"))).scalar()
    assert raw and "Philomena" not in raw


async def test_support_as_next_step_offers_the_alert_button(bot: Harness) -> None:
    p = await setup_person(bot)
    await p.send("I used")
    await p.tap("Skip")
    await p.tap("Skip")
    await p.tap("Reach out to my support person")
    alert = [b for b in p.buttons() if b.callback_data == "support:alert"]
    assert alert and alert[0].label == "📣 Alert my support person"
    assert (await the_slip(bot)).next_step == "support"


async def test_another_day_moves_the_record_and_undo_removes_it(bot: Harness) -> None:
    p = await setup_person(bot)
    await p.send("I used")
    assert await use_days(bot) == [date(2026, 3, 2)]
    first = p.messages()[-2]
    await p.tap("It was another day")
    assert "Which day was it?" in first["text"]
    await p.tap("3 days ago")
    assert "noted Friday 27 February" in first["text"]  # the same message, corrected
    assert "Monday 2 March" not in first["text"]
    assert await use_days(bot) == [date(2026, 2, 27)]
    await p.tap("That's not what I meant")
    assert "Nothing is noted" in first["text"] and "Don't use alone" in first["text"]
    assert await use_days(bot) == []
    assert (await row_counts(bot.db))["slips"] == 0
    calls = await p.tap("Lonely")  # the old question is stale now
    assert answers(calls) == ["That button is no longer valid."]


async def test_a_second_slip_on_the_same_day_is_not_counted_twice(bot: Harness) -> None:
    p = await setup_person(bot)
    await p.send("I used")
    await p.send("i used again")
    assert "is already noted as a day of use" in p.texts()[-2]
    assert await use_days(bot) == [date(2026, 3, 2)]
    await p.tap("That's not what I meant")  # the newer slip added nothing: the day stays
    assert await use_days(bot) == [date(2026, 3, 2)]


async def test_negations_and_other_meanings_are_not_slips(bot: Harness) -> None:
    p = await setup_person(bot)
    for msg in ("I didn't use", "haven't used in 30 days", "I used my plan and it worked",
                "i slipped on the ice"):
        await p.send(msg)
        assert "Thank you for telling me" not in p.last_text, msg
    assert await use_days(bot) == []


async def test_about_to_use_gets_harm_reduction_without_judgement(bot: Harness) -> None:
    p = await setup_person(bot)
    await p.send("gonna use tonight")
    t = p.last_text
    assert "No judgement here" in t and "15–30 minutes" in t
    for safety in ("tolerance is lower", "Don't use alone", "1-800-484-3731", "Start low",
                   "naloxone", "test strips", "MOUD"):
        assert safety in t, safety
    assert button_data(p) == ["crave:start:0", "support:alert", "safety:lines"]
    await p.tap("Crisis lines")
    assert "988" in p.last_text
    assert await use_days(bot) == []
    await p.tap("Ride it out with me")  # the craving flow, on the message above
    assert "Most urges peak and ease" in p.texts()[-2]


async def test_a_slip_without_consent_gets_safety_and_nothing_is_stored(bot: Harness) -> None:
    p = bot.person()
    await p.send("i used last night")
    assert "One slip doesn't erase your progress" in p.last_text
    assert "haven't stored anything" in p.last_text
    await p.send("about to use")
    assert "No judgement here" in p.last_text
    assert "support:alert" not in button_data(p)
    assert {k: v for k, v in (await row_counts(bot.db)).items() if v and k != "meta"} == {}


async def test_start_slip_flow_from_the_check_in(bot: Harness) -> None:
    p = await setup_person(bot, tz="Europe/Berlin")
    await p.send("/help")
    update = Update.de_json(callback_update(1001, "checkin:use:yes", p.messages()[-1]),
                            bot.app.bot)
    context = CallbackContext.from_update(update, bot.app)
    async with bot.db.session() as s:
        user = await s.get(User, 1001)
    assert user is not None
    await start_slip_flow(update, context, user, source="checkin")
    assert "One slip doesn't erase your progress" in p.texts()[-2]
    assert "situation, not at you" in p.last_text
    slip = await the_slip(bot)
    assert slip.source == "checkin" and slip.day == date(2026, 3, 3)  # Berlin is past midnight
    assert await use_days(bot) == [date(2026, 3, 3)]


async def test_slip_buttons_of_someone_else_change_nothing(bot: Harness) -> None:
    alex = await setup_person(bot)
    sam = await bot.consented(2002, "Sam")
    await alex.send("I used")
    slip = await the_slip(bot)
    for data in (f"safety:su:{slip.id}", f"safety:st:{slip.id}:lonely",
                 f"safety:sdd:{slip.id}:1", f"safety:sn:{slip.id}:own", f"safety:sp:{slip.id}",
                 f"safety:sdd:{slip.id}:99", f"safety:st:{slip.id}:nonsense"):
        calls = await sam.press(data)
        assert answers(calls) == ["That button is no longer valid."], data
    assert (await the_slip(bot)).trigger is None
    assert await use_days(bot) == [date(2026, 3, 2)]
    calls = await alex.press(f"safety:sdd:{slip.id}:99")
    assert answers(calls) == ["That button is no longer valid."]


def button_data(p) -> list[str]:  # type: ignore[no-untyped-def]
    return [b.callback_data or "" for b in p.buttons(p.messages()[-1])]
