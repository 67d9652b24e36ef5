"""Crisis resources per country, from `crisis_lines.yaml` of a locale (pure data).

Each country has its emergency number, its lines and a `last_checked` date; any country
without an entry gets `fallback` (112 and the international note).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from content.loader import Catalog, ContentError

FILE = "crisis_lines"
FALLBACK = "fallback"
UNKNOWN = "ZZ"  # CLDR's "unknown region": a person who said "somewhere else"


@dataclass(frozen=True)
class Line:
    key: str
    name: str
    number: str
    note: str


@dataclass(frozen=True)
class CountryLines:
    code: str  # the code asked for, e.g. "DE" even when the fallback answers
    name: str
    label: str  # short, for a button
    flag: str
    emergency: str
    lines: tuple[Line, ...]
    no_use_alone: Line | None
    last_checked: date
    fallback: bool


def codes(t: Catalog) -> list[str]:
    """Countries with their own numbers, in file order."""
    raw = t.raw(FILE)
    return [k for k in raw if k != FALLBACK]


def _entry(t: Catalog, key: str, code: str) -> CountryLines:
    raw: dict[str, Any] = t.raw(f"{FILE}.{key}")
    try:
        lines = tuple(Line(k, str(v["name"]), str(v["number"]), str(v["note"]))
                      for k, v in raw["lines"].items())
        alone_key = raw.get("no_use_alone")
        alone = next((line for line in lines if line.key == alone_key), None)
        if alone_key and alone is None:
            raise KeyError(f"no_use_alone names {alone_key}, which is not one of its lines")
        return CountryLines(code=code, name=str(raw["name"]),
                            label=str(raw["label"]), flag=str(raw["flag"]),
                            emergency=str(raw["emergency"]), lines=lines, no_use_alone=alone,
                            last_checked=date.fromisoformat(str(raw["last_checked"])),
                            fallback=key == FALLBACK)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ContentError(f"{t.locale}/{FILE}.yaml: entry {key}: {exc}") from None


def lines_for(t: Catalog, code: str | None) -> CountryLines:
    code = (code or UNKNOWN).upper()
    key = code if code in codes(t) else FALLBACK
    return _entry(t, key, code)


def validate(t: Catalog) -> list[CountryLines]:
    """Every entry, parsed; a broken one raises ContentError naming it."""
    return [_entry(t, k, k) for k in [*codes(t), FALLBACK]]


def parse_country(t: Catalog, text: str) -> str | None:
    """'ca', 'Canada', 'uk' -> 'CA', 'CA', 'GB'; any other two letters -> that code
    (the fallback numbers serve it); anything else -> None."""
    wanted = " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())
    if not wanted:
        return None
    for code in codes(t):
        aliases = [str(a).casefold() for a in t.raw(f"{FILE}.{code}").get("aliases", [])]
        if wanted == code.casefold() or wanted in aliases:
            return code
    if re.fullmatch(r"[a-z]{2}", wanted):
        return wanted.upper()
    return None
