"""The watcher under overload and beside another watcher: the batch-wide pause on 429, the
AIMD window, two watchers (two clients, one store file) never reading one invoice at once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from watch_support import (
    CONSULTER,
    is_subsequence,
    reads,
    sandbox_history,
    seed,
    sim_time,
)

from factpulse_chorus import (
    AsyncChorusClient,
    AsyncInvoiceWatcher,
    FactPulseError,
    PollError,
    RateLimitError,
    SQLiteStore,
)
from factpulse_chorus.models.factures import FacturesConsulterResponse
from factpulse_chorus.sandbox import Fault, ThreadedSandbox


async def test_a_429_pauses_the_whole_run_for_its_retry_after(
    life_sandbox: ThreadedSandbox, life_client: AsyncChorusClient, store: SQLiteStore
) -> None:
    sandbox = life_sandbox
    ids = seed(sandbox, 12)
    sandbox.add_fault(Fault("status", status=429, retry_after=120.0, route=CONSULTER, count=1))
    log: list[tuple[str, float]] = []  # ("start" | "429", simulated time), in order

    async def fetch(invoice_id: int) -> FacturesConsulterResponse:
        log.append(("start", sandbox.clock.timestamp()))
        try:
            return await life_client.factures.consulter(invoice_id)
        except RateLimitError:
            log.append(("429", sandbox.clock.timestamp()))
            raise

    watcher = AsyncInvoiceWatcher(fetch, store, concurrency=4, **sim_time(sandbox))
    await watcher.track(ids)
    summary = await watcher.run_once()
    assert summary.rate_limited == summary.errors == 1
    limited = next(i for i, (what, _) in enumerate(log) if what == "429")
    paused_at = log[limited][1]
    later = [when for what, when in log[limited + 1 :] if what == "start"]
    assert later  # the run went on after the pause, in the same run_once
    assert all(when >= paused_at + 120.0 for when in later)
    # The rate-limited invoice waits out the pause, then the next run reads it.
    unread = [i for i in ids if (t := await store.get(i)) is not None and t.status is None]
    assert len(unread) == 1
    limited_invoice = await store.get(unread[0])
    assert limited_invoice is not None
    assert limited_invoice.errors == 1
    assert limited_invoice.next_check >= paused_at + 120.0
    assert (await watcher.run_once()).requests == 1
    for invoice_id in ids:
        tracked = await store.get(invoice_id)
        assert tracked is not None
        assert tracked.status is not None
        assert tracked.errors == 0


async def test_the_window_halves_on_429_and_503_and_grows_back(
    life_sandbox: ThreadedSandbox, life_client: AsyncChorusClient, store: SQLiteStore
) -> None:
    sandbox = life_sandbox
    ids = seed(sandbox, 80)
    watcher: list[AsyncInvoiceWatcher] = []
    windows: list[int] = []

    async def fetch(invoice_id: int) -> FacturesConsulterResponse:
        try:
            return await life_client.factures.consulter(invoice_id)
        finally:  # the window as the answers come in (halved after the first 503)
            windows.append(watcher[0].window)

    watcher.append(AsyncInvoiceWatcher(fetch, store, concurrency=8, **sim_time(sandbox)))
    await watcher[0].track(ids)
    sandbox.add_fault(Fault("status", status=503, route=CONSULTER, count=3))
    first = await watcher[0].run_once()
    assert first.errors == 3
    assert min(windows) <= 4  # halved (once for the three answers of one window)
    assert watcher[0].window == 8  # and grown back, one per window of successes
    windows.clear()
    sandbox.add_fault(Fault("status", status=429, retry_after=1.0, route=CONSULTER, count=1))
    sandbox.clock.advance(2 * 86_400.0)
    second = await watcher[0].run_once()
    assert second.rate_limited == 1
    assert min(windows) <= 4
    assert windows[-1] == watcher[0].window == 8


async def test_errors_are_retried_later_then_given_up(
    life_sandbox: ThreadedSandbox, life_client: AsyncChorusClient, store: SQLiteStore
) -> None:
    sandbox = life_sandbox
    missing = 9_999_999  # the sandbox answers a business error for it
    watcher = life_client.factures.watch(store, max_errors=3, **sim_time(sandbox))
    await watcher.track([missing])
    events = []
    async with watcher.run() as run:
        events = [event async for event in run]
    errors = [event for event in events if isinstance(event, PollError)]
    assert [event.gave_up for event in errors] == [False, False, True]
    assert all(isinstance(event.error, FactPulseError) for event in errors)
    tracked = await store.get(missing)
    assert tracked is not None
    assert tracked.gave_up
    assert tracked.last_error is not None
    assert events[-1].summary.failed == (missing,)  # type: ignore[union-attr]


async def test_two_watchers_on_one_file_never_read_one_invoice_at_once(
    chorus_sandbox_factory: Callable[..., ThreadedSandbox], db_path: Path
) -> None:
    # The simulated clock runs here (20 000× real time), and the watchers sleep for real:
    # a lease (an hour) must outlast a read, as it does on a real clock.
    speed = 20_000.0
    sandbox = chorus_sandbox_factory(
        seed=5,
        clock_speed=speed,
        auto_process=True,
        routing_delay=(60.0, 600.0),
        auto_process_delay=(600.0, 3600.0),
        auto_suspend_rate=0.0,
        record_requests=True,
    )
    sandbox.add_fault(Fault("latency", delay=0.003, route=CONSULTER))  # reads overlap
    ids = seed(sandbox, 40)
    in_flight: set[int] = set()
    overlaps: list[int] = []
    per_watcher = [0, 0]

    def fetcher(client: AsyncChorusClient, index: int) -> Any:
        async def fetch(invoice_id: int) -> FacturesConsulterResponse:
            if invoice_id in in_flight:
                overlaps.append(invoice_id)
            in_flight.add(invoice_id)
            per_watcher[index] += 1
            try:
                return await client.factures.consulter(invoice_id)
            finally:
                in_flight.discard(invoice_id)

        return fetch

    async def real_sleep(seconds: float) -> None:
        await asyncio.sleep(seconds / speed)

    async def follow(index: int) -> None:
        async with (
            SQLiteStore(db_path) as store,  # one store object each, as two processes
            AsyncChorusClient(base_url=sandbox.url, email="demo", password="demo") as client,
        ):
            watcher = AsyncInvoiceWatcher(
                fetcher(client, index),
                store,
                lease=3600.0,
                clock=sandbox.clock.timestamp,
                sleep=real_sleep,
            )
            await watcher.track(ids)
            async with watcher.run() as run:
                async for _event in run:
                    pass

    await asyncio.gather(follow(0), follow(1))
    assert overlaps == []
    assert min(per_watcher) > 0  # both did their share
    assert sum(per_watcher) == sum(reads(sandbox).values())
    async with SQLiteStore(db_path) as store:
        assert await store.watched_count() == 0
        for invoice_id in ids:
            tracked = await store.get(invoice_id)
            assert tracked is not None
            truth = sandbox_history(sandbox, invoice_id)
            assert tracked.status == truth[-1]
            assert is_subsequence([s.status for s in tracked.history], truth)
