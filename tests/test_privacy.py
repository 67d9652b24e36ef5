"""Consent first, discreet mode, /export and /delete (generic over every table)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, MetaData, String, Table, insert

from bot.fake_api import uploaded
from bot.handlers import privacy
from bot.local_driver import answers, sent_texts
from storage import erasure
from storage.db import Database
from storage.models import Base, User
from storage.repositories import plans, reasons, recovery, users
from tests.conftest import Harness
from tests.db_scan import row_counts, rows_about

# What a person who never consented might do. Add a flow's messages here when it lands.
WITHOUT_CONSENT: list[tuple[str, str]] = [
    ("send", "hello"),
    ("send", "I'm craving so bad"),
    ("send", "i want to kill myself"),
    ("send", "my friend is oding"),
    ("send", "I used last night"),
    ("send", "gonna use tonight"),
    ("send", "/plans"), ("send", "/plan if I am bored then I walk"), ("send", "/reasons"),
    ("send", "/craving"), ("send", "/breathe"), ("send", "/help"), ("send", "/cancel"),
    ("send", "/country CA"), ("send", "/country"), ("send", "/discreet on"),
    ("send", "/export"), ("send", "/delete"), ("send", "/helpnow"), ("send", "/stats"),
    ("press", "stats:pat"), ("press", "stats:r:7"), ("press", "nudge:crave"),
    ("press", "safety:lines"), ("press", "safety:od"), ("press", "safety:country:GB"),
    ("press", "privacy:discreet:on"), ("press", "privacy:delok:1:1"), ("press", "plan:new"),
    ("press", "reason:new"), ("press", "onb:plan"), ("press", "safety:st:1:lonely"),
    ("press", "support:alert"), ("send", "/alert"), ("send", "/supporters"),
    ("send", "/supporting"), ("send", "/start sup_" + "A" * 32), ("press", "sup:add"),
    ("press", "inv:acc:1"), ("press", "ans:1:call"), ("press", "spt:stop:1"),
    ("press", "consent:no"), ("send", "🆘 Craving"),
    ("press", "crave:breathe:0"), ("press", "crave:ex:0:box"), ("press", "crave:rate:0:3"),
    ("press", "crave:int:1:5"), ("send", "/alert"), ("send", "/checkin on"),
    ("send", "/checkin 08:30"), ("send", "/timezone Berlin"), ("send", "/since 2026-03-01"),
    ("send", "/progress"), ("send", "/goals"), ("send", "/pause 3"), ("send", "/settings"),
    ("press", "checkin:st:0"), ("press", "goal:new"), ("press", "settings:tz"),
]


# invite_attempts: a bare counter of failed invitation links per chat, no content, kept
# for an hour so tokens can't be guessed
NOT_ABOUT_A_PERSON = {"meta", "invite_attempts"}


async def stored_rows(bot: Harness) -> dict[str, int]:
    return {k: v for k, v in (await row_counts(bot.db)).items()
            if v and k not in NOT_ABOUT_A_PERSON}


async def test_without_consent_no_flow_stores_anything_but_crisis_lines_work(
        bot: Harness) -> None:
    p = bot.person()
    said: list[str] = []
    for kind, value in WITHOUT_CONSENT:
        calls = await (p.send(value) if kind == "send" else p.press(value))
        said += sent_texts(calls)
        assert await stored_rows(bot) == {}, value
    texts = "\n".join(said)
    assert texts.count("Emergency: <b>911</b>") >= 3
    assert "Call 911 now" in texts and "Samaritans" in texts
    assert "need your okay" in texts


async def test_discreet_mode_is_offered_after_consent_and_can_change(bot: Harness) -> None:
    p = bot.person()
    await p.send("/start")
    await p.tap("I agree")
    assert "You're set up" in p.messages()[-3]["text"]  # the welcome, with the 🆘 keyboard
    question = p.messages()[-2]
    assert "Discreet mode?" in question["text"]
    await p.tap("Turn on discreet mode")
    assert "Discreet mode is on" in question["text"]
    assert "first if-then plan" in p.last_text  # onboarding goes on
    async with bot.db.session() as s:
        assert (await s.get(User, 1001)).discreet is True  # type: ignore[union-attr]
    await p.send("/discreet off")
    assert "Discreet mode is off" in p.last_text
    await p.send("/discreet")
    assert "<b>off</b>" in p.last_text
    await p.tap("Turn it on")
    assert "Discreet mode is on" in p.last_text
    await p.send("/discreet maybe")
    assert "/discreet on" in p.last_text
    async with bot.db.session() as s:
        assert (await s.get(User, 1001)).discreet is True  # type: ignore[union-attr]


async def seed(bot: Harness, user_id: int) -> None:
    now = bot.clock.now()
    async with bot.db.session() as s:
        await plans.add(s, user_id, f"corner {user_id}", f"call Sam {user_id}", now,
                        trigger="place")
        await reasons.add(s, user_id, now, text=f"my daughter {user_id}")
        await recovery.record_use(s, user_id, date(2026, 2, 20), now, "message")


async def test_export_sends_every_row_as_json_and_a_summary(bot: Harness) -> None:
    alex = await bot.consented(1001)
    await bot.consented(2002, "Sam")
    await seed(bot, 1001)
    await seed(bot, 2002)
    await alex.send("I used")
    await alex.tap("Skip")
    await alex.tap("Skip")
    await alex.tap("Something else")
    await alex.send("see Dr Okafor")
    calls = await alex.send("/export")
    doc = next(c for c in calls if c.method == "sendDocument")
    assert doc.params["document"]["filename"] == "craving-companion-export-2026-03-02.json"
    data = json.loads(uploaded(doc) or b"")
    tables = data["tables"]
    assert tables["users"][0]["id"] == 1001
    assert [(r["situation"], r["action"]) for r in tables["plans"]] == [
        ("corner 1001", "call Sam 1001")]
    assert tables["reasons"][0]["text"] == "my daughter 1001"
    assert tables["slips"][0]["next_step_text"] == "see Dr Okafor"
    assert sorted(r["day"] for r in tables["use_events"]) == ["2026-02-20", "2026-03-02"]
    assert "2002" not in json.dumps(tables) and "Sam 2002" not in json.dumps(data)
    summary = alex.last_text
    assert "If-then plans: 1" in summary and "Days of use noted: 2" in summary
    assert "Country: US" in summary and "/delete" in summary


async def test_export_and_delete_without_consent_say_nothing_is_stored(bot: Harness) -> None:
    p = bot.person()
    await p.send("/export")
    assert "don't have anything stored" in p.last_text
    await p.send("/delete")
    assert "don't have anything stored" in p.last_text


async def test_delete_erases_every_row_about_the_person_and_nobody_elses(bot: Harness) -> None:
    alex = await bot.consented(1001)
    await bot.consented(2002, "Sam")
    await seed(bot, 1001)
    await seed(bot, 2002)
    await alex.send("I used")
    await alex.send("/plans")
    await alex.tap("New plan")  # leaves half-typed input behind
    sams_before = await rows_about(bot.db, 2002)
    assert set(await rows_about(bot.db, 1001)) >= {"users", "plans", "reasons", "use_events",
                                                  "slips", "pending_inputs"}
    await alex.send("/delete")
    assert "can't be undone" in alex.last_text
    await alex.tap("Yes, delete everything")
    assert "Everything I stored about you is deleted" in alex.last_text
    assert alex.messages()[-1]["_params"]["reply_markup"] == {"remove_keyboard": True}
    assert await rows_about(bot.db, 1001) == {}
    assert await rows_about(bot.db, 2002) == sams_before
    await alex.send("hello")
    assert "need your okay" in alex.last_text
    await alex.send("/helpnow")
    assert "911" in alex.last_text


async def test_cancel_and_stale_or_forged_confirmations_delete_nothing(bot: Harness) -> None:
    alex = await bot.consented(1001)
    await alex.send("/delete")
    await alex.tap("Cancel")
    assert "nothing was deleted" in alex.last_text
    await alex.send("/delete")
    confirm = alex.messages()[-1]
    good = next(b.callback_data for b in alex.buttons(confirm) if "Yes" in b.label)
    assert good is not None
    _, _, consent, issued = good.split(":")
    for forged in (f"privacy:delok:{int(consent) + 1}:{issued}",
                   f"privacy:delok:{consent}:{int(issued) + 10}",
                   f"privacy:delok:{consent}", "privacy:delok:x:y"):
        assert answers(await alex.press(forged, confirm)) == ["That button is no longer valid."]
    bot.clock.advance(hours=25)  # an old confirmation, found in the chat a day later
    assert answers(await alex.press(good, confirm)) == ["That button is no longer valid."]
    assert "users" in await rows_about(bot.db, 1001)
    # after a delete and a new /start, the first confirmation can't erase the new data
    bot.clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    await alex.press(good, confirm)
    assert await rows_about(bot.db, 1001) == {}
    bot.clock.advance(minutes=5)
    await alex.send("/start")
    await alex.tap("I agree")
    assert answers(await alex.press(good, confirm)) == ["That button is no longer valid."]
    assert "users" in await rows_about(bot.db, 1001)


def later_feature_metadata() -> tuple[MetaData, Table, Table, Table]:
    """Today's tables plus two a later feature might add: one that names the person in a
    column not called user_id, and one hanging off it with no user column at all."""
    meta = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(meta)
    links = Table("support_links", meta, Column("id", Integer, primary_key=True),
                  Column("person_id", BigInteger, ForeignKey("users.id")),
                  Column("supporter_id", BigInteger, ForeignKey("users.id")),
                  Column("label", String(20)))
    alerts = Table("support_alerts", meta, Column("id", Integer, primary_key=True),
                   Column("link_id", Integer, ForeignKey("support_links.id")))
    notes = Table("notes", meta, Column("id", Integer, primary_key=True),
                  Column("user_id", BigInteger), Column("body", String(20)))
    return meta, links, alerts, notes


async def test_erasure_covers_tables_added_later_without_changes(db: Database) -> None:
    meta, links, alerts, notes = later_feature_metadata()
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda c: meta.create_all(c, tables=[links, alerts, notes]))
    now = datetime(2026, 3, 1, tzinfo=UTC)
    async with db.session() as s:
        for uid in (1, 2, 3):
            await users.create(s, uid, now)
        await s.execute(insert(links), [{"id": 1, "person_id": 1, "supporter_id": 2},
                                         {"id": 2, "person_id": 3, "supporter_id": 2}])
        await s.execute(insert(alerts), [{"id": 1, "link_id": 1}, {"id": 2, "link_id": 2}])
        await s.execute(insert(notes), [{"id": 1, "user_id": 2}, {"id": 2, "user_id": 3}])
    names = {t.name: [c.name for c in cols] for t, cols in erasure.user_columns(meta)}
    assert names["support_links"] == ["person_id", "supporter_id"]
    assert names["notes"] == ["user_id"]
    async with db.session() as s:
        exported = await erasure.export_user(s, 2, meta)
    assert [r["id"] for r in exported["support_alerts"]] == [1, 2]
    async with db.session() as s:
        counts = await erasure.erase_user(s, 2, meta)
    assert counts["support_links"] == 2 and counts["support_alerts"] == 2
    async with db.session() as s:
        assert await erasure.export_user(s, 2, meta) == {t: [] for t in exported}
        left = await erasure.export_user(s, 3, meta)
    assert [r["id"] for r in left["notes"]] == [2] and left["users"][0]["id"] == 3
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda c: meta.drop_all(c, tables=[alerts, links, notes]))


def test_every_table_with_people_in_it_is_found() -> None:
    found = {t.name for t, _ in erasure.user_columns()}
    assert found >= {"users", "plans", "reasons", "pending_inputs", "use_events", "slips",
                     "craving_episodes"}
    assert "meta" not in found


async def test_the_delete_confirmation_expires(bot: Harness) -> None:
    alex = await bot.consented(1001)
    await alex.send("/delete")
    bot.clock.advance(seconds=privacy.CONFIRM_SECONDS - 60)
    await alex.tap("Yes, delete everything")
    assert await rows_about(bot.db, 1001) == {}
