"""A submitting process for test_ledger_processes: ``python submitter.py URL DB KIND NUMBER...``.

Opens its own client (``KIND``: ``async`` or ``sync``) and the store at ``DB``, prints
``ready``, waits for a line on stdin, submits every number through the ledger and prints one
JSON object: number -> ``["created", invoice_id]`` or ``["duplicate", state, invoice_id]``
(any other error is printed too, and anything but a FactPulseError crashes the process).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: payloads

from payloads import invoice

from factpulse_chorus import (
    AsyncChorusClient,
    ChorusClient,
    DuplicateSubmissionError,
    FactPulseError,
    SQLiteStore,
)
from factpulse_chorus._config import RetryPolicy

Outcome = list[Any]
OPTIONS: dict[str, Any] = {
    "email": "demo",
    "password": "demo",
    "retry_policy": RetryPolicy(base_delay=0.0, max_delay=0.0, jitter=0.0),
    "trust_env": False,
}


@contextlib.contextmanager
def recording(outcomes: dict[str, Outcome], number: str) -> Iterator[list[int]]:
    """Records the outcome of submitting ``number``: the invoice id the block appends, or
    the SDK error it raises."""
    created: list[int] = []
    try:
        yield created
    except DuplicateSubmissionError as error:
        outcomes[number] = ["duplicate", error.state.value, error.invoice_id]
    except FactPulseError as error:
        outcomes[number] = ["error", f"{type(error).__name__}: {error}"]
    else:
        outcomes[number] = ["created", *created]


async def run_async(url: str, store: SQLiteStore, numbers: list[str]) -> dict[str, Outcome]:
    outcomes: dict[str, Outcome] = {}
    async with AsyncChorusClient(base_url=url, **OPTIONS) as client:
        # Logged in, connected and the store opened before "ready": both start at full speed.
        await client.factures.rechercher_fournisseur(invoice_number="WARM-UP")
        await store.submissions()
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        gate = asyncio.Semaphore(8)

        async def one(number: str) -> None:
            async with gate:
                with recording(outcomes, number) as created:
                    sent = await client.factures.soumettre(**invoice(number), store=store)
                    created.append(sent.invoice_id)

        await asyncio.gather(*(one(number) for number in numbers))
    return outcomes


def run_sync(url: str, store: SQLiteStore, numbers: list[str]) -> dict[str, Outcome]:
    outcomes: dict[str, Outcome] = {}
    with ChorusClient(base_url=url, **OPTIONS) as client:
        client.factures.rechercher_fournisseur(invoice_number="WARM-UP")
        asyncio.run(store.submissions())
        print("ready", flush=True)
        sys.stdin.readline()
        for number in numbers:
            with recording(outcomes, number) as created:
                sent = client.factures.soumettre(**invoice(number), store=store)
                created.append(sent.invoice_id)
    return outcomes


def main() -> None:
    url, db, kind, *numbers = sys.argv[1:]
    with SQLiteStore(db) as store:
        if kind == "async":
            outcomes = asyncio.run(run_async(url, store, numbers))
        else:
            outcomes = run_sync(url, store, numbers)
    print(json.dumps(outcomes), flush=True)


if __name__ == "__main__":
    main()
