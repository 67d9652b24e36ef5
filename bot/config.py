"""Settings from the environment (and an optional `.env`), validated once at start."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/companion.sqlite3"
_TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{20,}$")
_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg",
                  "postgres": "postgresql+asyncpg"}


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable and the fix."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    database_url: str = DEFAULT_DATABASE_URL
    data_key: SecretStr | None = None
    default_timezone: str = "UTC"
    default_country: str = "US"
    log_level: str = "INFO"
    follow_up_minutes: float = Field(default=15.0, gt=0, le=240)
    tick_seconds: float = Field(default=10.0, gt=0, le=30)
    alert_escalation_minutes: float = Field(default=5.0, gt=0, le=120)
    # webhook mode (`craving-companion run --webhook`) and running several replicas
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    port: int = Field(default=8080, ge=1, le=65535)
    listen: str = "0.0.0.0"
    replicas: int = Field(default=1, ge=1, le=64)

    @field_validator("telegram_api_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must start with http:// or https://, e.g. http://127.0.0.1:8081/bot")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "is not a database URL; use e.g. sqlite+aiosqlite:///data/companion.sqlite3 "
                "or postgresql+asyncpg://user@host/db"
            ) from None
        backend = url.get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(f"uses '{backend}'; only sqlite and postgresql are supported")
        driver = _ASYNC_DRIVERS["postgresql" if backend == "postgresql" else "sqlite"]
        if url.drivername != driver:
            url = url.set(drivername=driver)
        if backend == "sqlite" and not url.database:
            raise ValueError("needs a file path, e.g. sqlite+aiosqlite:///data/companion.sqlite3")
        return url.render_as_string(hide_password=False)

    @field_validator("port", mode="before")
    @classmethod
    def _port(cls, value: Any) -> Any:
        text = str(value).strip()
        if not text.isdigit() or not 1 <= int(text) <= 65535:
            raise ValueError("must be a TCP port number from 1 to 65535, e.g. 8080")
        return int(text)

    @field_validator("replicas", mode="before")
    @classmethod
    def _replicas(cls, value: Any) -> Any:
        text = str(value).strip()
        if not text.isdigit() or not 1 <= int(text) <= 64:
            raise ValueError("must be how many bot processes share the database, 1 to 64")
        return int(text)

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not re.match(r"^https?://[^\s/?#]+(/[^\s?#]*)?$", value):
            raise ValueError("must be the public address Telegram posts to, e.g. "
                             "https://bot.example.org/telegram")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", value.get_secret_value()):
            raise ValueError("must be 16-256 characters of A-Z, a-z, 0-9, _ and - "
                             "(e.g. the output of: openssl rand -hex 32)")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("is not an IANA time zone; use e.g. Europe/Berlin or UTC") from None
        return value

    @field_validator("default_country")
    @classmethod
    def _country(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z]{2}", value):
            raise ValueError("must be a two-letter country code, e.g. US, CA, GB, AU, DE")
        return value.upper()

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return level

    @property
    def data_dir(self) -> Path:
        """Where generated files (the data key, the default SQLite file) live."""
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            return Path(url.database).expanduser().resolve().parent
        return Path("data").resolve()

    def require_token(self) -> str:
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value():
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and set it in the "
                "environment or .env (or try the bot without one: craving-companion chat)"
            )
        token = self.telegram_bot_token.get_secret_value().strip()
        if not _TOKEN_RE.match(token):
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN does not look like a bot token (expected 123456:ABC...); "
                "copy it again from @BotFather"
            )
        return token

    def require_webhook(self) -> tuple[str, str]:
        """The webhook URL and secret, both needed for `run --webhook`."""
        if self.webhook_url is None:
            raise ConfigError("WEBHOOK_URL is not set: webhook mode needs the public https "
                              "address Telegram posts updates to, e.g. "
                              "https://bot.example.org/telegram")
        if self.webhook_secret is None:
            raise ConfigError("WEBHOOK_SECRET is not set: webhook mode needs a secret that "
                              "Telegram sends with every update (e.g. openssl rand -hex 32)")
        return self.webhook_url, self.webhook_secret.get_secret_value()

    @property
    def webhook_path(self) -> str:
        """The path Telegram posts to, taken from WEBHOOK_URL (default /telegram)."""
        if self.webhook_url is None:
            return "/telegram"
        path = urlsplit(self.webhook_url).path.rstrip("/")
        return path or "/telegram"


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning a validation failure into one ConfigError line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "setting"
        message = str(err["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{field.upper()} {message}") from None


class RedactingFormatter(logging.Formatter):
    """Last line of defence: secrets never reach a log line, whatever a library logs."""

    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__(fmt)
        self.secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text


def configure_logging(level: str, secrets: list[str] | None = None) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s",
                                            secrets or []))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # HTTP clients log request URLs, which contain the bot token; PTB's debug lines quote the
    # parameters of every call (message texts, callback data). Neither is ours to log.
    # SQLAlchemy logs every statement with its parameters at INFO: who wrote which row
    # when (a day of use, a check-in score) is health data, so never below WARNING.
    for name in ("aiohttp", "httpx", "httpcore", "sqlalchemy"):
        logging.getLogger(name).setLevel(logging.WARNING)
    if logging.getLevelName(level) < logging.INFO:
        for name in ("telegram", "apscheduler", "aiosqlite", "asyncio"):
            logging.getLogger(name).setLevel(logging.INFO)
