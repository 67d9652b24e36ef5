"""What a free-text message means: pure phrase matching, no Telegram, no database.

Phrases come from `content/` (one YAML file per intent family). A phrase is a sequence of
words; in a message its words must appear in order, with at most `gap` other words
between them. Each word tolerates small typos (one edit for words of five letters or
more), `*` at a word's end matches any ending (`crav*`), and `?` marks an optional word.
Repeated letters are squeezed ("soooo" -> "soo") and apostrophes dropped ("i'm" -> "im")
before matching. A negation word shortly before a match cancels it when the set says so.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_NON_WORD = re.compile(r"[^\w\s*?]+", re.UNICODE)
_SQUEEZE = re.compile(r"(\w)\1{2,}")

DEFAULT_NEGATIONS = ("not", "no", "dont", "didnt", "never", "isnt", "arent", "wasnt",
                     "without", "nothing", "nope", "doesnt", "havent", "hasnt", "wont", "aint")


def normalize(text: str) -> list[str]:
    """Lower-case words without accents, punctuation or letter repeats."""
    text = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("'", "")
    text = _NON_WORD.sub(" ", text.replace("*", " ").replace("?", " "))
    text = _SQUEEZE.sub(r"\1\1", text)
    return text.split()


@dataclass(frozen=True)
class Word:
    text: str
    prefix: bool = False
    optional: bool = False


def _parse_phrase(phrase: str) -> tuple[Word, ...]:
    words = []
    for raw in phrase.casefold().replace("'", "").split():
        optional = raw.endswith("?")
        raw = raw.rstrip("?")
        prefix = raw.endswith("*")
        raw = _SQUEEZE.sub(r"\1\1", raw.rstrip("*"))
        if raw:
            words.append(Word(raw, prefix, optional))
    return tuple(words)


@lru_cache(maxsize=65536)
def _within_one_edit(a: str, b: str) -> bool:
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diffs = [i for i in range(la) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        # one swap of neighbours ("craivng")
        return (len(diffs) == 2 and diffs[1] == diffs[0] + 1
                and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]])
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1:]


def word_matches(pattern: Word, token: str) -> bool:
    if pattern.prefix:
        if token.startswith(pattern.text):
            return True
        stem = token[: len(pattern.text)]
        return len(pattern.text) >= 5 and _within_one_edit(pattern.text, stem)
    if token == pattern.text:
        return True
    return len(pattern.text) >= 5 and _within_one_edit(pattern.text, token)


def _find(words: Sequence[Word], tokens: Sequence[str], gap: int) -> int | None:
    """Index of the token where the phrase starts, or None."""
    if not any(not w.optional for w in words):
        return None
    for start in range(len(tokens)):
        if _rest(words, tokens, start, 1, gap):
            return start
    return None


def _rest(words: Sequence[Word], tokens: Sequence[str], pos: int, span: int, gap: int) -> bool:
    """Do `words` match in order from `pos`, the first within `span` tokens of it?"""
    if not words:
        return True
    word = words[0]
    for i in range(pos, min(len(tokens), pos + span)):
        if word_matches(word, tokens[i]) and _rest(words[1:], tokens, i + 1, gap + 1, gap):
            return True
    return word.optional and _rest(words[1:], tokens, pos, span, gap)


@dataclass(frozen=True)
class PhraseSet:
    """Phrases of one intent, phrases that rule it out, and how negation applies."""

    phrases: tuple[tuple[Word, ...], ...]
    exclude: tuple[tuple[Word, ...], ...] = ()
    negatable: bool = True
    negations: frozenset[str] = field(default_factory=lambda: frozenset(DEFAULT_NEGATIONS))
    gap: int = 2
    window: int = 3

    @classmethod
    def from_content(cls, raw: Mapping[str, Any]) -> PhraseSet:
        return cls(
            phrases=tuple(_parse_phrase(p) for p in raw.get("phrases", [])),
            exclude=tuple(_parse_phrase(p) for p in raw.get("exclude", [])),
            negatable=bool(raw.get("negatable", True)),
            negations=frozenset(w.replace("'", "") for w in raw.get("negations",
                                                                    DEFAULT_NEGATIONS)),
            gap=int(raw.get("gap", 2)),
            window=int(raw.get("window", 3)),
        )

    def match(self, text: str) -> bool:
        return self.match_tokens(normalize(text))

    def match_tokens(self, tokens: Sequence[str]) -> bool:
        if any(_find(p, tokens, self.gap) is not None for p in self.exclude):
            return False
        for phrase in self.phrases:
            start = _find(phrase, tokens, self.gap)
            while start is not None:
                if not (self.negatable and self._negated(tokens, start)):
                    return True
                rest = _find(phrase, tokens[start + 1:], self.gap)
                start = None if rest is None else start + 1 + rest
        return False

    def _negated(self, tokens: Sequence[str], start: int) -> bool:
        return any(t in self.negations for t in tokens[max(0, start - self.window):start])


def any_match(sets: Iterable[PhraseSet], text: str) -> bool:
    tokens = normalize(text)
    return any(s.match_tokens(tokens) for s in sets)
