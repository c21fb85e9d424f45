"""Helpers of tests/watch: a sandbox life on a frozen simulated clock that moves only when a
watcher sleeps (so days of simulated time take a moment), and what the sandbox saw."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from factpulse_chorus.sandbox import ThreadedSandbox

LIFE: dict[str, Any] = {
    "clock_speed": 0.0,  # frozen: only the watchers' injected sleep moves it
    "auto_process": True,
    "routing_delay": (60.0, 600.0),
    "auto_process_delay": (600.0, 3 * 3600.0),
    "auto_suspend_rate": 0.0,  # a suspended invoice would wait for the supplier forever
    "auto_reject_rate": 0.1,
    "record_requests": True,
}
CONSULTER = "factures/consulter"


def sim_sleep(sandbox: ThreadedSandbox) -> Callable[[float], Awaitable[None]]:
    """A watcher's ``sleep``: moves the sandbox's clock on instead of waiting."""

    async def sleep(seconds: float) -> None:
        sandbox.clock.advance(max(0.0, seconds))
        await asyncio.sleep(0)

    return sleep


def sim_time(sandbox: ThreadedSandbox) -> dict[str, Any]:
    """A watcher's ``clock`` and ``sleep`` on the sandbox's simulated time."""
    return {"clock": sandbox.clock.timestamp, "sleep": sim_sleep(sandbox)}


def reads(sandbox: ThreadedSandbox) -> Counter[int]:
    """``factures/consulter`` requests the sandbox accepted, per invoice id."""
    return Counter(entry["body"]["chorusInvoiceId"] for entry in sandbox.received(CONSULTER))


def seed(sandbox: ThreadedSandbox, count: int, prefix: str = "W") -> list[int]:
    return [
        sandbox.domain.seed_invoice(status="DEPOSEE", invoice_number=f"{prefix}-{n:04d}")
        for n in range(count)
    ]


def sandbox_history(sandbox: ThreadedSandbox, invoice_id: int) -> list[str]:
    snapshot = sandbox.domain.invoice_snapshot(invoice_id)
    assert snapshot is not None
    return [step["code"] for step in snapshot["history"]]


def is_subsequence(part: list[str], whole: list[str]) -> bool:
    items = iter(whole)
    return all(any(code == other for other in items) for code in part)
