"""Crisis answers through the fake Bot API: at once, mid-flow, without consent, by country."""

from __future__ import annotations

from bot.local_driver import answers, sent_texts
from storage.models import User
from storage.repositories import pending, plans
from tests.conftest import Harness
from tests.db_scan import row_counts


def button_data(p, message=None) -> list[str]:  # type: ignore[no-untyped-def]
    return [b.callback_data or "" for b in p.buttons(message or p.messages()[-1])]


async def test_crisis_works_without_consent_and_stores_nothing(bot: Harness) -> None:
    p = bot.person()
    calls = await p.send("i want to kill myself")
    [text] = sent_texts(calls)
    assert "I'm really glad you told me" in text
    assert "I'm a bot" in text and "can't call anyone or send help" in text
    assert "Emergency: <b>911</b>" in text and "988" in text and "1-800-662-4357" in text
    assert "?" not in text.split("\n")[0]  # never a question back, least of all about methods
    data = button_data(p)
    assert "support:alert" not in data  # no supporter without consent
    assert data == ["safety:od:US", "safety:countries"]  # the steps name the same numbers
    counts = await row_counts(bot.db)
    assert {k: v for k, v in counts.items() if v and k != "meta"} == {}


async def test_crisis_interrupts_a_half_made_plan_and_the_plan_waits(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/plans")
    await p.tap("New plan")
    await p.send("I pass the old corner")  # now waiting for the action
    await p.send("honestly i just wanna kms")
    assert "I'm really glad you told me" in p.last_text
    assert button_data(p)[0] == "support:alert"
    assert "🆘 Craving" in p.last_text  # a way back if it was a craving after all
    async with bot.db.session() as s:
        row = await pending.get(s, 1001)
        assert row is not None and row.kind == "plan_action"
        assert await plans.list_for(s, 1001) == []
    await p.send("I call Sam")
    assert "If I pass the old corner, then I call Sam." in p.last_text


async def test_an_overdose_gets_the_steps_first_then_the_lines(bot: Harness) -> None:
    p = await bot.consented()
    calls = await p.send("my bf is oding what do i do")
    first, second = sent_texts(calls)
    assert first.startswith("<b>Call 911 now</b>")
    for step in ("knuckles", "naloxone", "rescue breaths", "recovery position",
                 "second dose", "30–90 minutes", "xylazine", "Good Samaritan"):
        assert step in first, step
    assert "988" in second and "can't send help" in second
    assert "safety:od" not in button_data(p)  # the steps are already there


async def test_someone_elses_overdose_without_consent(bot: Harness) -> None:
    p = bot.person()
    await p.send("he's turning blue and wont wake up")
    assert "Call 911 now" in p.texts()[-2]
    assert (await row_counts(bot.db))["users"] == 0


async def test_figures_of_speech_are_not_crises(bot: Harness) -> None:
    p = await bot.consented()
    for text in ("this traffic is killing me", "I'd die for a coffee", "died laughing",
                 "overdid it at the gym"):
        await p.send(text)
        assert "not sure what you meant" in p.last_text, text


async def test_helpnow_and_the_lines_button_show_the_same_numbers(bot: Harness) -> None:
    p = bot.person()
    await p.send("/helpnow")
    helpnow = p.last_text
    assert "Here's who you can reach right now" in helpnow and "911" in helpnow
    await p.press("safety:lines")
    assert p.last_text == helpnow
    await p.tap("Overdose steps")
    assert "Call 911 now" in p.last_text
    assert (await row_counts(bot.db))["users"] == 0


async def test_country_by_command_changes_the_numbers(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/country CA")
    assert "numbers for Canada" in p.last_text and "1-888-688-6677" in p.last_text
    await p.send("i want to die")
    assert "Emergency: <b>911</b>" in p.last_text and "9-8-8" in p.last_text
    assert "1-800-662-4357" not in p.last_text
    await p.send("/country uk")
    await p.send("/helpnow")
    assert "<b>999</b>" in p.last_text and "116 123" in p.last_text
    async with bot.db.session() as s:
        assert (await s.get(User, 1001)).country == "GB"  # type: ignore[union-attr]


async def test_unknown_country_gets_112_and_a_note(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/country DE")
    assert "<b>112</b>" in p.last_text and "local emergency number" in p.last_text
    assert "don't have local numbers for your country" in p.last_text
    await p.send("/country Narnia")
    assert "two-letter code" in p.last_text
    assert [b.label for b in p.buttons(p.messages()[-1])][-1] == "🌍 Somewhere else"
    await p.send("/country")
    assert "I show 112 and the international line" in p.last_text
    assert "Help where you are" in p.texts()[-3]


async def test_country_buttons_without_consent_show_but_do_not_store(bot: Harness) -> None:
    p = bot.person()
    await p.send("/helpnow")
    await p.tap("Another country")
    await p.tap("Australia")
    assert "<b>000</b>" in p.last_text and "13 11 14" in p.last_text
    assert "only remember your country after /start" in p.last_text
    assert (await row_counts(bot.db))["users"] == 0


async def test_country_buttons_for_a_consented_person_store_it(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/country")
    await p.tap("United Kingdom")
    assert "numbers for the UK" in p.last_text and "Samaritans" in p.last_text
    async with bot.db.session() as s:
        assert (await s.get(User, 1001)).country == "GB"  # type: ignore[union-attr]


async def test_forged_safety_buttons_change_nothing(bot: Harness) -> None:
    p = await bot.consented()
    for data in ("safety:country:XX", "safety:country", "safety:lines:1", "safety:nope",
                 "safety:st:999:lonely", "safety:su:abc", "safety:" + "9" * 70):
        calls = await p.press(data)
        assert answers(calls) == ["That button is no longer valid."], data
    async with bot.db.session() as s:
        assert (await s.get(User, 1001)).country == "US"  # type: ignore[union-attr]


async def test_crisis_is_answered_even_when_the_database_fails(bot: Harness) -> None:
    p = await bot.consented()
    async with bot.db.engine.begin() as conn:
        await conn.exec_driver_sql("ALTER TABLE users RENAME TO users_away")
    try:
        await p.send("i want to end my life")
        assert "I'm really glad you told me" in p.last_text and "911" in p.last_text
        await p.send("/helpnow")
        assert "Here's who you can reach right now" in p.last_text
        await p.press("safety:lines")
        assert "988" in p.last_text
        await p.send("hello")
        assert "something went wrong" in p.last_text and "/helpnow" in p.last_text
    finally:
        async with bot.db.engine.begin() as conn:
            await conn.exec_driver_sql("ALTER TABLE users_away RENAME TO users")


async def test_overdose_steps_name_the_numbers_of_the_message_they_sit_on(bot) -> None:
    p = bot.person()
    await p.send("/helpnow")
    await p.tap("Another country")
    await p.tap("United Kingdom")
    await p.tap("Overdose steps")
    assert "999" in p.last_text and "911" not in p.last_text


async def test_a_time_zone_brings_the_local_emergency_number(bot) -> None:
    p = await bot.consented()
    await p.send("/timezone Europe/Berlin")
    assert "emergency <b>112</b>" in p.last_text
    await p.send("/helpnow")
    assert "112" in p.last_text and "911" not in p.last_text
