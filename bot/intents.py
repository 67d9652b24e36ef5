"""What a free-text message means: pure phrase matching, no Telegram, no database.

Phrases come from `content/` (one YAML file per intent family). A phrase is a sequence of
words; in a message its words must appear in order, with at most `gap` other words
between them. Each word tolerates small typos (one edit for words of five letters or
more), `*` at a word's end matches any ending (`crav*`), and `?` marks an optional word.
Repeated letters are squeezed on both sides ("craaaving" and "craving" -> "craving",
"need" -> "ned") and apostrophes dropped ("i'm" -> "im") before matching. A negation word
shortly before a match cancels it when the set says so.
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
_SQUEEZE = re.compile(r"(\w)\1+")

DEFAULT_NEGATIONS = ("not", "no", "dont", "didnt", "never", "isnt", "arent", "wasnt",
                     "without", "nothing", "nope", "doesnt", "havent", "hasnt", "wont", "aint")


def normalize(text: str, *, squeeze: bool = True) -> list[str]:
    """Lower-case words without accents or punctuation; with `squeeze`, without letter
    repeats too (the form phrases are matched in). Without it, real words for reading
    things like "three days ago"."""
    text = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("'", "")
    text = _NON_WORD.sub(" ", text.replace("*", " ").replace("?", " "))
    if squeeze:
        text = _SQUEEZE.sub(r"\1", text)
    return text.split()


def squeeze(word: str) -> str:
    """One word in the matching form ("kill" -> "kil"), as `normalize` leaves tokens."""
    return _SQUEEZE.sub(r"\1", word.casefold())


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
        raw = _SQUEEZE.sub(r"\1", raw.rstrip("*"))
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


def word_matches(pattern: Word, token: str, *, short_typos: bool = False) -> bool:
    """Exact, or one edit away for longer words (and for short ones inside a phrase)."""
    size = len(pattern.text)
    if pattern.prefix:
        if token.startswith(pattern.text):
            return True
        tolerant = size >= 5 or (size >= 4 and len(token) >= size + 2)
        return tolerant and _within_one_edit(pattern.text, token[:size])
    if token == pattern.text:
        return True
    return (size >= 5 or (short_typos and size >= 3)) and _within_one_edit(pattern.text, token)


@dataclass(frozen=True)
class _Compiled:
    """Phrases as indices into one vocabulary of pattern words, so each distinct token is
    compared with each pattern word once (and the answer cached), not once per phrase."""

    vocab: tuple[Word, ...]
    phrases: tuple[tuple[int, ...], ...]

    @classmethod
    def build(cls, phrases: Iterable[tuple[Word, ...]]) -> _Compiled:
        vocab: dict[Word, int] = {}
        out = []
        for phrase in phrases:
            out.append(tuple(vocab.setdefault(w, len(vocab)) for w in phrase))
        return cls(tuple(vocab), tuple(out))


class _Matcher:
    def __init__(self, compiled: _Compiled) -> None:
        self.c = compiled
        self._cache: dict[str, tuple[frozenset[int], frozenset[int]]] = {}

    def word_sets(self, token: str) -> tuple[frozenset[int], frozenset[int]]:
        """(pattern words matching `token` strictly, and with short-word typos allowed)."""
        hit = self._cache.get(token)
        if hit is None:
            strict = frozenset(i for i, w in enumerate(self.c.vocab) if word_matches(w, token))
            loose = frozenset(i for i, w in enumerate(self.c.vocab)
                              if i in strict or word_matches(w, token, short_typos=True))
            hit = (strict, loose)
            if len(self._cache) < 50_000:
                self._cache[token] = hit
        return hit

    def find(self, phrase: tuple[int, ...], sets: Sequence[tuple[frozenset[int], frozenset[int]]],
             gap: int, start_at: int = 0) -> int | None:
        """Index of the token where the phrase starts (at or after start_at), or None."""
        vocab = self.c.vocab
        if all(vocab[i].optional for i in phrase):
            return None
        for start in range(start_at, len(sets)):
            if self._rest(phrase, sets, start, 1, gap):
                return start
        return None

    def _rest(self, phrase: tuple[int, ...], sets: Sequence[tuple[frozenset[int], frozenset[int]]],
              pos: int, span: int, gap: int) -> bool:
        if not phrase:
            return True
        word = phrase[0]
        for i in range(pos, min(len(sets), pos + span)):
            if word in sets[i][1 if span > 1 else 0] and self._rest(phrase[1:], sets, i + 1,
                                                                     gap + 1, gap):
                return True
        return self.c.vocab[word].optional and self._rest(phrase[1:], sets, pos, span, gap)


@dataclass(frozen=True)
class PhraseSet:
    """Phrases of one intent, phrases that rule it out, and how negation applies."""

    phrases: tuple[tuple[Word, ...], ...]
    exclude: tuple[tuple[Word, ...], ...] = ()
    negatable: bool = True
    negations: frozenset[str] = field(
        default_factory=lambda: frozenset(normalize(" ".join(DEFAULT_NEGATIONS))))
    gap: int = 2
    window: int = 3
    _matcher: _Matcher = field(init=False, repr=False, compare=False)
    _n_phrases: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_matcher",
                           _Matcher(_Compiled.build([*self.phrases, *self.exclude])))
        object.__setattr__(self, "_n_phrases", len(self.phrases))

    @classmethod
    def from_content(cls, raw: Mapping[str, Any]) -> PhraseSet:
        return cls(
            phrases=tuple(_parse_phrase(p) for p in raw.get("phrases", [])),
            exclude=tuple(_parse_phrase(p) for p in raw.get("exclude", [])),
            negatable=bool(raw.get("negatable", True)),
            negations=frozenset(normalize(" ".join(raw.get("negations", DEFAULT_NEGATIONS)))),
            gap=int(raw.get("gap", 2)),
            window=int(raw.get("window", 3)),
        )

    def match(self, text: str) -> bool:
        return self.match_tokens(normalize(text))

    def match_tokens(self, tokens: Sequence[str]) -> bool:
        return self.match_clauses([tokens])

    def match_clauses(self, clauses: Sequence[Sequence[str]]) -> bool:
        """Does any clause (a list of normalized tokens) match? Phrases are narrowed once
        for the whole message, then tried clause by clause."""
        m = self._matcher
        all_sets = [[m.word_sets(t) for t in tokens] for tokens in clauses]
        seen = frozenset().union(*(s[0] for sets in all_sets for s in sets))
        seen_loose = frozenset().union(*(s[1] for sets in all_sets for s in sets))
        # a phrase can only match when each of its required words matches some token
        vocab = m.c.vocab
        candidates = [i for i, p in enumerate(m.c.phrases)
                      if (vocab[p[0]].optional or p[0] in seen)
                      and all(vocab[w].optional or w in seen_loose for w in p[1:])]
        if not any(i < self._n_phrases for i in candidates):
            return False
        return any(self._match_sets(tokens, sets, candidates)
                   for tokens, sets in zip(clauses, all_sets, strict=True))

    def _match_sets(self, tokens: Sequence[str],
                    sets: Sequence[tuple[frozenset[int], frozenset[int]]],
                    candidates: Sequence[int]) -> bool:
        m = self._matcher
        compiled = m.c.phrases
        if any(m.find(compiled[i], sets, self.gap) is not None for i in candidates
               if i >= self._n_phrases):
            return False
        for phrase in (compiled[i] for i in candidates if i < self._n_phrases):
            start = m.find(phrase, sets, self.gap)
            while start is not None:
                if not (self.negatable and self._negated(tokens, start)):
                    return True
                start = m.find(phrase, sets, self.gap, start + 1)
        return False

    def _negated(self, tokens: Sequence[str], start: int) -> bool:
        return any(t in self.negations for t in tokens[max(0, start - self.window):start])


def any_match(sets: Iterable[PhraseSet], text: str) -> bool:
    tokens = normalize(text)
    return any(s.match_tokens(tokens) for s in sets)
