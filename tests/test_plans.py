"""If-then plans: guided creation, one-line form, edit, delete, bad input, stale buttons."""

from __future__ import annotations

from bot.local_driver import answers
from storage.repositories import plans
from tests.conftest import Harness


async def stored_plans(bot: Harness, user_id: int = 1001) -> list[tuple[str, str]]:
    async with bot.db.session() as s:
        return [(p.situation, p.action) for p in await plans.list_for(s, user_id)]


async def test_first_plan_from_onboarding_by_picking(bot: Harness) -> None:
    p = bot.person()
    await p.send("/start")
    await p.tap("I agree")
    await p.tap("Make a plan")
    assert "step 1 of 2" in p.last_text
    await p.tap("A place")
    assert "Pick a situation" in p.last_text
    await p.tap("I pass the old corner")
    assert "then what will you do" in p.last_text
    await p.tap("I call my support person")
    assert "If I pass the old corner, then I call my support person." in p.texts()[-2]
    assert "add one?" in p.last_text  # onboarding goes on to reasons
    assert await stored_plans(bot) == [("I pass the old corner", "I call my support person")]


async def test_typed_plan_in_own_words(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/plans")
    await p.tap("New plan")
    await p.send("if payday comes and I'm alone")
    assert "If payday comes and I'm alone, then what will you do?" in p.last_text
    await p.send("then I give my card to Jo.")
    assert "If payday comes and I'm alone, then I give my card to Jo." in p.last_text
    assert await stored_plans(bot) == [("payday comes and I'm alone", "I give my card to Jo")]


async def test_one_line_plan_command(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/plan if I pass the old corner then I call Sam")
    assert "If I pass the old corner, then I call Sam." in p.last_text
    await p.send("/plan I call Sam")
    assert "/plan if I pass the old corner then I call Sam" in p.last_text
    assert await stored_plans(bot) == [("I pass the old corner", "I call Sam")]


async def test_html_emoji_and_other_scripts_are_kept_and_shown_escaped(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/plan if <b>Friday</b> & 🍺 then 打电话给妈妈 *now*")
    assert "If &lt;b&gt;Friday&lt;/b&gt; &amp; 🍺, then 打电话给妈妈 *now*." in p.last_text
    assert await stored_plans(bot) == [("<b>Friday</b> & 🍺", "打电话给妈妈 *now*")]


async def test_too_long_and_empty_input_is_refused_and_the_wait_goes_on(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/plans")
    await p.tap("New plan")
    await p.send("x" * 501)
    assert "500 characters at most" in p.last_text
    await p.send_extra(sticker={"file_id": "s", "file_unique_id": "s", "type": "regular",
                                "width": 1, "height": 1, "is_animated": False,
                                "is_video": False})
    assert "didn't get any words" in p.last_text
    await p.send("I feel alone")
    await p.send("I call Jo")
    assert await stored_plans(bot) == [("I feel alone", "I call Jo")]


async def test_list_edit_and_delete(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/plan if I'm bored then I go for a walk")
    await p.send("/plan if I'm angry then I write it down")
    await p.tap("📋 My plans")
    assert "1. If I'm bored, then I go for a walk." in p.last_text
    assert "2. If I'm angry, then I write it down." in p.last_text
    await p.tap("Edit 2")
    await p.tap("Change the action")
    await p.send("I call Sam")
    assert "If I'm angry, then I call Sam." in p.last_text
    await p.send("/plans")
    await p.tap("Delete 1")
    await p.tap("Yes, delete it")
    assert "Deleted" in p.last_text
    assert await stored_plans(bot) == [("I'm angry", "I call Sam")]


async def test_buttons_of_deleted_or_foreign_plans_change_nothing(bot: Harness) -> None:
    alex = await bot.consented(1001)
    sam = await bot.consented(2002, "Sam")
    await sam.send("/plan if at night then I read")
    async with bot.db.session() as s:
        [sams_plan] = await plans.list_for(s, 2002)
    for data in (f"plan:del:{sams_plan.id}", f"plan:dok:{sams_plan.id}",
                 f"plan:es:{sams_plan.id}", "plan:dok:abc", "plan:act:99", "plan:sit:0",
                 "plan:trig:nonsense", "plan:" + "9" * 80):
        calls = await alex.press(data)
        assert answers(calls) == ["That button is no longer valid."], data
    assert await stored_plans(bot, 2002) == [("at night", "I read")]
    await alex.send("/plan if a then b")
    await alex.send("/plans")
    await alex.tap("Delete 1")
    confirm = dict(alex.messages()[-1])
    data = alex.buttons(confirm)[0].callback_data or ""
    await alex.tap("Yes, delete it")
    stale = await alex.press(data, confirm)  # an old copy of the message, tapped again
    assert answers(stale) == ["That button is no longer valid."]


async def test_cancel_drops_what_was_pending(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/plans")
    await p.tap("New plan")
    await p.send("/cancel")
    assert "Nothing was changed" in p.last_text
    await p.send("I feel alone")
    assert "not sure what you meant" in p.last_text
    assert await stored_plans(bot) == []


async def test_keyboard_taps_and_cancel_words_are_never_saved_as_plan_text(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("/plans")
    await p.tap("New plan")
    await p.send("Cancel")
    assert "Nothing was changed" in p.last_text
    await p.send("/plans")
    await p.tap("New plan")
    await p.tap("📋 My plans")  # the keyboard under the input field
    assert "You don't have an if-then plan yet" in p.last_text
    await p.send("I feel alone")
    assert "not sure what you meant" in p.last_text
    assert await stored_plans(bot) == []


async def test_keyboard_words_typed_plainly_work_like_taps(bot: Harness) -> None:
    p = await bot.consented()
    await p.send("my plans")
    assert "You don't have an if-then plan yet" in p.last_text
    await p.send("Breathe")
    assert "Sit down if you can" in p.last_text
