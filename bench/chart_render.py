"""Benchmark: how long drawing a /stats chart takes. Not a test; prints a table and one
JSON line. Target (issue 9): at most 300 ms per chart on this machine.

A busy person's data is made up: two cravings a day with both ratings, a check-in every
morning, one day of use. For each range (7, 30, 90 days) the chart is drawn --rounds
times through `bot.insights.chart.render` (what /stats and the weekly summary call, in a
worker thread), labels from content/ as a person sees them. The first chart a process
draws also builds the chart's frame (axes, titles, key: kept for the next ones) and loads
matplotlib's fonts; it is reported apart ("cold"). Wall time is what a person waits; CPU
time is the bot's own work (on a shared machine wall time also holds other processes').

    python bench/chart_render.py [--rounds 30]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.handlers.stats import chart_labels
from bot.insights import chart, series
from content import load

TODAY = date(2026, 3, 30)


def busy_person(rng: random.Random) -> dict[str, object]:
    episodes = []
    for day in range(95):
        for _ in range(2):
            when = datetime(2025, 12, 25, tzinfo=UTC) + timedelta(days=day,
                                                                  hours=rng.uniform(0, 24))
            start = rng.randint(4, 10)
            episodes.append(series.EpisodeRecord(when, start, max(0, start - rng.randint(0, 6)),
                                                 "stress"))
    checkins = [series.CheckinRecord(TODAY - timedelta(days=i), rng.randint(2, 9),
                                     rng.randint(0, 8)) for i in range(95)]
    return {"episodes": episodes, "checkins": checkins, "recovery_start": date(2025, 12, 1),
            "use_days": [date(2026, 2, 14)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    t = load().default
    person = busy_person(random.Random(9))
    tz = ZoneInfo("Europe/Berlin")
    results: dict[str, dict[str, float]] = {}
    cold_ms = None
    for days in series.RANGES:
        data = series.build(today=TODAY, days=days, tz=tz, **person)  # type: ignore[arg-type]
        labels = chart_labels(t, data)
        times, cpu = [], []
        for _ in range(args.rounds + (1 if cold_ms is None else 0)):
            started, cpu_started = time.perf_counter(), time.process_time()
            png = chart.render(data, labels)
            elapsed = (time.perf_counter() - started) * 1000
            if cold_ms is None:
                cold_ms = elapsed
                continue
            times.append(elapsed)
            cpu.append((time.process_time() - cpu_started) * 1000)
        ordered = sorted(times)
        results[f"{days} days"] = {
            "episodes": len(data.episodes), "png_kb": round(len(png) / 1024, 1),
            "mean": statistics.mean(times), "p50": statistics.median(times),
            "p95": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
            "max": ordered[-1], "cpu_p50": statistics.median(cpu)}
    print(f"chart {chart.WIDTH}x{chart.HEIGHT} px, {args.rounds} rounds each, "
          f"{platform.machine()}, Python {platform.python_version()}")
    print(f"{'range':10} {'episodes':>8} {'PNG KB':>7} {'mean ms':>8} {'p50 ms':>7} "
          f"{'p95 ms':>7} {'max ms':>7} {'CPU p50 ms':>10}")
    for name, r in results.items():
        print(f"{name:10} {r['episodes']:8.0f} {r['png_kb']:7.1f} {r['mean']:8.1f} "
              f"{r['p50']:7.1f} {r['p95']:7.1f} {r['max']:7.1f} {r['cpu_p50']:10.1f}")
    print(f"first chart of the process (cold): {cold_ms:.0f} ms")
    worst_p95 = max(r["p95"] for r in results.values())
    print(json.dumps({"bench": "chart_render", "rounds": args.rounds,
                      "cold_ms": round(cold_ms or 0, 1), "worst_p95_ms": round(worst_p95, 1),
                      "target_ms": 300, "ok": worst_p95 <= 300,
                      "ranges": {k: {m: round(v, 1) for m, v in r.items()}
                                 for k, r in results.items()}}))


if __name__ == "__main__":
    main()
