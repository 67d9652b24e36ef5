"""Storage on SQLite and PostgreSQL: encryption at rest, UTC times, ownership, SQLite pragmas."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.crypto import DataKeyError, FieldCipher
from storage.db import Database
from storage.repositories import pending, plans, reasons, users
from storage.rotate import rotate_keys
from tests.conftest import DbTarget, open_db

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def test_plan_text_is_encrypted_at_rest(db: Database, db_target: DbTarget) -> None:
    async with db.session() as s:
        await users.create(s, 1, NOW)
        await plans.add(s, 1, "I pass the old corner", "I call Sam", NOW, trigger="place")
        await reasons.add(s, 1, NOW, text="my daughter Mia")
        await pending.set_(s, 1, "plan_action", NOW, {"situation": "payday evening"})
    async with db.engine.connect() as conn:
        raw = (await conn.execute(text("SELECT situation, action FROM plans"))).all()
        raw += (await conn.execute(text("SELECT text, text FROM reasons"))).all()
        raw += (await conn.execute(text("SELECT data, kind FROM pending_inputs"))).all()
    joined = " ".join(str(v) for row in raw for v in row)
    # tokens are base64: look for phrases, which can't turn up there by chance
    for secret in ("old corner", "call Sam", "daughter Mia", "payday evening"):
        assert secret not in joined
    if db_target.url.startswith("sqlite"):
        await db.dispose()
        path = Path(db_target.url.split("///", 1)[1])
        blob = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert b"old corner" not in blob and b"daughter Mia" not in blob
    async with db.session() as s:
        [plan] = await plans.list_for(s, 1)
        assert (plan.situation, plan.action) == ("I pass the old corner", "I call Sam")


async def test_times_come_back_as_aware_utc(db: Database) -> None:
    berlin = datetime(2026, 3, 29, 3, 30, tzinfo=timezone(timedelta(hours=2)))
    async with db.session() as s:
        await users.create(s, 7, berlin)
    async with db.session() as s:
        user = await users.get(s, 7)
    assert user is not None
    assert user.created_at == berlin and user.created_at.tzinfo == UTC


async def test_lookups_by_id_check_the_owner(db: Database) -> None:
    async with db.session() as s:
        await users.create(s, 1, NOW)
        await users.create(s, 2, NOW)
        plan = await plans.add(s, 1, "a", "b", NOW)
    async with db.session() as s:
        assert await plans.get_owned(s, 2, plan.id) is None
        assert await plans.delete(s, 2, plan.id) is False
        assert await plans.update(s, 2, plan.id, NOW, action="x") is None
        assert (await plans.get_owned(s, 1, plan.id)) is not None


async def test_pending_input_is_one_row_per_person_and_replaced(db: Database) -> None:
    async with db.session() as s:
        await users.create(s, 1, NOW)
        await pending.set_(s, 1, "a", NOW, {"n": 1})
        await pending.set_(s, 1, "b", NOW, {"n": 2})
    async with db.session() as s:
        row = await pending.get(s, 1)
        assert row is not None and (row.kind, row.data) == ("b", {"n": 2})
        await pending.clear(s, 1)
    async with db.session() as s:
        assert await pending.get(s, 1) is None


async def test_deleting_a_person_cascades(db: Database) -> None:
    async with db.session() as s:
        await users.create(s, 1, NOW)
        await plans.add(s, 1, "a", "b", NOW)
        await reasons.add(s, 1, NOW, text="r")
        await pending.set_(s, 1, "a", NOW)
    async with db.session() as s:
        await s.delete(await users.get(s, 1))
    async with db.engine.connect() as conn:
        for table in ("plans", "reasons", "pending_inputs"):
            assert (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar() == 0


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path) -> None:
    target = DbTarget(f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}")
    db = open_db(target)
    await db.migrate()
    async with db.engine.connect() as conn:
        assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
    await db.dispose()
    con = sqlite3.connect(tmp_path / "x.sqlite3")
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0]


async def test_wrong_key_is_refused_at_start(db_target: DbTarget) -> None:
    from cryptography.fernet import Fernet

    first = open_db(db_target)
    await first.migrate()
    await first.dispose()
    other = Database(db_target.url, FieldCipher([Fernet.generate_key().decode()]),
                     search_path=db_target.search_path)
    with pytest.raises(DataKeyError, match="DATA_KEY does not decrypt"):
        await other.migrate()
    await other.dispose()


async def test_rotate_key_reencrypts_with_the_new_key(db_target: DbTarget) -> None:
    from cryptography.fernet import Fernet

    old = Fernet.generate_key().decode()
    new = Fernet.generate_key().decode()
    db = Database(db_target.url, FieldCipher([old]), search_path=db_target.search_path)
    await db.migrate()
    async with db.session() as s:
        await users.create(s, 1, NOW)
        await plans.add(s, 1, "situation", "action", NOW)
    await db.dispose()
    rotating = Database(db_target.url, FieldCipher([new, old]), search_path=db_target.search_path)
    assert await rotate_keys(rotating) >= 3  # two plan fields + the key check
    only_new = Database(db_target.url, FieldCipher([new]), search_path=db_target.search_path)
    await only_new.migrate()
    async with only_new.session() as s:
        [plan] = await plans.list_for(s, 1)
    assert plan.situation == "situation"
    await only_new.dispose()


async def test_loading_a_person_on_a_bare_connection_matches_the_session(db: Database) -> None:
    """load_user (every update) reads on a Core connection: the same person, detached,
    aware UTC times; and a change made from it in a later session is an UPDATE."""
    berlin = datetime(2026, 3, 29, 3, 30, tzinfo=timezone(timedelta(hours=2)))
    async with db.session() as s:
        await users.create(s, 7, berlin, locale="de", timezone="Europe/Berlin", country="DE")
    async with db.session() as s:
        expected = await users.get(s, 7)
    async with db.connection() as conn:
        loaded = await users.load(conn, 7)
        assert await users.load(conn, 8) is None
    assert loaded is not None and expected is not None
    columns = [c.key for c in users.User.__table__.columns]
    assert {c: getattr(loaded, c) for c in columns} == {c: getattr(expected, c) for c in columns}
    assert loaded.created_at.tzinfo == UTC
    async with db.session() as s:
        merged = await s.merge(loaded)
        merged.discreet = True
    async with db.session() as s:
        again = await users.get(s, 7)
        assert again is not None and again.discreet is True
        assert await s.scalar(text("SELECT count(*) FROM users")) == 1


async def test_a_connection_unit_commits_or_rolls_back_whole(db: Database) -> None:
    from storage.repositories import updates

    async with db.connection() as conn:
        assert await updates.claim(conn, 41, NOW)
    with pytest.raises(RuntimeError, match="boom"):
        async with db.connection() as conn:
            assert await updates.claim(conn, 42, NOW)
            raise RuntimeError("boom")
    async with db.connection() as conn:
        assert not await updates.claim(conn, 41, NOW)  # kept
        assert await updates.claim(conn, 42, NOW)  # rolled back before
