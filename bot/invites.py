"""Invitation tokens, supporter names and phone numbers: pure rules, no Telegram or database.

A token is 192 random bits, URL-safe, carried in a deep link `?start=sup_<token>`; only its
SHA-256 is stored, so a database leak can't be turned into working links.
"""

from __future__ import annotations

import hashlib
import re
import secrets

import phonenumbers

PREFIX = "sup_"
TOKEN_BYTES = 24  # 192 bits; 32 URL-safe characters
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
NAME_LIMIT = 40
_NAME = re.compile(r"^[^\W\d_](?:[\w' .-]*[^\W_])?$")
ROLES = ("sponsor", "friend", "family", "counselor")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_parameter(token: str) -> str:
    return PREFIX + token


def is_invite(parameter: str) -> bool:
    return parameter.startswith(PREFIX)


def token_from(parameter: str) -> str | None:
    """The token of a `/start` parameter, or None when it can't be one of ours."""
    token = parameter[len(PREFIX):] if parameter.startswith(PREFIX) else ""
    return token if _TOKEN.match(token) else None


def deep_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={start_parameter(token)}"


def clean_name(raw: str | None) -> tuple[str | None, str | None]:
    """(name, None) for a plausible first name; else (None, the problem: empty|long|chars)."""
    name = " ".join((raw or "").split())
    if not name:
        return None, "empty"
    if len(name) > NAME_LIMIT:
        return None, "long"
    if not _NAME.match(name):
        return None, "chars"
    return name, None


def clean_phone(raw: str | None, country: str | None) -> str | None:
    """The number in E.164 (+15551234567) when it is a valid phone number, else None.
    Numbers without a + are read as numbers of the person's country."""
    text = (raw or "").strip()
    if not text or len(text) > 32:
        return None
    try:
        number = phonenumbers.parse(text, (country or "US").upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
