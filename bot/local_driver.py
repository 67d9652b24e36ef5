"""Drive the real Application as a person would: type text, tap buttons, read replies.

Shared by the console chat and the tests. Updates are built as Telegram sends them and
fed to `Application.process_update`; replies are read from the FakeBotApi record.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.fake_api import EDIT_METHODS, SEND_METHODS, Call, FakeBotApi

_update_ids = itertools.count(1)
_message_ids = itertools.count(100_000)
_callback_ids = itertools.count(1)


def answers(calls: list[Call]) -> list[str]:
    """Texts of the small pop-ups shown when a button is tapped."""
    return [str(c.params.get("text") or "") for c in calls if c.method == "answerCallbackQuery"]


def _user(user_id: int, first_name: str) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"}


def _chat(chat_id: int, chat_type: str, first_name: str) -> dict[str, Any]:
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": first_name}
    return {"id": chat_id, "type": chat_type, "title": "A group"}


def message_update(user_id: int, *, text: str | None = None, chat_id: int | None = None,
                   chat_type: str = "private", first_name: str = "Alex",
                   extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A `message` update; `extra` adds fields such as photo, location or contact."""
    msg: dict[str, Any] = {
        "message_id": next(_message_ids), "date": int(time.time()),
        "chat": _chat(chat_id if chat_id is not None else user_id, chat_type, first_name),
        "from": _user(user_id, first_name),
    }
    if text is not None:
        msg["text"] = text
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0,
                                "length": len(text.split()[0])}]
    msg.update(extra or {})
    return {"update_id": next(_update_ids), "message": msg}


def callback_update(user_id: int, data: str, message: dict[str, Any],
                    first_name: str = "Alex") -> dict[str, Any]:
    return {"update_id": next(_update_ids), "callback_query": {
        "id": str(next(_callback_ids)), "from": _user(user_id, first_name),
        "chat_instance": str(user_id), "data": data, "message": FakeBotApi.public(message),
    }}


@dataclass
class Button:
    label: str
    callback_data: str | None = None
    url: str | None = None
    message: dict[str, Any] | None = None  # the message an inline button sits on


class Person:
    """One simulated person in a private chat with the bot."""

    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any], api: FakeBotApi,
                 user_id: int, first_name: str = "Alex") -> None:
        self.app, self.api, self.user_id, self.first_name = app, api, user_id, first_name
        self.callback_ids: set[str] = set()

    # --- acting -----------------------------------------------------------------------------
    async def feed(self, update: dict[str, Any]) -> list[Call]:
        start = len(self.api.calls)
        await self.app.process_update(Update.de_json(update, self.app.bot))
        return self.calls_since(start)

    async def send(self, text: str) -> list[Call]:
        return await self.feed(message_update(self.user_id, text=text,
                                              first_name=self.first_name))

    async def send_extra(self, **extra: Any) -> list[Call]:
        return await self.feed(message_update(self.user_id, first_name=self.first_name,
                                              extra=extra))

    async def press(self, data: str, message: dict[str, Any] | None = None) -> list[Call]:
        """Press raw callback data (also forged data) on a message of this chat."""
        msg = message or (self.messages()[-1] if self.messages() else
                          {"message_id": 1, "date": int(time.time()),
                           "chat": FakeBotApi.chat(self.user_id), "from": self.api.bot_user,
                           "text": "old message"})
        update = callback_update(self.user_id, data, msg, self.first_name)
        self.callback_ids.add(update["callback_query"]["id"])
        return await self.feed(update)

    async def tap(self, label: str) -> list[Call]:
        """Tap the newest visible button whose label contains `label` (case-insensitive)."""
        button = self.find_button(label)
        if button is None:
            shown = [b.label for b in self.buttons()] + self.keyboard()
            raise LookupError(f"no button {label!r}; visible: {shown}")
        if button.callback_data is None:
            return await self.send(button.label)
        assert button.message is not None
        return await self.press(button.callback_data, button.message)

    # --- reading ----------------------------------------------------------------------------
    def calls_since(self, start: int) -> list[Call]:
        return [c for c in self.api.calls[start:] if self._mine(c)]

    def _mine(self, call: Call) -> bool:
        if call.method == "answerCallbackQuery":
            return str(call.params.get("callback_query_id")) in self.callback_ids
        chat = call.params.get("chat_id")
        return chat is not None and int(chat) == self.user_id

    def messages(self) -> list[dict[str, Any]]:
        return self.api.chat_messages(self.user_id)

    def texts(self) -> list[str]:
        return [m.get("text") or m.get("caption") or "" for m in self.messages()]

    @property
    def last_text(self) -> str:
        texts = self.texts()
        return texts[-1] if texts else ""

    def buttons(self, message: dict[str, Any] | None = None) -> list[Button]:
        """Inline buttons, newest message first (or of one message)."""
        out: list[Button] = []
        msgs = [message] if message is not None else list(reversed(self.messages()))
        for msg in msgs:
            markup = msg.get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []):
                for b in row:
                    out.append(Button(b["text"], b.get("callback_data"), b.get("url"), msg))
        return out

    def keyboard(self) -> list[str]:
        """Labels of the reply keyboard currently shown under the input field."""
        for msg in reversed(self.messages()):
            markup = msg.get("_params", {}).get("reply_markup")
            if isinstance(markup, dict):
                if markup.get("remove_keyboard"):
                    return []
                if "keyboard" in markup:
                    return [b["text"] if isinstance(b, dict) else str(b)
                            for row in markup["keyboard"] for b in row]
        return []

    def find_button(self, label: str) -> Button | None:
        needle = label.casefold()
        for button in self.buttons():
            if needle in button.label.casefold() and (button.callback_data or button.url):
                if button.callback_data:
                    return button
        for text in self.keyboard():
            if needle in text.casefold():
                return Button(text)
        return None


def sent_texts(calls: list[Call]) -> list[str]:
    """Texts of the messages sent or edited in `calls`, in order."""
    return [str(c.params.get("text") or c.params.get("caption") or "") for c in calls
            if c.method in SEND_METHODS or c.method in EDIT_METHODS]
