"""Pure text handling for if-then plans (no Telegram, no database)."""

from __future__ import annotations

import re

MAX_PART = 500
_ONELINE = re.compile(r"^\s*(?:if|when)\s+(?P<situation>.+?)\s*,?\s+then\s+(?P<action>.+?)\s*$",
                      re.IGNORECASE | re.DOTALL)
_LEAD_IF = re.compile(r"^\s*(?:if|when)\s+", re.IGNORECASE)
_LEAD_THEN = re.compile(r"^\s*(?:then)\s+", re.IGNORECASE)


def tidy(text: str) -> str:
    text = " ".join(text.split())
    return text.rstrip(" .,;")


def situation(text: str) -> str:
    return tidy(_LEAD_IF.sub("", text, count=1))


def action(text: str) -> str:
    return tidy(_LEAD_THEN.sub("", text, count=1))


def parse_oneline(text: str) -> tuple[str, str] | None:
    """'if X then Y' -> (X, Y); None when it isn't that shape."""
    m = _ONELINE.match(text)
    if m is None:
        return None
    sit, act = situation(m["situation"]), action(m["action"])
    if not sit or not act:
        return None
    return sit, act
