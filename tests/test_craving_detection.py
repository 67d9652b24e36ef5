"""Craving detection on a labelled set: ≥ 95% precision and ≥ 90% recall."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.handlers.craving import craving_phrases
from content import load

DATA = yaml.safe_load((Path(__file__).parent / "data" / "craving_messages.yaml").read_text())


def test_labelled_set_is_large_enough() -> None:
    assert len(DATA["craving"]) + len(DATA["not_craving"]) >= 150


def test_precision_and_recall_on_the_labelled_set() -> None:
    phrases = craving_phrases(load().default)
    hits = [m for m in DATA["craving"] if phrases.match(m)]
    false_alarms = [m for m in DATA["not_craving"] if phrases.match(m)]
    recall = len(hits) / len(DATA["craving"])
    precision = len(hits) / (len(hits) + len(false_alarms))
    missed = [m for m in DATA["craving"] if m not in hits]
    print(f"\ncraving detection: precision {precision:.3f}, recall {recall:.3f} "
          f"on {len(DATA['craving'])} + {len(DATA['not_craving'])} messages")
    assert precision >= 0.95, false_alarms
    assert recall >= 0.90, missed
