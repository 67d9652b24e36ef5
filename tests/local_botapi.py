"""In-process emulator of the Telegram Bot API over real HTTP on 127.0.0.1 (stdlib only).

``LocalBotApi`` serves ``/bot<token>/<method>`` (JSON, urlencoded or multipart bodies) from a
``ThreadingHTTPServer`` in a daemon thread, so a real python-telegram-bot process can
``run_polling`` against ``base_url``. Tests push updates (``push_text``, ``push_callback``),
inspect recorded calls (``calls``, ``sent``, ``wait_for``) and inject faults (``fail``).
Request bodies are never logged or printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.parser
import email.policy
import itertools
import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

JSONDict = dict[str, Any]
Predicate = Callable[[str, JSONDict], bool]

TRUE_METHODS = frozenset(
    "deletewebhook setwebhook logout close setmycommands deletemycommands setchatmenubutton"
    " setmydescription setmyshortdescription sendchataction deletemessage answercallbackquery"
    " leavechat".split()
)
EDIT_METHODS = frozenset({"editmessagetext", "editmessagereplymarkup"})
MESSAGE_METHODS = EDIT_METHODS | {"sendmessage", "sendphoto", "senddocument"}
MESSAGE_METHODS |= {"sendcontact", "sendlocation"}
# Form fields that stay strings even when they look like JSON (e.g. text "42").
STRING_FIELDS = frozenset(
    "text caption data description short_description first_name last_name phone_number"
    " title url callback_query_id secret_token vcard username".split()
)


def _error(status: int, description: str) -> tuple[int, JSONDict]:
    return status, {"ok": False, "error_code": status, "description": description}


def _chat_id(params: JSONDict) -> int | None:
    try:
        return int(params["chat_id"])
    except (KeyError, TypeError, ValueError):
        return None


def _coerce(key: str, value: str) -> Any:
    """Undo PTB's JSON encoding of non-string values inside form data."""
    json_like = value[:1] in tuple("{[-0123456789") or value in ("true", "false", "null")
    if json_like and key not in STRING_FIELDS:
        with contextlib.suppress(ValueError):
            return json.loads(value)
    return value


@dataclass
class _Fault:
    status: int
    description: str
    times: int | None
    retry_after: int | None
    hang: float | None = None  # seconds of silence, then the connection closes unanswered


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like api.telegram.org
    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms stalls
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.api._cond:
            self.server.api._conns.add(self.connection)

    def finish(self) -> None:
        with self.server.api._cond:
            self.server.api._conns.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the access log."""

    def _params(self, query: str) -> JSONDict:
        params: JSONDict = {k: _coerce(k, v) for k, v in parse_qsl(query)}
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        ctype = self.headers.get("Content-Type", "")
        if not body:
            return params
        if ctype.startswith("application/json"):
            params.update(json.loads(body))
        elif ctype.startswith("multipart/form-data"):
            head = f"Content-Type: {ctype}\r\nMIME-Version: 1.0\r\n\r\n".encode()
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
            for part in msg.iter_parts():
                name = str(part.get_param("name", "", header="content-disposition"))
                if name and part.get_filename() is not None:
                    params[name] = "<file>"
                elif name:
                    params[name] = _coerce(name, (part.get_payload(decode=True) or b"").decode())
        else:
            params.update({k: _coerce(k, v) for k, v in parse_qsl(body.decode())})
        return params

    def _handle(self) -> None:
        url = urlsplit(self.path)
        prefix, _, method = url.path.strip("/").partition("/")
        try:
            params = self._params(url.query)
        except (ValueError, UnicodeDecodeError):
            return self._reply(*_error(400, "Bad Request: can't parse request body"))
        if not prefix.startswith("bot") or not method or "/" in method:
            return self._reply(*_error(404, "Not Found"))
        if prefix[3:] != self.server.api.token:
            return self._reply(*_error(401, "Unauthorized"))
        answer = self.server.api._dispatch(method, params)
        if answer is None:  # a hang: nothing delivered, nothing answered
            self.close_connection = True
            return None
        self._reply(*answer)

    do_GET = do_POST = _handle

    def _reply(self, status: int, payload: JSONDict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # a bot opens many connections at once under load
    api: LocalBotApi

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # clients going away is normal
            super().handle_error(request, client_address)


class LocalBotApi:
    """Fake Telegram Bot API server; see the module docstring."""

    bot_id = 123456
    bot_username = "craving_companion_test_bot"

    def __init__(self, token: str = "123456:TEST-token") -> None:
        self.token = token
        self.bot_user: JSONDict = {"id": self.bot_id, "is_bot": True}
        self.bot_user |= {"first_name": "Craving Companion", "username": self.bot_username}
        self.calls: list[tuple[str, JSONDict]] = []
        self._cond = threading.Condition()  # guards all mutable state below and `calls`
        self._updates: list[JSONDict] = []
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._faults: dict[str, _Fault] = {}
        self._conns: set[socket.socket] = set()
        self._blocked: set[int] = set()
        self.delivered: list[tuple[str, JSONDict]] = []  # message calls answered 200
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False

    # -- lifecycle ------------------------------------------------------------------------
    def start(self, port: int = 0) -> LocalBotApi:
        """Listen on 127.0.0.1 (`port` 0: any free one; an earlier port: come back on it)."""
        self._stopping = False
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.api = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="LocalBotApi", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        with self._cond:
            self._stopping = True
            self._cond.notify_all()  # release pending long polls
        self._server.shutdown()
        self._server.server_close()
        with self._cond:
            conns = list(self._conns)
        for conn in conns:  # drop idle keep-alive connections
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._server = self._thread = None

    def __enter__(self) -> LocalBotApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("LocalBotApi is not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("LocalBotApi is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    # -- fault injection ------------------------------------------------------------------
    def fail(
        self,
        method: str,
        *,
        status: int | None = None,
        description: str = "Bad Request: rejected",
        times: int | None = None,
        retry_after: int | None = None,
        hang: float | None = None,
    ) -> None:
        """Fail the next ``times`` calls of ``method`` (None: all, until ``clear_faults``).
        ``method`` "*" fails every method without a fault of its own.

        ``status`` defaults to 429 when ``retry_after`` is given, else 400. ``hang``: keep
        silent that many seconds, then close the connection without an answer (a timeout
        for the client; nothing is delivered).
        """
        status = status or (429 if retry_after is not None else 400)
        with self._cond:
            self._faults[method.lower()] = _Fault(status, description, times, retry_after, hang)

    def clear_faults(self) -> None:
        with self._cond:
            self._faults.clear()

    def block(self, *chat_ids: int) -> None:
        """These people blocked the bot: sends and edits to them get 403 Forbidden."""
        with self._cond:
            self._blocked.update(int(c) for c in chat_ids)

    # -- updates --------------------------------------------------------------------------
    def push_update(self, update: JSONDict) -> int:
        """Queue an update for getUpdates; returns the assigned update_id."""
        with self._cond:
            update_id = next(self._update_ids)
            self._updates.append({**update, "update_id": update_id})
            self._cond.notify_all()
        return update_id

    def push_text(
        self, user_id: int, text: str, *, chat_id: int | None = None, first_name: str = "Alex"
    ) -> int:
        chat_id = user_id if chat_id is None else chat_id
        user = {"id": user_id, "is_bot": False, "first_name": first_name}
        message = self._message(chat_id, chat=self._chat(chat_id, first_name), text=text)
        message["from"] = user
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self.push_update({"message": message})

    def push_callback(
        self, user_id: int, data: str, message_id: int, chat_id: int | None = None
    ) -> int:
        chat_id = user_id if chat_id is None else chat_id
        query = {"id": str(next(self._callback_ids)), "chat_instance": f"ci-{chat_id}"}
        query["from"] = {"id": user_id, "is_bot": False, "first_name": "Alex"}
        query |= {"data": data, "message": self._message(chat_id, message_id, text="…")}
        return self.push_update({"callback_query": query})

    def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        with self._cond:
            if offset:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and not self._stopping:
                if (remaining := deadline - time.monotonic()) <= 0:
                    break
                self._cond.wait(remaining)
            return self._updates[:limit]

    # -- recording ------------------------------------------------------------------------
    def sent(self, chat_id: int | str | None = None) -> list[JSONDict]:
        """Params of sendMessage/Photo/Document/Contact/Location and edit* calls."""
        with self._cond:
            calls = list(self.calls)
        return [
            params
            for method, params in calls
            if method.lower() in MESSAGE_METHODS
            and (chat_id is None or str(params.get("chat_id")) == str(chat_id))
        ]

    def wait_for(
        self, predicate: Predicate | str, timeout: float = 10.0, *, since: int = 0
    ) -> tuple[str, JSONDict]:
        """Block until a call at index >= ``since`` matches ``predicate(method, params)``.

        A string predicate matches the method name (case-insensitive).
        """
        if isinstance(predicate, str):
            wanted = predicate.lower()

            def predicate(method: str, _params: JSONDict) -> bool:
                return method.lower() == wanted

        deadline, index = time.monotonic() + timeout, since
        with self._cond:
            while True:
                for method, params in self.calls[index:]:
                    if predicate(method, params):
                        return method, params
                index = len(self.calls)
                if (remaining := deadline - time.monotonic()) <= 0:
                    seen = [method for method, _ in self.calls[since:]]
                    raise TimeoutError(
                        f"no matching Bot API call within {timeout}s; "
                        f"methods seen since call #{since}: {seen}"
                    )
                self._cond.wait(remaining)

    async def await_for(
        self,
        predicate: Predicate | str,
        timeout: float = 10.0,  # noqa: ASYNC109 - bounds the blocking wait in the worker thread
        *,
        since: int = 0,
    ) -> tuple[str, JSONDict]:
        return await asyncio.to_thread(self.wait_for, predicate, timeout, since=since)

    # -- dispatch -------------------------------------------------------------------------
    def _chat(self, chat_id: int, first_name: str = "Alex") -> JSONDict:
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": first_name}
        return {"id": chat_id, "type": "supergroup", "title": f"Group {chat_id}"}

    def _next_message_id(self, chat_id: int) -> int:
        with self._cond:
            return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _message(self, chat_id: Any, message_id: int | None = None, **fields: Any) -> JSONDict:
        chat_id = int(chat_id)
        message_id = message_id or self._next_message_id(chat_id)
        fields = {k: v for k, v in fields.items() if v is not None}
        chat, now = self._chat(chat_id), int(time.time())
        return {"message_id": message_id, "date": now, "chat": chat, "from": self.bot_user} | fields

    def _dispatch(self, method: str, params: JSONDict) -> tuple[int, JSONDict] | None:
        key = method.lower()
        with self._cond:
            self.calls.append((method, params))
            self._cond.notify_all()
            fault_key = key if key in self._faults else "*"
            fault = self._faults.get(fault_key)
            if fault is not None and fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del self._faults[fault_key]
            blocked = key in MESSAGE_METHODS and _chat_id(params) in self._blocked
        if fault is not None and fault.hang is not None:
            time.sleep(fault.hang)
            return None
        if fault is not None:
            status, body = _error(fault.status, fault.description)
            if fault.retry_after is not None:
                body["parameters"] = {"retry_after": fault.retry_after}
            return status, body
        if blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        try:
            result = self._result(key, params)
        except (KeyError, TypeError, ValueError) as exc:
            return _error(400, f"Bad Request: invalid parameters ({exc!r})")
        if result is None:
            return _error(404, "Not Found: method not found")
        if key in MESSAGE_METHODS:
            with self._cond:
                self.delivered.append((method, params))
        return 200, {"ok": True, "result": result}

    def _result(self, key: str, p: JSONDict) -> Any:
        markup = p.get("reply_markup")
        if not (isinstance(markup, dict) and "inline_keyboard" in markup):
            markup = None  # like Telegram: a Message carries only an inline keyboard back
        if key == "getme":
            flags = ("can_join_groups", "can_read_all_group_messages", "supports_inline_queries")
            return self.bot_user | dict.fromkeys(flags, False)
        if key == "getupdates":
            return self._get_updates(p)
        if key == "deletewebhook" and p.get("drop_pending_updates"):
            with self._cond:
                self._updates.clear()
        if key in TRUE_METHODS:
            return True
        if key == "getwebhookinfo":
            with self._cond:
                pending = len(self._updates)
            return {"url": "", "has_custom_certificate": False, "pending_update_count": pending}
        if key == "sendmessage":
            return self._message(p["chat_id"], text=p["text"], reply_markup=markup)
        if key in ("sendphoto", "senddocument"):
            field = key[4:]  # "photo" / "document"
            file_id = str(p[field]) if p[field] != "<file>" else f"f{time.monotonic_ns()}"
            media: Any = {"file_id": file_id, "file_unique_id": file_id[-16:], "file_size": 1024}
            if field == "photo":
                media = [media | {"width": 320, "height": 320}]
            else:
                media |= {"file_name": "document.bin", "mime_type": "application/octet-stream"}
            fields = {field: media, "caption": p.get("caption"), "reply_markup": markup}
            return self._message(p["chat_id"], **fields)
        if key == "sendcontact":
            contact = {k: p[k] for k in ("phone_number", "first_name", "last_name") if k in p}
            return self._message(p["chat_id"], contact=contact, reply_markup=markup)
        if key == "sendlocation":
            location = {"latitude": float(p["latitude"]), "longitude": float(p["longitude"])}
            return self._message(p["chat_id"], location=location, reply_markup=markup)
        if key in EDIT_METHODS:
            if "inline_message_id" in p:
                return True
            text = p["text"] if key == "editmessagetext" else "…"
            fields = {"text": text, "reply_markup": markup, "edit_date": int(time.time())}
            return self._message(p["chat_id"], int(p["message_id"]), **fields)
        if key == "getchat":
            gifts = "unlimited_gifts limited_gifts unique_gifts premium_subscription"
            accepted = dict.fromkeys((*gifts.split(), "gifts_from_channels"), False)
            extra = {"accent_color_id": 0, "max_reaction_count": 11}
            return self._chat(int(p["chat_id"])) | extra | {"accepted_gift_types": accepted}
        if key == "getfile":
            file_id = str(p["file_id"])
            return {"file_id": file_id, "file_unique_id": file_id[-16:], "file_path": file_id}
        return None
