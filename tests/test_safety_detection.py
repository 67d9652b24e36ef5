"""Crisis, slip and "about to use" detection on a labelled set of realistic messages, and the
crisis resources per country. Pure: no Telegram, no database."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.safety_intents import SafetyDetector, Slip, days_ago, expand, time_of_day
from content import load
from content.crisis import UNKNOWN, codes, lines_for, parse_country, validate

DATA = yaml.safe_load((Path(__file__).parent / "data" / "safety_messages.yaml").read_text())
T = load().default
DETECTOR = SafetyDetector.from_content(T.raw("intents_safety"))

CRISIS = [(kind, m) for kind, msgs in DATA["crisis"].items() for m in msgs]
NOT_CRISIS = (DATA["not_crisis"] + [s["text"] for s in DATA["slip"]] + DATA["about_to_use"]
              + DATA["not_slip"])


def test_the_labelled_set_is_big_realistic_and_has_no_duplicates() -> None:
    everything = [m for _, m in CRISIS] + NOT_CRISIS
    assert len(everything) >= 150 and len(CRISIS) >= 60
    assert len(set(everything)) == len(everything)
    slang = " ".join(everything).lower()
    for word in ("kms", "unalive", "od'd", "oding", "this traffic is killing me",
                 "i'd die for a coffee", "died laughing", "overdid it at the gym"):
        assert word in slang, word


def test_crisis_recall_and_precision_reach_the_targets() -> None:
    missed = [m for _, m in CRISIS if DETECTOR.crisis(m) is None]
    false_alarms = [m for m in NOT_CRISIS if DETECTOR.crisis(m) is not None]
    found = len(CRISIS) - len(missed)
    recall = found / len(CRISIS)
    precision = found / (found + len(false_alarms))
    print(f"\ncrisis detection: recall {recall:.1%} ({found}/{len(CRISIS)}), "
          f"precision {precision:.1%} ({len(false_alarms)} false alarms in "
          f"{len(NOT_CRISIS)} other messages)")
    print(f"missed: {missed}\nfalse alarms: {false_alarms}")
    assert recall >= 0.98, missed
    assert precision >= 0.90, false_alarms


def test_every_overdose_message_gets_the_overdose_steps() -> None:
    flagged = [m for kind, m in CRISIS if kind.startswith("overdose")]
    assert len(flagged) >= 40
    missing = [m for m in flagged if not (c := DETECTOR.crisis(m)) or not c.overdose]
    assert len(missing) <= len(flagged) * 0.02, missing


def test_suicidal_messages_get_the_warm_words() -> None:
    talk = [m for kind, m in CRISIS if kind in ("suicide", "self_harm")]
    assert [m for m in talk if not (c := DETECTOR.crisis(m)) or not c.talk] == []


def test_slips_are_found_with_their_day_and_negations_are_not() -> None:
    wrong = []
    for item in DATA["slip"]:
        found = DETECTOR.slip_or_intent(item["text"])
        if not isinstance(found, Slip) or found.days_ago != item["day"]:
            wrong.append((item["text"], found))
    assert wrong == []
    about = [m for m in DATA["about_to_use"] if DETECTOR.slip_or_intent(m) != "about_to_use"]
    assert about == []
    not_slip = [m for m in DATA["not_slip"] + DATA["not_crisis"]
                if DETECTOR.slip_or_intent(m) is not None]
    print(f"\nslip / about-to-use: {len(DATA['slip'])} slips and {len(DATA['about_to_use'])} "
          f"intentions found; false alarms: {not_slip}")
    assert not_slip == []


@pytest.mark.parametrize("text, weekday, expected", [
    ("I used", 0, 0),
    ("slipped last night", 0, 1),
    ("i used yday", 3, 1),
    ("used three days ago", 3, 3),
    ("i used on friday", 6, 2),  # said on a Sunday
    ("i used on sunday", 6, 0),
    ("i used last week", 2, None),
])
def test_the_day_of_use_follows_the_words(text: str, weekday: int, expected: int | None) -> None:
    assert days_ago(text, weekday) == expected


def test_time_of_day_from_the_words() -> None:
    assert time_of_day("slipped last night") == "night"
    assert time_of_day("i used this morning") == "morning"
    assert time_of_day("i used") is None


def test_vocab_expands_and_an_unknown_name_is_an_error() -> None:
    assert expand("i used {drug}", {"drug": ["dope", "fent"]}) == ["i used dope", "i used fent"]
    with pytest.raises(KeyError, match="nope"):
        expand("i used {nope}", {})


def test_typo_tolerance_never_turns_doing_into_an_overdose() -> None:
    for text in ("what are you doing", "im doing ok", "doing better today", "odd jobs today"):
        assert DETECTOR.crisis(text) is None, text


def test_every_country_has_numbers_and_a_last_checked_date() -> None:
    entries = validate(T)
    assert {e.code for e in entries} == {"US", "CA", "GB", "AU", "fallback"}
    for entry in entries:
        assert entry.emergency and entry.lines
        assert date(2024, 1, 1) <= entry.last_checked <= date.today()
    assert lines_for(T, "US").emergency == "911"
    assert lines_for(T, "GB").emergency == "999"
    assert lines_for(T, "AU").emergency == "000"
    assert [ln.number for ln in lines_for(T, "US").lines] == ["988", "1-800-662-4357",
                                                              "1-800-484-3731"]
    assert lines_for(T, "CA").no_use_alone is not None
    assert lines_for(T, "CA").no_use_alone.number == "1-888-688-6677"  # type: ignore[union-attr]


@pytest.mark.parametrize("code", ["DE", "FR", UNKNOWN, None, "zz"])
def test_unknown_countries_fall_back_to_112(code: str | None) -> None:
    entry = lines_for(T, code)
    assert entry.fallback and entry.emergency == "112"
    assert "116 123" in [ln.number for ln in entry.lines]


@pytest.mark.parametrize("text, code", [
    ("CA", "CA"), ("canada", "CA"), ("uk", "GB"), ("England", "GB"), ("usa", "US"),
    ("Australia", "AU"), ("de", "DE"), ("Germany", None), ("", None), ("12", None),
])
def test_country_names_and_codes(text: str, code: str | None) -> None:
    assert parse_country(T, text) == code
    assert codes(T) == ["US", "CA", "GB", "AU"]
