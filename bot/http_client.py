"""The bot's HTTP client for the Bot API: python-telegram-bot's `BaseRequest` on aiohttp.

PTB's default client (httpx) costs about 1 ms of CPU per request; aiohttp, made for
asyncio and with a C parser, a fraction of that. The craving reply is two requests, and
at a morning fan-out the bot makes thousands, so the client is the largest single cost
of a reply after the database (bench/scale.py measures both).

Faults map as PTB's own client maps them: a timeout raises `TimedOut`, any other
transport fault `NetworkError` (with the exception's class name, never the URL, which
holds the token)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_UNSET = BaseRequest.DEFAULT_NONE
_JSON = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    """One `aiohttp.ClientSession`, created in the running loop on `initialize`.

    `connection_pool_size`: connections open to the API at once (PTB's default client
    keeps 256 for the bot and 1 for getUpdates; the rate limiter bounds what is in flight
    far below that). Timeouts are seconds, None for none, as in PTB's `HTTPXRequest`."""

    def __init__(self, connection_pool_size: int = 64, *, read_timeout: float | None = 5.0,
                 write_timeout: float | None = 5.0, connect_timeout: float | None = 5.0,
                 pool_timeout: float | None = 1.0, media_write_timeout: float | None = 20.0,
                 ) -> None:
        self._pool_size = connection_pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300),
                headers={"User-Agent": self.USER_AGENT},
                # the Bot API answers errors with a JSON body PTB reads: never raise on status
                raise_for_status=False,
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = _UNSET,
        write_timeout: Any = _UNSET,
        connect_timeout: Any = _UNSET,
        pool_timeout: Any = _UNSET,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data and request_data.contains_files \
            else None
        read = self._read if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect if isinstance(connect_timeout, DefaultValue) \
            else connect_timeout
        pool = self._pool if isinstance(pool_timeout, DefaultValue) else pool_timeout
        write = (self._media_write if files else self._write) \
            if isinstance(write_timeout, DefaultValue) else write_timeout
        # aiohttp has no write timeout of its own: sending a body counts against the
        # read timeout's clock (sock_read starts when the request is written), so the
        # larger of the two bounds it
        sock_read = None if read is None and write is None else max(read or 0, write or 0)
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if pool is None and connect is None else (pool or 0) + (connect or 0),
            sock_connect=connect, sock_read=sock_read)
        kwargs: dict[str, Any] = {"timeout": timeout}
        if files:
            form = aiohttp.FormData()
            for name, value in request_data.json_parameters.items():  # type: ignore[union-attr]
                form.add_field(name, value)
            for name, part in files.items():
                if isinstance(part, tuple):
                    filename, content, *rest = part
                    form.add_field(name, content, filename=filename,
                                   content_type=rest[0] if rest else None)
                else:
                    form.add_field(name, part)
            kwargs["data"] = form
        elif request_data is not None and request_data.parameters:
            # one JSON body (the Bot API takes application/json): cheaper than PTB's
            # form encoding, where every nested value is JSON inside a form field
            kwargs["data"] = json.dumps(request_data.parameters).encode()
            kwargs["headers"] = _JSON
        try:
            async with self._session.request(method, url, **kwargs) as response:
                return response.status, await response.read()
        except (TimeoutError, aiohttp.ServerTimeoutError) as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}") from err
