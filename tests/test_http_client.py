"""The bot's Bot API client (bot/http_client.py) against a real HTTP server on 127.0.0.1:
what arrives, and how each kind of fault reaches python-telegram-bot."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.http_client import AiohttpRequest
from bot.sender import _retry_seconds, payload
from tests.local_botapi import LocalBotApi

TOKEN = "123456:TEST-token"


@pytest.fixture
def server() -> Iterator[LocalBotApi]:
    api = LocalBotApi(TOKEN).start()
    yield api
    api.stop()


def bot_for(base_url: str, **timeouts: float) -> Bot:
    return Bot(TOKEN, base_url=base_url, request=AiohttpRequest(8, **timeouts))


@pytest.fixture
async def bot(server: LocalBotApi) -> AsyncIterator[Bot]:
    b = bot_for(server.base_url, read_timeout=2.0)
    async with b:
        yield b


async def test_a_message_with_buttons_arrives_as_sent(server: LocalBotApi, bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("🫁 Breathe", callback_data="crave:b:7"),
                                    InlineKeyboardButton("Map", url="https://example.org")]])
    message = await bot.send_message(4242, "If I pass the old corner, <b>then</b> I call Sam",
                                     reply_markup=markup)
    assert message.chat.id == 4242 and message.message_id > 0
    [sent] = server.sent(4242)
    assert sent["text"] == "If I pass the old corner, <b>then</b> I call Sam"
    assert sent["reply_markup"] == {"inline_keyboard": [[
        {"text": "🫁 Breathe", "callback_data": "crave:b:7"},
        {"text": "Map", "url": "https://example.org"}]]}


async def test_the_lean_path_sends_the_same_json(server: LocalBotApi, bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("7", callback_data="crave:int:3:7")]])
    result = await bot.do_api_request("sendMessage",
                                      api_kwargs=payload(77, "How strong is it?", markup))
    assert isinstance(result["message_id"], int)
    [sent] = server.sent(77)
    assert sent["parse_mode"] == "HTML" and sent["link_preview_options"] == {"is_disabled": True}
    assert sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "crave:int:3:7"


async def test_a_photo_upload_is_multipart_with_its_caption(server: LocalBotApi,
                                                            bot: Bot) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 2048
    message = await bot.send_photo(5, InputFile(png, filename="week.png"),
                                   caption="Your week: 3 cravings, all passed")
    assert message.chat.id == 5
    [sent] = server.sent(5)
    assert sent["photo"] == "<file>"
    assert sent["caption"] == "Your week: 3 cravings, all passed"


@pytest.mark.parametrize(("status", "description", "error"), [
    (400, "Bad Request: chat not found", BadRequest),
    (403, "Forbidden: bot was blocked by the user", Forbidden),
])
async def test_refusals_become_ptb_errors(server: LocalBotApi, bot: Bot, status: int,
                                          description: str, error: type[Exception]) -> None:
    server.fail("sendMessage", status=status, description=description, times=1)
    with pytest.raises(error, match="(?i)" + description.split(": ", 1)[1]):
        await bot.send_message(9, "hello")
    await bot.send_message(9, "hello again")  # the fault was one call; the client is fine
    assert [p["text"] for _, p in server.delivered] == ["hello again"]


async def test_flood_control_carries_its_wait(server: LocalBotApi, bot: Bot) -> None:
    server.fail("sendMessage", retry_after=7, times=1)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(9, "hello")
    assert _retry_seconds(caught.value) == 7


async def test_a_silent_server_is_a_timeout_within_the_read_timeout(server: LocalBotApi,
                                                                    ) -> None:
    server.fail("sendMessage", hang=3.0, times=1)
    async with bot_for(server.base_url, read_timeout=0.4, write_timeout=0.4) as b:
        started = time.monotonic()
        with pytest.raises(TimedOut):
            await b.send_message(9, "hello")
        assert time.monotonic() - started < 2.5


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_an_unreachable_api_is_a_network_error_without_the_token() -> None:
    b = bot_for(f"http://127.0.0.1:{closed_port()}/bot", connect_timeout=1.0)
    with pytest.raises(NetworkError) as caught:
        await b.initialize()  # getMe
    assert not isinstance(caught.value, TimedOut)
    assert str(caught.value) == "aiohttp.ClientConnectorError"  # never the URL: it holds the token
    await b.shutdown()


async def test_it_can_be_started_again_after_shutdown(server: LocalBotApi) -> None:
    request = AiohttpRequest(2)
    b = Bot(TOKEN, base_url=server.base_url, request=request)
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post(f"{server.base_url}{TOKEN}/getMe")
    async with b:
        await b.send_message(1, "one")
    await request.shutdown()  # twice is harmless
    async with b:
        await b.send_message(1, "two")
    assert [s["text"] for s in server.sent(1)] == ["one", "two"]


async def test_many_at_once_all_arrive(server: LocalBotApi, bot: Bot) -> None:
    """More sends than connections in the pool: they queue, none is lost."""
    await asyncio.gather(*(bot.send_message(1000 + i, f"check-in {i}") for i in range(40)))
    assert sorted(int(s["chat_id"]) for s in server.sent()) == list(range(1000, 1040))
