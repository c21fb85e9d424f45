"""The connection slots (``_session.Slots``): in turn, and a cancelled wait holds none.

The transport takes a slot before each attempt (issue 14 replaced ``asyncio.Semaphore``,
whose checks cost more per call, by this counter): the units below pin its order and
its cancellations; the last test waits for a slot over real HTTP until the timeout.
"""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from fake_server import EMAIL, PASSWORD, fake_server, json_response

from factpulse_chorus._client import AsyncChorusClient
from factpulse_chorus._exceptions import APITimeoutError
from factpulse_chorus._session import Slots


async def settle() -> None:
    """Let every ready task run up to its next wait (no timed sleep)."""
    for _ in range(10):
        await asyncio.sleep(0)


async def test_slots_are_given_in_order_of_arrival_and_never_to_a_newcomer_first() -> None:
    slots = Slots(1)
    assert slots.take()
    assert not slots.take()
    order: list[int] = []

    async def wait(number: int) -> None:
        await slots.acquire()
        order.append(number)

    waiters = [asyncio.create_task(wait(n)) for n in range(3)]
    await settle()
    slots.release()  # handed straight to waiter 0: a newcomer finds none free
    assert not slots.take()
    await settle()
    slots.release()
    await settle()
    slots.release()
    await asyncio.gather(*waiters)
    assert order == [0, 1, 2]
    slots.release()
    assert slots.take()  # the slot came back to the free ones


async def test_a_cancelled_wait_holds_no_slot_and_blocks_no_one() -> None:
    slots = Slots(1)
    assert slots.take()
    cancelled = asyncio.create_task(slots.acquire())
    second = asyncio.create_task(slots.acquire())
    await settle()
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    slots.release()
    await asyncio.wait_for(second, 5)  # the slot went past the cancelled wait
    slots.release()
    assert slots.take()


async def test_a_slot_handed_to_a_wait_cancelled_before_it_resumes_is_passed_on() -> None:
    slots = Slots(1)
    assert slots.take()
    first = asyncio.create_task(slots.acquire())
    second = asyncio.create_task(slots.acquire())
    await settle()
    slots.release()  # handed to `first`...
    first.cancel()  # ...which is cancelled before it runs again
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.wait_for(second, 5)
    assert not slots.take()  # `second` holds the only slot
    slots.release()
    assert slots.take()


async def test_waiting_for_a_free_connection_times_out_unsent() -> None:
    entered, release = asyncio.Event(), asyncio.Event()

    async def hold(request: web.Request) -> web.StreamResponse:
        entered.set()
        await release.wait()
        return json_response({"returnCode": 0, "message": "", "chorusInvoiceId": 1})

    async with fake_server() as (fake, url):
        fake.handler = hold
        async with AsyncChorusClient(
            base_url=url, email=EMAIL, password=PASSWORD, connection_limit=1
        ) as client:
            held = asyncio.create_task(client.factures.consulter(1))  # the only connection
            await entered.wait()
            with pytest.raises(APITimeoutError, match="waiting for a free connection"):
                await client.factures.consulter(2, timeout=0.05)
            release.set()
            held.cancel()
            await asyncio.gather(held, return_exceptions=True)
        assert fake.hits["factures/consulter"] == 1
