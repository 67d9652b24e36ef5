"""Weekly goals as people type them: pure parsing, no Telegram, no database.

'3 meetings a week' -> ('meetings', 3); 'journal every night' -> ('journal', 7);
'go to the gym twice a week' -> ('go to the gym', 2); 'walk 5x per week' -> ('walk', 5);
'call my sister' -> ('call my sister', None): the count is then asked with buttons.
"""

from __future__ import annotations

import re

MAX_NAME = 100
MAX_TARGET = 14

_WORDS = {"once": 1, "twice": 2, "thrice": 3, "one": 1, "two": 2, "three": 3, "four": 4,
          "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_NUM = r"(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)"
_PER_WEEK = r"(?:a|an|per|each|every|/)\s*week(?:ly)?|weekly|/\s*w(?:k)?"
_DAILY = re.compile(
    r"\b(?:every|each)\s+(?:single\s+)?(?:day|night|morning|evening|afternoon)\b"
    r"|\b(?:daily|nightly|(?:a|per)\s+day)\b|\bday\s+by\s+day\b"
)
_WEEKDAYS = re.compile(r"\b(?:every\s+weekday|on\s+weekdays|weekdays)\b")
_TIMES_A_WEEK = re.compile(rf"\b{_NUM}\s*(?:x|times|time)?\s*(?:{_PER_WEEK})")
_ONCE_TWICE = re.compile(rf"\b(once|twice|thrice)\s*(?:{_PER_WEEK})?")
_LEADING_COUNT = re.compile(rf"^{_NUM}\s+(.+?)\s*(?:{_PER_WEEK})\s*$")


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _WORDS[word]


def _tidy(name: str) -> str:
    name = re.sub(r"\s+", " ", name).strip(" .,;:-!")
    name = re.sub(r"^(?:i\s+want\s+to|i\s+will|i'll|to)\s+", "", name, flags=re.IGNORECASE)
    return name.strip()


def parse_goal(text: str) -> tuple[str, int | None] | None:
    """(name, target per week or None when not said); None when there is no name."""
    raw = " ".join(text.split()).rstrip(" .!;,")
    if not raw:
        return None
    low = raw.lower()
    target: int | None = None
    span: tuple[int, int] | None = None
    if m := _LEADING_COUNT.match(low):  # "3 meetings a week"
        name, count = _tidy(raw[m.start(2):m.end(2)]), _number(m.group(1))
        if not name:
            return None
        if 1 <= count <= MAX_TARGET:
            return name, count
        return _tidy(raw[:m.end(2)]), None  # "20 pushups a week": the number is the goal
    for pattern, fixed in ((_TIMES_A_WEEK, None), (_ONCE_TWICE, None), (_WEEKDAYS, 5),
                           (_DAILY, 7)):
        m = pattern.search(low)
        if m is None:
            continue
        target = fixed if fixed is not None else _number(m.group(1))
        span = m.span()
        break
    name = raw if span is None else raw[:span[0]] + raw[span[1]:]
    name = _tidy(name)
    if not name:
        return None
    if target is not None and not 1 <= target <= MAX_TARGET:
        target = None
    return name, target
