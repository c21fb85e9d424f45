"""Helpers of tests/ledger: clients on the sandbox, and the sandbox's invoices by number."""

from __future__ import annotations

import contextlib
import time
from typing import Any

from dual_client import dual_client

from factpulse_chorus import SQLiteStore, Submission
from factpulse_chorus._config import RetryPolicy
from factpulse_chorus.sandbox import Sandbox, ThreadedSandbox

ROUTE = "factures/soumettre"
LOOKUP = "factures/rechercher-fournisseur"
FAST = RetryPolicy(base_delay=0.0, max_delay=0.0, jitter=0.0)


def client_for(sandbox: Sandbox, kind: str) -> contextlib.AbstractAsyncContextManager[Any]:
    """The demo account's client of ``kind``: no Chorus Pro credentials, so supplier ``""``."""
    return dual_client(kind, base_url=sandbox.url, email="demo", password="demo", retry_policy=FAST)


def numbers_in_domain(sandbox: Sandbox | ThreadedSandbox) -> dict[str, list[int]]:
    """The sandbox's invoices by number: number -> every invoice id created with it."""
    found: dict[str, list[int]] = {}
    for invoice_id in sandbox.domain.invoice_ids():
        snapshot = sandbox.domain.invoice_snapshot(invoice_id)
        assert snapshot is not None
        found.setdefault(snapshot["invoice_number"], []).append(invoice_id)
    return found


async def ledger_row(store: SQLiteStore, number: str, supplier: str = "") -> Submission:
    """The ledger's row of ``number`` (it must exist)."""
    row = await store.submission(supplier, number)
    assert row is not None, number
    return row


async def held_elsewhere(store: SQLiteStore, number: str) -> None:
    """``number`` reserved by another process whose lease is still running."""
    await store.reserve("", number, owner="another-process", now=time.time(), lease=600.0)
