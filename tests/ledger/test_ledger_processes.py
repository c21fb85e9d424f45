"""Two OS processes, each with its own client (one async, one blocking), submit the same 50
numbers through one store: each invoice is created once, the other process is refused."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from ledger_support import ROUTE, numbers_in_domain
from process_support import run_together

from factpulse_chorus import SQLiteStore, SubmissionState
from factpulse_chorus.sandbox import sandbox_in_thread

SUBMITTER = Path(__file__).with_name("submitter.py")
NUMBERS = [f"TWO-{index:02d}" for index in range(50)]


def run_two(url: str, db: Path) -> list[dict[str, list[Any]]]:
    # Opposite orders: they meet in the middle, each finding the other's numbers taken.
    orders = (("async", NUMBERS), ("sync", NUMBERS[::-1]))
    return run_together(
        [[sys.executable, str(SUBMITTER), url, str(db), kind, *order] for kind, order in orders]
    )


async def ledger_rows(db: Path) -> dict[str, tuple[SubmissionState, int | None]]:
    async with SQLiteStore(db) as store:
        return {
            row.invoice_number: (row.state, row.invoice_id) for row in await store.submissions()
        }


def test_two_processes_create_each_number_once(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    with sandbox_in_thread(seed=3, record_requests=True, routing_delay=(0, 0)) as sandbox:
        outcomes = run_two(sandbox.url, db)
        created = sandbox.domain.counters["invoices_created"]
        by_number = numbers_in_domain(sandbox)
        submissions = len(sandbox.received(ROUTE))
    assert created == 50
    assert submissions == 50  # a refused duplicate never went on the wire
    assert sorted(by_number) == NUMBERS
    rows = asyncio.run(ledger_rows(db))
    for number in NUMBERS:
        [invoice_id] = by_number[number]  # one invoice per number on the sandbox
        kinds = sorted(outcome[number][0] for outcome in outcomes)
        assert kinds == ["created", "duplicate"], (number, [o[number] for o in outcomes])
        [winner] = [o[number] for o in outcomes if o[number][0] == "created"]
        [loser] = [o[number] for o in outcomes if o[number][0] == "duplicate"]
        assert winner[1] == invoice_id
        assert loser[1] in ("created", "reserved", "sent")
        if loser[1] == "created":
            assert loser[2] == invoice_id
        assert rows[number] == (SubmissionState.CREATED, invoice_id)
