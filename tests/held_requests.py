"""A server that holds API requests at a gate, to look at the client while they wait.

For the worker caps of ``factures.consulter_many`` and ``factures.poll`` (issue 14): the
first ``hold`` requests wait at the gate; once they all arrived, a test counts the SDK's
live worker tasks on the client's event loop, then opens the gate for good. The server
answers every ``factures/consulter`` with a final status, so a poll ends after one read
per invoice. Real HTTP on 127.0.0.1, the server in its own thread and loop (the blocking
client runs its loop in a thread of its own too).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar

import pytest
from aiohttp import web
from dual_client import BlockingAsAsync, ClientFactory
from fake_server import API_KEY, FakeFactPulse, json_response, serve_in_thread
from payloads import example

from factpulse_chorus._types import RequestInfo

WORKERS = frozenset({"AsyncFacturesReads.consulter_many.<locals>.worker", "Scheduler.work"})
"""The qualified names of the worker coroutines of ``consulter_many`` and of the poller."""

FINAL = "MISE_EN_PAIEMENT"
LIMIT = 4
IDS = list(range(1, 41))
"""Ten times more invoices than connections; the tests ask for ``concurrency=50``."""

T = TypeVar("T")

limited = pytest.mark.parametrize(
    "limits",
    [{"connection_limit": LIMIT}, {"connection_limit": 100, "connection_limit_per_host": LIMIT}],
    ids=["connection_limit", "per_host"],
)
"""Runs a test under the two ways to limit the connections to ``LIMIT``."""

on_views = pytest.mark.parametrize("view", [False, True], ids=["client", "view"])
"""Runs a test on the client and on a ``with_options()`` view of it (which shares its pool)."""


class HeldRequests:
    """Counts the API requests in flight; holds the first ``hold`` until :meth:`release`."""

    def __init__(self, hold: int) -> None:
        self.hold = hold
        self.in_flight = 0
        self.most = 0
        """The most requests the server had in flight at once."""
        self.client_loop: asyncio.AbstractEventLoop | None = None
        self._full = threading.Event()
        self._gate: asyncio.Event | None = None
        self._server_loop: asyncio.AbstractEventLoop | None = None

    def on_request(self, info: RequestInfo) -> None:
        """The client's ``on_request`` hook: it runs on the client's loop, so tells which."""
        self.client_loop = asyncio.get_running_loop()

    async def answer(self, request: web.Request) -> web.StreamResponse:
        if self._gate is None:  # made in the server's loop, the one that waits on it
            self._gate, self._server_loop = asyncio.Event(), asyncio.get_running_loop()
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            if self.in_flight >= self.hold:
                self._full.set()
            await self._gate.wait()
            body = example("factures-consulter.response")
            body["currentStatus"]["code"] = FINAL
            return json_response(body)
        finally:
            self.in_flight -= 1

    async def wait_full(self) -> None:
        """Until ``hold`` requests wait at the gate (at most 10 s: then the test fails)."""
        assert await asyncio.to_thread(self._full.wait, 10.0), "the requests never arrived"

    def release(self) -> None:
        """Open the gate: every request held, and every later one, is answered at once."""
        if self._gate is not None and self._server_loop is not None:
            self._server_loop.call_soon_threadsafe(self._gate.set)

    async def live_workers(self) -> int:
        """The SDK's worker tasks alive on the client's loop."""

        async def count() -> int:
            names = [getattr(task.get_coro(), "__qualname__", "") for task in asyncio.all_tasks()]
            return len([name for name in names if name in WORKERS])

        loop = self.client_loop
        assert loop is not None, "no request was made yet"
        if loop is asyncio.get_running_loop():
            return await count()
        # The blocking client's loop runs in its own thread: count there, not from here.
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(count(), loop))


@contextlib.asynccontextmanager
async def held_client(
    client_factory: ClientFactory, hold: int, *, view: bool = False, **options: Any
) -> AsyncIterator[tuple[HeldRequests, Any]]:
    """A :class:`HeldRequests` server and a client of the test's kind on it (``options``:
    the client's), or with ``view`` a ``with_options()`` view of that client; the gate is
    opened on the way out whatever happened."""
    server = HeldRequests(hold)
    fake = FakeFactPulse()
    fake.handler = server.answer
    with serve_in_thread(fake.app()) as url:
        try:
            async with client_factory(
                url, api_key=API_KEY, on_request=server.on_request, **options
            ) as client:
                yield server, (await _view(client) if view else client)
        finally:
            server.release()


async def _view(client: Any) -> Any:
    view = client.with_options(timeout=30.0)
    if inspect.isawaitable(view):  # the blocking client, seen through dual_client
        return BlockingAsAsync(await view)
    return view


async def while_held(server: HeldRequests, call: Awaitable[T]) -> tuple[int, T]:
    """Run ``call``; once the server holds its requests, count the live worker tasks, then
    let them go. Returns that count and what ``call`` returned."""
    task = asyncio.ensure_future(call)
    try:
        await server.wait_full()
        workers = await server.live_workers()
    except BaseException:
        task.cancel()
        server.release()
        await asyncio.gather(task, return_exceptions=True)
        raise
    server.release()
    return workers, await task


async def drain(poller: Any) -> list[Any]:
    """Every event of ``poller`` (async, or the blocking one), closing it at the end."""
    if inspect.isawaitable(poller):
        poller = await poller  # the blocking client, seen through dual_client
    if hasattr(poller, "__anext__"):
        async with poller:
            return [event async for event in poller]

    def pull() -> list[Any]:
        with poller:
            return list(poller)

    return await asyncio.to_thread(pull)


__all__ = [
    "FINAL",
    "IDS",
    "LIMIT",
    "HeldRequests",
    "drain",
    "held_client",
    "limited",
    "on_views",
    "while_held",
]
