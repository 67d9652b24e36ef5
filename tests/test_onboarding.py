"""Consent first, nothing stored before it; groups are left; the command menu is cosmetic."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.local_driver import message_update
from storage.models import User
from tests.conftest import DbTarget, Harness, start_harness, stop_harness


async def count_users(h: Harness) -> int:
    async with h.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(User)) or 0)


async def test_start_explains_storage_and_asks_consent_before_storing(bot: Harness) -> None:
    p = bot.person()
    await p.send("/start")
    text = p.last_text
    assert "What I store" in text and "Telegram keeps every bot chat" in text
    assert "not medical care" in text and "18" in text
    assert [b.label for b in p.buttons()] == ["I agree, and I'm 18+", "Not now"]
    assert await count_users(bot) == 0


async def test_declining_stores_nothing_and_points_to_crisis_lines(bot: Harness) -> None:
    p = bot.person()
    await p.send("/start")
    await p.tap("Not now")
    assert "haven't stored anything" in p.last_text and "/helpnow" in p.last_text
    assert await count_users(bot) == 0
    await p.send("hello there")
    assert "need your okay" in p.last_text
    assert await count_users(bot) == 0


async def test_consent_creates_the_person_and_offers_a_first_plan(bot: Harness) -> None:
    p = bot.person()
    await p.send("/start")
    await p.tap("I agree")
    assert "You're set up" in p.texts()[-3]
    assert p.keyboard()[0] == "🆘 Craving"  # at once, before the optional steps
    assert "Discreet mode?" in p.texts()[-2]
    assert "first if-then plan" in p.last_text
    assert [b.label for b in p.buttons(p.messages()[-1])] == ["Make a plan", "Later"]
    async with bot.db.session() as s:
        user = await s.get(User, 1001)
    assert user is not None and user.timezone == "UTC" and user.country == "US"
    assert user.consented_at == bot.clock.now()


async def test_onboarding_can_be_skipped_and_ends_with_the_craving_keyboard(bot: Harness) -> None:
    p = bot.person()
    await p.send("/start")
    await p.tap("I agree")
    await p.tap("Later")
    await p.tap("Later")
    assert "All set" in "\n".join(p.texts()[-3:])
    assert "When did your recovery start?" in p.last_text
    await p.tap("Skip for now")
    assert "any time with /since" in p.last_text
    assert p.keyboard()[0] == "🆘 Craving"
    await p.send("/start")
    assert "Welcome back" in p.last_text


async def test_second_consent_tap_is_harmless(bot: Harness) -> None:
    p = bot.person()
    await p.send("/start")
    consent_message = p.messages()[0]
    await p.tap("I agree")
    await p.press("consent:yes", consent_message)
    assert await count_users(bot) == 1


async def test_group_chat_gets_one_line_and_the_bot_leaves(bot: Harness) -> None:
    update = message_update(1001, text="/start", chat_id=-100500, chat_type="supergroup")
    p = bot.person()
    await p.feed(update)
    methods = [c.method for c in bot.api.calls if c.params.get("chat_id") == -100500]
    assert methods == ["sendMessage", "leaveChat"]
    sent = [c for c in bot.api.calls if c.method == "sendMessage"][-1]
    assert "only work in private chats" in sent.params["text"]
    assert await count_users(bot) == 0


async def test_unknown_command_and_forged_button_get_kind_answers(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/frobnicate")
    assert "don't know that command" in p.last_text
    calls = await p.press("zzz:forged:999999")
    answers = [c for c in calls if c.method == "answerCallbackQuery"]
    assert answers and answers[0].params["text"] == "That button is no longer valid."


async def test_command_menu_failure_is_only_a_warning(db_target: DbTarget, caplog) -> None:
    from bot.fake_api import FakeBotApi

    api = FakeBotApi()
    api.fail("setMyCommands", status=400, description="Bad Request: rejected")
    h = await start_harness(db_target, api=api)
    try:
        assert "could not set the command menu" in caplog.text
        p = h.person()
        await p.send("/start")
        assert "What I store" in p.last_text
    finally:
        await stop_harness(h)


async def test_command_menu_lists_only_commands_that_exist(bot: Harness) -> None:
    call = next(c for c in bot.api.calls if c.method == "setMyCommands")
    names = [c["command"] for c in call.params["commands"]]
    assert {"start", "plans", "plan", "reasons", "help", "cancel"} <= set(names)
    assert all(len(c["description"]) <= 256 for c in call.params["commands"])


PERSONAL_COMMANDS = ["/plans", "/plan if payday then I call Sam", "/reasons", "/goals",
                     "/progress", "/since 2026-01-01", "/stats", "/supporters", "/discreet on",
                     "/settings", "/timezone Berlin", "/checkin 08:00", "/pause 3"]


async def test_personal_commands_before_consent_ask_for_it_and_store_nothing(
        bot: Harness) -> None:
    p = bot.person()
    for command in PERSONAL_COMMANDS:
        sent = await p.send(command)
        texts = [c.params.get("text", "") for c in sent if c.method == "sendMessage"]
        assert texts == ["Before I can keep anything for you, I need your okay. Tap /start to "
                         "read what I store.\nIf you need help right now, tap /helpnow."], command
    assert await count_users(bot) == 0
