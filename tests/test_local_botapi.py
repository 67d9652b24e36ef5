"""Tests for the local Bot API emulator, driven by python-telegram-bot itself."""

from __future__ import annotations

import asyncio
import contextlib
import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from tests.local_botapi import LocalBotApi

pytestmark = pytest.mark.asyncio

USER = 777


@pytest.fixture
def api() -> Iterator[LocalBotApi]:
    with LocalBotApi() as server:
        yield server


def make_bot(api: LocalBotApi, token: str | None = None) -> Bot:
    return Bot(token or api.token, base_url=api.base_url)


async def test_get_me(api: LocalBotApi) -> None:
    async with make_bot(api) as bot:  # initialize() calls getMe
        me = await bot.get_me()
    assert me.id == api.bot_id
    assert me.is_bot
    assert me.username == "craving_companion_test_bot"
    assert [m for m, _ in api.calls].count("getMe") >= 1


async def test_send_message_with_keyboard(api: LocalBotApi) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Breathe", callback_data="tool:breathe")]])
    async with make_bot(api) as bot:
        first = await bot.send_message(USER, "Hang in there", reply_markup=markup)
        second = await bot.send_message(USER, "Second")
    (params, _) = api.sent(USER)
    assert params["chat_id"] == USER
    assert params["text"] == "Hang in there"
    buttons = params["reply_markup"]["inline_keyboard"]
    assert buttons[0][0]["callback_data"] == "tool:breathe"
    assert first.text == "Hang in there"
    assert first.chat.id == USER and first.chat.type == "private"
    assert first.from_user is not None and first.from_user.id == api.bot_id
    assert first.reply_markup == markup
    assert second.message_id == first.message_id + 1
    assert api.sent(USER + 1) == []


async def test_other_methods_parse(api: LocalBotApi) -> None:
    async with make_bot(api) as bot:
        msg = await bot.send_message(USER, "v1")
        edited = await bot.edit_message_text("v2", chat_id=USER, message_id=msg.message_id)
        assert isinstance(edited, type(msg)) and edited.text == "v2"
        doc = await bot.send_document(USER, b"hello", filename="a.txt", caption="42")
        assert doc.document is not None and doc.caption == "42"
        photo = await bot.send_photo(USER, "existing-file-id")
        assert photo.photo and photo.photo[-1].file_id == "existing-file-id"
        contact = await bot.send_contact(USER, phone_number="+100", first_name="Sam")
        assert contact.contact is not None and contact.contact.phone_number == "+100"
        loc = await bot.send_location(USER, latitude=1.5, longitude=2.5)
        assert loc.location is not None and loc.location.longitude == 2.5
        assert await bot.send_chat_action(USER, "typing") is True
        assert await bot.delete_message(USER, msg.message_id) is True
        chat = await bot.get_chat(USER)
        assert chat.id == USER
        file = await bot.get_file("abc")
        assert file.file_id == "abc"
    doc_call = next(p for m, p in api.calls if m == "sendDocument")
    assert doc_call["document"] == "<file>" and doc_call["caption"] == "42"
    assert len(api.sent(USER)) == 6  # chat action is not counted


async def test_get_updates_long_poll_and_offset(api: LocalBotApi) -> None:
    async with make_bot(api) as bot:
        loop = asyncio.get_running_loop()
        loop.call_later(0.2, api.push_text, USER, "/start hello")
        started = loop.time()
        updates = await bot.get_updates(timeout=5)
        assert loop.time() - started < 3
        assert len(updates) == 1
        message = updates[0].message
        assert message is not None and message.text == "/start hello"
        assert message.from_user is not None and message.from_user.id == USER
        assert message.entities == (MessageEntity(MessageEntity.BOT_COMMAND, 0, 6),)
        # Not confirmed yet: delivered again.
        again = await bot.get_updates(timeout=0)
        assert [u.update_id for u in again] == [updates[0].update_id]
        # Confirming with offset drops it; an empty long poll times out.
        started = loop.time()
        assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=1) == ()
        assert loop.time() - started >= 0.9


async def test_callback_query_update(api: LocalBotApi) -> None:
    api.push_callback(USER, "tool:breathe", message_id=5)
    async with make_bot(api) as bot:
        (update,) = await bot.get_updates(timeout=1)
    query = update.callback_query
    assert query is not None and query.data == "tool:breathe"
    assert query.message is not None and query.message.message_id == 5


async def test_fault_bad_request_then_cleared(api: LocalBotApi) -> None:
    api.fail("setMyCommands")
    async with make_bot(api) as bot:
        for _ in range(2):
            with pytest.raises(BadRequest, match=r"(?i)rejected"):
                await bot.set_my_commands([("start", "Start")])
        api.clear_faults()
        assert await bot.set_my_commands([("start", "Start")]) is True
    assert [m for m, _ in api.calls].count("setMyCommands") == 3


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_fault_retry_after_times(api: LocalBotApi) -> None:
    api.fail("sendMessage", retry_after=3, times=1)
    async with make_bot(api) as bot:
        with pytest.raises(RetryAfter) as exc_info:
            await bot.send_message(USER, "hi")
        assert "Retry in 3" in str(exc_info.value)
        assert (await bot.send_message(USER, "hi")).text == "hi"


async def test_wrong_token_and_unknown_method(api: LocalBotApi) -> None:
    with pytest.raises(InvalidToken):
        async with make_bot(api, token="999:WRONG"):
            pass
    req = urllib.request.Request(f"{api.base_url}{api.token}/noSuchMethod", data=b"")
    with pytest.raises(urllib.error.HTTPError) as exc_info:
        await asyncio.to_thread(urllib.request.urlopen, req, timeout=5)
    assert exc_info.value.code == 404
    assert json.loads(exc_info.value.read())["description"] == "Not Found: method not found"


async def test_json_body_and_get_query(api: LocalBotApi) -> None:
    url = f"{api.base_url}{api.token}"
    body = json.dumps({"chat_id": USER, "text": "42"}).encode()
    req = urllib.request.Request(f"{url}/sendMessage", data=body)
    req.add_header("Content-Type", "application/json")
    with await asyncio.to_thread(urllib.request.urlopen, req, timeout=5) as resp:
        assert json.loads(resp.read())["result"]["text"] == "42"
    with await asyncio.to_thread(
        urllib.request.urlopen, f"{url}/getChat?chat_id=-100", None, 5
    ) as resp:
        assert json.loads(resp.read())["result"]["type"] == "supergroup"
    assert api.calls[-1] == ("getChat", {"chat_id": -100})


async def test_stop_with_open_client_connections_is_prompt() -> None:
    api = LocalBotApi().start()
    bot = make_bot(api)
    await bot.initialize()
    try:
        poll = asyncio.create_task(bot.get_updates(timeout=5))
        await api.await_for("getUpdates", timeout=10)  # the long poll is open at the server
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.to_thread(api.stop)
        assert loop.time() - started < 1.5
        with contextlib.suppress(NetworkError):
            assert await poll == ()
        with pytest.raises(NetworkError):
            await bot.get_me()
    finally:
        await bot.shutdown()


async def test_wait_for_timeout_message(api: LocalBotApi) -> None:
    async with make_bot(api) as bot:
        await bot.get_me()
    with pytest.raises(TimeoutError, match="getMe"):
        api.wait_for("sendMessage", timeout=0.1)


async def test_application_polling_start_command(api: LocalBotApi) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("Welcome!")

    app = ApplicationBuilder().token(api.token).base_url(api.base_url).build()
    app.add_handler(CommandHandler("start", start))
    async with app:
        await app.updater.start_polling(poll_interval=0, timeout=1)  # type: ignore[union-attr]
        await app.start()
        try:
            mark = len(api.calls)
            api.push_text(USER, "/start")
            _method, params = await api.await_for(
                lambda m, p: m == "sendMessage" and p.get("chat_id") == USER,
                timeout=5,
                since=mark,
            )
            assert params["text"] == "Welcome!"
        finally:
            await app.updater.stop()  # type: ignore[union-attr]
            await app.stop()
