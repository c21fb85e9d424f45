"""A fleet on one PostgreSQL store (issue 16): worker PROCESSES (``fleet_child.py``) watching
the same invoices, or submitting the same batch, at once, against a sandbox in this process
whose simulated recipients walk every invoice to a final status.

What is proven, from the store and from the server's side (the sandbox's request timeline,
``Sandbox(record_timeline=True)``): every invoice ends final in the store; no invoice was
ever read by two requests overlapping in time; 4 workers make as many calls as one doing the
same job, within 5% (the same sandbox seed, so the same invoices and the same histories);
one worker killed with SIGKILL mid-run loses nothing (its leases run out and the others take
over); the fleet's rate stays within its shared :class:`RateBudget`; a batch submitted by 4
workers at once is created once, number by number.

The clock of the watching jobs: LOCKSTEP simulated time (``fleet_support.Lockstep``).
The sandboxes' clocks are frozen and set to one time; the test alone moves them, and the
workers' (``fleet_child.Lockstep``: a new time on stdin), once every live worker has said
it is idle, that is, everything it claimed is recorded and nothing due is left unclaimed.
So every read happens at a tick's simulated time whatever the machine's load, the
reference and the fleet at the same ticks, and their calls differ only by the workers'
jitter (seeded) and the killed worker's claims, read again once their lease has run out
(:data:`LOCKSTEP_LEASE`, simulated: it never runs out under a live worker, time standing
still while it reads). A tick moves :data:`QUANTUM` at least, further when no worker waits
for anything sooner. The budget test alone runs on a running clock (``BUDGET_SPEED``
times real time): it measures requests per wall second.

Sizes: 10,000 invoices (``FACTPULSE_FLEET_INVOICES`` sets another number; about 2 calls
an invoice, read at the pace the machine allows: more invoices only take longer, the counts
do not depend on the speed).
"""

from __future__ import annotations

import asyncio
import functools
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from crash_support import WALK_TO_FINAL, RequestWatch
from fleet_support import Lockstep, read_at_once, run_fleet, running, seed, stored, track
from postgres_server import create_database, drop_database, server_url

from factpulse_chorus import PostgresStore, SubmissionState
from factpulse_chorus.sandbox import ThreadedSandbox
from factpulse_chorus.sandbox._timeline import busiest

READ = "factures/consulter"
WORKERS = 4
CONCURRENCY = 32  # reads in flight at most, the job's workers together
INVOICES = int(os.environ.get("FACTPULSE_FLEET_INVOICES", "10000"))
INTERVAL = (1800.0, 3600.0)  # simulated seconds: the policy's base and longest wait
SPREAD = 1800.0  # simulated seconds over which the invoices are first due
LIFE: dict[str, Any] = {
    **WALK_TO_FINAL,
    # A life shorter than the policy's base interval: most invoices are read twice, in
    # DEPOSEE and then final (the job's size is its invoices, not reads of the same ones).
    "routing_delay": (300.0, 900.0),
    "auto_process_delay": (60.0, 300.0),
    "record_timeline": True,
}
FINAL = {"MISE_EN_PAIEMENT", "REJETEE", "REFUSEE", "MANDATEE"}
LEASE = 1800.0  # simulated: 0.5 s at BUDGET_SPEED, far longer than a claimed batch takes
# Lockstep: simulated time stands still while anything claimed is being read, so a short
# lease never runs out under a live worker; the killed one's claims come back that soon.
LOCKSTEP_LEASE = 300.0
QUANTUM = 60.0  # simulated seconds a lockstep tick moves at least: 2-3% of an interval
DEADLINE = 240.0  # wall seconds for one fleet's job (10,000 invoices: 10-30 s)
CALLS_TOLERANCE = 0.05
# The budget test: a fleet that would read hundreds a second held to BUDGET_RATE (wall).
BUDGET_INVOICES = 200
BUDGET_SPEED = 3600.0
BUDGET_RATE = 50.0  # calls per wall second: per_second=BUDGET_RATE / BUDGET_SPEED
BUDGET_BURST = 10
TRANSIT = 0.3  # wall seconds a granted call may take to reach the server (loaded machine)
BATCH = 200  # numbers submitted by every worker at once
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX processes and signals")


@pytest.fixture(scope="module")
def postgres_cluster() -> Iterator[str]:
    """A real PostgreSQL server for this module (its superuser's URL)."""
    with server_url() as url:
        yield url


@attrs.frozen
class Env:
    """What every test here uses: its folder, fresh databases, sandboxes, its figures."""

    folder: Path
    database: Callable[[], str]  # the URL of a fresh database on each call
    sandbox: Callable[..., ThreadedSandbox]
    record: Callable[[str, object], None]


@pytest.fixture
def env(
    tmp_path: Path,
    postgres_cluster: str,
    chorus_sandbox_factory: Callable[..., ThreadedSandbox],
    record_property: Callable[[str, object], None],
) -> Iterator[Env]:
    made: list[str] = []

    def database() -> str:
        made.append(create_database(postgres_cluster))
        return made[-1]

    yield Env(tmp_path, database, chorus_sandbox_factory, record_property)
    for url in made:
        drop_database(postgres_cluster, url)


def watch_jobs(
    factory: Callable[..., ThreadedSandbox],
    jobs: list[tuple[str, int]],
    logs: Path,
    *,
    invoices: int = INVOICES,
    speed: float | None = None,
    spread: float = SPREAD,
    kill_after: int | None = None,
    **extra: Any,
) -> tuple[list[ThreadedSandbox], list[dict[str, Any] | None]]:
    """Whole jobs run at once, each ``(database URL, workers)`` on a fresh sandbox (seed
    16: the same invoices and histories): ``invoices`` seeded and tracked, then the
    workers, every one started together, until nothing is watched; each sandbox, and each
    worker's figures in order. In lockstep (every job at the same simulated times) unless
    a ``speed`` is given for the sandboxes' running clocks. With ``kill_after``, the last
    job's first worker is killed once its sandbox has answered that many reads."""
    sandboxes: list[ThreadedSandbox] = []
    for n in range(len(jobs)):
        logging = kill_after is not None and n == len(jobs) - 1  # RequestWatch counts it
        sandboxes.append(factory(seed=16, clock_speed=0.0, log_requests=logging, **LIFE))
    # Frozen clocks set to one time before the invoices are made: the same histories.
    lockstep = None if speed is not None else Lockstep(sandboxes, quantum=QUANTUM)
    configs: list[dict[str, Any]] = []
    for n, ((db, workers), sandbox) in enumerate(zip(jobs, sandboxes, strict=True)):
        track(db, seed(sandbox, invoices), sandbox.clock.timestamp(), spread=spread)
        config = {"mode": "watch", "url": sandbox.url, "db": db, "job": n, **extra}
        # The same reads in flight at most for one worker as for the fleet together.
        config.update(interval=list(INTERVAL), concurrency=CONCURRENCY // workers)
        config["lease"] = LEASE if lockstep is None else LOCKSTEP_LEASE
        configs.extend({**config, "seed": 100 * n + k} for k in range(workers))

    def go() -> list[dict[str, Any]]:
        """Every sandbox's clock set going (or the lockstep's start), as every worker is
        ready."""
        if lockstep is not None:
            return [{"lockstep": lockstep.now}] * len(configs)
        assert speed is not None  # no lockstep: running clocks
        for sandbox in sandboxes:
            sandbox.clock.speed = speed
        clocks = [running(sandbox) for sandbox in sandboxes]
        return [{"running": clocks[config["job"]]} for config in configs]

    run = functools.partial(run_fleet, configs, logs, deadline=DEADLINE, go=go, lockstep=lockstep)
    if kill_after is None:
        return sandboxes, run()
    victim = len(configs) - jobs[-1][1]
    with RequestWatch(READ) as reads:
        signal_fd = reads.after(kill_after)
        try:
            figures = run(kill=(signal_fd, victim))
        finally:
            os.close(signal_fd)
    return sandboxes, figures


def check_final(db: str, invoices: int) -> dict[str | None, int]:
    counts, watched = stored(db)
    assert watched == 0, counts
    assert sum(counts.values()) == invoices, counts
    assert set(counts) <= FINAL, counts
    return counts


def test_four_workers_share_the_job_with_one_killed(env: Env) -> None:
    alone_db, fleet_db = env.database(), env.database()
    # The reference (one worker) and the fleet run at the same time, each on its own
    # sandbox: the same machine's load for both.
    (alone, fleet), figures = watch_jobs(
        env.sandbox,
        [(alone_db, 1), (fleet_db, WORKERS)],
        env.folder,
        kill_after=2 * INVOICES // 3,  # about a third of the fleet's reads
    )
    figures = figures[1:]
    reference, reads = alone.timeline(READ), fleet.timeline(READ)
    check_final(alone_db, INVOICES)
    counts = check_final(fleet_db, INVOICES)

    assert figures[0] is None, "worker 0 finished before it could be killed"
    assert all(f is not None and f["requests"] > 0 for f in figures[1:]), figures
    assert read_at_once(reads) == []
    assert read_at_once(reference) == []
    ratio = len(reads) / len(reference)
    for name, value in {
        "invoices": INVOICES,
        "calls_alone": len(reference),
        "calls_fleet": len(reads),
        "ratio": round(ratio, 4),
        "span_alone": round(reference[-1].end - reference[0].start, 1),
        "span_fleet": round(reads[-1].end - reads[0].start, 1),
        "peak_rate_alone": busiest(reference),
        "peak_rate_fleet": busiest(reads),
        "final": counts,
    }.items():
        env.record(name, value)
    assert abs(ratio - 1) <= CALLS_TOLERANCE, (len(reads), len(reference))


def test_four_workers_stay_within_their_shared_budget(env: Env) -> None:
    db = env.database()
    # The budget counts in the workers' clock: simulated seconds, SPEED of them a second.
    budget = {"per_second": BUDGET_RATE / BUDGET_SPEED, "burst": BUDGET_BURST}
    (sandbox,), figures = watch_jobs(
        env.sandbox,
        [(db, WORKERS)],
        env.folder,
        invoices=BUDGET_INVOICES,
        speed=BUDGET_SPEED,
        spread=0.0,  # all due at once: far more than the budget allows
        budget=budget,
    )
    check_final(db, BUDGET_INVOICES)
    reads = sandbox.timeline(READ)
    assert read_at_once(reads) == []
    peak, peak_5s = busiest(reads, window=1.0), busiest(reads, window=5.0)
    env.record("peak_rate", peak)
    env.record("peak_5s", peak_5s)
    env.record("calls", len(reads))
    # Granted in any W seconds: BUDGET_RATE × W + the burst; a call granted up to TRANSIT
    # before a window may reach the server in it.
    for window, most in ((1.0, peak), (5.0, peak_5s)):
        assert most <= BUDGET_RATE * (window + TRANSIT) + BUDGET_BURST, (window, most)
    assert peak >= BUDGET_RATE * 0.8, f"the budget never held the fleet back ({peak}/s)"
    assert sum(f["requests"] for f in figures if f is not None) == len(reads)


async def ledger_rows(db: str, numbers: list[str]) -> dict[str, Any]:
    async with PostgresStore(db) as store:
        return {number: await store.submission("", number) for number in numbers}


def test_four_workers_submit_one_batch_each_number_created_once(env: Env) -> None:
    db = env.database()
    sandbox = env.sandbox(seed=17, record_requests=True)
    numbers = [f"FLEET-{n:04d}" for n in range(BATCH)]
    config = {"mode": "submit", "url": sandbox.url, "db": db, "numbers": numbers}
    began = time.monotonic()
    figures = run_fleet([{**config, "concurrency": 8}] * WORKERS, env.folder, deadline=DEADLINE)
    env.record("wall", round(time.monotonic() - began, 1))
    sent = [f["sent"] for f in figures if f is not None]
    env.record("sent_by_worker", sent)

    counters = sandbox.domain.counters
    assert counters["invoices_created"] == BATCH
    assert counters["duplicate_numbers_refused"] == 0  # the ledger kept every copy home
    assert sum(sent) == BATCH
    assert sum(1 for n in sent if n > 0) >= 2, sent  # the workers shared the batch
    rows = asyncio.run(ledger_rows(db, numbers))
    ids = set()
    for number, row in rows.items():
        assert row is not None, number
        assert row.state is SubmissionState.CREATED, row
        ids.add(row.invoice_id)
    assert len(ids) == BATCH
    assert len(sandbox.received("factures/soumettre")) == BATCH
