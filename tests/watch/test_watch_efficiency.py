"""Issue 15, efficiency (small scale of benchmarks/bench_watch.py): on the sandbox's frozen
simulated clock, moved only by the readers' sleep, the watcher detects status changes sooner
than a fixed-interval loop making as many reads. Deterministic: the lives are seeded, the
watcher's jitter too (``seed=``), so a run replays exactly and the margin is no timing luck."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import _watch_life as life

INVOICES, SEED = 50, 15
MARGIN = 2.0  # the goal; seeds 1, 2, 3, 7, 15, 42 give 2.06-2.69 at 50 invoices, this one 2.69


def test_the_watcher_detects_sooner_than_a_fixed_loop_at_equal_calls() -> None:
    watcher = life.run_watcher(INVOICES, SEED)
    assert watcher["finals"] == INVOICES  # every invoice followed to its end
    assert watcher["undetected"] == 0
    interval, fixed = life.match_calls(INVOICES, SEED, watcher["reads"])
    assert abs(fixed["reads"] - watcher["reads"]) <= 0.03 * watcher["reads"]
    assert fixed["finals"] == INVOICES
    assert fixed["median_delay"] >= MARGIN * watcher["median_delay"], (watcher, fixed)
    # The bisection's loop runs through the domain: over HTTP it reads and sees the same.
    assert life.run_fixed_http(INVOICES, SEED, interval) == fixed


def test_a_seeded_run_replays_exactly() -> None:
    assert life.run_watcher(20, SEED) == life.run_watcher(20, SEED)
