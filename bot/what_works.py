"""What works for this person, from their own past episodes (pure: no Telegram, no DB).

An episode's outcome is the drop in intensity from its first rating to its last. Each
tool the person tried in it is credited with that drop; the tool they said helped counts
twice. Tools and plans are ranked by their mean credited drop; untried ones keep their
default order after those with evidence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Outcome:
    started_at: datetime
    start: int | None
    end: int | None
    tried: tuple[str, ...]
    helped: str | None
    plan_id: int | None

    @property
    def drop(self) -> int | None:
        if self.start is None or self.end is None:
            return None
        return self.start - self.end


@dataclass(frozen=True)
class Evidence:
    tool: str
    before: int
    after: int


NOT_TOOLS = {"nothing", "other"}  # answers to "what helped" that name no tool


def _credits(outcomes: Iterable[Outcome]) -> dict[str, list[int]]:
    credited: dict[str, list[int]] = defaultdict(list)
    for o in outcomes:
        if o.drop is None:
            continue
        for tool in set(o.tried):
            credited[tool].append(o.drop)
        if o.helped and o.helped in o.tried:
            credited[o.helped].append(o.drop)
        elif o.helped:
            credited[o.helped].extend([o.drop, o.drop])
    return credited


def mean_drops(outcomes: Iterable[Outcome]) -> dict[str, float]:
    return {tool: sum(d) / len(d) for tool, d in _credits(outcomes).items()}


@dataclass(frozen=True)
class ToolStat:
    tool: str
    mean_drop: float  # mean fall in intensity over the episodes the tool was part of
    times: int  # episodes with both ratings where it was tried (or named as what helped)


def tool_stats(outcomes: Iterable[Outcome], min_times: int = 2) -> list[ToolStat]:
    """What brought intensity down most, for people to read ("box breathing: -4 on
    average over 6 times"): each episode counts once per tool, so the figures are plain
    means; best first, ties by how often. Tools tried fewer than `min_times` are left out."""
    drops: dict[str, list[int]] = defaultdict(list)
    for o in outcomes:
        if o.drop is None:
            continue
        tools = set(o.tried) | ({o.helped} if o.helped else set())
        for tool in tools - NOT_TOOLS:
            drops[tool].append(o.drop)
    stats = [ToolStat(tool, sum(d) / len(d), len(d)) for tool, d in drops.items()
             if len(d) >= min_times]
    return sorted(stats, key=lambda s: (-s.mean_drop, -s.times, s.tool))


def rank(options: Sequence[str], outcomes: Iterable[Outcome],
         members: dict[str, set[str]] | None = None) -> list[str]:
    """`options` reordered by mean drop (best first). `members` maps an option to the
    tools that count for it (e.g. "breathe" -> every breathing exercise)."""
    credited = _credits(outcomes)

    def score(option: str) -> float | None:
        tools = (members or {}).get(option, {option})
        drops = [d for tool in tools for d in credited.get(tool, [])]
        return sum(drops) / len(drops) if drops else None

    scored = [(score(o), i, o) for i, o in enumerate(options)]
    with_evidence = sorted((s for s in scored if s[0] is not None and s[0] > 0),
                           key=lambda s: (-s[0], s[1]))  # type: ignore[operator]
    rest = [s for s in scored if s not in with_evidence]
    return [o for _, _, o in with_evidence + rest]


def rank_plans(plan_ids: Sequence[int], outcomes: Iterable[Outcome]) -> list[int]:
    """Plans by mean drop in the episodes they were shown in; ties keep their order."""
    drops: dict[int, list[int]] = defaultdict(list)
    for o in outcomes:
        if o.plan_id is not None and o.drop is not None:
            drops[o.plan_id].append(o.drop)

    def key(item: tuple[int, int]) -> tuple[float, int]:
        index, plan_id = item
        d = drops.get(plan_id)
        return (-(sum(d) / len(d)) if d else 0.0, index)

    return [p for _, p in sorted(enumerate(plan_ids), key=key)]


def evidence(outcomes: Sequence[Outcome], tools: set[str] | None = None) -> Evidence | None:
    """The most recent episode where something helped and intensity fell."""
    for o in sorted(outcomes, key=lambda o: o.started_at, reverse=True):
        drop = o.drop
        if drop is None or drop <= 0 or o.start is None or o.end is None:
            continue
        tool = o.helped if o.helped and o.helped != "nothing" else (
            o.tried[0] if len(o.tried) == 1 else None)
        if tool is None or (tools is not None and tool not in tools):
            continue
        return Evidence(tool, o.start, o.end)
    return None
