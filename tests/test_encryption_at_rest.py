"""Encryption at rest seen from outside: the raw SQLite file after real flows, and key
rotation through the command line from start to end."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

from cryptography.fernet import Fernet

from storage.crypto import FieldCipher
from storage.db import Database
from storage.repositories import plans, slips, users
from tests.conftest import DbTarget, start_harness, stop_harness
from tests.test_config_and_cli import run_cli

SECRETS = ["Kestrel Lane underpass", "ring Cousin Oona", "Mabel's first birthday",
           "half typed Zanzibar"]


def raw_files(directory: Path) -> bytes:
    """The database file with its WAL and shared-memory files, as bytes on disk."""
    return b"".join(f.read_bytes() for f in directory.glob("bot.sqlite3*"))


async def test_the_raw_sqlite_file_holds_no_plan_reason_or_slip_text(tmp_path: Path) -> None:
    target = DbTarget(f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}")
    bot = await start_harness(target)
    try:
        p = await bot.consented()
        await p.send(f"/plan if I walk past the {SECRETS[0]} then I call Sam")
        await p.send("/reasons")
        await p.tap("Add a reason")
        await p.send(SECRETS[2])
        await p.send("I used")
        await p.tap("Skip")
        await p.tap("Skip")
        await p.tap("Something else")
        await p.send(SECRETS[1])
        await p.send("/plans")
        await p.tap("New plan")
        await p.send(SECRETS[3])  # waiting for the action: half-typed input is stored too
    finally:
        await stop_harness(bot)
    blob = raw_files(tmp_path)
    assert len(blob) > 10_000
    for secret in SECRETS:
        assert secret.encode() not in blob, secret
        assert secret.split()[-1].encode() not in blob, secret
    con = sqlite3.connect(tmp_path / "bot.sqlite3")
    [(trigger, step)] = con.execute("SELECT trigger, next_step FROM slips").fetchall()
    assert (trigger, step) == (None, "own")  # structured answers stay queryable
    con.close()


def test_rotate_key_from_the_command_line(tmp_path: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    env = {"PYTHONPATH": str(Path.cwd())}
    assert run_cli("migrate", env={**env, "DATA_KEY": old}, cwd=tmp_path).returncode == 0
    db_file = tmp_path / "data" / "companion.sqlite3"
    url = f"sqlite+aiosqlite:///{db_file}"
    now = datetime(2026, 3, 2, tzinfo=UTC)

    async def seed() -> None:
        db = Database(url, FieldCipher([old]))
        await db.migrate()
        async with db.session() as s:
            await users.create(s, 1, now)
            await plans.add(s, 1, "I pass the old corner", "I call Sam", now)
            slip = await slips.start(s, 1, date(2026, 3, 1), now, "message")
            await slips.update(s, 1, slip.id, next_step="own", next_step_text="see Dr Ade")
        await db.dispose()

    asyncio.run(seed())
    before = sqlite3.connect(db_file).execute("SELECT situation FROM plans").fetchone()[0]

    rotated = run_cli("rotate-key", env={**env, "DATA_KEY": f"{new},{old}"}, cwd=tmp_path)
    assert rotated.returncode == 0, rotated.stderr
    # the plan's situation and action, the slip's own words, the key check
    assert "re-encrypted 4 fields" in rotated.stdout
    after = sqlite3.connect(db_file).execute("SELECT situation FROM plans").fetchone()[0]
    assert after != before

    assert run_cli("migrate", env={**env, "DATA_KEY": new}, cwd=tmp_path).returncode == 0
    refused = run_cli("migrate", env={**env, "DATA_KEY": old}, cwd=tmp_path)
    assert refused.returncode == 2 and "DATA_KEY does not decrypt" in refused.stderr
    assert refused.stderr.strip().splitlines()[-1].startswith("craving-companion: DATA_KEY")

    async def read() -> tuple[str, str | None]:
        db = Database(url, FieldCipher([new]))
        await db.migrate()
        async with db.session() as s:
            [plan] = await plans.list_for(s, 1)
            [slip] = await slips.list_for(s, 1)
        await db.dispose()
        return plan.situation, slip.next_step_text

    assert asyncio.run(read()) == ("I pass the old corner", "see Dr Ade")
