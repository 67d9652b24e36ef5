"""A fake Telegram Bot API, in process: records every call and answers with spec-valid JSON.

Used by the local console chat (`craving-companion chat`), by the tests and by benchmarks.
`FakeRequest` plugs it into python-telegram-bot as the HTTP transport, so the real
`Application`, handlers and `Bot` run unchanged; nothing leaves the process.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_ID = 7000000001
BOT_USERNAME = "craving_companion_bot"

SEND_METHODS = {
    "sendMessage", "sendPhoto", "sendDocument", "sendContact", "sendLocation", "sendVoice",
    "sendAnimation", "sendSticker", "sendVideo", "sendAudio",
}
EDIT_METHODS = {"editMessageText", "editMessageReplyMarkup", "editMessageCaption",
                "editMessageMedia"}
PHOTO_SIDES = (90, 320, 800, 1280, 2560)  # the sizes Telegram keeps of a photo (longest side)
TRUE_METHODS = {
    "setMyCommands", "deleteMyCommands", "deleteWebhook", "setWebhook", "answerCallbackQuery",
    "leaveChat", "deleteMessage", "sendChatAction", "setChatMenuButton", "setMyDescription",
    "setMyShortDescription", "close", "logOut",
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    result: Any = None


@dataclass
class Fault:
    status: int
    description: str
    times: int | None
    retry_after: int | None = None


@dataclass
class FakeBotApi:
    """The server side of the fake: state, recorded calls, injected faults."""

    bot_id: int = BOT_ID
    username: str = BOT_USERNAME
    calls: list[Call] = field(default_factory=list)
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    faults: dict[str, Fault] = field(default_factory=dict)
    listeners: list[Callable[[Call], None]] = field(default_factory=list)
    blocked_chats: set[int] = field(default_factory=set)
    _ids: dict[int, itertools.count[int]] = field(default_factory=dict)
    _file_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    photos: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # file id -> sizes
    updates: list[dict[str, Any]] = field(default_factory=list)

    # --- faults ---------------------------------------------------------------------------
    def fail(self, method: str, *, status: int = 400, description: str = "Bad Request: rejected",
             times: int | None = None, retry_after: int | None = None) -> None:
        self.faults[method] = Fault(status, description, times, retry_after)

    def clear_faults(self) -> None:
        self.faults.clear()

    # --- objects ----------------------------------------------------------------------------
    @property
    def bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": "Craving Companion",
                "username": self.username, "can_join_groups": False,
                "can_read_all_group_messages": False, "supports_inline_queries": False}

    @staticmethod
    def chat(chat_id: int) -> dict[str, Any]:
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": f"Person{chat_id}"}
        return {"id": chat_id, "type": "supergroup", "title": "A group"}

    def _next_id(self, chat_id: int) -> int:
        return next(self._ids.setdefault(chat_id, itertools.count(1)))

    def _message(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        msg: dict[str, Any] = {"message_id": self._next_id(chat_id), "date": int(time.time()),
                               "chat": self.chat(chat_id), "from": self.bot_user}
        if method == "sendMessage":
            msg["text"] = params["text"]
        elif method == "sendPhoto":
            msg["photo"] = self._photo_sizes(params.get("photo"))
        elif method == "sendDocument":
            msg["document"] = {"file_id": f"doc-{next(self._file_ids)}",
                               "file_unique_id": f"u{chat_id}d{msg['message_id']}",
                               "file_name": str(params.get("filename") or _upload_name(
                                   params.get("document")))}
        elif method == "sendContact":
            msg["contact"] = {"phone_number": params["phone_number"],
                              "first_name": params["first_name"]}
        elif method == "sendLocation":
            msg["location"] = {"latitude": params["latitude"], "longitude": params["longitude"]}
        if params.get("caption"):
            msg["caption"] = params["caption"]
        if isinstance(params.get("reply_markup"), dict):
            msg["reply_markup"] = params["reply_markup"]
        msg["_method"] = method
        msg["_params"] = params
        self.messages[(chat_id, msg["message_id"])] = msg
        return msg

    def _photo_sizes(self, value: Any) -> list[dict[str, Any]]:
        """PhotoSize objects as Telegram returns them: the upload scaled to each kept size
        up to its own (PNG dimensions are read from the upload; a file id sent before
        gets its sizes back; anything else counts as 640 x 480)."""
        if isinstance(value, str) and value in self.photos:
            return self.photos[value]
        content = value.get("content") if isinstance(value, dict) else None
        width, height = (png_size(content) if content else None) or (640, 480)
        sizes = []
        for side in PHOTO_SIDES:
            scale = min(1.0, side / max(width, height))
            n = next(self._file_ids)
            sizes.append({"file_id": f"photo-{n}", "file_unique_id": f"p{n}",
                          "width": max(1, round(width * scale)),
                          "height": max(1, round(height * scale)),
                          "file_size": len(content) if content and scale == 1.0 else None})
            if scale == 1.0:
                break
        sizes = [{k: v for k, v in size.items() if v is not None} for size in sizes]
        for size in sizes:
            self.photos[size["file_id"]] = sizes
        return sizes

    def _edit_media(self, msg: dict[str, Any], params: dict[str, Any]) -> str | None:
        """Replace a message's media (photos only here); an error description, or None."""
        media = params.get("media")
        if isinstance(media, str):
            media = json.loads(media)
        if not isinstance(media, dict) or media.get("type") != "photo":
            return "Bad Request: can't parse InputMedia: only photos in this fake"
        ref = media.get("media")
        if isinstance(ref, str) and ref.startswith("attach://"):
            upload = params.get(ref[len("attach://"):])
            if not isinstance(upload, dict):
                return "Bad Request: can't parse InputMedia: attached file not found"
        elif isinstance(ref, str) and ref in self.photos:
            upload = ref
        else:
            return "Bad Request: can't parse InputMedia: media not found"
        for kind in ("text", "photo", "document", "caption"):
            msg.pop(kind, None)
        msg["photo"] = self._photo_sizes(upload)
        if media.get("caption"):
            msg["caption"] = media["caption"]
        msg["_params"] = {**msg["_params"], "photo": upload, "caption": media.get("caption")}
        return None

    @staticmethod
    def public(msg: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in msg.items() if not k.startswith("_")}
        markup = out.get("reply_markup")
        if markup is not None and "inline_keyboard" not in markup:
            out.pop("reply_markup")  # Telegram returns only inline keyboards on messages
        return out

    # --- dispatch ---------------------------------------------------------------------------
    def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        fault = self.faults.get(method)
        if fault is not None:
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del self.faults[method]
            body: dict[str, Any] = {"ok": False, "error_code": fault.status,
                                    "description": fault.description}
            if fault.retry_after is not None:
                body["parameters"] = {"retry_after": fault.retry_after}
            self._record(Call(method, params, body))
            return fault.status, body
        chat_id = params.get("chat_id")
        if chat_id is not None and int(chat_id) in self.blocked_chats and (
            method in SEND_METHODS or method in EDIT_METHODS
        ):
            body = {"ok": False, "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user"}
            self._record(Call(method, params, body))
            return 403, body
        result = self._result(method, params)
        if result is None:
            body = {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
            self._record(Call(method, params, body))
            return 404, body
        self._record(Call(method, params, result))
        return 200, {"ok": True, "result": self.public(result) if isinstance(result, dict)
                     and "_method" in result else result}

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        for listener in self.listeners:
            listener(call)

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return self.bot_user
        if method in SEND_METHODS:
            return self._message(method, params)
        if method in EDIT_METHODS:
            key = (int(params["chat_id"]), int(params["message_id"]))
            msg = self.messages.get(key)
            if msg is None:
                return {"_error": "Bad Request: message to edit not found"}
            if method == "editMessageText" and "text" not in msg:
                return {"_error": "Bad Request: there is no text in the message to edit"}
            if method == "editMessageText":
                msg["text"] = params["text"]
            if method == "editMessageCaption":
                msg["caption"] = params.get("caption")
            if method == "editMessageMedia" and (error := self._edit_media(msg, params)):
                return {"_error": error}
            if "reply_markup" in params:
                msg["reply_markup"] = params["reply_markup"]
            else:
                msg.pop("reply_markup", None)
            msg["edit_date"] = int(time.time())
            return msg
        if method in TRUE_METHODS:
            return True
        if method == "getUpdates":
            out, self.updates = self.updates, []
            return out
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        if method == "getChat":
            return self.chat(int(params["chat_id"]))
        if method == "getFile":
            return {"file_id": params["file_id"], "file_unique_id": "f", "file_path": "x.jpg"}
        return None

    # --- reading what a chat shows ------------------------------------------------------------
    def chat_messages(self, chat_id: int) -> list[dict[str, Any]]:
        return [m for (cid, _), m in sorted(self.messages.items()) if cid == chat_id]


def png_size(content: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's header, None for anything else."""
    if len(content) < 24 or content[:8] != b"\x89PNG\r\n\x1a\n" or content[12:16] != b"IHDR":
        return None
    return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")


def _upload_name(value: Any) -> str:
    return str(value.get("filename") or "file") if isinstance(value, dict) else "file"


def uploaded(call: Call, name: str = "document") -> bytes | None:
    """The bytes of a file the bot uploaded in `call` (None when it sent a file id)."""
    value = call.params.get(name)
    return value.get("content") if isinstance(value, dict) else None


class FakeRequest(BaseRequest):
    """python-telegram-bot transport that answers from a FakeBotApi instead of the network."""

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = None, write_timeout: Any = None,
                         connect_timeout: Any = None, pool_timeout: Any = None,
                         ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data is not None else {}
        if request_data is not None and request_data.contains_files:
            # uploads (sendDocument, sendPhoto with bytes): keep name and bytes for readers
            for name, (filename, content, mime) in request_data.multipart_data.items():
                params[name] = {"filename": filename, "content": content, "mime_type": mime}
        status, body = self.api.handle(endpoint, params)
        if body.get("ok") and isinstance(body.get("result"), dict) and body["result"].get("_error"):
            status = 400
            body = {"ok": False, "error_code": 400, "description": body["result"]["_error"]}
        return status, json.dumps(body).encode()
