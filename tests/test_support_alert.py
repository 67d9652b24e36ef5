"""The one-tap alert with two and three simulated people: delivery, each answer,
escalation, exhaustion, blocked supporters, muting, repeat taps and restarts."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.local_driver import Person, answers
from storage.models import Alert, AlertDelivery, Supporter
from tests.conftest import DbTarget, Harness, start_harness, stop_harness
from tests.support_helpers import network

ALERT_FIRST_LINE = "🔔 Alex is having a hard moment and asked for support."


def alerts_received(p: Person) -> list[str]:
    return [t for t in p.texts() if "asked for support" in t or "check in with them" in t]


async def deliveries(bot: Harness) -> list[AlertDelivery]:
    async with bot.db.session() as s:
        return list(await s.scalars(select(AlertDelivery).order_by(AlertDelivery.id)))


async def test_alert_reaches_the_first_supporter_with_three_answers(bot: Harness) -> None:
    alex, [sam, jo] = await network(bot, "Sam", "Jo", phone="+1 201 555 0123")
    await alex.send("/craving")
    await alex.tap("Alert my support person")
    [alert] = alerts_received(sam)
    assert alert.split("\n")[0] == ALERT_FIRST_LINE
    assert [b.label for b in sam.buttons(sam.messages()[-1])] == [
        "📞 I'll call now", "💬 I'll message", "Can't right now"]
    assert alerts_received(jo) == []
    told = [m for m in alex.messages() if "Sent to Sam" in (m.get("text") or "")]
    assert len(told) == 1 and "If Sam doesn't answer in 5 minutes, I'll ask Jo." in told[0]["text"]
    assert alex.messages()[-1]["contact"] == {"phone_number": "+12015550123",
                                              "first_name": "Sam"}


async def test_i_will_call_tells_the_person_and_stops_escalation(bot: Harness) -> None:
    alex, [sam, jo] = await network(bot, "Sam", "Jo")
    await alex.send("/alert")
    await sam.tap("I'll call now")
    assert alex.last_text == "📞 Sam is calling you now."
    assert sam.last_text.endswith("✅ You said you'll call. Thank you.")
    assert sam.buttons(sam.messages()[-1]) == []
    bot.clock.advance(minutes=10)
    await bot.tick()
    assert alerts_received(jo) == []
    [d] = await deliveries(bot)
    assert answers(await sam.press(f"ans:{d.id}:call")) == ["That button is no longer valid."]


async def test_i_will_message_tells_the_person(bot: Harness) -> None:
    alex, [sam] = await network(bot, "Sam")
    await alex.send("/alert")
    await sam.tap("I'll message")
    assert alex.last_text == "💬 Sam is going to message you."
    async with bot.db.session() as s:
        [alert] = list(await s.scalars(select(Alert)))
    assert (alert.status, alert.escalate_at) == ("answered", None)


async def test_cant_right_now_moves_on_at_once(bot: Harness) -> None:
    alex, [sam, jo, kim] = await network(bot, "Sam", "Jo", "Kim")
    await alex.send("/alert")
    await sam.tap("Can't right now")
    assert sam.last_text.endswith("I'll ask someone else.")
    [to_jo] = alerts_received(jo)
    assert to_jo.startswith(ALERT_FIRST_LINE)
    assert "Sam can't right now, so I've asked Jo." in alex.texts()[-1]
    await jo.tap("I'll call now")
    assert alex.last_text == "📞 Jo is calling you now."
    assert alerts_received(kim) == []


async def test_no_answer_escalates_after_five_minutes_then_crisis_lines(bot: Harness) -> None:
    alex, [sam, jo] = await network(bot, "Sam", "Jo")
    await alex.send("/alert")
    bot.clock.advance(minutes=4, seconds=50)
    await bot.tick()
    assert alerts_received(jo) == []
    bot.clock.advance(seconds=15)
    await bot.tick()
    assert len(alerts_received(jo)) == 1
    assert "Sam hasn't answered yet, so I've asked Jo." in alex.last_text
    await bot.tick()  # nothing new before Jo's five minutes are up
    assert len(alerts_received(jo)) == 1 and len(alerts_received(sam)) == 1
    bot.clock.advance(minutes=5, seconds=5)
    await bot.tick()
    assert alex.last_text.startswith("None of your support people could answer just now")
    labels = [b.label for b in alex.buttons(alex.messages()[-1])]
    assert labels == ['📤 Send "Can you call me?"', "➕ Invite a support person",
                      "☎️ Crisis lines"]
    bot.clock.advance(minutes=30)
    before = len(alex.texts())
    await bot.tick()
    assert len(alex.texts()) == before  # told once
    await alex.tap("Crisis lines")
    assert "988" in alex.last_text


async def test_a_late_answer_still_reaches_the_person(bot: Harness) -> None:
    alex, [sam, _jo] = await network(bot, "Sam", "Jo")
    await alex.send("/alert")
    bot.clock.advance(minutes=6)
    await bot.tick()
    await sam.tap("I'll message")
    assert alex.last_text == "💬 Sam is going to message you."


async def test_supporter_who_blocked_the_bot_is_skipped_and_the_person_told(
        bot: Harness) -> None:
    alex, [sam, jo] = await network(bot, "Sam", "Jo")
    bot.api.blocked_chats.add(2001)
    await alex.send("/alert")
    assert alerts_received(jo) != []
    texts = alex.texts()
    assert any(t.startswith("I couldn't reach Sam with your alert") for t in texts)
    assert "Sent to Jo" in texts[-1]
    async with bot.db.session() as s:
        sam_row = await s.scalar(select(Supporter).where(Supporter.supporter_chat_id == 2001))
    assert sam_row is not None and sam_row.unreachable
    await alex.send("/supporters")
    assert "Sam · sponsor · ⚠️ can't be reached" in alex.last_text
    bot.api.blocked_chats.discard(2001)
    await sam.send("hello")  # writing again makes them reachable
    async with bot.db.session() as s:
        sam_row = await s.get(Supporter, sam_row.id)
    assert sam_row is not None and not sam_row.unreachable


async def test_everyone_blocked_still_leaves_a_way_to_reach_someone(bot: Harness) -> None:
    alex, _ = await network(bot, "Sam")
    bot.api.blocked_chats.add(2001)
    await alex.send("/alert")
    assert alex.last_text.startswith("None of your support people could answer just now")
    assert 'Send "Can you call me?"' in alex.buttons(alex.messages()[-1])[0].label


async def test_a_second_tap_within_two_minutes_says_who_already_knows(bot: Harness) -> None:
    alex, [sam] = await network(bot, "Sam")
    await alex.send("/alert")
    bot.clock.advance(seconds=70)
    await alex.send("/alert")
    assert alex.last_text.startswith("Your alert went out a moment ago, to Sam.")
    assert len(alerts_received(sam)) == 1
    bot.clock.advance(seconds=60)
    await alex.send("/alert")
    assert len(alerts_received(sam)) == 2


async def test_a_muted_supporter_is_skipped_until_they_resume(bot: Harness) -> None:
    alex, [sam, jo] = await network(bot, "Sam", "Jo")
    await sam.send("/supporting")
    await sam.tap("Pause Alex 8 h")
    assert "won't get Alex's alerts for 8 hours" in sam.last_text
    await alex.send("/alert")
    assert alerts_received(sam) == [] and len(alerts_received(jo)) == 1
    await alex.send("/supporters")
    assert "Sam · sponsor · ⏸ not taking alerts right now" in alex.last_text
    await sam.send("/supporting")
    await sam.tap("Resume Alex")
    bot.clock.advance(minutes=3)
    await alex.send("/alert")
    assert len(alerts_received(sam)) == 1


async def test_no_supporter_is_never_a_dead_end(bot: Harness) -> None:
    alex = await bot.consented()
    await alex.send("/alert")
    assert alex.last_text.startswith("You haven't added a support person yet")
    await alex.tap("Invite a support person")
    assert "first name" in alex.last_text


async def test_only_invited_supporters_get_the_share_fallback(bot: Harness) -> None:
    from tests.support_helpers import invite

    alex = await bot.consented()
    await invite(alex, "Sam")
    await alex.send("/alert")
    assert alex.last_text.startswith("None of your support people can get alerts right now")


async def test_neutral_wording_is_what_the_lock_screen_shows(bot: Harness) -> None:
    alex, [sam] = await network(bot, "Sam")
    await alex.send("/supporters")
    await alex.tap("Use neutral wording")
    assert "check in with them" in alex.texts()[-2]
    await alex.send("/alert")
    [alert] = alerts_received(sam)
    assert alert.split("\n")[0] == "Alex asked you to check in with them."
    for word in ("hard moment", "craving", "support"):
        assert word not in alert.split("\n")[0]


async def test_discreet_person_gets_neutral_first_lines_about_alerts(bot: Harness) -> None:
    alex, [_sam, _jo] = await network(bot, "Sam", "Jo")
    await alex.send("/discreet on")
    await alex.send("/alert")
    bot.clock.advance(minutes=6)
    await bot.tick()
    assert alex.last_text.split("\n")[0] == "A note about a contact"


async def test_supporters_never_see_plans_or_check_ins(bot: Harness) -> None:
    alex, [sam] = await network(bot, "Sam")
    await alex.send("/plan if I pass the old corner then I call my sponsor")
    await alex.send("/craving")
    await alex.tap("Alert my support person")
    await sam.tap("I'll call now")
    seen = "\n".join(sam.texts())
    assert "old corner" not in seen and "craving" not in seen.lower()


async def test_forged_answers_change_nothing(bot: Harness) -> None:
    alex, [sam, jo] = await network(bot, "Sam", "Jo")
    await alex.send("/alert")
    [d] = await deliveries(bot)
    for who, data in ((jo, f"ans:{d.id}:call"), (alex, f"ans:{d.id}:call"),
                      (sam, f"ans:{d.id}:hug"), (sam, "ans:99999:call"), (sam, "ans:x:call")):
        assert answers(await who.press(data)) == ["That button is no longer valid."]
    [d] = await deliveries(bot)
    assert d.answer is None
    await sam.tap("I'll call now")
    assert answers(await sam.press(f"ans:{d.id}:cant")) == ["That button is no longer valid."]


async def test_escalation_survives_a_restart(db_target: DbTarget) -> None:
    first = await start_harness(db_target)
    alex, [sam, _jo] = await network(first, "Sam", "Jo")
    await alex.send("/alert")
    assert len(alerts_received(sam)) == 1
    await stop_harness(first)

    second = await start_harness(db_target, api=first.api, clock=first.clock)
    try:
        second.clock.advance(minutes=5, seconds=1)
        await second.tick()
        jo2 = second.person(2002, "Jo")
        assert len(alerts_received(jo2)) == 1
        await second.tick()
        assert len(alerts_received(jo2)) == 1
        assert len(alerts_received(second.person(2001, "Sam"))) == 1
    finally:
        await stop_harness(second)


async def test_a_send_that_fails_is_retried_by_the_tick_once(bot: Harness) -> None:
    alex, [sam, jo] = await network(bot, "Sam", "Jo")
    bot.api.fail("sendMessage", status=502, description="Bad Gateway", times=1)
    await alex.send("/alert")
    assert "I couldn't send your alert just yet" in alex.last_text
    assert alerts_received(sam) == []
    bot.clock.advance(seconds=61)
    await bot.tick()
    assert len(alerts_received(sam)) == 1 and alerts_received(jo) == []
    assert "Sent to Sam" in alex.last_text or "Sam" in alex.last_text


async def test_two_ticks_at_once_escalate_once(bot: Harness) -> None:
    alex, [_sam, jo] = await network(bot, "Sam", "Jo")
    await alex.send("/alert")
    bot.clock.advance(minutes=5, seconds=1)
    await asyncio.gather(bot.tick(), bot.tick())
    assert len(alerts_received(jo)) == 1
    assert len(await deliveries(bot)) == 2
