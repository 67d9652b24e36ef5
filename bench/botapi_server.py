"""The local Bot API emulator (tests/local_botapi.py) as its own process, for benchmarks.

    python -m bench.botapi_server --port 0 --token 123:abc

It plays Telegram's whole part over loopback HTTP: it answers the bot's Bot API calls and,
like Telegram in webhook mode, POSTs updates to the URL the bot registered with setWebhook
(with its secret_token header), over up to 40 connections at once (Telegram's default
max_connections). Running in a process of its own keeps its CPU off the bot's core.

Extra methods, called like Bot API methods on the same server (bench control only):
  benchDeliver  {"updates": [...], "interval": s}  post them (all at once, or spaced)
  benchResults  {}  per delivered update: chat, posted_at, first sendMessage to that chat
                    after it (perf_counter seconds: CLOCK_MONOTONIC, the same clock in every
                    process on this machine); plus every sendMessage's time and chat
  benchReset    {}  forget deliveries and recorded calls
The first line printed is the base URL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.local_botapi import LocalBotApi, _coerce

JSONDict = dict[str, Any]
CONNECTIONS = 40


class BenchBotApi(LocalBotApi):
    """Bot API semantics from LocalBotApi, served by one asyncio loop (a thread per
    connection, as the test emulator has, collapses under hundreds of connections)."""

    def __init__(self, token: str) -> None:
        super().__init__(token=token)
        self.webhook: tuple[str, str] | None = None
        self._posted: list[tuple[int, float, int]] = []  # (chat, posted_at, sends before)
        self._sends: list[tuple[float, int]] = []  # (time, chat)
        self._jobs: asyncio.Queue[tuple[float, JSONDict]] | None = None
        self._workers: list[asyncio.Task[None]] = []

    # the bot's calls ---------------------------------------------------------------------
    def call(self, method: str, params: JSONDict) -> tuple[int, JSONDict]:
        key = method.lower()
        if key == "sendmessage":
            self._sends.append((time.perf_counter(), int(params.get("chat_id", 0))))
        elif key == "setwebhook":
            self.webhook = (str(params["url"]), str(params.get("secret_token", "")))
        elif key == "benchdeliver":
            return 200, {"ok": True, "result": self._deliver(params)}
        elif key == "benchresults":
            return 200, {"ok": True, "result": self._results()}
        elif key == "benchreset":
            self._posted.clear()
            self._sends.clear()
            return 200, {"ok": True, "result": True}
        status, body = self._dispatch(method, params)
        with self._cond:
            self.calls.clear()  # a bench sends tens of thousands: keep no record
        return status, body

    # delivering updates as Telegram does ---------------------------------------------------
    def _deliver(self, params: JSONDict) -> int:
        if self.webhook is None:
            raise RuntimeError("no webhook registered")
        if self._jobs is None:
            self._jobs = asyncio.Queue()
            self._workers = [asyncio.create_task(self._worker()) for _ in range(CONNECTIONS)]
        updates = params["updates"]
        interval = float(params.get("interval") or 0)
        start = time.perf_counter()
        for i, update in enumerate(updates):
            self._jobs.put_nowait((start + i * interval, update))
        return len(updates)

    async def _worker(self) -> None:
        assert self._jobs is not None
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        connected_to: tuple[str, str] | None = None
        while True:
            at, update = await self._jobs.get()
            assert self.webhook is not None
            if self.webhook != connected_to and writer is not None:
                writer.close()  # a new bot registered since: post to it
                reader = writer = None
            connected_to = self.webhook
            url, secret = self.webhook
            parts = urlsplit(url)
            if (wait := at - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            body = json.dumps(update).encode()
            request = (f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                       f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                       f"X-Telegram-Bot-Api-Secret-Token: {secret}\r\n\r\n").encode() + body
            message = update.get("message") or update.get("callback_query", {}).get("message")
            chat = int((message or {}).get("chat", {}).get("id", 0))
            self._posted.append((chat, time.perf_counter(), len(self._sends)))
            for _attempt in range(3):
                try:
                    if writer is None:
                        reader, writer = await asyncio.open_connection(parts.hostname,
                                                                       parts.port or 80)
                    assert reader is not None
                    writer.write(request)
                    await _read_response(reader)
                    break
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    if writer is not None:
                        writer.close()
                    reader = writer = None

    def _results(self) -> JSONDict:
        out = []
        sends = self._sends
        for chat, at, seen in self._posted:
            first = next((t for t, c in sends[seen:] if c == chat and t >= at), None)
            out.append({"chat": chat, "posted_at": at, "first_send": first})
        return {"deliveries": out, "sends": sends}


async def _read_response(reader: asyncio.StreamReader) -> None:
    length = 0
    status = await reader.readline()
    if not status:
        raise ValueError("connection closed")
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    await reader.readexactly(length)


def _params(query: str, ctype: str, body: bytes) -> JSONDict:
    params: JSONDict = {k: _coerce(k, v) for k, v in parse_qsl(query)}
    if not body:
        return params
    if ctype.startswith("application/json"):
        params.update(json.loads(body))
    else:
        params.update({k: _coerce(k, v) for k, v in parse_qsl(body.decode())})
    return params


async def serve_connection(api: BenchBotApi, reader: asyncio.StreamReader,
                           writer: asyncio.StreamWriter) -> None:
    try:
        while line := await reader.readline():
            _, target, _ = line.decode("latin-1").split(" ", 2)
            headers: dict[str, str] = {}
            while (h := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = h.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length") or 0))
            url = urlsplit(target)
            prefix, _, method = url.path.strip("/").partition("/")
            if prefix[3:] != api.token:
                status, payload = 401, {"ok": False, "error_code": 401,
                                        "description": "Unauthorized"}
            else:
                try:
                    status, payload = api.call(method, _params(
                        url.query, headers.get("content-type", ""), body))
                except (KeyError, TypeError, ValueError) as exc:
                    status, payload = 400, {"ok": False, "error_code": 400,
                                            "description": f"Bad Request: {exc!r}"}
            data = json.dumps(payload).encode()
            writer.write(b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n" % (status, len(data)) + data)
    except (ConnectionError, asyncio.IncompleteReadError, ValueError):
        pass
    finally:
        writer.close()


async def amain(token: str) -> None:
    api = BenchBotApi(token)
    server = await asyncio.start_server(lambda r, w: serve_connection(api, r, w),
                                        "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(f"http://127.0.0.1:{port}/bot", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the bench closes our stdin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--token", required=True)
    args = parser.parse_args()
    asyncio.run(amain(args.token))


if __name__ == "__main__":
    main()
