"""The blocking ``InvoiceWatcher`` through ``ChorusClient``, and bad arguments refused
naming the parameter before anything is sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dual_client import Refused
from watch_support import reads, seed, sim_time

from factpulse_chorus import (
    AsyncChorusClient,
    BlockingWatchRun,
    ChorusClient,
    FinalStatus,
    InvoiceWatcher,
    PollFinished,
    RequestValidationError,
    SQLiteStore,
)
from factpulse_chorus.sandbox import ThreadedSandbox


def test_the_blocking_watcher_tracks_runs_once_and_runs(
    life_sandbox: ThreadedSandbox, db_path: Path
) -> None:
    sandbox = life_sandbox
    ids = seed(sandbox, 10)
    with (
        SQLiteStore(db_path) as store,
        ChorusClient(base_url=sandbox.url, email="demo", password="demo", max_retries=0) as client,
    ):
        watcher = client.factures.watch(store, **sim_time(sandbox))
        assert isinstance(watcher, InvoiceWatcher)
        assert watcher.window == 8
        assert watcher.track(ids) == 10
        assert watcher.run_once().requests == 10
        with watcher.run() as run:
            assert isinstance(run, BlockingWatchRun)
            events = list(run)
        assert isinstance(events[-1], PollFinished)
        assert events[-1].summary == run.summary
        assert sorted(e.invoice_id for e in events if isinstance(e, FinalStatus)) == sorted(ids)
        assert sum(reads(sandbox).values()) == 10 + run.summary.requests
        with pytest.raises(RequestValidationError) as info:
            watcher.track(["7"])  # type: ignore[list-item]
        assert info.value.field == "invoice_ids[0]"
        with watcher:
            pass  # leaving `with` releases the leases; the watcher stays usable
        assert watcher.run_once().requests == 0
        watcher.close()


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"concurrency": 0}, "concurrency"),
        ({"concurrency": 2.5}, "concurrency"),
        ({"max_requests": 0}, "max_requests"),
        ({"max_requests": "10"}, "max_requests"),
        ({"max_rate": 0}, "max_rate"),
        ({"lease": -1.0}, "lease"),
        ({"lease": float("inf")}, "lease"),
        ({"owner": " "}, "owner"),
        ({"owner": 12}, "owner"),
        ({"max_errors": 0}, "max_errors"),
        ({"policy": {"DEPOSEE": (1, 2)}}, "policy"),
        ({"clock": 3}, "clock"),
        ({"sleep": "later"}, "sleep"),
    ],
)
async def test_watch_refuses_bad_options_naming_them(
    client: Any, refused: Refused, store: SQLiteStore, options: dict[str, Any], field: str
) -> None:
    await refused(lambda: client.factures.watch(store, **options), field)


async def test_watch_refuses_what_is_not_a_store(client: Any, refused: Refused) -> None:
    await refused(lambda: client.factures.watch("watch.db"), "store")


@pytest.mark.parametrize(
    ("ids", "field"),
    [
        ("12", "invoice_ids"),
        (12, "invoice_ids"),
        ([1, "2"], "invoice_ids[1]"),
        ([0], "invoice_ids"),
    ],
)
async def test_track_refuses_ids_that_are_not_positive_integers(
    chorus_sandbox: ThreadedSandbox, store: SQLiteStore, ids: Any, field: str
) -> None:
    async with AsyncChorusClient(base_url=chorus_sandbox.url, email="demo", password="demo") as c:
        watcher = c.factures.watch(store)
        with pytest.raises(RequestValidationError) as info:
            await watcher.track(ids)
        assert info.value.field == field
        with pytest.raises(RequestValidationError) as info:
            watcher.run(once="yes")  # type: ignore[arg-type]
        assert info.value.field == "once"
        with pytest.raises(RequestValidationError) as info:
            watcher.run(until="tomorrow")  # type: ignore[arg-type]
        assert info.value.field == "until"
    assert await store.watched_count() == 0
