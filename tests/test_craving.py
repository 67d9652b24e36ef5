"""The craving moment, end to end through the fake Bot API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.local_driver import answers
from bot.pacing import ManualSteps
from storage.models import CravingEpisode, Distraction, User
from storage.repositories import episodes, plans
from tests.conftest import DbTarget, Harness, start_harness, stop_harness

WAVE = "Most urges peak and ease within about 15–30 minutes"


def steps(bot: Harness) -> ManualSteps:
    return bot.app.bot_data["services"].steps  # type: ignore[no-any-return]


async def latest_episode(bot: Harness, user_id: int = 1001) -> CravingEpisode:
    async with bot.db.session() as s:
        [episode] = await episodes.history(s, user_id, limit=1)
    return episode


async def with_plan(bot: Harness, plan: str = "/plan if I pass the old corner then I call Sam"):
    p = await bot.consented()
    await p.send(plan)
    return p


def option_labels(p) -> list[str]:
    return [b.label for b in p.buttons(p.messages()[-2])]


@pytest.mark.parametrize("how", ["keyboard", "command", "I'm craving", "i want to use so bad",
                                 "need a fix", "thinking about using", "the urge is strong",
                                 "Im cravin sooo bad", "I WANT TO USE"])
async def test_every_entry_point_answers_with_own_plan_and_tools(bot: Harness, how: str) -> None:
    p = await with_plan(bot)
    if how == "keyboard":
        await p.tap("🆘 Craving")
    elif how == "command":
        await p.send("/craving")
    else:
        await p.send(how)
    first = p.texts()[-2]
    assert WAVE in first
    assert "Your plan: <b>If I pass the old corner, then I call Sam.</b>" in first
    assert option_labels(p) == ["🌬 Breathe", "🌊 Urge surf", "🎲 Distract me", "💛 My reasons",
                                "📣 Alert my support person", "☎️ Crisis lines",
                                "✅ It's easing"]
    assert "How strong is the urge right now?" in p.last_text
    assert [b.label for b in p.buttons(p.messages()[-1])] == [str(n) for n in range(11)]
    episode = await latest_episode(bot)
    assert episode.follow_up_at == bot.clock.now() + timedelta(minutes=15)


@pytest.mark.parametrize("text", ["not craving today", "no urges", "I don't want to use",
                                  "craving pizza tbh", "hello"])
async def test_negations_and_other_things_are_not_cravings(bot: Harness, text: str) -> None:
    p = await bot.consented()
    await p.send(text)
    assert WAVE not in p.last_text
    async with bot.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(CravingEpisode)) == 0


async def test_first_reply_is_one_message_and_no_plan_is_not_a_dead_end(bot: Harness) -> None:
    p = await bot.consented()
    calls = await p.send("/craving")
    assert [c.method for c in calls] == ["sendMessage", "sendMessage"]
    assert "we can make an if-then plan" in p.texts()[-2]


async def test_intensity_then_trigger_shows_the_plan_for_that_trigger(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/plans")
    await p.tap("New plan")
    await p.tap("Stress")
    await p.tap("I had an argument")
    await p.tap("I leave and go for a walk")
    await p.send("/craving")
    await p.tap("8")
    assert "Urge: 8 of 10" in p.last_text and "What set it off?" in p.last_text
    await p.tap("Stress")
    assert "Noted: 😣 Stress." in p.last_text
    assert "If I had an argument, then I leave and go for a walk." in p.last_text
    episode = await latest_episode(bot)
    assert (episode.intensity_start, episode.trigger) == (8, "stress")


async def test_trigger_without_plan_offers_to_make_one(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/craving")
    await p.tap("5")
    await p.tap("Lonely")
    await p.tap("Make a plan for this")
    assert "Pick a situation" in p.last_text
    await p.tap("I feel alone")
    await p.tap("I call my support person")
    async with bot.db.session() as s:
        [plan] = await plans.list_for(s, 1001)
    assert (plan.trigger, plan.situation) == ("lonely", "I feel alone")


async def test_a_craving_interrupts_pending_input(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/plans")
    await p.tap("New plan")
    await p.send("I'm craving so bad")
    assert WAVE in p.texts()[-2]
    await p.send("I pass the old corner")
    assert "not sure what you meant" in p.last_text


async def test_box_breathing_is_guided_live_in_one_message(bot: Harness) -> None:
    p = await with_plan(bot)
    await p.send("/craving")
    await p.tap("8")
    await p.tap("🌬 Breathe")
    assert "Sit down if you can" in p.last_text
    await p.tap("Box breathing")
    exercise = p.messages()[-1]
    assert "<b>Breathe in</b> · 4 s" in exercise["text"]
    assert [b.label for b in p.buttons(exercise)] == ["⏹ Stop"]
    key = "pace:1001"
    seen = []
    while steps(bot).active(key):
        seen.append((steps(bot).delay(key), exercise["text"].split("\n")[-1]))
        await steps(bot).fire(key)
    assert seen[:4] == [(4.0, "<b>Breathe in</b> · 4 s"), (4.0, "<b>Hold</b> · 4 s"),
                        (4.0, "<b>Breathe out</b> · 4 s"), (4.0, "<b>Hold</b> · 4 s")]
    assert len(seen) == 5 * 4  # five rounds of four phases, all in the same message
    assert "Done. Well done" in exercise["text"]
    assert "If I pass the old corner, then I call Sam." in exercise["text"]
    assert "🔁 Another round" in [b.label for b in p.buttons(exercise)]
    await p.tap("3")
    assert "From 8 to 3" in p.last_text
    episode = await latest_episode(bot)
    assert episode.tried == ["box"] and episode.intensity_end == 3


@pytest.mark.parametrize("label, timings", [
    ("4-7-8", [4.0, 7.0, 8.0]),
    ("Paced breathing", [5.0, 5.0]),
    ("Cyclic sighing", [3.0, 6.0]),
    ("SOBER", [15.0, 30.0, 30.0, 25.0, 15.0]),
])
async def test_each_paced_exercise_uses_its_clinical_timings(bot: Harness, label: str,
                                                             timings: list[float]) -> None:
    p = await bot.consented()
    await p.send("/craving")
    await p.tap("🌬 Breathe")
    await p.tap(label)
    got = []
    for _ in timings:
        got.append(steps(bot).delay("pace:1001"))
        await steps(bot).fire("pace:1001")
    assert got == timings


async def test_stop_and_moving_on_end_the_pacing_cleanly(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/breathe")
    await p.tap("Paced breathing")
    await steps(bot).fire("pace:1001")
    await p.tap("Stop")
    assert not steps(bot).active("pace:1001")
    assert "Stopped" in p.messages()[-1]["text"]
    await p.tap("Another round")
    assert steps(bot).active("pace:1001")
    exercise = p.messages()[-1]
    await p.send("hello")
    assert not steps(bot).active("pace:1001")
    assert exercise["text"].startswith("Stopped")


async def test_grounding_goes_step_by_step(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/craving")
    await p.tap("🌬 Breathe")
    await p.tap("5-4-3-2-1")
    assert "Not while driving" in p.last_text and "5 things you can see" in p.last_text
    for expected in ("4 things you can feel", "3 things you can hear", "2 things you can smell",
                     "1 thing you can taste"):
        await p.tap("Next")
        assert expected in p.last_text
    await p.tap("Done")
    assert "How strong is the urge now?" in p.last_text


async def test_urge_surfing_rerates_every_two_minutes_until_the_wave_eases(bot: Harness) -> None:
    p = await with_plan(bot)
    await p.send("/craving")
    await p.tap("9")
    await p.tap("🌊 Urge surf")
    assert "It's a wave" in p.last_text
    await p.tap("Next")
    await p.tap("Next")
    await p.tap("Next")
    assert "check back in about 2 minutes" in p.last_text
    assert steps(bot).delay("pace:1001") == 120.0
    await steps(bot).fire("pace:1001")
    assert "How strong is the wave now?" in p.last_text
    await p.tap("8")
    assert "Stay with it" in p.last_text and steps(bot).active("pace:1001")
    await steps(bot).fire("pace:1001")
    await p.tap("4")
    assert "The wave is easing. You surfed it." in p.last_text
    assert "If I pass the old corner, then I call Sam." in p.last_text
    episode = await latest_episode(bot)
    assert (episode.intensity_start, episode.intensity_end, episode.tried) == (9, 4, ["surf"])


async def test_distractions_own_list_first_then_defaults(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/craving")
    await p.tap("Distract me")
    await p.tap("Add my own")
    await p.send("Call my sister <3")
    assert "Added to your list: <i>Call my sister &lt;3</i>" in p.last_text
    await p.send("/craving")
    await p.tap("Distract me")
    assert "From your list:\n<b>Call my sister &lt;3</b>" in p.last_text
    await p.tap("Another one")
    assert "Try this:\n<b>Drink a big glass of cold water, slowly.</b>" in p.last_text
    async with bot.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Distraction)) == 1


async def test_reasons_in_the_craving_menu_include_photos(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/reasons")
    await p.tap("Add a reason")
    await p.send_extra(photo=[{"file_id": "PHOTO-OF-MIA", "file_unique_id": "m",
                               "width": 90, "height": 90}])
    await p.send("/reasons")
    await p.tap("Add a reason")
    await p.send("To be there for Mia")
    await p.send("/craving")
    calls = await p.tap("My reasons")
    photo = [c for c in calls if c.method == "sendPhoto"]
    assert photo and photo[0].params["photo"] == "PHOTO-OF-MIA"
    assert "To be there for Mia" in p.last_text
    assert (await latest_episode(bot)).tried == ["reasons"]


async def test_alert_without_supporters_is_one_tap_to_share(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/craving")
    await p.tap("Alert my support person")
    share = p.buttons(p.messages()[-1])[0]
    assert share.url is not None and share.url.startswith("https://t.me/share/url?")
    assert "hard%20moment" in share.url
    assert [b.label for b in p.buttons(p.messages()[-1])][1:] == [
        "➕ Invite a support person", "☎️ Crisis lines"]


async def test_follow_up_after_fifteen_minutes_learns_what_helped(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/craving")
    await p.tap("8")
    await p.tap("🌬 Breathe")
    await p.tap("Box breathing")
    await p.send("ok")  # moves on, stops the exercise
    bot.clock.advance(minutes=14)
    assert (await bot.tick())["follow_ups"] == 0
    bot.clock.advance(minutes=1)
    assert (await bot.tick())["follow_ups"] == 1
    assert "It's been about 15 minutes" in p.last_text
    assert (await bot.tick())["follow_ups"] == 0  # sent once
    await p.tap("3")
    assert "What helped most?" in p.last_text
    assert [b.label for b in p.buttons(p.messages()[-1])] == [
        "Box breathing", "Your if-then plan", "Waiting it out", "Nothing yet"]
    await p.tap("Box breathing")
    assert "remember what helped (box breathing)" in p.last_text
    episode = await latest_episode(bot)
    assert (episode.intensity_start, episode.intensity_end, episode.helped) == (8, 3, "box")
    assert episode.ended_at == bot.clock.now()

    # next time, the first reply says so and puts breathing first
    bot.clock.advance(hours=5)
    await p.send("craving again")
    assert "Last time, box breathing took you from 8 to 3." in p.texts()[-2]
    assert option_labels(p)[0] == "🌬 Breathe"


async def test_still_strong_at_follow_up_offers_another_round_support_and_crisis(
        bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/craving")
    bot.clock.advance(minutes=15)
    await bot.tick()
    await p.tap("8")
    assert "It's still strong" in p.last_text
    assert [b.label for b in p.buttons(p.messages()[-1])] == [
        "🔁 Another round", "🌊 Urge surf", "📣 Alert my support person", "☎️ Crisis lines"]
    assert (await latest_episode(bot)).ended_at is None


async def test_closed_episode_gets_no_follow_up(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/craving")
    await p.tap("It's easing")
    await p.tap("2")
    await p.tap("Waiting it out")
    bot.clock.advance(minutes=20)
    assert (await bot.tick())["follow_ups"] == 0
    assert "rode this one out" in p.last_text


async def test_follow_up_survives_a_restart(db_target: DbTarget) -> None:
    first = await start_harness(db_target)
    p = await first.consented()
    await p.send("/craving")
    await p.tap("7")
    await stop_harness(first)
    second = await start_harness(db_target, clock=first.clock)
    try:
        second.clock.advance(minutes=16)
        assert (await second.tick())["follow_ups"] == 1
        p2 = second.person()
        assert "How strong is it now?" in p2.last_text
        await p2.tap("2")
        assert "What helped most?" in p2.last_text
    finally:
        await stop_harness(second)


async def test_follow_up_retries_after_a_network_fault_and_skips_stale_ones(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/craving")
    bot.clock.advance(minutes=15)
    bot.api.fail("sendMessage", status=502, description="Bad Gateway", times=1)
    assert (await bot.tick())["follow_ups"] == 0
    bot.clock.advance(seconds=20)
    assert (await bot.tick())["follow_ups"] == 0  # tried again 30 s after the fault
    bot.clock.advance(seconds=20)
    assert (await bot.tick())["follow_ups"] == 1
    assert "How strong is it now?" in p.last_text

    q = await bot.consented(2002)
    await q.send("/craving")
    bot.clock.advance(hours=4)  # the bot was down: too late to ask
    assert (await bot.tick())["follow_ups"] == 0
    assert "How strong is it now?" not in q.last_text


async def test_blocked_person_is_marked_unreachable_and_not_retried(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/craving")
    bot.api.blocked_chats.add(1001)
    bot.clock.advance(minutes=15)
    assert (await bot.tick())["follow_ups"] == 0
    async with bot.db.session() as s:
        user = await s.get(User, 1001)
        assert user is not None and user.unreachable
    bot.clock.advance(minutes=5)
    assert (await bot.tick())["follow_ups"] == 0
    assert (await latest_episode(bot)).follow_up_at is None


async def test_forged_stale_and_foreign_buttons_change_nothing(bot: Harness) -> None:
    alex = await bot.consented(1001)
    sam = await bot.consented(2002, "Sam")
    await sam.send("/craving")
    sams = await latest_episode(bot, 2002)
    for data in (f"crave:int:{sams.id}:9", f"crave:helped:{sams.id}:box",
                 f"crave:end:{sams.id}:1", "crave:int:abc:1", "crave:int:0:5",
                 "crave:ex:0:nonsense", "crave:int:999999:3", "crave:zz:1",
                 "support:alert:extra", "crave:" + "1" * 70):
        calls = await alex.press(data)
        assert answers(calls) == ["That button is no longer valid."], data
    assert (await latest_episode(bot, 2002)).intensity_start is None
    await sam.tap("It's easing")
    await sam.tap("1")
    await sam.tap("Waiting it out")
    closed = sam.messages()[-1]
    calls = await sam.press(f"crave:helped:{sams.id}:box", closed)
    assert answers(calls) == ["That button is no longer valid."]
    assert (await latest_episode(bot, 2002)).helped == "time"


async def test_without_consent_a_craving_still_gets_help_and_nothing_is_stored(
        bot: Harness) -> None:
    p = bot.person(3003)
    await p.send("I'm craving")
    assert WAVE in p.last_text and "/start" in p.last_text
    await p.tap("Breathe")
    await p.tap("Box breathing")
    assert "Breathe in" in p.last_text
    async with bot.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(User)) == 0
        assert await s.scalar(select(func.count()).select_from(CravingEpisode)) == 0


async def test_typed_numbers_answer_the_scale_like_taps(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/craving")
    await p.send("8")
    assert "Urge: 8 of 10" in p.last_text and "What set it off?" in p.last_text
    await p.send(" 3 ")
    assert "From 8 to 3" in p.last_text
    episode = await latest_episode(bot)
    assert (episode.intensity_start, episode.intensity_end) == (8, 3)
    await p.send("11")
    assert "not sure what you meant" in p.last_text


async def test_skipping_the_trigger_keeps_the_options_and_no_false_still(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/craving")
    await p.tap("Breathe")
    await p.tap("Box breathing")
    await p.tap("Stop")
    await p.tap("3")  # the first rating of this craving
    assert "Noted: 3 of 10" in p.last_text and "Still" not in p.last_text
    bot.clock.advance(hours=2)  # a new craving, asked for its strength again
    await p.send("/craving")
    await p.send("6")
    await p.tap("Skip")
    skipped = p.messages()[-1]
    assert "What would help right now?" in skipped["text"]
    assert "🌬 Breathe" in [b.label for b in p.buttons(skipped)]
