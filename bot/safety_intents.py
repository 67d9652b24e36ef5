"""What a message means for safety: crisis, a slip that happened, or use about to happen.

Pure: no Telegram, no database. Phrases come from `content/.../intents_safety.yaml` and
are matched with `bot.intents.PhraseSet`; this module adds exact slang aliases, words that
must match as written (no typo tolerance), `{vocab}`
expansion, an end-of-clause marker `$`, and reading the day of a slip from the words
("last night" -> the day before).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.intents import PhraseSet, normalize, squeeze

END = "$"
EXACT = "#"
_CLAUSE = re.compile(r"[.!?;,\n]+")
_VOCAB = re.compile(r"\{([a-z_]+)\}")
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "a couple": 2}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CRISIS_KINDS = ("suicide", "self_harm", "overdose")


@dataclass(frozen=True)
class Crisis:
    """Which crisis answers a message needs."""

    talk: bool  # suicidal thoughts or self-harm: warm words and lines
    overdose: bool  # an overdose may be happening now: the steps first


@dataclass(frozen=True)
class Slip:
    """A return to use already happened (`days_ago` before today, from the words)."""

    days_ago: int | None  # None: the words named no day we can place
    time_of_day: str | None  # morning / afternoon / evening / night, when the words say


def expand(phrase: str, vocab: Mapping[str, Sequence[str]]) -> list[str]:
    """`i used {drug}` -> one phrase per drug word; unknown names are a content error."""
    names = _VOCAB.findall(phrase)
    if not names:
        return [phrase]
    for name in names:
        if name not in vocab:
            raise KeyError(f"phrase {phrase!r} uses {{{name}}}, which vocab does not define")
    out = []
    for combo in itertools.product(*(vocab[n] for n in names)):
        text = phrase
        for name, word in zip(names, combo, strict=True):
            text = text.replace("{" + name + "}", word, 1)
        out.append(text)
    return out


def _exact(word: str, exact: frozenset[str]) -> str:
    """Mark a word that must match exactly: the marked form has no typo neighbours."""
    bare = word.rstrip("?")
    return bare + EXACT + word[len(bare):] if squeeze(bare) in exact else word


def _set(raw: Mapping[str, Any], vocab: Mapping[str, Sequence[str]],
         exact: frozenset[str] = frozenset()) -> PhraseSet:
    def prepare(key: str) -> list[str]:
        out = [p for phrase in raw.get(key, []) for p in expand(phrase, vocab)]
        return [" ".join(_exact(w, exact) for w in p.casefold().split()) for p in out]

    return PhraseSet.from_content({**raw, "phrases": prepare("phrases"),
                                   "exclude": prepare("exclude")})


@dataclass(frozen=True)
class SafetyDetector:
    aliases: Mapping[str, tuple[str, ...]]
    exact: frozenset[str]
    suicide: tuple[PhraseSet, ...]
    self_harm: tuple[PhraseSet, ...]
    overdose: tuple[PhraseSet, ...]
    slip: PhraseSet
    about_to_use: PhraseSet

    @classmethod
    def from_content(cls, raw: Mapping[str, Any]) -> SafetyDetector:
        vocab = {k: [str(w) for w in v] for k, v in (raw.get("vocab") or {}).items()}
        # aliases rewrite words as written ("odd" is not "od"); what they give, and the
        # exact words, are in the squeezed form phrases match in ("kill" -> "kil")
        aliases = {" ".join(normalize(str(k), squeeze=False)): tuple(normalize(str(v)))
                   for k, v in (raw.get("aliases") or {}).items()}
        exact = frozenset(squeeze(str(w)) for w in raw.get("exact") or [])
        overdose = tuple(_set(raw[k], vocab, exact) for k in raw
                         if k.startswith("crisis_overdose"))
        return cls(
            aliases=aliases,
            exact=exact,
            suicide=(_set(raw["crisis_suicide"], vocab, exact),),
            self_harm=(_set(raw["crisis_self_harm"], vocab, exact),),
            overdose=overdose,
            slip=_set(raw["slip"], vocab, exact),
            about_to_use=_set(raw["about_to_use"], vocab, exact),
        )

    # --- tokens -------------------------------------------------------------------------------
    def tokens(self, text: str) -> list[str]:
        out: list[str] = []
        for token in normalize(text, squeeze=False):
            out.extend(self.aliases.get(token, (squeeze(token),)))
        return [t + EXACT if t in self.exact else t for t in out]

    def clauses(self, text: str) -> list[list[str]]:
        """Each clause's tokens with the end marker, then the whole text's."""
        parts = [self.tokens(c) for c in _CLAUSE.split(text)]
        out = [[*p, END] for p in parts if p]
        whole = self.tokens(text)
        if len(out) > 1 and whole:
            out.append(whole)
        return out

    @staticmethod
    def _any(sets: Sequence[PhraseSet], clauses: Sequence[Sequence[str]]) -> bool:
        return any(s.match_clauses(clauses) for s in sets)

    # --- questions ------------------------------------------------------------------------------
    def crisis(self, text: str) -> Crisis | None:
        clauses = self.clauses(text)
        if not clauses:
            return None
        talk = self._any(self.suicide + self.self_harm, clauses)
        overdose = self._any(self.overdose, clauses)
        return Crisis(talk=talk, overdose=overdose) if talk or overdose else None

    def crisis_kinds(self, text: str) -> set[str]:
        clauses = self.clauses(text)
        found = set()
        for kind, sets in (("suicide", self.suicide), ("self_harm", self.self_harm),
                           ("overdose", self.overdose)):
            if self._any(sets, clauses):
                found.add(kind)
        return found

    def slip_or_intent(self, text: str, today_weekday: int | None = None,
                       ) -> Slip | str | None:
        """A Slip when use already happened, "about_to_use" when it is about to, else None.
        Within one clause "about to use" wins ("I'm going to relapse tonight")."""
        clauses = [[*self.tokens(c), END] for c in _CLAUSE.split(text)]
        slip = about = False
        if not (self.about_to_use.match_clauses(clauses) or self.slip.match_clauses(clauses)):
            return None
        for tokens in clauses:
            if len(tokens) == 1:
                continue
            if self.about_to_use.match_tokens(tokens):
                about = True
            elif self.slip.match_tokens(tokens):
                slip = True
        if slip:
            return Slip(days_ago=days_ago(text, today_weekday), time_of_day=time_of_day(text))
        return "about_to_use" if about else None


def days_ago(text: str, today_weekday: int | None = None) -> int | None:
    """How many days before today the words place a use: "last night" -> 1, "on friday"
    -> the last Friday (today counts), nothing said -> 0, a vague "last week" -> None."""
    words = " ".join(normalize(text, squeeze=False))
    words = re.sub(r"\b(yday|yest)\b", "yesterday", words)
    if re.search(r"\b(yesterday|last night)\b", words):
        return 1
    m = re.search(r"\b(\d|one|two|three|four|five|six|a couple)( of)? days? ago\b", words)
    if m:
        n = m.group(1)
        return int(n) if n.isdigit() else _NUMBERS[n]
    if today_weekday is not None:
        for i, day in enumerate(_WEEKDAYS):
            if re.search(rf"\b(on|last) {day}\b", words):
                return (today_weekday - i) % 7
    if re.search(r"\b(last week|last weekend|the other day|a few days ago|over the weekend"
                 r"|on (monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b", words):
        return None
    return 0


def time_of_day(text: str) -> str | None:
    words = " ".join(normalize(text, squeeze=False))
    for pattern, when in ((r"\b(last night|tonight|at night|overnight)\b", "night"),
                          (r"\bmorning\b", "morning"), (r"\bafternoon\b", "afternoon"),
                          (r"\bevening\b", "evening")):
        if re.search(pattern, words):
            return when
    return None
