"""Discreet mode: the first line of every notification (what a lock screen shows) is neutral.

Anything the bot sends on its own (check-ins, follow-ups, milestones, notices to a support
person) starts with `first_line(t, user, "feature.key", **values)`. For a person in
discreet mode it returns `discreet.neutral.feature.key` when content has one, else
`discreet.neutral_default`; otherwise the normal text of `feature.key`.
"""

from __future__ import annotations

from typing import Any

from content import Catalog
from storage.models import User

NEUTRAL = "discreet.neutral"
DEFAULT = "discreet.neutral_default"
# Words a lock screen must never show in discreet mode (checked by tests on every neutral line).
LOCK_SCREEN_WORDS = ("craving", "crave", "heroin", "opioid", "relapse", "overdose", "slip",
                     "recovery", "naloxone", "narcan", "drug", "using", "use", "clean",
                     "sober", "crisis", "suicide", "dealer", "fentanyl", "methadone", "moud")


def neutral_key(t: Catalog, normal_key: str) -> str:
    key = f"{NEUTRAL}.{normal_key}"
    return key if t.has(key) and isinstance(t.raw(key), str) else DEFAULT


def first_line(t: Catalog, user: User | None, normal_key: str, **kw: Any) -> str:
    if user is not None and user.discreet:
        return t.t(neutral_key(t, normal_key), **kw)
    return t.t(normal_key, **kw)


def compose(t: Catalog, user: User | None, normal_key: str, body: str = "", **kw: Any) -> str:
    """A notification: the (maybe neutral) first line, then the body on the lines below."""
    head = first_line(t, user, normal_key, **kw)
    return f"{head}\n{body}" if body else head
