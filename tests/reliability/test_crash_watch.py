"""Crash safety of the watcher: a watching process killed with SIGKILL at random moments
(by a condition: a seeded number of requests answered by the sandbox since it started) and
restarted until it ends by itself, nothing watched any more.

What is proven, against a sandbox whose simulated recipients walk every invoice to a final
status: every tracked invoice ends final in the store, with its last status the sandbox's;
its stored history is a subsequence of the sandbox's true history, never the same status
twice in a row; the file passes ``PRAGMA integrity_check``. With two watching processes on
one store (both killed and restarted), no invoice is read by both at the same time.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from crash_support import (
    WALK_TO_FINAL,
    RequestWatch,
    create_store,
    job_config,
    run_one,
    run_pair,
)

from factpulse_chorus import SQLiteStore, TrackedInvoice
from factpulse_chorus.sandbox import Fault, ThreadedSandbox

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the children are forked")
LIFE: dict[str, Any] = {
    **WALK_TO_FINAL,
    "clock_speed": 0.0,  # frozen: the watchers' sleeps move it (crash_child.SimTime)
    "routing_delay": (600.0, 1800.0),
    "auto_process_delay": (600.0, 3600.0),
    # Half the requests are held a moment after they are counted: some kills land while
    # a read is in the sandbox's hands.
    "faults": [Fault("latency", delay=0.01, probability=0.3)],
    "log_requests": True,  # counted by RequestWatch
}
INVOICES = 12
KILLS = 12  # per test
PAIR_KILLS = 3  # of the first process of the pair; the other one runs the whole job
PAIR_SPEED = 5_000.0  # simulated seconds per second, for the pair
PAIR_LEASE = 2 * 3600.0  # simulated: 1.4 s, far longer than a read takes
DEADLINE = 120.0  # wall seconds for one test's whole job


def watch_config(
    sandbox: ThreadedSandbox, db: Path, ids: list[int], **extra: Any
) -> dict[str, Any]:
    # Simulated seconds: intervals (base, max) and lease.
    settings = {"interval": [600.0, 3600.0], "concurrency": 4, "lease": 600.0, **extra}
    return job_config("watch", sandbox.url, db, ids=ids, **settings)


def now(sandbox: ThreadedSandbox) -> Callable[[], dict[str, Any]]:
    """``Restarter.run(starting=)``: each child starts from the sandbox's time."""
    return lambda: {"now": sandbox.clock.timestamp()}


def seed(sandbox: ThreadedSandbox, count: int) -> list[int]:
    return [
        sandbox.domain.seed_invoice(status="DEPOSEE", invoice_number=f"CW-{n:04d}")
        for n in range(count)
    ]


async def stored(db: Path, ids: list[int]) -> tuple[dict[int, TrackedInvoice | None], str]:
    async with SQLiteStore(db) as store:
        rows = {invoice_id: await store.get(invoice_id) for invoice_id in ids}
        return rows, await store.check_integrity()


def is_subsequence(part: list[str], whole: list[str]) -> bool:
    items = iter(whole)
    return all(any(code == other for other in items) for code in part)


def check_outcome(sandbox: ThreadedSandbox, db: Path, ids: list[int]) -> None:
    rows, integrity = asyncio.run(stored(db, ids))
    assert integrity == "ok"
    for invoice_id in ids:
        row = rows[invoice_id]
        assert row is not None, f"invoice {invoice_id} is not tracked"
        snapshot = sandbox.domain.invoice_snapshot(invoice_id)
        assert snapshot is not None
        truth = [step["code"] for step in snapshot["history"]]
        seen = [step.status for step in row.history]
        context = f"invoice {invoice_id}: stored {seen}, sandbox {truth}"
        assert row.final, context
        assert not row.gave_up, context
        assert row.status == truth[-1] == seen[-1], context
        assert is_subsequence(seen, truth), context
        assert all(a != b for a, b in itertools.pairwise(seen)), context


@pytest.mark.parametrize("run", range(4))
def test_killed_watcher_resumes_to_every_final_status(
    run: int,
    tmp_path: Path,
    chorus_sandbox_factory: Callable[..., ThreadedSandbox],
    record_property: Callable[[str, object], None],
) -> None:
    sandbox = chorus_sandbox_factory(seed=100 + run, **LIFE)
    ids = seed(sandbox, INVOICES)
    db = tmp_path / "watch.db"
    restarter = run_one(
        watch_config(sandbox, db, ids),
        tmp_path,
        RequestWatch(),
        name=f"crash-watch:{run}",
        deadline=DEADLINE,
        kills=KILLS,
        max_step=8,
        starting=now(sandbox),
    )
    record_property("kills", restarter.kills)
    assert restarter.kills == KILLS
    check_outcome(sandbox, db, ids)


def reads_at_once(log: Path, killed_at: dict[int, float]) -> list[str]:
    """The reads of one invoice that overlapped in time, from the children's reads log (a
    read a kill cut short lasts until its process was gone)."""
    started: dict[tuple[int, int], list[float]] = {}
    spans: dict[int, list[tuple[float, float, int]]] = {}
    for line in log.read_text().splitlines():
        kind, reader, invoice, at = line.split()
        key = (int(reader), int(invoice))
        if kind == "start":
            started.setdefault(key, []).append(float(at))
        else:
            spans.setdefault(key[1], []).append((started[key].pop(0), float(at), key[0]))
    for (pid, invoice_id), starts in started.items():
        spans.setdefault(invoice_id, []).extend((at, killed_at[pid], pid) for at in starts)
    overlaps = []
    for invoice_id, reads in spans.items():
        reads.sort()
        busy_until, busy_by = reads[0][1], reads[0][2]
        for start, end, pid in reads[1:]:
            if start < busy_until:
                overlaps.append(f"invoice {invoice_id}: read by {busy_by} and {pid} at once")
            if end > busy_until:
                busy_until, busy_by = end, pid
    return overlaps


def running(sandbox: ThreadedSandbox, processes: int) -> Callable[[], dict[str, Any]]:
    """``Restarter.run(starting=)`` for ``processes`` run together: the sandbox's clock is
    frozen until each has its first process ready (an interpreter's start-up would be
    simulated hours), then runs; each process gets it as it starts."""
    ready = threading.Barrier(processes)
    first = threading.local()

    def starting() -> dict[str, Any]:
        if not getattr(first, "done", False):
            first.done = True
            if ready.wait(timeout=DEADLINE) == 0:
                sandbox.clock.speed = PAIR_SPEED
            ready.wait(timeout=DEADLINE)
        before = time.monotonic()
        timestamp = sandbox.clock.timestamp()
        return {"running": [PAIR_SPEED, timestamp, (before + time.monotonic()) / 2]}

    return starting


def test_two_watchers_on_one_store_never_read_one_invoice_at_once(
    tmp_path: Path,
    chorus_sandbox_factory: Callable[..., ThreadedSandbox],
    record_property: Callable[[str, object], None],
) -> None:
    # The clock runs here, the watchers sleep for real: a lease is waited out in real time,
    # as in production (on a clock the watchers' sleeps moved, one waiting for the other's
    # lease would jump past it while that read is still in flight).
    sandbox = chorus_sandbox_factory(seed=200, **LIFE)
    ids = seed(sandbox, 2 * INVOICES)
    db, log = tmp_path / "watch.db", tmp_path / "reads.log"
    # Two reads at a time each: one process cannot hold every invoice due.
    config = watch_config(sandbox, db, ids, lease=PAIR_LEASE, reads_log=str(log), concurrency=2)
    create_store(db)
    restarters = run_pair(
        config,
        tmp_path,
        RequestWatch(),
        name="crash-watch-pair",
        deadline=DEADLINE,
        kills=(PAIR_KILLS, 0),
        min_step=30,
        max_step=80,
        starting=running(sandbox, 2),
    )
    killed_at = {pid: at for r in restarters for pid, at in r.killed_at.items()}
    assert reads_at_once(log, killed_at) == []
    readers = Counter(int(line.split()[1]) for line in log.read_text().splitlines())
    shares = [sum(readers[pid] for pid in r.pids) for r in restarters]
    lives = [(r.kills, [round(life, 2) for life in r.lives]) for r in restarters]
    assert min(shares) > 0, (shares, lives)  # both did their share
    record_property("kills", restarters[0].kills)
    assert restarters[0].kills >= 1  # the other may finish the job before all its kills
    check_outcome(sandbox, db, ids)
