"""Fuzz: hostile and odd updates through the real Application on the fake Bot API.

Hypothesis draws updates (text with control characters and 4,096-character messages,
random and forged callback data, commands with odd arguments, stickers, photos, voice,
documents, locations, contacts, edited messages, group and channel posts, member
changes, unknown update types) from two people and a stranger, while a third person
(the victim) has plans, reasons, a craving, a check-in and a goal. For every update:

* no unhandled exception (the error handler never runs; nothing logged at ERROR);
* the victim's rows are exactly as before and nothing is sent to the victim's chat;
* every private message gets an answer, and every button press an answer or a reply,
  except the deliberate silences in `silent_on_purpose`.

Examples per test: FUZZ_PROFILE=ci (default, a few dozen, seconds) or FUZZ_PROFILE=fuzz
(2,000 new ones each run, minutes):  FUZZ_PROFILE=fuzz pytest tests/test_fuzz_updates.py
"""

from __future__ import annotations

import logging
import os
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import or_, select
from telegram import Update

from bot.app import COMMANDS
from bot.fake_api import FakeBotApi
from bot.local_driver import callback_update, message_update
from storage.erasure import user_columns
from storage.models import Checkin, CravingEpisode, Goal, Plan, Reason
from storage.repositories import goals, plans, reasons, recovery
from tests.conftest import Harness

settings.register_profile("ci", max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),
                          deadline=None, database=None, derandomize=True,
                          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                 HealthCheck.too_slow,
                                                 HealthCheck.data_too_large])
# CI: the same examples every run (a red build points at a change, not at luck);
# fuzz: new random examples every run, many more of them
settings.register_profile("fuzz", settings.get_profile("ci"), max_examples=2000,
                          derandomize=False)
FUZZ = settings(settings.get_profile(os.environ.get("FUZZ_PROFILE", "ci")))

VICTIM = 1001
PEOPLE = [4242, 4243]  # 4242 has consented and has data of their own; 4243 never did
STRANGERS = st.integers(min_value=1, max_value=2**40).filter(lambda i: i != VICTIM)
USERS = st.one_of(st.sampled_from(PEOPLE), STRANGERS)

# --- text -------------------------------------------------------------------------------------
CHARS = st.characters(exclude_categories=("Cs",))  # Telegram text is valid Unicode
CONTROL = st.characters(max_codepoint=0x1F)
PHRASES = ["I'm craving", "craving so bad", "7", "10", "0", "yes", "no", "I used last night",
           "i want to kill myself", "my friend is oding", "gonna use tonight", "🆘 Craving",
           "Breathe", "Plans", "Settings", "/cancel", "help", "", " ", "\n", "I agree"]
ODD_ARGS = ["-1", "0", "99999999999999999999", "25:61", "24:00", "2026-02-30", "1900-01-01",
            "../../etc/passwd", "<b>bold</b>", "&amp;", "%s", "{name}", "{0}", "\u202e",
            "ZZ", "on off", "1e9", "NaN", "Europe/Nowhere", "Etc/GMT+99", "'; DROP TABLE users",
            "\x00", "@craving_companion_bot", "now", "off", "on", "3", "365000"]
TEXT = st.one_of(
    st.text(CHARS, max_size=120),
    st.text(st.one_of(CONTROL, CHARS), max_size=60),
    st.text(CHARS, min_size=1, max_size=4).map(lambda s: (s * 4096)[:4096]),  # the longest
    st.sampled_from(PHRASES),
    st.tuples(st.sampled_from(PHRASES), st.text(CHARS, max_size=40)).map(" ".join),
)
COMMAND = st.tuples(
    st.sampled_from([*COMMANDS, "unknown", "START", "plan@craving_companion_bot", "x" * 40]),
    st.one_of(st.just(""), st.sampled_from(ODD_ARGS), TEXT.map(lambda t: t[:300])),
).map(lambda ca: f"/{ca[0]} {ca[1]}".rstrip() if ca[1].strip() else f"/{ca[0]}")


def _file(kind: str) -> dict[str, Any]:
    return {"file_id": f"{kind}-id", "file_unique_id": f"{kind}-uid"}


ATTACHMENTS: list[dict[str, Any]] = [
    {"sticker": _file("s") | {"type": "regular", "width": 512, "height": 512,
                              "is_animated": False, "is_video": False}},
    {"photo": [_file("p") | {"width": 90, "height": 90}]},
    {"voice": _file("v") | {"duration": 3}},
    {"video_note": _file("vn") | {"length": 240, "duration": 2}},
    {"animation": _file("a") | {"width": 1, "height": 1, "duration": 1}},
    {"document": _file("d") | {"file_name": "notes.txt"}},
    {"dice": {"emoji": "🎲", "value": 3}},
]
ATTACHMENT = st.one_of(
    st.sampled_from(ATTACHMENTS),
    st.tuples(st.sampled_from(ATTACHMENTS[1:3]), TEXT).map(
        lambda at: at[0] | {"caption": at[1][:1024]}),
    st.builds(lambda la, lo: {"location": {"latitude": la, "longitude": lo}},
              st.floats(-90, 90), st.floats(-180, 180)),
    st.builds(lambda phone, name, uid: {"contact": {"phone_number": phone,
                                                    "first_name": name or "x",
                                                    "user_id": uid}},
              st.text("+0123456789 ", max_size=20), st.text(CHARS, max_size=30), USERS),
)

# --- callback data ----------------------------------------------------------------------------
FEATURES = ["checkin", "consent", "crave", "goal", "onb", "plan", "privacy", "reason", "safety",
            "settings", "support", "progress"]
ACTIONS = ["act", "add", "adddist", "alert", "breathe", "c", "cancel", "countries", "country",
           "day", "del", "delno", "delok", "discreet", "dist", "dno", "dok", "done", "ea",
           "eased", "edit", "end", "es", "ex", "fu", "helped", "int", "later", "lines", "log",
           "m", "menu", "mkplan", "n", "new", "next", "no", "now", "od", "off", "on", "p",
           "pause", "plan", "r", "rate", "reason", "reasons", "s", "sd", "sdd", "since", "sit",
           "sm", "sn", "sp", "sr", "st", "start", "stop", "su", "surf", "sx", "t", "time",
           "trig", "tz", "tzask", "u", "undo", "wd", "yes"]


def forged(victim_ids: list[int]) -> st.SearchStrategy[str]:
    arg = st.one_of(st.sampled_from(victim_ids), st.integers(-(2**63), 2**63),
                    st.sampled_from(ODD_ARGS), st.text(CHARS, max_size=8))
    return st.tuples(st.sampled_from(FEATURES), st.sampled_from(ACTIONS),
                     st.lists(arg, max_size=3)).map(
        lambda t: ":".join([t[0], t[1], *map(str, t[2])]))


def callback_data(victim_ids: list[int]) -> st.SearchStrategy[str]:
    return st.one_of(forged(victim_ids), st.text(CHARS, min_size=1, max_size=64),
                     st.sampled_from(FEATURES).map(lambda f: f + ":"))


# --- whole updates ----------------------------------------------------------------------------
def _chat(chat_id: int, kind: str) -> dict[str, Any]:
    if kind == "private":
        return {"id": chat_id, "type": "private", "first_name": "Fuzz"}
    return {"id": chat_id, "type": kind, "title": "A group"}


def _member(status: str) -> dict[str, Any]:
    member: dict[str, Any] = {"user": FakeBotApi().bot_user, "status": status}
    return member | {"until_date": 0} if status == "kicked" else member


def updates(victim_ids: list[int]) -> st.SearchStrategy[dict[str, Any]]:
    private_text = st.builds(lambda uid, text: message_update(uid, text=text),
                             USERS, st.one_of(TEXT, COMMAND))
    private_media = st.builds(lambda uid, extra: message_update(uid, extra=extra),
                              USERS, ATTACHMENT)
    press = st.builds(
        lambda uid, data, mid: callback_update(uid, data, {
            "message_id": mid, "date": 1, "chat": _chat(uid, "private"),
            "from": FakeBotApi().bot_user, "text": "an old message"}),
        USERS, callback_data(victim_ids), st.integers(1, 2**31 - 1))
    group = st.builds(lambda uid, gid, kind, text: message_update(
        uid, text=text, chat_id=-gid, chat_type=kind),
        USERS, st.integers(1, 2**40), st.sampled_from(["group", "supergroup"]),
        st.one_of(TEXT, COMMAND))
    channel = st.builds(lambda gid, text, edited: {
        "update_id": 1, ("edited_channel_post" if edited else "channel_post"): {
            "message_id": 5, "date": 1, "chat": _chat(-gid, "channel"), "text": text}},
        st.integers(1, 2**40), TEXT, st.booleans())
    edited = st.builds(lambda uid, text: {"update_id": 1, "edited_message": {
        **message_update(uid, text=text)["message"], "edit_date": 2}},
        USERS, st.one_of(TEXT, COMMAND))
    member = st.builds(lambda uid, old, new: {"update_id": 1, "my_chat_member": {
        "chat": _chat(uid, "private"), "from": {"id": uid, "is_bot": False, "first_name": "F"},
        "date": 1, "old_chat_member": _member(old), "new_chat_member": _member(new)}},
        USERS, st.sampled_from(["member", "kicked"]), st.sampled_from(["member", "kicked"]))
    unknown = st.sampled_from([
        {"update_id": 1, "a_future_kind_of_update": {"id": 1}},
        {"update_id": 1, "inline_query": {"id": "1", "from": {
            "id": 4242, "is_bot": False, "first_name": "F"}, "query": "x", "offset": ""}},
        {"update_id": 1},
    ])
    return st.one_of(private_text, private_text, private_media, press, press, group,
                     channel, edited, member, unknown)


# --- the victim -------------------------------------------------------------------------------
async def victim_with_data(bot: Harness) -> list[int]:
    """The victim's object ids, for forging buttons that point at them."""
    p = await bot.consented(VICTIM, "Victim")
    await p.send("/checkin on")
    await p.send("/checkin now")
    await p.send("I'm craving")
    await bot.consented(4242, "Mallory")
    now = bot.clock.now()
    async with bot.db.session() as s:
        await plans.add(s, VICTIM, "the old corner", "call Sam", now, trigger="place")
        await reasons.add(s, VICTIM, now, text="my daughter")
        await recovery.record_use(s, VICTIM, date(2026, 2, 20), now, "message")
        await goals.add(s, VICTIM, "walk", 3, now)
        await plans.add(s, 4242, "my own corner", "call Max", now, trigger="place")
    ids: set[int] = {VICTIM}
    async with bot.db.session() as s:
        for model in (Plan, Reason, CravingEpisode, Checkin, Goal):
            ids |= set(await s.scalars(select(model.id).where(model.user_id == VICTIM)))
    return sorted(ids)


async def snapshot(bot: Harness, user_id: int) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    async with bot.db.session() as s:
        for table, cols in user_columns():
            rows = (await s.execute(select(table).where(
                or_(*(c == user_id for c in cols))))).all()
            out[table.name] = sorted(repr(tuple(r)) for r in rows)
    return out


# --- the checks -------------------------------------------------------------------------------
def _chat_of(calls: list[Any], chat_id: int) -> list[Any]:
    return [c for c in calls if str(c.params.get("chat_id")) == str(chat_id)]


def silent_on_purpose(update: Update) -> bool:
    """Private updates that deliberately get no answer: an edit of an earlier message (it
    is not new input; only crisis language in it is answered) and the person blocking or
    unblocking the bot."""
    return update.edited_message is not None or update.my_chat_member is not None


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class Quiet:
    """The harness, with a short repr for Hypothesis' failure reports."""

    def __init__(self, bot: Harness) -> None:
        self.bot = bot

    def __repr__(self) -> str:
        return "<bot>"


@pytest.fixture
def quiet_bot(bot: Harness) -> Quiet:
    return Quiet(bot)


@pytest.fixture
def errors() -> Any:
    handler = Errors()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


async def feed_and_check(bot: Harness, raw: dict[str, Any], before: dict[str, list[str]],
                         errors: Errors) -> None:
    start = len(bot.api.calls)
    update = Update.de_json(raw, bot.app.bot)
    await bot.app.process_update(update)
    calls = bot.api.calls[start:]
    assert errors.records == [], [r.getMessage()[:200] for r in errors.records]
    assert _chat_of(calls, VICTIM) == []
    chat = update.effective_chat
    if update.callback_query is not None:
        answered = [c for c in calls if c.method == "answerCallbackQuery"
                    and c.params.get("callback_query_id") == update.callback_query.id]
        assert answered or _chat_of(calls, update.callback_query.from_user.id), raw
    elif chat is not None and chat.type == "private" and not silent_on_purpose(update):
        assert _chat_of(calls, chat.id), raw
    if update.edited_message is not None:  # silent, or crisis lines
        said = [str(c.params.get("text")) for c in calls]
        assert all("911" in t for t in said), (update.edited_message.text, said)
    assert await snapshot(bot, VICTIM) == before


@FUZZ
@given(data=st.data())
@pytest.mark.parametrize("db_target", ["sqlite"], indirect=True)
async def test_hostile_updates_never_crash_leak_or_go_unanswered(
        quiet_bot: Quiet, errors: Errors, data: st.DataObject) -> None:
    bot = quiet_bot.bot
    # one bot for all examples (state builds up, as it would in a real chat)
    if "fuzz" not in bot.app.bot_data:
        victim_ids = await victim_with_data(bot)
        bot.app.bot_data["fuzz"] = (victim_ids, await snapshot(bot, VICTIM))
    victim_ids, before = bot.app.bot_data["fuzz"]
    for raw in data.draw(st.lists(updates(victim_ids), min_size=1, max_size=4)):
        await feed_and_check(bot, raw, before, errors)
