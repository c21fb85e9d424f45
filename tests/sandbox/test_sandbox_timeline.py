"""The sandbox's request timeline (``Sandbox(record_timeline=True)``): each API request's
route, invoice read, status and times, seen from the server; and the two questions asked of
it (reads of one invoice overlapping, requests per second)."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from sandbox_http_support import API, Client

from factpulse_chorus.sandbox import Fault, Sandbox, sandbox_in_thread
from factpulse_chorus.sandbox._timeline import TimelineEntry, busiest, overlapping, rates

READ = "factures/consulter"


async def test_the_timeline_is_opt_in(sandbox: Sandbox) -> None:
    with pytest.raises(RuntimeError, match="record_timeline=True"):
        sandbox.timeline()


async def test_each_request_is_recorded_with_its_route_invoice_status_and_times(
    session: aiohttp.ClientSession,
) -> None:
    async with Sandbox(seed=0, record_timeline=True) as sb:
        invoice_id = sb.domain.seed_invoice(status="DEPOSEE")
        client = Client(session, sb)
        before = time.monotonic()
        await client.ok(READ, {"chorusInvoiceId": invoice_id})
        await client.post(READ, {"chorusInvoiceId": "not a number"})  # 422: no invoice
        await client.services(25827464)
        async with session.post(sb.url + "/api/token/", json={}) as response:
            assert response.status == 422
        entries = sb.timeline()
    assert [(e.route, e.invoice_id, e.status) for e in entries] == [
        (READ, invoice_id, 200),
        (READ, None, 422),
        ("structures/services", None, 200),
        ("token", None, 422),
    ]
    assert all(before <= e.start <= e.end <= time.monotonic() for e in entries)
    assert [e.route for e in sb.timeline(READ)] == [READ, READ]
    assert sb.timeline(since=entries[2].start) == entries[2:]
    assert entries[0].to_dict()["invoice_id"] == invoice_id


async def test_control_routes_are_not_recorded(session: aiohttp.ClientSession) -> None:
    async with Sandbox(record_timeline=True) as sb:
        async with session.get(sb.url + "/_sandbox/stats") as response:
            assert response.status == 200
        async with session.post(sb.url + API + "nowhere", json={}) as response:
            assert response.status == 404
        assert sb.timeline() == []


async def test_reads_of_one_invoice_at_once_are_found(session: aiohttp.ClientSession) -> None:
    # Each request held 50 ms before it is processed: two sent together overlap.
    async with Sandbox(record_timeline=True, faults=[Fault("latency", delay=0.05)]) as sb:
        first, second = sb.domain.seed_invoice(), sb.domain.seed_invoice()
        client = Client(session, sb)
        await asyncio.gather(
            client.ok(READ, {"chorusInvoiceId": first}),
            client.ok(READ, {"chorusInvoiceId": first}),
            client.ok(READ, {"chorusInvoiceId": second}),
        )
        await client.ok(READ, {"chorusInvoiceId": second})  # after: no overlap
        found = overlapping(sb.timeline())
    assert [(a.invoice_id, b.invoice_id) for a, b in found] == [(first, first)]
    earlier, later = found[0]
    assert earlier.start <= later.start < earlier.end


def test_the_threaded_sandbox_keeps_a_limited_timeline_if_asked() -> None:
    with sandbox_in_thread(record_timeline=True, timeline_limit=2) as sb:
        invoice_id = sb.domain.seed_invoice()
        headers = {"Authorization": f"Bearer {sb.issue_token()}"}

        async def reads() -> None:
            async with aiohttp.ClientSession() as session:
                for _ in range(3):
                    url = sb.url + API + READ
                    async with session.post(
                        url, json={"chorusInvoiceId": invoice_id}, headers=headers
                    ) as response:
                        assert response.status == 200

        asyncio.run(reads())
        entries = sb.timeline(READ)
    assert len(entries) == 2  # the latest two
    assert entries[0].end <= entries[1].start
    with pytest.raises(ValueError, match="limit"):
        Sandbox(record_timeline=True, timeline_limit=0)


def entry(start: float, end: float | None = None, invoice_id: int | None = 1) -> TimelineEntry:
    return TimelineEntry(READ, invoice_id, 200, start, start + 0.01 if end is None else end)


def test_overlaps_rates_and_the_busiest_second() -> None:
    entries = [entry(0.0, 1.0), entry(0.2, 0.3), entry(0.5, 2.0), entry(1.5, 1.6, 2)]
    assert overlapping(entries) == [(entries[0], entries[1]), (entries[0], entries[2])]
    assert overlapping([entry(0.0, 1.0), entry(1.0, 2.0), entry(0.5, None, None)]) == []
    starts = [entry(t) for t in (0.0, 0.1, 0.95, 1.05, 1.1, 3.5)]
    assert rates(starts) == [3, 2, 0, 1]
    assert rates([]) == []
    assert busiest(starts) == 3  # 0.1 .. 1.05, or 0.95 .. 1.1: never 0.1 and 1.1 together
    assert busiest(starts, window=0.1) == 2  # 1.05, 1.1
    assert busiest([]) == 0
