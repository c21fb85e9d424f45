"""Fleet throughput (issue 16): calls per second of 1 to 4 watcher processes sharing one
PostgreSQL store, against one sandbox with no rate budget, and what bounds the scaling.

    python benchmarks/bench_fleet.py [--invoices 4000] [--rounds 3] [--max-workers 4]

Each run: ``invoices`` fresh invoices seeded in the sandbox (its clock frozen: their status
never changes) and tracked in a fresh database, all due; ``n`` worker processes
(``tests/reliability/fleet_child.py``, 8 reads in flight each, started together once each is
logged in and connected) run ``factures.watch(store).run(once=True)``: claim what is due,
read it, record it, until nothing is due. Calls per second: the sandbox's own count of
``factures/consulter`` reads (its request timeline) over the time from the first read's
start to the last one's end. CPU per component over the run, from ``/proc/PID/stat``: the
sandbox (this process: it serves from a thread while the main one waits), the workers
(their own ``getrusage``), PostgreSQL (the postmaster and its backends, the ended ones
counted through the postmaster's ``cutime``). Rounds interleaved, the order of the worker
counts rotated each round; figures are medians. Nothing is pinned: on 2 cores the sandbox,
PostgreSQL and the workers share them, which is the point.
"""

from __future__ import annotations

import itertools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from _common import rotated, standalone  # noqa: E402

READ = "factures/consulter"
_RUNS = itertools.count()  # a prefix of invoice numbers per run


def _postgres_pids(postmaster: int) -> list[int]:
    pids = [postmaster]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(stat[1]) == postmaster:
                pids.append(int(entry))
    return pids


def _postgres_cpu(postmaster: int | None) -> float | None:
    """CPU seconds of the server so far (its backends, live or ended), if it runs here."""
    from fleet_support import cpu_seconds

    if postmaster is None:
        return None
    total = 0.0
    for pid in _postgres_pids(postmaster):
        try:
            total += cpu_seconds(pid, children=pid == postmaster)  # ended backends
        except OSError:  # a backend that ended meanwhile: counted by the postmaster now
            continue
    return total


def _machine() -> tuple[int, int]:
    """The machine's busy and total CPU ticks so far (``/proc/stat``, every core)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields) - idle, sum(fields)


def one_run(sandbox: Any, server: str, postmaster: int | None, workers: int, invoices: int) -> Any:
    from fleet_support import cpu_seconds, run_fleet, seed, track
    from postgres_server import create_database, drop_database

    db = create_database(server)
    try:
        track(db, seed(sandbox, invoices, prefix=f"B{next(_RUNS)}"), 0.0)
        config = {
            "mode": "watch",
            "once": True,
            "url": sandbox.url,
            "db": db,
            "interval": [3600.0, 3600.0],
            "concurrency": 8,
            "lease": 600.0,
            "running": [1.0, time.time(), time.monotonic()],
        }
        sandbox_before, postgres_before = cpu_seconds(os.getpid()), _postgres_cpu(postmaster)
        machine = _machine()
        since = time.monotonic()
        with tempfile.TemporaryDirectory() as logs:
            figures = run_fleet([config] * workers, Path(logs), deadline=600.0)
        reads = sandbox.timeline(READ, since=since)
        span = max(r.end for r in reads) - min(r.start for r in reads)
        postgres = _postgres_cpu(postmaster)
        busy, total = (after - first for after, first in zip(_machine(), machine, strict=True))
        cpu = {
            "sandbox": cpu_seconds(os.getpid()) - sandbox_before,
            "workers": sum(f["cpu"] for f in figures if f is not None),
            "postgres": None
            if postgres is None or postgres_before is None
            else postgres - postgres_before,
        }
    finally:
        drop_database(server, db)
    return {
        "workers": workers,
        "calls": len(reads),
        "seconds": span,
        "calls_per_second": len(reads) / span,
        "cpu": cpu,  # seconds over the run, per component
        "cpu_share": {k: None if v is None else v / span for k, v in cpu.items()},
        "cpu_us_per_call": {k: None if v is None else v / len(reads) * 1e6 for k, v in cpu.items()},
        # The whole machine over the run (every process, ours and others'), in cores.
        "machine_busy": busy / total * (os.cpu_count() or 1) if total else None,
    }


def run(invoices: int = 4000, rounds: int = 3, max_workers: int = 4) -> dict[str, Any]:
    from postgres_server import Cluster, binaries

    from factpulse_chorus.sandbox import sandbox_in_thread

    given = os.environ.get("FACTPULSE_TEST_POSTGRES_URL")
    cluster = None
    if not given:
        folder = binaries()
        if folder is None:
            raise SystemExit("bench_fleet needs PostgreSQL's initdb and pg_ctl (see tests/)")
        cluster = Cluster(folder)
        cluster.start()
    try:
        server = given or cluster.url  # type: ignore[union-attr]
        postmaster = None
        if cluster is not None:
            postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
        counts = list(range(1, max_workers + 1))
        rows: list[dict[str, Any]] = []
        load = os.getloadavg()
        with sandbox_in_thread(seed=16, clock_speed=0.0, record_timeline=True) as sandbox:
            for number in range(rounds):
                for workers in rotated(counts, number):
                    rows.append(one_run(sandbox, server, postmaster, workers, invoices))
    finally:
        if cluster is not None:
            cluster.stop()
    return {
        "invoices": invoices,
        "rounds": rounds,
        "cores": os.cpu_count(),
        "load_before": load,
        "load_after": os.getloadavg(),
        "runs": rows,
    }


def _median(rows: list[dict[str, Any]], key: str, part: str | None = None) -> float | None:
    values = [row[key] if part is None else row[key][part] for row in rows]
    if any(value is None for value in values):
        return None
    return float(statistics.median(values))


def by_workers(figures: dict[str, Any]) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = {}
    for row in figures["runs"]:
        grouped.setdefault(row["workers"], []).append(row)
    return dict(sorted(grouped.items()))


def describe(figures: dict[str, Any]) -> None:
    grouped = by_workers(figures)
    base = _median(grouped[1], "calls_per_second") or 1.0
    load = ", ".join(f"{x:.1f}" for x in figures["load_before"])
    print(
        f"\nFleet throughput: {figures['invoices']} invoices a run, {figures['rounds']} rounds, "
        f"{figures['cores']} cores, load average before {load}; medians"
    )
    print(
        f"{'workers':>7} {'calls/s':>8} {'scaling':>8} {'machine busy':>13}"
        f" | CPU cores: {'sandbox':>7} {'workers':>7} {'postgres':>8}"
        f" | CPU µs/call: {'sandbox':>7} {'workers':>7} {'postgres':>8}"
    )

    def cell(value: float | None, width: int, digits: int) -> str:
        return f"{'n/a':>{width}}" if value is None else f"{value:>{width}.{digits}f}"

    for workers, rows in grouped.items():
        rate = _median(rows, "calls_per_second") or 0.0
        shares = [cell(_median(rows, "cpu_share", k), w, 2) for k, w in PARTS]
        costs = [cell(_median(rows, "cpu_us_per_call", k), w, 0) for k, w in PARTS]
        busy = cell(_median(rows, "machine_busy"), 7, 2)
        print(
            f"{workers:>7} {rate:>8.0f} {rate / base:>7.2f}x {busy} cores"
            f" |            {' '.join(shares)} |              {' '.join(costs)}"
        )


PARTS = (("sandbox", 7), ("workers", 7), ("postgres", 8))


def goals(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """No goal: the issue asks how throughput grows and what bounds it (see ``describe``)."""
    return []


if __name__ == "__main__":
    standalone(__doc__, run, table=describe, goals=goals, invoices=4000, rounds=3, max_workers=4)
