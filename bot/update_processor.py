"""One person's updates strictly in order; different people concurrently.

Across processes (webhook replicas on PostgreSQL) the `UpdateGate` adds two rules, both
kept in the database: an update_id is taken on once (Telegram retries a webhook delivery
it did not see answered, maybe to another replica), and one person's updates are handled
by one process at a time (a lease row, taken in the same transaction, that expires if
the process dies). The lease is needed, and taken, only with REPLICAS > 1 on
PostgreSQL: one process orders a person's updates by itself, and SQLite is one process.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.clock import Clock
from bot.metrics import Metrics, update_kind
from storage.db import Database
from storage.repositories import updates as repo

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
LEASE_POLL = 0.02


def _order_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


class UpdateGate:
    """The database side of taking on an update (see the module docstring)."""

    def __init__(self, db: Database, clock: Clock, *, leases: bool | None = None) -> None:
        self.db = db
        self.clock = clock
        self.leases = (not db.is_sqlite) if leases is None else leases
        self.holder = f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(4)}"

    async def enter(self, update_id: int, user_id: int | None) -> bool:
        """False if this update_id was taken on before; otherwise True once this process
        holds the person's lease (waiting while another process finishes theirs)."""
        now = self.clock.now()
        async with self.db.connection() as conn:
            if not await repo.claim(conn, update_id, now):
                return False
            if not self.leases or user_id is None:
                return True
            leased = await repo.take_lease(conn, user_id, self.holder, now, now + LEASE)
        while not leased:
            await asyncio.sleep(LEASE_POLL)
            now = self.clock.now()
            async with self.db.connection() as conn:
                leased = await repo.take_lease(conn, user_id, self.holder, now, now + LEASE)
        return True

    async def leave(self, user_id: int | None) -> None:
        if not self.leases or user_id is None:
            return
        async with self.db.connection() as conn:
            await repo.release_lease(conn, user_id, self.holder)

    async def release_all(self) -> None:
        if self.leases:
            async with self.db.connection() as conn:
                await repo.release_all(conn, self.holder)


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Serialises by user id before taking a concurrency slot, so one busy person's queue
    never holds slots that other people need."""

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self.gate: UpdateGate | None = None
        self.metrics: Metrics | None = None

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _order_key(update)
        if key is None:
            await super().process_update(update, coroutine)
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await super().process_update(update, coroutine)
        finally:
            self._waiting[key] -= 1
            if self._waiting[key] == 0:
                del self._waiting[key]
                del self._locks[key]

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _order_key(update)
        entered = False
        if self.gate is not None and isinstance(update, Update):
            try:
                if not await self.gate.enter(update.update_id, key):
                    _close(coroutine)
                    if self.metrics is not None:
                        self.metrics.duplicates.inc()
                    return
                entered = True
            except Exception as exc:  # the database is down: answer anyway, rather than not
                log.warning("could not record the update as taken on: %s", type(exc).__name__)
        started = time.perf_counter()
        try:
            await coroutine
        finally:
            if self.metrics is not None:
                self.metrics.updates.labels(update_kind(update)).inc()
                self.metrics.handler_seconds.observe(time.perf_counter() - started)
            if entered and self.gate is not None:
                try:
                    await self.gate.leave(key)
                except Exception as exc:  # the lease then expires by itself
                    log.warning("could not release a lease: %s", type(exc).__name__)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


def _close(coroutine: Awaitable[Any]) -> None:
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()
