"""Exercises from content/, checked once at start (pure: no Telegram, no DB)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from content import Catalog, ContentError

BREATHING = {"box", "478", "paced", "sigh", "sober", "ground"}


@dataclass(frozen=True)
class Phase:
    say: str
    seconds: float


@dataclass(frozen=True)
class Exercise:
    key: str
    label: str
    title: str
    intro: str
    phases: tuple[Phase, ...] = ()
    rounds: int = 1
    steps: tuple[str, ...] = ()

    @property
    def paced(self) -> bool:
        return bool(self.phases)

    @property
    def total_seconds(self) -> float:
        return self.rounds * sum(p.seconds for p in self.phases)


def _one(key: str, raw: Any) -> Exercise:
    if not isinstance(raw, dict):
        raise ContentError(f"en/exercises.yaml: key exercises.{key} must be a mapping")
    try:
        phases = tuple(Phase(str(p["say"]), float(p["seconds"])) for p in raw.get("phases", []))
        ex = Exercise(key=key, label=str(raw["label"]), title=str(raw["title"]),
                      intro=str(raw["intro"]), phases=phases, rounds=int(raw.get("rounds", 1)),
                      steps=tuple(str(s) for s in raw.get("steps", [])))
    except (KeyError, TypeError, ValueError) as exc:
        raise ContentError(
            f"en/exercises.yaml: key exercises.{key}: missing or bad {exc}") from None
    if not ex.phases and not ex.steps:
        raise ContentError(f"en/exercises.yaml: key exercises.{key} needs phases or steps")
    if any(p.seconds <= 0 or p.seconds > 120 for p in ex.phases) or ex.rounds < 1:
        raise ContentError(f"en/exercises.yaml: key exercises.{key}: timings out of range")
    return ex


_loaded: dict[int, dict[str, Exercise]] = {}


def load(t: Catalog) -> dict[str, Exercise]:
    """All exercises in their content order (parsed once per catalog)."""
    found = _loaded.get(id(t.entries))
    if found is None:
        found = {str(k): _one(str(k), t.raw(f"exercises.{k}")) for k in t.list("exercises.order")}
        _loaded[id(t.entries)] = found
    return found
