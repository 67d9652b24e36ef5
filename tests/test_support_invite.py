"""Inviting a support person by link: consent, decline, expiry, reuse, revocation, limits."""

from __future__ import annotations

from urllib.parse import unquote

from sqlalchemy import func, select

from bot import invites
from bot.local_driver import answers
from storage.models import InviteAttempt, Supporter
from tests.conftest import Harness
from tests.support_helpers import LINK, invite, join, network


async def links(bot: Harness) -> list[Supporter]:
    async with bot.db.session() as s:
        return list(await s.scalars(select(Supporter).order_by(Supporter.id)))


async def test_invite_link_is_single_use_hashed_and_shareable(bot: Harness) -> None:
    alex = await bot.consented(1001, "Alex")
    await alex.send("/supporters")
    assert "You haven't added a support person yet" in alex.last_text
    await alex.tap("Add a support person")
    assert "first name" in alex.last_text
    await alex.send("Sam")
    assert alex.last_text == "Who is Sam to you?"
    assert [b.label for b in alex.buttons(alex.messages()[-1])] == [
        "Sponsor", "Friend", "Family", "Counselor", "Cancel"]
    await alex.tap("Sponsor")
    assert "phone number" in alex.last_text
    await alex.send("+1 201 555 0123")
    text = alex.last_text
    found = LINK.search(text)
    assert found is not None and "works once, for 7 days" in text
    token = invites.token_from(found.group(1))
    assert token is not None and len(token) * 6 >= 128
    share = alex.buttons(alex.messages()[-1])[0]
    assert share.url is not None and share.url.startswith("https://t.me/share/url?")
    assert found.group(0) in unquote(share.url) and "support person" in unquote(share.url)
    [row] = await links(bot)
    assert row.token_hash == invites.token_hash(token) and row.status == "invited"
    assert (row.name, row.role, row.phone) == ("Sam", "sponsor", "+12015550123")
    async with bot.db.engine.connect() as conn:  # the token itself is stored nowhere
        raw = str((await conn.exec_driver_sql("SELECT * FROM supporters")).all())
    assert token not in raw and "Sam" not in raw and "2015550123" not in raw


async def test_accept_links_them_and_tells_both(bot: Harness) -> None:
    alex = await bot.consented(1001, "Alex")
    param = await invite(alex, "Sam")
    sam = bot.person(2001, "Sammy")
    await sam.send(f"/start {param}")
    shown = sam.last_text
    assert shown.startswith("👋 <b>Alex</b> invited you to be one of their support people")
    assert "only when Alex taps to ask for support" in shown
    assert "won't see their check-ins, plans" in shown
    assert [b.label for b in sam.buttons()] == ["✅ Accept", "No, thanks"]
    await sam.tap("Accept")
    assert "Thank you for being there for Alex" in sam.last_text
    assert alex.last_text == ("✅ Sam accepted your invitation. "
                              "Your alerts will reach them from now on.")
    [row] = await links(bot)
    assert (row.status, row.supporter_chat_id, row.token_hash) == ("active", 2001, None)
    await alex.send("/supporters")
    assert "1. Sam · sponsor · ✅ gets your alerts" in alex.last_text
    await sam.send("/supporting")
    assert "• Alex" in sam.last_text


async def test_decline_keeps_nothing_and_tells_the_person(bot: Harness) -> None:
    alex = await bot.consented(1001, "Alex")
    param = await invite(alex, "Sam")
    sam = bot.person(2001, "Sam")
    await sam.send(f"/start {param}")
    await sam.tap("No, thanks")
    assert "nothing about you is kept" in sam.last_text
    assert alex.last_text.startswith("Sam declined your invitation")
    assert await links(bot) == []
    await sam.send(f"/start {param}")
    assert "isn't valid" in sam.last_text


async def test_expired_link_changes_nothing_and_a_new_link_replaces_it(bot: Harness) -> None:
    alex = await bot.consented(1001, "Alex")
    param = await invite(alex, "Sam")
    bot.clock.advance(days=7, minutes=1)
    sam = bot.person(2001, "Sam")
    await sam.send(f"/start {param}")
    assert sam.last_text == "This invitation has expired. Please ask Alex for a new link."
    assert sam.buttons() == []
    await alex.send("/supporters")
    assert "⌛ invitation expired" in alex.last_text
    await alex.tap("New link for Sam")
    fresh = LINK.search(alex.last_text)
    assert fresh is not None and fresh.group(1) != param
    await sam.send(f"/start {param}")
    assert "isn't valid" in sam.last_text
    await sam.send(f"/start {fresh.group(1)}")
    await sam.tap("Accept")
    assert [r.status for r in await links(bot)] == ["active"]


async def test_a_used_link_cannot_be_reused(bot: Harness) -> None:
    alex, [_sam] = await network(bot, "Sam")
    other = bot.person(2999, "Eve")
    used = next(m.group(1) for t in alex.texts() if (m := LINK.search(t)))
    await other.send(f"/start {used}")
    assert "isn't valid" in other.last_text
    assert other.buttons() == []
    [row] = await links(bot)
    assert row.supporter_chat_id == 2001


async def test_revoked_link_no_longer_works(bot: Harness) -> None:
    alex = await bot.consented(1001, "Alex")
    param = await invite(alex, "Sam")
    sam = bot.person(2001, "Sam")
    await sam.send(f"/start {param}")  # opened, not yet answered
    await alex.send("/supporters")
    await alex.tap("🗑 Sam")
    await alex.tap("Yes, remove Sam")
    assert "Their details are deleted" in alex.last_text
    assert await links(bot) == []
    assert answers(await sam.tap("Accept")) == ["That button is no longer valid."]
    await sam.send(f"/start {param}")
    assert "isn't valid" in sam.last_text


async def test_accept_button_works_only_for_the_chat_that_opened_the_link(bot: Harness) -> None:
    alex = await bot.consented(1001, "Alex")
    param = await invite(alex, "Sam")
    sam = bot.person(2001, "Sam")
    await sam.send(f"/start {param}")
    [row] = await links(bot)
    eve = bot.person(2999, "Eve")
    assert answers(await eve.press(f"inv:acc:{row.id}")) == ["That button is no longer valid."]
    assert answers(await alex.press(f"inv:acc:{row.id}")) == ["That button is no longer valid."]
    assert [r.status for r in await links(bot)] == ["invited"]


async def test_own_link_and_malformed_links_change_nothing(bot: Harness) -> None:
    alex = await bot.consented(1001, "Alex")
    param = await invite(alex, "Sam")
    await alex.send(f"/start {param}")
    assert "This is your own invitation link" in alex.last_text
    eve = bot.person(2999, "Eve")
    for bad in ("sup_", "sup_short", "sup_" + "x" * 60, "sup_" + "!" * 32):
        await eve.send(f"/start {bad}")
        assert "isn't valid" in eve.last_text
    assert [r.status for r in await links(bot)] == ["invited"]


async def test_guessing_links_is_rate_limited_per_chat(bot: Harness) -> None:
    alex = await bot.consented(1001, "Alex")
    param = await invite(alex, "Sam")
    eve = bot.person(2999, "Eve")
    for _ in range(5):
        await eve.send("/start sup_" + invites.new_token())
    await eve.send(f"/start {param}")  # even a real link is refused while locked out
    assert "Too many invitation links didn't work" in eve.last_text
    assert eve.buttons() == []
    bot.clock.advance(hours=1, minutes=1)
    await eve.send(f"/start {param}")
    assert eve.last_text.startswith("👋 <b>Alex</b> invited you")
    async with bot.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(InviteAttempt)) == 1


async def test_bad_names_and_phone_numbers_get_a_clear_answer(bot: Harness) -> None:
    alex = await bot.consented(1001, "Alex")
    await alex.send("/supporters")
    await alex.tap("Add a support person")
    await alex.send("S" * 41)
    assert "40 characters at most" in alex.last_text
    await alex.send("<b>Sam</b>")
    assert "just their first name, using letters" in alex.last_text
    await alex.send("Sam")
    await alex.send("my buddy")  # not a role: the question again
    assert alex.last_text == "Who is Sam to you?"
    await alex.tap("Friend")
    await alex.send("call me maybe")
    assert "doesn't look like a phone number" in alex.last_text
    await alex.send("12")
    assert "doesn't look like a phone number" in alex.last_text
    assert await links(bot) == []
    await alex.tap("Skip")
    [row] = await links(bot)
    assert (row.name, row.role, row.phone) == ("Sam", "friend", None)
    assert answers(await alex.press("sup:skip")) == ["That button is no longer valid."]
    assert len(await links(bot)) == 1


async def test_order_can_be_changed_and_the_list_is_limited(bot: Harness) -> None:
    alex, _ = await network(bot, "Sam", "Jo")
    await alex.send("/supporters")
    assert "1. Sam" in alex.last_text and "2. Jo" in alex.last_text
    await alex.tap("⬆️ Jo")
    assert "1. Jo" in alex.last_text and "2. Sam" in alex.last_text
    for name in ("Kim", "Lee", "Max"):
        await invite(alex, name)
    await alex.send("/supporters")
    assert "Add a support person" not in [b.label for b in alex.buttons(alex.messages()[-1])]
    assert answers(await alex.press("sup:add")) == [""]
    assert "You already have 5 support people" in alex.last_text


async def test_forged_roster_buttons_change_nothing(bot: Harness) -> None:
    _alex, _ = await network(bot, "Sam")
    bob = await bot.consented(1002, "Bob")
    [row] = await links(bot)
    for data in (f"sup:rmok:{row.id}", f"sup:up:{row.id}", f"sup:link:{row.id}", "sup:role:boss",
                 "sup:rmok:x", "sup:wording:1"):
        assert answers(await bob.press(data)) == ["That button is no longer valid."]
    assert [r.status for r in await links(bot)] == ["active"]


async def test_supporter_stops_and_the_person_is_told(bot: Harness) -> None:
    alex, [sam] = await network(bot, "Sam")
    await sam.send("/supporting")
    await sam.tap("Stop supporting Alex")
    await sam.tap("Yes, stop")
    assert "You won't get Alex's alerts any more" in sam.last_text
    assert alex.last_text.startswith("Sam has stopped being one of your support people")
    assert await links(bot) == []
    await sam.send("/supporting")
    assert "not a support person for anyone" in sam.last_text


async def test_person_removing_a_supporter_tells_them(bot: Harness) -> None:
    alex, [sam] = await network(bot, "Sam")
    await alex.send("/supporters")
    await alex.tap("🗑 Sam")
    await alex.tap("Yes, remove Sam")
    assert "Alex has ended your support link here" in sam.last_text
    assert await links(bot) == []


async def test_delete_ends_links_on_both_sides(bot: Harness) -> None:
    alex, [sam] = await network(bot, "Sam")
    sam_self = await bot.consented(2001, "Sam")  # Sam also uses the bot for themselves
    param = await invite(sam_self, "Alex")
    await join(bot, param, 1001, "Alex")
    assert len(await links(bot)) == 2
    await alex.send("/delete")
    await alex.tap("Yes, delete everything")
    assert await links(bot) == []
    texts = sam.texts()
    assert any("Alex has ended your support link" in t for t in texts)
    assert any("Alex has stopped being one of your support people" in t for t in texts)


async def test_a_supporter_who_never_signed_up_is_told_what_is_kept(bot: Harness) -> None:
    _, [sam] = await network(bot, "Sam")
    await sam.send("/delete")
    assert "support person for someone here" in sam.last_text
    await sam.send("/export")
    assert "/supporting" in sam.last_text


async def test_a_shared_contact_card_gives_the_phone_number(bot: Harness) -> None:
    alex = await bot.consented(1001, "Alex")
    await alex.send("/supporters")
    await alex.tap("Add a support person")
    await alex.send("Sam")
    await alex.tap("Family")
    await alex.send_extra(contact={"phone_number": "+44 20 7946 0958", "first_name": "Sam"})
    assert LINK.search(alex.last_text) is not None
    [row] = await links(bot)
    assert row.phone == "+442079460958"
