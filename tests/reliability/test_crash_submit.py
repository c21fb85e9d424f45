"""Crash safety of the submission ledger: a process submitting a batch through
``soumettre(store=)`` killed with SIGKILL at random moments (by a condition: a seeded number
of requests answered by the sandbox since it started) and restarted (``reconcile`` first)
until it ends by itself, every number created in the ledger; and two processes submitting
the same batch on one store.

What is proven from the sandbox's own counters: every number was created exactly once
(``invoices_created``), and no submission of a number already created ever reached it
(``duplicate_numbers_refused`` stays 0: the ledger, not the server's refusal, kept it from
being sent again). The ledger holds each number as created with the sandbox's id, and the
file passes ``PRAGMA integrity_check``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from crash_support import RequestWatch, create_store, job_config, run_one, run_pair

from factpulse_chorus import SQLiteStore, Submission, SubmissionState
from factpulse_chorus.sandbox import Fault, ThreadedSandbox

SUBMIT = "factures/soumettre"
LOOKUP = "factures/rechercher-fournisseur"
FAULTS = [
    # Every request is held a moment after it is counted: a kill at a count lands while the
    # sandbox has the request, so a submission may still be created after its sender died.
    Fault("latency", delay=0.02),
    # Answered by nothing though processed: the ledger's safe_retry look-up, while alive.
    Fault("drop_after", route=SUBMIT, probability=0.2),
]
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the children are forked")
BATCH = 10
KILLS = 8  # per test
DEADLINE = 120.0  # wall seconds for one test's whole job


def submit_config(
    sandbox: ThreadedSandbox, db: Path, numbers: list[str], **extra: Any
) -> dict[str, Any]:
    # Real seconds. A number a killed process left sent is taken over once its lease
    # (lease + 2 settle periods) has run out, then looked up until settle s after it was
    # sent: long enough for a request already written to have landed.
    settings = {"lease": 0.5, "settle": 0.3, "concurrency": 4, **extra}
    return job_config("submit", sandbox.url, db, numbers=numbers, **settings)


async def ledger(db: Path, numbers: list[str]) -> tuple[dict[str, Submission | None], str]:
    async with SQLiteStore(db) as store:
        rows = {number: await store.submission("", number) for number in numbers}
        return rows, await store.check_integrity()


def check_outcome(sandbox: ThreadedSandbox, db: Path, numbers: list[str]) -> None:
    counters = sandbox.domain.counters
    assert counters["invoices_created"] == len(numbers)
    assert counters["duplicate_numbers_refused"] == 0
    created: dict[str, list[int]] = {}
    for invoice_id in sandbox.domain.invoice_ids():
        snapshot = sandbox.domain.invoice_snapshot(invoice_id)
        assert snapshot is not None
        created.setdefault(snapshot["invoice_number"], []).append(invoice_id)
    assert sorted(created) == sorted(numbers)
    rows, integrity = asyncio.run(ledger(db, numbers))
    assert integrity == "ok"
    for number in numbers:
        row = rows[number]
        assert row is not None, number
        assert row.state is SubmissionState.CREATED, row
        assert [row.invoice_id] == created[number], row


# What a kill's count is of: every request (kills anywhere: mostly around the uploads), or
# only the submissions and look-ups (every kill at a submission the sandbox holds or has
# just answered: the row is left sent, the invoice created or not).
COUNTED: dict[str, tuple[str, ...]] = {
    "anywhere": (),
    "at-submissions": (SUBMIT, LOOKUP),
}


@pytest.mark.parametrize(
    ("run", "counted"), [(0, "anywhere"), (1, "at-submissions"), (2, "at-submissions")]
)
def test_killed_submitter_creates_each_number_once(
    run: int,
    counted: str,
    tmp_path: Path,
    chorus_sandbox_factory: Callable[..., ThreadedSandbox],
    record_property: Callable[[str, object], None],
) -> None:
    sandbox = chorus_sandbox_factory(seed=300 + run, faults=FAULTS, log_requests=True)
    numbers = [f"CS{run}-{n:03d}" for n in range(BATCH)]
    db = tmp_path / "ledger.db"
    restarter = run_one(
        submit_config(sandbox, db, numbers),
        tmp_path,
        RequestWatch(*COUNTED[counted]),
        name=f"crash-submit:{run}",
        deadline=DEADLINE,
        kills=KILLS,
        max_step=6 if counted == "anywhere" else 2,
    )
    record_property("kills", restarter.kills)
    requests_seen = sandbox.stats()["requests"]
    record_property("requests", requests_seen)
    assert restarter.kills == KILLS
    if counted == "at-submissions":  # numbers were left sent: the next processes looked
        assert LOOKUP in requests_seen  # them up before sending anything again
    check_outcome(sandbox, db, numbers)


def test_two_submitters_of_one_batch_create_each_number_once(
    tmp_path: Path,
    chorus_sandbox_factory: Callable[..., ThreadedSandbox],
    record_property: Callable[[str, object], None],
) -> None:
    sandbox = chorus_sandbox_factory(seed=400, faults=FAULTS, log_requests=True)
    numbers = [f"CP-{n:03d}" for n in range(2 * BATCH)]
    db = tmp_path / "ledger.db"
    # Both alive at once: the lease must outlast any request in flight on a loaded machine
    # (the ledger's stated limit), so the pair is killed less often, with a longer lease.
    config = submit_config(sandbox, db, numbers, lease=3.0)
    create_store(db)
    restarters = run_pair(
        config,
        tmp_path,
        RequestWatch(),
        name="crash-submit-pair",
        deadline=DEADLINE,
        kills=(2, 2),
        max_step=15,
    )
    record_property("kills", sum(r.kills for r in restarters))
    assert sum(r.kills for r in restarters) >= 1  # one may finish the job before its kills
    check_outcome(sandbox, db, numbers)
