"""Engine, sessions, migrations at start, and the data-key check."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import event, select
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage import sqlite_inloop
from storage.crypto import FieldCipher, set_cipher
from storage.models import Meta

log = logging.getLogger(__name__)
T = TypeVar("T")

MIGRATIONS = str(Path(__file__).with_name("migrations"))
_KEY_CHECK = "key-check"
_KEY_CHECK_VALUE = "craving-companion"


class DatabaseError(Exception):
    """The database cannot be reached or prepared; the message says what to check."""


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS)
    cfg.attributes["connection"] = connection
    return cfg


CONNECT_PATIENCE = 8.0  # seconds a unit of work waits for an unreachable server to return
_UNREACHABLE = ("CannotConnectNowError", "ConnectionDoesNotExistError",
                "ConnectionFailureError", "TooManyConnectionsError", "AdminShutdownError",
                "CrashShutdownError")


def unreachable(exc: BaseException) -> bool:
    """Is this the server being away (down, restarting, refusing), not a bad statement?"""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (OSError, ConnectionError)):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if type(current).__name__ in _UNREACHABLE:
            return True
        current = getattr(current, "orig", None) or current.__cause__
    return False


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


class Database:
    """One engine per process; `session()` is one unit of work that commits on success."""

    def __init__(self, url: str, cipher: FieldCipher, *, echo: bool = False,
                 search_path: str | None = None,
                 connect_patience: float = CONNECT_PATIENCE) -> None:
        self.url = url
        self.connect_patience = connect_patience
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # Sessions always end in commit or rollback, so the pool's extra ROLLBACK on
        # return is a wasted round trip (a thread hop per session with aiosqlite).
        kwargs: dict[str, Any] = {"echo": echo, "pool_reset_on_return": None}
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            kwargs["async_creator"] = sqlite_inloop.connect(parsed.database)  # see there
        if not self.is_sqlite:
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
            if search_path:  # tests isolate themselves in a schema of their own
                kwargs["connect_args"] = {"server_settings": {"search_path": search_path}}
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock: asyncio.Lock | None = asyncio.Lock() if self.is_sqlite else None
        self._holder: asyncio.Task[Any] | None = None
        self.cipher = cipher
        set_cipher(cipher)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        if self._write_lock is None:
            session = await self._patiently(self._open_session)
            try:
                yield session
                await session.commit()
            except BaseException:
                try:
                    await session.rollback()
                except Exception as exc:  # the connection died: the original error matters
                    log.warning("rollback failed: %s", type(exc).__name__)
                raise
            finally:
                await session.close()
            return
        async with self._one_writer():
            async with self.sessions() as session, session.begin():
                yield session

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """A unit of work at the Core level: a connection in a transaction that commits on
        success, with the same rules as `session()` (one writer at a time on SQLite,
        patience while the server is away). About half the CPU of an ORM session: for
        the few statements every update runs (the update gate, loading the person)."""
        if self._write_lock is None:
            conn = await self._patiently(self.engine.connect)
            try:
                async with conn.begin():
                    yield conn
            finally:
                await conn.close()
            return
        async with self._one_writer(), self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def _one_writer(self) -> AsyncIterator[None]:
        """SQLite has one writer at a time. Queueing units of work here avoids transactions
        colliding inside SQLite, where a read-then-write one fails with "database is
        locked" instead of waiting. A unit of work never opens another one inside it."""
        assert self._write_lock is not None
        task = asyncio.current_task()
        if self._holder is not None and self._holder is task:
            raise RuntimeError("a database session was opened inside another one")
        async with self._write_lock:
            self._holder = task
            try:
                yield
            finally:
                self._holder = None

    async def _open_session(self) -> AsyncSession:
        """A session with its transaction begun on a live connection."""
        session = self.sessions()
        try:
            await session.connection()
        except BaseException:
            await session.close()
            raise
        return session

    async def _patiently(self, open_: Callable[[], Awaitable[T]]) -> T:
        """`open_()`, and while the server is unreachable (a restart, a failover) again, for
        up to `connect_patience` seconds: nothing has happened yet, so trying again is
        safe, and the person gets a real answer instead of "please try again". Stale
        pooled connections are replaced by pool_pre_ping."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.connect_patience
        delay = 0.05
        while True:
            try:
                return await open_()
            except Exception as exc:
                if not unreachable(exc) or loop.time() + delay > deadline:
                    raise
                log.warning("database unreachable (%s); trying again", type(exc).__name__)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)

    async def migrate(self) -> None:
        """Apply every migration not yet applied (all branch heads)."""
        try:
            async with self.engine.begin() as conn:
                await conn.run_sync(
                    lambda sync_conn: command.upgrade(alembic_config(sync_conn), "heads")
                )
        except (OSError, ConnectionError) as exc:
            raise DatabaseError(f"DATABASE_URL cannot be reached: {type(exc).__name__}") from None
        except Exception as exc:
            if type(exc).__module__.startswith(("asyncpg", "sqlite3", "sqlalchemy")):
                raise DatabaseError(
                    f"DATABASE_URL cannot be opened or migrated: {type(exc).__name__}"
                ) from None
            raise
        await self._check_key()

    async def _check_key(self) -> None:
        async with self.session() as s:
            row = await s.scalar(select(Meta).where(Meta.key == _KEY_CHECK))
            if row is None:
                s.add(Meta(key=_KEY_CHECK, value=_KEY_CHECK_VALUE))
            # reading `value` decrypts it; a wrong key raises DataKeyError here

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()
