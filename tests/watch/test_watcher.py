"""The watcher over a real SQLiteStore file and the sandbox over HTTP: runs until every
invoice is final, the request budget, restarts on the same file."""

from __future__ import annotations

import asyncio
import gc
import itertools
from pathlib import Path

from watch_support import is_subsequence, reads, sandbox_history, seed, sim_time

from factpulse_chorus import (
    AsyncChorusClient,
    AsyncInvoiceWatcher,
    FinalStatus,
    PollFinished,
    SQLiteStore,
    StatusChanged,
    WatchPolicy,
)
from factpulse_chorus.models.factures import FacturesConsulterResponse
from factpulse_chorus.sandbox import ThreadedSandbox

DAY = 86_400.0


async def _tick(sandbox: ThreadedSandbox, store: SQLiteStore) -> None:
    """Cron: the next tick comes when the next invoice is due."""
    due = await store.next_due()
    assert due is not None
    sandbox.clock.advance(max(0.0, due - sandbox.clock.timestamp()))


async def test_run_once_on_each_tick_follows_every_invoice_to_its_final_status(
    life_sandbox: ThreadedSandbox, life_client: AsyncChorusClient, store: SQLiteStore
) -> None:
    sandbox = life_sandbox
    ids = seed(sandbox, 30)
    watcher = life_client.factures.watch(store, **sim_time(sandbox))
    assert isinstance(watcher, AsyncInvoiceWatcher)
    assert await watcher.track(ids) == 30
    assert await watcher.track(ids[:5]) == 0  # already tracked: left as they are
    ticks = 0
    while await store.watched_count():
        summary = await watcher.run_once()
        assert summary.errors == 0
        ticks += 1
        assert ticks < 400
        if await store.watched_count():
            await _tick(sandbox, store)
    counted = reads(sandbox)
    for invoice_id in ids:
        tracked = await store.get(invoice_id)
        assert tracked is not None
        assert tracked.final
        truth = sandbox_history(sandbox, invoice_id)
        seen = [step.status for step in tracked.history]
        assert tracked.status == seen[-1] == truth[-1]
        assert is_subsequence(seen, truth), (seen, truth)
        assert counted[invoice_id] == tracked.checks  # every read recorded
    assert sum(counted.values()) < 30 * 25  # adaptive: far fewer reads than a tight loop
    # Final invoices are never read again, however late the next tick.
    sandbox.clock.advance(60 * DAY)
    again = await watcher.run_once()
    assert again.requests == 0
    assert reads(sandbox) == counted


async def test_run_yields_the_poller_events_until_nothing_is_watched(
    life_sandbox: ThreadedSandbox, life_client: AsyncChorusClient, store: SQLiteStore
) -> None:
    sandbox = life_sandbox
    ids = seed(sandbox, 12)
    watcher = life_client.factures.watch(store, **sim_time(sandbox))
    await watcher.track(ids)
    changes: dict[int, list[str]] = {i: [] for i in ids}
    finals = []
    event = None
    async with watcher.run() as run:
        async for event in run:
            if isinstance(event, StatusChanged):
                assert isinstance(event.response, FacturesConsulterResponse)
                changes[event.invoice_id].append(event.current.value)
                previous = changes[event.invoice_id][-2:-1]
                assert (event.previous.value if event.previous else None) == (
                    previous[0] if previous else None
                )
            elif isinstance(event, FinalStatus):
                assert event.response.status.code == event.status
                finals.append(event.invoice_id)
    assert isinstance(event, PollFinished)
    assert sorted(finals) == sorted(ids)  # each exactly once
    assert sum(event.summary.final.values()) == len(ids)
    assert event.summary.pending == event.summary.failed == ()
    assert event.summary.requests == sum(reads(sandbox).values())
    for invoice_id in ids:
        tracked = await store.get(invoice_id)
        assert tracked is not None
        assert changes[invoice_id] == [step.status for step in tracked.history]


async def test_max_requests_is_the_budget_of_one_run(
    life_sandbox: ThreadedSandbox, life_client: AsyncChorusClient, store: SQLiteStore
) -> None:
    sandbox = life_sandbox
    ids = seed(sandbox, 30)
    watcher = life_client.factures.watch(store, max_requests=7, **sim_time(sandbox))
    await watcher.track(ids)
    first = await watcher.run_once()
    assert first.requests == 7
    assert sum(reads(sandbox).values()) == 7
    second = await watcher.run_once()  # each run has its own budget
    assert second.requests == 7
    assert sum(reads(sandbox).values()) == 14
    assert len(reads(sandbox)) == 14  # the next ones due, not the same again
    async with watcher.run() as run:
        events = [event async for event in run]
    assert isinstance(events[-1], PollFinished)
    assert events[-1].summary.requests == 7
    assert sum(reads(sandbox).values()) == 21


async def test_a_second_watcher_on_the_same_file_continues_where_the_first_stopped(
    life_sandbox: ThreadedSandbox, life_client: AsyncChorusClient, db_path: Path
) -> None:
    sandbox = life_sandbox
    ids = seed(sandbox, 10)
    held = asyncio.Event()
    gate = asyncio.Event()
    started: list[int] = []

    async def held_fetch(invoice_id: int) -> FacturesConsulterResponse:
        response = await life_client.factures.consulter(invoice_id)
        started.append(invoice_id)
        if len(started) > 10:  # after the first full round, the next reads wait here
            held.set()
            await gate.wait()
        return response

    options = sim_time(sandbox)
    async with SQLiteStore(db_path) as first_store:
        first = AsyncInvoiceWatcher(held_fetch, first_store, concurrency=4, **options)
        await first.track(ids)
        assert (await first.run_once()).requests == 10
        await _tick(sandbox, first_store)
        run = first.run()
        pulling = asyncio.ensure_future(run.__anext__())
        await held.wait()  # reads of the first watcher are in flight (leased)
        await first.aclose()  # stops them and releases the leases: no lease to wait out
        pulling.cancel()
        await asyncio.gather(pulling, return_exceptions=True)
    after_first = {i: (await _checks(db_path, i)) for i in ids}
    assert sum(after_first.values()) == 10  # what the first watcher read is kept

    async with SQLiteStore(db_path) as second_store:
        second = life_client.factures.watch(second_store, **options)
        assert second.owner != first.owner
        assert await second.track(ids) == 0  # nothing is new: the file remembers
        resumed = await second.run_once()
        assert resumed.requests >= 1  # the released invoices are due at once
        while await second_store.watched_count():
            await _tick(sandbox, second_store)
            await second.run_once()
        for invoice_id in ids:
            tracked = await second_store.get(invoice_id)
            assert tracked is not None
            assert tracked.final
            assert tracked.checks > after_first[invoice_id]
            truth = sandbox_history(sandbox, invoice_id)
            assert is_subsequence([s.status for s in tracked.history], truth)
            assert tracked.status == truth[-1]


async def _checks(path: Path, invoice_id: int) -> int:
    async with SQLiteStore(path) as store:
        tracked = await store.get(invoice_id)
        assert tracked is not None
        return tracked.checks


async def test_the_policy_sets_when_each_invoice_is_read_again(
    life_sandbox: ThreadedSandbox, life_client: AsyncChorusClient, store: SQLiteStore
) -> None:
    sandbox = life_sandbox
    routing = sandbox.domain.seed_invoice(status="DEPOSEE", invoice_number="P-1")
    suspended = sandbox.domain.seed_invoice(status="SUSPENDUE", invoice_number="P-2")
    policy = WatchPolicy(jitter=0.0)
    watcher = life_client.factures.watch(store, policy=policy, **sim_time(sandbox))
    await watcher.track([routing, suspended])
    now = sandbox.clock.timestamp()
    await watcher.run_once()
    fast = await store.get(routing)
    slow = await store.get(suspended)
    assert fast is not None
    assert slow is not None
    assert fast.next_check == now + 5 * 60.0
    assert slow.next_check == now + DAY  # waits for the supplier: once a day


async def test_a_run_dropped_after_break_stops_and_lets_the_next_run_go(
    life_sandbox: ThreadedSandbox, life_client: AsyncChorusClient, store: SQLiteStore
) -> None:
    sandbox = life_sandbox
    ids = seed(sandbox, 300)  # more than one claim (256): the first event comes with reads left
    watcher = life_client.factures.watch(store, concurrency=2, **sim_time(sandbox))
    await watcher.track(ids)
    async for _event in watcher.run():
        break  # the run is dropped unclosed: collecting it cancels its task
    gc.collect()
    await asyncio.sleep(0)
    summary = await asyncio.wait_for(watcher.run_once(), timeout=60)  # not stuck behind it
    assert summary.requests > 0
    for invoice_id in ids:
        tracked = await store.get(invoice_id)
        assert tracked is not None
        assert tracked.status is not None  # every invoice read, none left leased


async def test_run_ends_at_until_and_once_is_run_once_as_events(
    life_sandbox: ThreadedSandbox, life_client: AsyncChorusClient, store: SQLiteStore
) -> None:
    sandbox = life_sandbox
    ids = seed(sandbox, 6)
    starts: list[float] = []

    async def fetch(invoice_id: int) -> FacturesConsulterResponse:
        starts.append(sandbox.clock.timestamp())
        return await life_client.factures.consulter(invoice_id)

    # One at a time: the simulated sleeps of concurrent reads would add up, not overlap.
    watcher = AsyncInvoiceWatcher(fetch, store, concurrency=1, max_rate=0.01, **sim_time(sandbox))
    await watcher.track(ids)
    async with watcher.run(once=True) as run:
        events = [event async for event in run]
    assert isinstance(events[-1], PollFinished)
    assert events[-1].summary.requests == 6
    assert len([e for e in events if isinstance(e, StatusChanged)]) == 6
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert min(gaps) >= 100.0 - 1e-6  # max_rate: one request per 100 s
    until = sandbox.clock.timestamp() + 3600.0
    async with watcher.run(until=until) as run:
        events = [event async for event in run]
    assert isinstance(events[-1], PollFinished)
    assert sandbox.clock.timestamp() <= until + 100.0  # a read in flight may end later
    assert await store.watched_count() > 0  # an hour is too short for the payment path
