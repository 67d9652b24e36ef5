"""Process death: SIGKILL the real bot process in the middle of a check-in fan-out and
start it again (bench/kill_fanout.py runs the same with 10,000 people)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.kill_fanout import run


@pytest.mark.slow
def test_sigkill_mid_fan_out_loses_none_and_repeats_only_what_was_in_flight(
        tmp_path: Path) -> None:
    result = run(people=200, kill_after=60, workdir=tmp_path, limit=120)
    assert result.delivered_at_kill >= 60  # killed mid-way: there was a fan-out to cut
    assert result.delivered_at_kill < 200
    assert result.lost == 0
    assert result.duplicates <= result.in_flight_at_kill + result.failed_sends
    assert result.in_flight_at_kill <= 16 + 100  # workers plus one batch of outcomes
