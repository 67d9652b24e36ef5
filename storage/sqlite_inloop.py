"""SQLite driven from the event loop's own thread, behind aiosqlite's interface.

aiosqlite runs every call (cursor, execute, fetch, commit) on a worker thread and hands the
result back through the event loop. For this bot's statements, which take microseconds
on a local file, those hand-offs cost more than the work, and while a unit of work waits
for its turn in a busy loop it holds SQLite's one write lock, so every other unit of work
waits too. Measured on the craving path: about 1.5x the throughput in process.

The trade: a statement blocks the loop while it runs. That is fine for a local file in WAL
mode (a commit is a write() without fsync; a checkpoint every ~4 MB of changes syncs) and
for this process being SQLite's only writer (Database serialises units of work). Another
process holding the write lock (a `rotate-key` run against a live bot) would stall the
loop up to the busy timeout, so stop the bot for that.

SQLAlchemy's aiosqlite dialect is used unchanged, with `async_creator=connect(path)`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Generator, Iterable, Sequence
from typing import Any


class Cursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> Cursor:
        if parameters is None:
            self._cursor.execute(sql)
        else:
            self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> Cursor:
        self._cursor.executemany(sql, seq)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size) if size else self._cursor.fetchmany()

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _CursorContext:
    """What aiosqlite's `cursor()` returns: awaitable, and an async context manager."""

    def __init__(self, cursor: Cursor) -> None:
        self._c = cursor

    def __await__(self) -> Generator[Any, None, Cursor]:
        async def ready() -> Cursor:
            return self._c

        return ready().__await__()

    async def __aenter__(self) -> Cursor:
        return self._c

    async def __aexit__(self, *exc: object) -> None:
        await self._c.close()


class _Now:
    """Stands in for aiosqlite's request queue (SQLAlchemy uses it to set the isolation
    level): runs the function at once."""

    def put_nowait(self, item: tuple[Any, Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:
            future.set_exception(exc)


class Connection:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._connection: sqlite3.Connection | None = conn  # aiosqlite's name, read by SQLAlchemy
        self._tx = _Now()

    def cursor(self) -> _CursorContext:
        return _CursorContext(Cursor(self._conn.cursor()))

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> Cursor:
        cursor = Cursor(self._conn.cursor())
        await cursor.execute(sql, parameters)
        return cursor

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._conn.close()
            self._connection = None

    def stop(self) -> None:
        if self._connection is not None:
            self._conn.close()
            self._connection = None

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._conn.isolation_level = value

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    @property
    def total_changes(self) -> int:
        return self._conn.total_changes


def connect(path: str) -> Callable[[], Any]:
    """An `async_creator` for create_async_engine."""

    async def creator() -> Connection:
        return Connection(sqlite3.connect(path, check_same_thread=False))

    return creator
