"""Load `locales/<locale>/<file>.yaml`, validate once, and format texts safely.

Keys are `<file>.<path.inside.file>`. Values are strings (Telegram HTML, with
`{placeholders}`), lists of strings, or mappings of those. Placeholder values are
HTML-escaped when formatted, so a person's own words can never break a message.
"""

from __future__ import annotations

import html
import random
import re
import string
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml

LOCALES_DIR = Path(__file__).with_name("locales")
REFERENCE_LOCALE = "en"
TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
                 "tg-spoiler", "blockquote", "span"}
MAX_MESSAGE = 4096


class ContentError(Exception):
    """A content file is broken; the message names the file and the key."""


def _placeholders(text: str) -> set[str]:
    names = set()
    for _, name, _, _ in string.Formatter().parse(text):
        if name is not None:
            if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
                raise ValueError(f"placeholder {{{name}}} must be a plain lowercase name")
            names.add(name)
    return names


class _TagChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TELEGRAM_TAGS:
            self.error = self.error or f"tag <{tag}> is not allowed by Telegram"
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.error = self.error or f"closing </{tag}> does not match"


def _check_html(text: str) -> None:
    checker = _TagChecker()
    checker.feed(text)
    checker.close()
    if checker.error or checker.stack:
        raise ValueError(checker.error or f"<{checker.stack[-1]}> is never closed")


def _flatten(prefix: str, node: Any, out: dict[str, Any], source: dict[str, str],
             file: str) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if not isinstance(key, str | int) or not re.fullmatch(r"[A-Za-z0-9_\-]+", str(key)):
                raise ContentError(f"{file}: key {prefix}{key!r} must be letters, digits or _")
            _flatten(f"{prefix}{key}.", value, out, source, file)
        # the mapping itself is also addressable, for structured entries like exercises
        out[prefix[:-1]] = node
        source[prefix[:-1]] = file
        return
    key = prefix[:-1]
    out[key] = node
    source[key] = file


def _leaf_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in _leaf_strings(item)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _leaf_strings(v)]
    if isinstance(value, int | float | bool) or value is None:
        return []
    raise TypeError(f"unsupported value of type {type(value).__name__}")


def _load_locale(directory: Path) -> tuple[dict[str, Any], dict[str, str]]:
    entries: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        rel = f"{directory.name}/{path.name}"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ContentError(f"{rel}: not valid YAML ({exc.__class__.__name__})") from None
        if not isinstance(data, dict):
            raise ContentError(f"{rel}: must hold a mapping of keys to texts")
        _flatten(f"{path.stem}.", data, entries, sources, rel)
    for key, value in entries.items():
        try:
            for text in _leaf_strings(value):
                _placeholders(text)
                _check_html(text)
                if len(text) > MAX_MESSAGE:
                    raise ValueError(f"longer than Telegram's {MAX_MESSAGE} characters")
        except (ValueError, TypeError) as exc:
            raise ContentError(f"{sources[key]}: key {key}: {exc}") from None
    return entries, sources


def _signature(value: Any) -> Any:
    if isinstance(value, str):
        return ("str", frozenset(_placeholders(value)))
    if isinstance(value, list):
        return ("list", frozenset(n for s in _leaf_strings(value) for n in _placeholders(s)))
    if isinstance(value, dict):
        return ("map", frozenset(value))
    return (type(value).__name__,)


@dataclass
class Catalog:
    """The texts of one locale."""

    locale: str
    entries: dict[str, Any]
    sources: dict[str, str] = field(default_factory=dict)
    fallback: Catalog | None = None

    def has(self, key: str) -> bool:
        return key in self.entries or (self.fallback is not None and self.fallback.has(key))

    def raw(self, key: str) -> Any:
        if key in self.entries:
            return self.entries[key]
        if self.fallback is not None:
            return self.fallback.raw(key)
        raise KeyError(f"content key {key!r} is missing in locale {self.locale}")

    def t(self, key: str, /, **values: Any) -> str:
        """The text for `key`, with values HTML-escaped into its placeholders."""
        text = self.raw(key)
        if isinstance(text, list):
            text = "\n".join(text)
        if not isinstance(text, str):
            raise KeyError(f"content key {key!r} is not a text")
        return text.format(**{k: html.escape(str(v), quote=False) for k, v in values.items()})

    def choice(self, key: str, rng: random.Random | None = None) -> str:
        items = self.raw(key)
        return (rng or random).choice(items)

    def list(self, key: str) -> list[Any]:
        items = self.raw(key)
        if not isinstance(items, list):
            raise KeyError(f"content key {key!r} is not a list")
        return items


@dataclass
class Texts:
    """All locales; `get(locale)` falls back to the reference locale."""

    catalogs: dict[str, Catalog]

    def get(self, locale: str | None) -> Catalog:
        if locale and locale in self.catalogs:
            return self.catalogs[locale]
        if locale and "-" in locale and locale.split("-")[0] in self.catalogs:
            return self.catalogs[locale.split("-")[0]]
        return self.catalogs[REFERENCE_LOCALE]

    @property
    def default(self) -> Catalog:
        return self.catalogs[REFERENCE_LOCALE]


def load(directory: Path = LOCALES_DIR) -> Texts:
    """Load and validate all locales. Every locale must match the reference's keys and
    placeholders, so a translation can never send a broken or incomplete message."""
    if not (directory / REFERENCE_LOCALE).is_dir():
        raise ContentError(f"{directory}: the reference locale '{REFERENCE_LOCALE}' is missing")
    ref_entries, ref_sources = _load_locale(directory / REFERENCE_LOCALE)
    reference = Catalog(REFERENCE_LOCALE, ref_entries, ref_sources)
    catalogs = {REFERENCE_LOCALE: reference}
    for sub in sorted(p for p in directory.iterdir() if p.is_dir() and p.name != REFERENCE_LOCALE):
        entries, sources = _load_locale(sub)
        for key, value in ref_entries.items():
            if key not in entries:
                file = ref_sources[key].replace(f"{REFERENCE_LOCALE}/", f"{sub.name}/", 1)
                raise ContentError(f"{file}: key {key} is missing")
            if _signature(value) != _signature(entries[key]) and not isinstance(value, dict):
                raise ContentError(
                    f"{sources[key]}: key {key}: placeholders differ from "
                    f"{ref_sources[key]} ({sorted(_signature(value)[1])})"
                )
        catalogs[sub.name] = Catalog(sub.name, entries, sources, fallback=reference)
    return Texts(catalogs)


def check_keys(catalog: Catalog, keys: dict[str, str]) -> None:
    """Fail when code refers to keys (key -> where it is used) the catalog lacks."""
    for key, where in sorted(keys.items()):
        if not catalog.has(key):
            file = f"{catalog.locale}/{key.split('.', 1)[0]}.yaml"
            raise ContentError(f"{file}: key {key} is missing (used in {where})")
