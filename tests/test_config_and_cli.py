"""Bad configuration: one line naming the variable, exit code 2, no traceback, no token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

GOOD_TOKEN = "123456:ABCdefGhIJKlmNoPQRstuVWxyz0123456789"


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if k not in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "DATA_KEY", "TEST_DATABASE_URL")}
    return subprocess.run([sys.executable, "-m", "bot", *args], env={**base, **env}, cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def test_run_without_token_says_so_in_one_line_and_exits_2(tmp_path: Path) -> None:
    result = run_cli("run", env={"PYTHONPATH": str(Path.cwd())}, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "TELEGRAM_BOT_TOKEN" in lines[0] and "@BotFather" in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("url, word", [
    ("mysql://root@localhost/db", "DATABASE_URL"),
    ("not a url at all", "DATABASE_URL"),
])
def test_run_with_bad_database_url_exits_2(tmp_path: Path, url: str, word: str) -> None:
    result = run_cli("run", env={"PYTHONPATH": str(Path.cwd()), "TELEGRAM_BOT_TOKEN": GOOD_TOKEN,
                                 "DATABASE_URL": url}, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and word in lines[0]
    assert GOOD_TOKEN not in result.stderr + result.stdout


def test_unreachable_postgres_is_one_line_too(tmp_path: Path) -> None:
    result = run_cli("run", env={"PYTHONPATH": str(Path.cwd()), "TELEGRAM_BOT_TOKEN": GOOD_TOKEN,
                                 "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"},
                     cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].count("DATABASE_URL") == 1
    assert "Traceback" not in result.stderr


def test_malformed_token_is_named_but_never_echoed(tmp_path: Path) -> None:
    result = run_cli("run", env={"PYTHONPATH": str(Path.cwd()),
                                 "TELEGRAM_BOT_TOKEN": "secret-but-wrong"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "secret-but-wrong" not in result.stderr


@pytest.mark.parametrize("name, value", [
    ("DEFAULT_TIMEZONE", "Mars/Olympus"),
    ("DEFAULT_COUNTRY", "USA"),
    ("LOG_LEVEL", "LOUD"),
    ("TELEGRAM_API_BASE_URL", "ftp://example"),
    ("DATA_KEY", "not-a-fernet-key"),
])
def test_each_malformed_setting_is_named(tmp_path: Path, name: str, value: str) -> None:
    result = run_cli("migrate", env={"PYTHONPATH": str(Path.cwd()), name: value}, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"craving-companion: {name}")
    assert len(result.stderr.strip().splitlines()) == 1


def test_env_file_is_read_and_urls_get_async_drivers(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("DEFAULT_TIMEZONE=Europe/Berlin\n"
                                   "DATABASE_URL=postgresql://u@h/db\n")
    settings = load_settings()
    assert settings.default_timezone == "Europe/Berlin"
    assert settings.database_url.startswith("postgresql+asyncpg://")
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        settings.require_token()


def test_migrate_creates_database_and_key_file_with_private_mode(tmp_path: Path) -> None:
    result = run_cli("migrate", env={"PYTHONPATH": str(Path.cwd())}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    key = tmp_path / "data" / "data.key"
    assert (tmp_path / "data" / "companion.sqlite3").exists()
    assert key.stat().st_mode & 0o777 == 0o600


def test_wrong_data_key_is_a_clear_start_up_error(tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    env = {"PYTHONPATH": str(Path.cwd()), "DATA_KEY": Fernet.generate_key().decode()}
    assert run_cli("migrate", env=env, cwd=tmp_path).returncode == 0
    env["DATA_KEY"] = Fernet.generate_key().decode()
    result = run_cli("migrate", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "DATA_KEY does not decrypt" in result.stderr


def test_help_for_each_command(tmp_path: Path) -> None:
    for cmd in ("run", "chat", "migrate", "rotate-key"):
        result = run_cli(cmd, "--help", env={"PYTHONPATH": str(Path.cwd())}, cwd=tmp_path)
        assert result.returncode == 0 and "usage: craving-companion" in result.stdout
