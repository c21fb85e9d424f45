"""factures.consulter_many and factures.poll against the sandbox on a fast clock."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from factpulse_chorus import AsyncChorusClient, ChorusClient, ChorusProBusinessError
from factpulse_chorus._polling import InvoicePoller
from factpulse_chorus._types import RequestInfo
from factpulse_chorus.models.common import InvoiceStatusCode
from factpulse_chorus.models.factures import (
    FinalStatus,
    PollError,
    PollEvent,
    PollFinished,
    StatusChanged,
)
from factpulse_chorus.sandbox import Fault, ThreadedSandbox

Factory = Callable[..., ThreadedSandbox]
FAST_LIFE = {
    "clock_speed": 200_000.0,
    "auto_process": True,
    "routing_delay": (60.0, 600.0),
    "auto_process_delay": (600.0, 3600.0),
    "auto_suspend_rate": 0.0,  # a suspended invoice waits for the supplier forever
    "auto_reject_rate": 0.1,
}
UNKNOWN = 9_999_999


def client_for(sandbox: ThreadedSandbox, **options: Any) -> AsyncChorusClient:
    return AsyncChorusClient(base_url=sandbox.url, email="demo", password="demo", **options)


@pytest.fixture
async def sandbox_client(
    chorus_sandbox: ThreadedSandbox,
) -> AsyncIterator[tuple[ThreadedSandbox, AsyncChorusClient]]:
    async with client_for(chorus_sandbox) as client:
        yield chorus_sandbox, client


# --- consulter_many --------------------------------------------------------------------------


async def test_consulter_many_keeps_order_and_reports_errors_per_id(
    chorus_sandbox: ThreadedSandbox,
) -> None:
    ids = [chorus_sandbox.domain.seed_invoice(invoice_number=f"MANY-{n}") for n in range(9)]
    asked = [ids[0], UNKNOWN, *ids[1:]]
    in_flight = 0
    most = 0

    def started(_info: Any) -> None:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)

    def ended(_raw: Any) -> None:
        nonlocal in_flight
        in_flight -= 1

    async with client_for(chorus_sandbox, on_request=started, on_response=ended) as client:
        await client.factures.consulter(ids[0])  # log in first: the hooks see API calls only
        most = 0
        results = await client.factures.consulter_many(asked, concurrency=3)
    assert [r.invoice_id for r in results] == asked
    assert most <= 3
    assert not results[1].ok
    assert isinstance(results[1].error, ChorusProBusinessError)
    assert results[1].response is None
    for result in (results[0], *results[2:]):
        assert result.ok
        assert result.response is not None
        assert result.response.invoice_id == result.invoice_id


async def test_consulter_many_of_nothing(
    sandbox_client: tuple[ThreadedSandbox, AsyncChorusClient],
) -> None:
    _, client = sandbox_client
    assert await client.factures.consulter_many([]) == []


# --- poll ------------------------------------------------------------------------------------


async def test_poll_2000_invoices_with_429_and_503(chorus_sandbox_factory: Factory) -> None:
    sandbox = chorus_sandbox_factory(seed=7, **FAST_LIFE)
    ids = [
        sandbox.domain.seed_invoice(status="DEPOSEE", invoice_number=f"POLL-{n:04d}")
        for n in range(2000)
    ]
    sandbox.add_fault(
        Fault("status", status=429, retry_after=0.05, route="factures/consulter", probability=0.01)
    )
    sandbox.add_fault(Fault("status", status=503, route="factures/consulter", probability=0.03))
    tasks_before = len(asyncio.all_tasks())
    events: list[PollEvent] = []
    # The poller retries by itself: the transport must not hide the faults (max_retries=0).
    async with client_for(sandbox, max_retries=0) as client:
        poller = InvoicePoller(
            client.factures.consulter, ids, interval=0.05, max_interval=0.3, concurrency=32
        )
        async with poller:
            async for event in poller:
                events.append(event)
    assert len(asyncio.all_tasks()) == tasks_before

    finals = [e for e in events if isinstance(e, FinalStatus)]
    assert sorted(e.invoice_id for e in finals) == sorted(ids)  # each exactly once
    for event in finals:
        assert event.status.is_final
        snapshot = sandbox.domain.invoice_snapshot(event.invoice_id)
        assert snapshot is not None
        assert InvoiceStatusCode(snapshot["status"]) == event.status
    assert isinstance(events[-1], PollFinished)
    summary = events[-1].summary
    assert summary == poller.summary
    assert sum(summary.final.values()) == len(ids)
    assert set(summary.final) <= {InvoiceStatusCode.MISE_EN_PAIEMENT, InvoiceStatusCode.REJETEE}
    assert summary.pending == ()
    assert summary.failed == ()

    errors = [e for e in events if isinstance(e, PollError)]
    assert summary.errors == len(errors) > 0
    assert summary.rate_limited > 0
    consulter = sandbox.stats()["requests"]["factures/consulter"]
    assert summary.requests == sum(consulter.values())
    assert consulter.get("fault:status:429", 0) == summary.rate_limited
    # No busy polling: about one read per invoice and status change, plus the retries.
    assert summary.requests <= 4 * len(ids)
    first_seen = Counter(e.invoice_id for e in events if isinstance(e, StatusChanged))
    assert set(first_seen) == set(ids)


async def test_poll_follows_changes_with_backoff(chorus_sandbox_factory: Factory) -> None:
    sandbox = chorus_sandbox_factory(seed=3, **{**FAST_LIFE, "clock_speed": 20_000.0})
    ids = [sandbox.domain.seed_invoice(status="DEPOSEE") for _ in range(40)]
    async with client_for(sandbox) as client:
        poller = InvoicePoller(client.factures.consulter, ids, interval=0.02, max_interval=0.2)
        async with poller:
            events = [event async for event in poller]
    changes = [e for e in events if isinstance(e, StatusChanged)]
    assert changes[0].previous is None
    by_invoice: dict[int, list[StatusChanged]] = {}
    for change in changes:
        by_invoice.setdefault(change.invoice_id, []).append(change)
    for seen in by_invoice.values():
        # Each change starts from the status reported before it.
        assert [c.previous for c in seen[1:]] == [c.current for c in seen[:-1]]
    assert sum(len(seen) for seen in by_invoice.values()) > len(ids)  # real transitions seen
    summary = poller.summary
    assert sum(summary.final.values()) == len(ids)
    assert summary.requests <= 20 * len(ids)


async def test_break_cleans_up_every_task(chorus_sandbox_factory: Factory) -> None:
    sandbox = chorus_sandbox_factory(seed=1)
    ids = [sandbox.domain.seed_invoice() for _ in range(100)]  # never final here
    polls: list[int] = []  # counted where requests start: one in flight may land later

    def started(info: RequestInfo) -> None:
        if info.url.endswith("/factures/consulter"):
            polls.append(info.attempt)

    async with client_for(sandbox, on_request=started) as client:
        await client.factures.consulter(ids[0])
        before = len(asyncio.all_tasks())
        async for _event in client.factures.poll(ids, interval=0.01, concurrency=8):
            break
        # The dropped poller cancels its workers; they unwind within a few loop turns.
        for _ in range(1000):  # at most 10 s, for a loaded machine
            if len(asyncio.all_tasks()) == before:
                break
            await asyncio.sleep(0.01)
        assert len(asyncio.all_tasks()) == before
        stopped = len(polls)
        await asyncio.sleep(0.1)  # a span in which a live worker would start requests
        assert len(polls) == stopped

        async with client.factures.poll(ids, interval=0.01) as poller:
            async for _event in poller:
                break
        assert len(asyncio.all_tasks()) == before  # at once with `async with`
        assert len(poller.summary.pending) == len(ids)


async def test_cancelling_the_consumer_stops_the_workers(chorus_sandbox_factory: Factory) -> None:
    sandbox = chorus_sandbox_factory(seed=1)
    ids = [sandbox.domain.seed_invoice() for _ in range(20)]
    async with client_for(sandbox) as client:
        await client.factures.consulter(ids[0])
        before = len(asyncio.all_tasks())

        async def consume() -> None:
            async with client.factures.poll(ids, interval=0.01) as poller:
                async for _event in poller:
                    pass

        task = asyncio.ensure_future(consume())
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert len(asyncio.all_tasks()) == before


async def test_deadline_ends_the_poll(chorus_sandbox_factory: Factory) -> None:
    sandbox = chorus_sandbox_factory(seed=2)
    ids = [sandbox.domain.seed_invoice() for _ in range(10)]  # A_VALIDER_1: nobody validates
    async with client_for(sandbox) as client:
        started = time.monotonic()
        events = [
            e
            async for e in client.factures.poll(ids, interval=0.02, max_interval=0.05, deadline=0.3)
        ]
    assert 0.25 < time.monotonic() - started < 10  # ended by the deadline, not by the poll
    assert isinstance(events[-1], PollFinished)
    summary = events[-1].summary
    assert summary.pending == tuple(ids)
    assert summary.final == {}
    assert summary.requests <= 10 * len(ids)  # ~7 reads each at most, never a busy loop


async def test_an_unknown_invoice_is_given_up_without_stopping_the_others(
    chorus_sandbox_factory: Factory,
) -> None:
    sandbox = chorus_sandbox_factory(seed=4)
    good = sandbox.domain.seed_invoice(status="MISE_EN_PAIEMENT")
    async with client_for(sandbox) as client:
        events = [
            e
            async for e in client.factures.poll(
                [UNKNOWN, good], interval=0.01, max_interval=0.02, max_errors=3
            )
        ]
    errors = [e for e in events if isinstance(e, PollError)]
    assert [e.gave_up for e in errors] == [False, False, True]
    assert all(isinstance(e.error, ChorusProBusinessError) for e in errors)
    summary = events[-1].summary  # type: ignore[union-attr]
    assert summary.failed == (UNKNOWN,)
    assert summary.final == {InvoiceStatusCode.MISE_EN_PAIEMENT: 1}
    assert summary.requests == 4


async def test_max_rate_caps_requests_per_second(chorus_sandbox_factory: Factory) -> None:
    sandbox = chorus_sandbox_factory(seed=2)
    ids = [sandbox.domain.seed_invoice() for _ in range(30)]
    async with client_for(sandbox) as client:
        await client.factures.consulter(ids[0])
        poller = client.factures.poll(ids, interval=0.01, max_rate=50.0, deadline=0.5)
        events = [e async for e in poller]
    summary = events[-1].summary  # type: ignore[union-attr]
    assert 15 <= summary.requests <= 30  # 50/s for 0.5 s


async def test_rejects_bad_arguments(
    sandbox_client: tuple[ThreadedSandbox, AsyncChorusClient],
) -> None:
    _, client = sandbox_client
    from factpulse_chorus import RequestValidationError

    for kwargs in (
        {"interval": 0},
        {"concurrency": 0},
        {"backoff": 0.5},
        {"jitter": 1.0},
        {"interval": 10.0, "max_interval": 1.0},
        {"max_rate": -1.0},
        {"final_statuses": ()},
    ):
        with pytest.raises(RequestValidationError):
            client.factures.poll([1234567], **kwargs)
    with pytest.raises(RequestValidationError, match="invoice_ids"):
        client.factures.poll([0])


def test_sync_poll(chorus_sandbox: ThreadedSandbox) -> None:
    ids = [chorus_sandbox.domain.seed_invoice(status="REJETEE") for _ in range(3)]
    with ChorusClient(base_url=chorus_sandbox.url, email="demo", password="demo") as client:
        events = list(client.factures.poll(ids, interval=0.01))
    assert sorted(e.invoice_id for e in events if isinstance(e, FinalStatus)) == sorted(ids)
    assert isinstance(events[-1], PollFinished)


async def test_poll_of_nothing(sandbox_client: tuple[ThreadedSandbox, AsyncChorusClient]) -> None:
    _, client = sandbox_client
    events = [e async for e in client.factures.poll([], interval=0.01)]
    assert len(events) == 1
    assert isinstance(events[0], PollFinished)
    assert events[0].summary.requests == 0


def test_sync_break_stops_the_workers(chorus_sandbox: ThreadedSandbox) -> None:
    """Counted where the requests start (the client's ``on_request`` hook), not where they
    end: a request already in flight at the close may reach the server's counters later."""
    ids = [chorus_sandbox.domain.seed_invoice() for _ in range(20)]  # never final
    polls: list[int] = []  # one item per attempt the pollers start

    def started(info: RequestInfo) -> None:
        if info.url.endswith("/factures/consulter"):
            polls.append(info.attempt)

    def no_poll_starts_during(window: float) -> bool:
        # Proving that nothing happens takes a span of time: a live worker (interval 0.01 s)
        # would start several requests in it.
        before = len(polls)
        time.sleep(window)
        return len(polls) == before

    with ChorusClient(
        base_url=chorus_sandbox.url, email="demo", password="demo", on_request=started
    ) as client:
        for _event in client.factures.poll(ids, interval=0.01, concurrency=4):
            break  # the iterator is dropped here, in this thread
        # Dropping it asks the client's loop to cancel the workers; a call made now runs on
        # that loop after the cancellation, so no worker survives past its return.
        assert client.structures.consulter(25827464).structure_id == 25827464
        assert polls
        assert no_poll_starts_during(0.1)
        with client.factures.poll(ids, interval=0.01) as events:  # closed on leaving
            next(events)
        assert no_poll_starts_during(0.1)  # leaving ``with`` waited for the workers


def test_polling_always_has_an_overall_time_limit_by_default() -> None:
    """REFERENCE §10.3: some recipients never report MISE_EN_PAIEMENT; never poll forever."""
    import inspect

    from factpulse_chorus.resources.factures import AsyncFactures

    for function in (AsyncFactures.poll, InvoicePoller.__init__):
        default = inspect.signature(function).parameters["deadline"].default
        assert isinstance(default, float)
        assert 0 < default <= 90 * 24 * 3600
