"""Run one async test body against both clients.

``dual_client(kind, **kwargs)`` yields the :class:`AsyncChorusClient` itself, or the
generated blocking :class:`ChorusClient` behind an adapter with the same *async* surface:
each blocking call runs in a worker thread (as a blocking caller's would; calling it on the
event loop thread is refused by design), and a blocking iterator is pulled one item at a time
from a worker thread. So every test written for the async client gets a sync twin.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeAlias

from factpulse_chorus import AsyncChorusClient, ChorusClient

KINDS = ["async", "sync"]
GROUPS = frozenset({"structures", "factures", "transverses", "valideur"})
_DONE = object()

ClientFactory: TypeAlias = Callable[..., AbstractAsyncContextManager[Any]]
"""The ``client_factory`` fixture: ``async with factory(url, **options) as client``."""
Refused: TypeAlias = Callable[[Callable[[], Awaitable[Any]], str], Awaitable[None]]
"""The ``refused`` fixture: ``await refused(lambda: call, field)``."""


class _AsyncBridge:
    """An async iterator over a blocking iterator built lazily in a worker thread."""

    def __init__(self, make: functools.partial[Iterator[Any]]) -> None:
        self._make = make
        self._iterator: Iterator[Any] | None = None

    def __aiter__(self) -> _AsyncBridge:
        return self

    async def __anext__(self) -> Any:
        if self._iterator is None:
            self._iterator = await asyncio.to_thread(self._make)
        item = await asyncio.to_thread(next, self._iterator, _DONE)
        if item is _DONE:
            raise StopAsyncIteration
        return item

    async def aclose(self) -> None:
        close = getattr(self._iterator, "close", None)
        if close is not None:
            await asyncio.to_thread(close)


class BlockingAsAsync:
    """The blocking client (or one of its sub-clients) seen through an async surface."""

    def __init__(self, target: Any) -> None:
        self._target = target

    def __repr__(self) -> str:
        return repr(self._target)  # what a test checks for secrets is the client's own repr

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if name in GROUPS:
            return BlockingAsAsync(value)
        if not callable(value):
            return value
        # The generated facade never hands out a coroutine function (it would never run).
        assert not inspect.iscoroutinefunction(value), name
        returns = str(inspect.signature(value).return_annotation)
        if returns.startswith(("Iterator[", "AbstractContextManager[")):

            def bridge(*args: Any, **kwargs: Any) -> _AsyncBridge:
                return _AsyncBridge(functools.partial(value, *args, **kwargs))

            return bridge

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(functools.partial(value, *args, **kwargs))

        return call


@contextlib.asynccontextmanager
async def dual_client(kind: str, **kwargs: Any) -> AsyncIterator[Any]:
    """The async client, or the blocking one behind :class:`BlockingAsAsync`."""
    if kind == "async":
        async with AsyncChorusClient(**kwargs) as client:
            yield client
        return
    blocking = await asyncio.to_thread(functools.partial(ChorusClient, **kwargs))
    try:
        yield BlockingAsAsync(blocking)
    finally:
        await asyncio.to_thread(blocking.close)
