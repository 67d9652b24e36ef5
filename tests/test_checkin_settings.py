"""Settings as a person changes them: time zone by typing, picking or sharing a location;
check-in time, on/off, pause; bad values get an example; /since and /progress."""

from __future__ import annotations

from datetime import date

from bot.local_driver import answers
from tests.checkin_helpers import person_with_checkins, user_row, utc
from tests.conftest import Harness


async def test_settings_card_shows_zone_local_time_and_next_checkin(bot: Harness) -> None:
    bot.clock.set(utc(2026, 3, 2, 6))
    p = await person_with_checkins(bot, zone="Europe/Berlin", at="08:30")
    await p.send("/settings")
    assert "Time zone: Europe/Berlin (it's 07:00 there now)" in p.last_text
    assert "on, at 08:30. Next: Mon 2 March, 08:30" in p.last_text
    await p.tap("Turn check-ins off")
    assert "off" in p.last_text
    assert not (await user_row(bot)).checkins_enabled
    assert (await user_row(bot)).next_checkin_at is None


async def test_new_people_have_checkins_off_until_they_choose(bot: Harness) -> None:
    p = await bot.consented()
    user = await user_row(bot)
    assert not user.checkins_enabled and user.next_checkin_at is None
    await p.send("/checkin")
    assert "Daily check-in: off" in p.last_text
    await p.tap("Turn check-ins on")
    assert "Daily check-ins are on, at 09:00 your time (UTC" in p.last_text


async def test_time_zone_by_typing_a_city_or_picking_from_choices(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/timezone")
    assert "Share your location" in p.texts()[-2]
    assert p.buttons()[0].label.startswith("New York · ")  # the person's country first
    await p.send("München")  # a city, not a zone name: shown for one tap to confirm
    assert "Is this your time zone for “München”?" in p.last_text
    await p.tap("Berlin")
    assert "Time zone set to Europe/Berlin" in p.texts()[-2]
    assert (await user_row(bot)).timezone == "Europe/Berlin"
    assert "🆘 Craving" in p.keyboard()  # the menu is back
    await p.send("/timezone Chicago")
    assert "Time zone set to America/Chicago" in p.last_text
    await p.send("/timezone Portland")
    assert "Is this your time zone" in p.last_text
    await p.tap("Los Angeles")
    assert (await user_row(bot)).timezone == "America/Los_Angeles"


async def test_time_zone_from_a_shared_location_keeps_only_the_zone(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/timezone")
    await p.send_extra(location={"latitude": -33.87, "longitude": 151.21})
    assert "Time zone set to Australia/Sydney" in p.last_text
    assert (await user_row(bot)).timezone == "Australia/Sydney"
    async with bot.db.session() as s:
        from storage.repositories import pending

        assert await pending.get(s, 1001) is None


async def test_bad_values_get_an_example_and_change_nothing(bot: Harness) -> None:
    bot.clock.set(utc(2026, 3, 2, 6))
    p = await person_with_checkins(bot, zone="Europe/Berlin", at="09:00")
    before = await user_row(bot)
    await p.send("/timezone Qwertzuiop")
    assert "couldn't find a place called “Qwertzuiop”" in p.last_text
    assert "/timezone Chicago" in p.last_text
    await p.send("/checkin 25:00")
    assert "<code>/checkin 08:30</code>" in p.last_text
    await p.send("/checkin soon")
    assert "<code>/checkin off</code>" in p.last_text
    await p.send("/pause forever")
    assert "<code>/pause 3</code>" in p.last_text
    await p.send("/pause 400")
    assert "1 to 90" in p.last_text
    after = await user_row(bot)
    assert (after.timezone, after.checkin_time, after.next_checkin_at, after.paused_until) == (
        before.timezone, before.checkin_time, before.next_checkin_at, before.paused_until)
    await p.send("/checkin")
    await p.tap("Check-in time")
    await p.send("half past eight")
    assert "like <code>08:30</code>" in p.last_text
    await p.send("7:45 pm")
    assert (await user_row(bot)).checkin_time == "19:45"


async def test_pause_and_resume_with_buttons(bot: Harness) -> None:
    bot.clock.set(utc(2026, 3, 2, 6))
    p = await person_with_checkins(bot)
    await p.send("/pause")
    await p.tap("7 days")
    assert (await user_row(bot)).paused_until == date(2026, 3, 9)
    await p.send("/settings")
    assert "paused; back on Mon 9 March at 09:00" in p.last_text
    await p.tap("Resume")
    user = await user_row(bot)
    assert user.paused_until is None and user.next_checkin_at == utc(2026, 3, 2, 8)


async def test_forged_settings_buttons(bot: Harness) -> None:
    p = await bot.consented()
    for data in ("settings:tz:Not/AZone", "settings:t:2561", "settings:p:0", "settings:p:x",
                 "settings:nope", "settings:on:1"):
        assert answers(await p.press(data)) == ["That button is no longer valid."], data
    user = await user_row(bot)
    assert user.timezone == "UTC" and not user.checkins_enabled


async def test_since_and_progress(bot: Harness) -> None:
    bot.clock.set(utc(2026, 3, 20, 12))
    p = await bot.consented()
    await p.send("/progress")
    assert "<code>/since 2026-03-01</code>" in p.last_text
    await p.send("/since 1 April 2026")
    assert "still ahead" in p.last_text
    await p.send("/since last spring-ish")
    assert "<code>/since 1 March 2026</code>" in p.last_text
    assert (await user_row(bot)).recovery_start is None
    await p.send("/since 1 March 2026")
    assert "Saved: your recovery started on 1 March 2026." in p.texts()[-2]
    assert "Days without using in a row: <b>19</b>" in p.texts()[-2]
    assert "short check-in each morning" in p.last_text
    await p.tap("Yes, at 09:00")
    assert (await user_row(bot)).checkins_enabled
    await p.send("/progress")
    assert "Without using on <b>19</b> of the last 19 days" in p.last_text


async def test_ask_recovery_start_for_onboarding(bot: Harness) -> None:
    from bot.handlers.progress import ask_recovery_start

    bot.clock.set(utc(2026, 3, 20, 12))
    p = await bot.consented()
    await p.send("/since")
    assert "When did your recovery start?" in p.last_text
    await p.tap("Yesterday")
    assert (await user_row(bot)).recovery_start == date(2026, 3, 19)
    await p.send("/since")
    await p.send("3 days ago")
    assert (await user_row(bot)).recovery_start == date(2026, 3, 17)
    assert callable(ask_recovery_start)
