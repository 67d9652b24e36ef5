"""Check-ins arrive once, at the person's local time, across DST changes both ways; late
ones are skipped; a restart after the claim never sends twice; blocked people are
skipped until they write again."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.handlers.checkin import claim
from tests.checkin_helpers import (
    checkin_messages,
    checkin_rows,
    person_with_checkins,
    sends_to,
    tick_at,
    user_row,
    utc,
)
from tests.conftest import DbTarget, Harness, start_harness, stop_harness


async def test_spring_forward_0230_in_berlin_goes_out_at_0300(bot: Harness) -> None:
    bot.clock.set(utc(2026, 3, 28, 12))
    p = await person_with_checkins(bot, zone="Europe/Berlin", at="02:30")
    assert (await user_row(bot)).next_checkin_at == utc(2026, 3, 29, 1)  # 03:00 CEST
    await tick_at(bot, utc(2026, 3, 29, 0, 59))
    assert checkin_messages(p) == []
    await tick_at(bot, utc(2026, 3, 29, 1, 0, 10))
    assert len(checkin_messages(p)) == 1
    await tick_at(bot, utc(2026, 3, 29, 1, 30))
    assert len(checkin_messages(p)) == 1
    # the next day 02:30 exists again (CEST: 00:30 UTC)
    assert (await user_row(bot)).next_checkin_at == utc(2026, 3, 30, 0, 30)
    await tick_at(bot, utc(2026, 3, 30, 0, 30, 5))
    assert len(checkin_messages(p)) == 2


async def test_fall_back_0130_in_new_york_goes_out_once(bot: Harness) -> None:
    bot.clock.set(utc(2026, 10, 31, 12))
    p = await person_with_checkins(bot, zone="America/New_York", at="01:30")
    await tick_at(bot, utc(2026, 11, 1, 5, 30, 5))  # 01:30 EDT, the first 01:30
    assert len(checkin_messages(p)) == 1
    for minute in range(0, 120, 10):  # through the second 01:30 (EST, 06:30 UTC)
        await tick_at(bot, utc(2026, 11, 1, 5, 40) + timedelta(minutes=minute))
    assert len(checkin_messages(p)) == 1
    assert (await user_row(bot)).next_checkin_at == utc(2026, 11, 2, 6, 30)  # 01:30 EST


async def test_the_local_hour_holds_across_the_change_to_summer_time(bot: Harness) -> None:
    bot.clock.set(utc(2026, 3, 7, 12))
    p = await person_with_checkins(bot, zone="America/New_York", at="09:00")
    assert (await user_row(bot)).next_checkin_at == utc(2026, 3, 7, 14)  # 09:00 EST
    await tick_at(bot, utc(2026, 3, 7, 14, 0, 5))
    assert (await user_row(bot)).next_checkin_at == utc(2026, 3, 8, 13)  # 09:00 EDT
    await tick_at(bot, utc(2026, 3, 8, 13, 0, 5))
    assert len(checkin_messages(p)) == 2
    assert (await user_row(bot)).next_checkin_at == utc(2026, 3, 9, 13)


async def test_changing_zone_or_time_reschedules_at_once_without_a_second_checkin(
        bot: Harness) -> None:
    bot.clock.set(utc(2026, 3, 2, 6))
    p = await person_with_checkins(bot, zone="Europe/Berlin", at="09:00")
    assert (await user_row(bot)).next_checkin_at == utc(2026, 3, 2, 8)
    await p.send("/timezone America/New_York")
    assert (await user_row(bot)).next_checkin_at == utc(2026, 3, 2, 14)
    assert "America/New_York" in p.last_text
    await p.send("/checkin 07:15")
    assert (await user_row(bot)).next_checkin_at == utc(2026, 3, 2, 12, 15)
    assert "07:15" in p.last_text
    await tick_at(bot, utc(2026, 3, 2, 12, 15, 3))
    assert len(checkin_messages(p)) == 1
    await p.send("/checkin 10:00")  # later the same day: tomorrow, not a second one today
    assert (await user_row(bot)).next_checkin_at == utc(2026, 3, 3, 15)
    await tick_at(bot, utc(2026, 3, 2, 15, 0, 5))
    assert len(checkin_messages(p)) == 1


async def test_unanswered_checkins_are_not_nagged(bot: Harness) -> None:
    bot.clock.set(utc(2026, 3, 2, 6))
    p = await person_with_checkins(bot)
    await tick_at(bot, utc(2026, 3, 2, 8, 0, 5))
    before = len(p.messages())
    for hour in range(1, 23):
        await tick_at(bot, utc(2026, 3, 2, 8) + timedelta(hours=hour))
    assert len(p.messages()) == before
    await tick_at(bot, utc(2026, 3, 3, 8, 0, 5))
    assert len(checkin_messages(p)) == 2


async def test_more_than_three_hours_overdue_is_skipped_not_sent_late(bot: Harness) -> None:
    bot.clock.set(utc(2026, 3, 2, 6))
    p = await person_with_checkins(bot, at="09:00")
    await tick_at(bot, utc(2026, 3, 2, 11, 30))  # the bot was down: 3.5 hours late
    assert checkin_messages(p) == []
    assert (await user_row(bot)).next_checkin_at == utc(2026, 3, 3, 8)
    await tick_at(bot, utc(2026, 3, 3, 8, 0, 5))
    assert len(checkin_messages(p)) == 1


async def test_a_little_late_is_still_sent(bot: Harness) -> None:
    bot.clock.set(utc(2026, 3, 2, 6))
    p = await person_with_checkins(bot, at="09:00")
    await tick_at(bot, utc(2026, 3, 2, 10, 45))
    assert len(checkin_messages(p)) == 1


async def test_off_and_pause(bot: Harness) -> None:
    bot.clock.set(utc(2026, 3, 2, 6))
    p = await person_with_checkins(bot)
    await p.send("/checkin off")
    assert "off" in p.last_text
    await tick_at(bot, utc(2026, 3, 2, 8, 0, 5))
    assert checkin_messages(p) == []
    bot.clock.set(utc(2026, 3, 2, 7))  # 08:00 in Berlin, before today's check-in
    await p.send("/checkin on")
    assert "09:00" in p.last_text and "Europe/Berlin" in p.last_text
    await p.send("/pause 3")
    assert "check-ins come back on Thu 5 March" in p.last_text
    for day in (2, 3, 4):
        await tick_at(bot, utc(2026, 3, day, 8, 0, 5))
    assert checkin_messages(p) == []
    await tick_at(bot, utc(2026, 3, 5, 8, 0, 5))
    assert len(checkin_messages(p)) == 1


async def test_restart_between_claim_and_send_sends_it_once_when_the_lease_ends(
        db_target: DbTarget) -> None:
    """At least once (issue 8): the claim commits before the send, so a crash in between
    leaves a claimed-but-unsent check-in that the next process sends when the claim's
    lease ends, once, and within the 3-hour rule (see bot/handlers/checkin.py)."""
    first = await start_harness(db_target)
    first.clock.set(utc(2026, 3, 2, 6))
    p = await person_with_checkins(first)
    first.clock.set(utc(2026, 3, 2, 8, 0, 5))
    claimed, _ = await claim(first.app.bot_data["services"], first.clock.now(), 100)
    assert [c.user_id for c in claimed] == [1001]
    await stop_harness(first)  # the process dies before sending

    second = await start_harness(db_target, api=first.api, clock=first.clock)
    try:
        await tick_at(second, utc(2026, 3, 2, 8, 1))  # still leased to the dead process
        assert checkin_messages(p) == []
        [row] = await checkin_rows(second)
        assert row.sent_at is None  # visible as claimed-but-unsent
        for minute in range(0, 180, 15):
            await tick_at(second, utc(2026, 3, 2, 8, 2, 10) + timedelta(minutes=minute))
        assert len(checkin_messages(p)) == 1
        [row] = await checkin_rows(second)
        assert row.sent_at == utc(2026, 3, 2, 8, 2, 10)
        await tick_at(second, utc(2026, 3, 3, 8, 0, 5))
        assert len(checkin_messages(p)) == 2
    finally:
        await stop_harness(second)


async def test_a_claimed_check_in_older_than_three_hours_is_given_up(
        db_target: DbTarget) -> None:
    """The 3-hour rule holds for retries too: nothing arrives hours late."""
    first = await start_harness(db_target)
    first.clock.set(utc(2026, 3, 2, 6))
    p = await person_with_checkins(first)
    first.clock.set(utc(2026, 3, 2, 8, 0, 5))
    await claim(first.app.bot_data["services"], first.clock.now(), 100)
    await stop_harness(first)
    second = await start_harness(db_target, api=first.api, clock=first.clock)
    try:
        await tick_at(second, utc(2026, 3, 2, 11, 5))  # the bot was down for three hours
        assert checkin_messages(p) == []
        [row] = await checkin_rows(second)
        assert row.sent_at is None and row.retry_at is None  # given up, not pending
    finally:
        await stop_harness(second)


async def test_blocked_people_are_skipped_until_they_write_again(bot: Harness) -> None:
    bot.clock.set(utc(2026, 3, 2, 6))
    p = await person_with_checkins(bot)
    bot.api.blocked_chats.add(1001)
    await tick_at(bot, utc(2026, 3, 2, 8, 0, 5))
    user = await user_row(bot)
    assert user.unreachable and user.next_checkin_at is None
    attempts = len(bot.api.calls)
    await tick_at(bot, utc(2026, 3, 3, 8, 0, 5))
    assert len(bot.api.calls) == attempts  # not even tried
    bot.api.blocked_chats.discard(1001)
    await p.send("hello")
    user = await user_row(bot)
    assert not user.unreachable and user.next_checkin_at == utc(2026, 3, 4, 8)
    await tick_at(bot, utc(2026, 3, 4, 8, 0, 5))
    assert len(checkin_messages(p)) == 1


async def test_checkins_for_many_people_in_many_zones(bot: Harness) -> None:
    bot.clock.set(utc(2026, 3, 2, 0))
    zones = {2001: "Europe/Berlin", 2002: "America/New_York", 2003: "Asia/Kolkata",
             2004: "Australia/Sydney"}
    people = {uid: await person_with_checkins(bot, uid, zone=z, at="08:00")
              for uid, z in zones.items()}
    for minutes in range(0, 24 * 60, 10):
        await tick_at(bot, utc(2026, 3, 2, 0) + timedelta(minutes=minutes))
    local_hours = {}
    for uid, p in people.items():
        assert len(checkin_messages(p)) == 1, zones[uid]
        [row] = await checkin_rows(bot, uid)
        assert row.sent_at is not None
        local_hours[uid] = row.due_at.astimezone(ZoneInfo(zones[uid])).strftime("%H:%M")
    assert set(local_hours.values()) == {"08:00"}
    assert sends_to(bot, 2003) >= 1


async def test_blocking_and_unblocking_the_bot_is_noticed_without_a_failed_send(
        bot: Harness) -> None:
    from bot.local_driver import Person

    bot.clock.set(utc(2026, 3, 2, 6))
    p: Person = await person_with_checkins(bot)

    def member_update(old: str, new: str) -> dict[str, object]:
        me = bot.api.bot_user
        return {"update_id": 990_000 + len(bot.api.calls), "my_chat_member": {
            "chat": {"id": 1001, "type": "private", "first_name": "Alex"},
            "from": {"id": 1001, "is_bot": False, "first_name": "Alex"}, "date": 1,
            "old_chat_member": {"user": me, "status": old, "until_date": 0},
            "new_chat_member": {"user": me, "status": new, "until_date": 0}}}

    await p.feed(member_update("member", "kicked"))
    user = await user_row(bot)
    assert user.unreachable and user.next_checkin_at is None
    await p.feed(member_update("kicked", "member"))
    user = await user_row(bot)
    assert not user.unreachable and user.next_checkin_at == utc(2026, 3, 2, 8)
