"""The bases of the generated blocking classes (``_sync_generated``): client, sub-clients, twins.

They hold an async object and the :class:`~factpulse_chorus._portal.Portal` its coroutines run
on; see ``_portal`` for the runtime (calls, interrupts, threads, forks).
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from ._exceptions import RequestValidationError
from ._portal import Portal, SyncIterator, _check_no_running_loop

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["SyncClient", "SyncIteratorTwin", "SyncResource"]

P = ParamSpec("P")
T = TypeVar("T")


class SyncIteratorTwin(SyncIterator[T]):
    """Base of a generated blocking twin of an object that is both an async iterator and an
    async context manager (an ``InvoicePoller``), built by :meth:`Portal.wrap`.

    The paired methods run their async ones on the loop: ``__next__`` -> ``__anext__``,
    ``close`` -> ``aclose``, ``__enter__`` -> ``__aenter__``, ``__exit__`` -> ``__aexit__``.
    Unlike a plain :class:`SyncIterator`, the object exists already: closing closes it
    even if it was never iterated.
    """

    _async: Any

    def __init__(self, portal: Portal, wrapped: AsyncIterator[T]) -> None:
        super().__init__(portal, wrapped.__aiter__, (), {})
        self._async = wrapped

    def close(self) -> None:
        """Stop iterating and close the wrapped object (``aclose``); idempotent."""
        self._finished = True
        self._iterator = None
        self._portal.call_for_cleanup(self._async.aclose)

    def __enter__(self) -> Self:
        self._portal.call(self._async.__aenter__)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._finished = True
        self._iterator = None

        async def leave() -> None:
            await self._async.__aexit__(*exc_info)

        self._portal.call_for_cleanup(leave)


class SyncClient:
    """Base of the generated ``ChorusClient``: opening, views and closing.

    The generated class passes the async client's bound methods to these helpers, so that
    the mapping stays mechanical (``aclose`` -> ``close``, ``__aenter__`` -> ``__enter__``).
    """

    _portal: Portal
    _async: Any
    # The client that owns the portal, kept alive by its views; None on that client.
    _owner: SyncClient | None
    _finalizer: weakref.finalize[..., Any] | None

    def _open(self, factory: Callable[P, Any], /, *args: P.args, **kwargs: P.kwargs) -> None:
        """Start the portal and build the async client on its loop."""
        _check_no_running_loop(factory)
        if kwargs.get("session") is not None:
            # An aiohttp session is bound to the loop it was made on; ours is private.
            raise RequestValidationError(
                "session",
                "the blocking ChorusClient makes its own aiohttp session on its event-loop "
                "thread; pass your session to AsyncChorusClient instead",
            )
        portal = Portal()
        try:
            client = portal.run_sync(factory, *args, **kwargs)
        except BaseException:
            portal.shutdown(_nothing)
            raise
        portal.pinned = client
        self._portal = portal
        self._async = client
        self._owner = None
        # Closes the client if it is collected unclosed, or at interpreter exit (while the
        # portal's daemon thread still runs). It references the portal, never `self`.
        self._finalizer = weakref.finalize(self, portal.shutdown, client.aclose)

    def _derive(self, fn: Callable[P, Any], /, *args: P.args, **kwargs: P.kwargs) -> Self:
        """A view: ``fn`` (the async ``with_options``) runs on the loop; same portal."""
        if self._portal.closed:
            raise self._portal._closed_error()
        async_view = self._portal.run_sync(fn, *args, **kwargs)
        view = object.__new__(type(self))
        view._portal = self._portal
        view._async = async_view
        view._owner = self._owner or self
        view._finalizer = None
        return view

    def _enter(self, fn: Callable[[], Awaitable[object]]) -> Self:
        """``__enter__``: run the async ``__aenter__`` (it refuses a closed client)."""
        self._portal.call(fn)
        return self

    def _close(
        self, fn: Callable[P, Awaitable[object]], /, *args: P.args, **kwargs: P.kwargs
    ) -> None:
        """``close``/``__exit__``: run ``fn`` on the loop; on the owner, stop the portal too."""

        async def final() -> None:
            await fn(*args, **kwargs)

        finalizer = self._finalizer
        if finalizer is None:
            self._portal.call_for_cleanup(final)
        elif finalizer.detach() is not None:  # only the first close() gets here
            self._portal.shutdown(final)

    def __repr__(self) -> str:
        name = type(self._async).__name__
        return type(self).__name__ + repr(self._async).removeprefix(name)


async def _nothing() -> None:
    return None


class SyncResource:
    """Base of the generated sync sub-clients: the portal and the async sub-client."""

    __slots__ = ("_async", "_portal")

    _async: Any

    def __init__(self, portal: Portal, async_resource: Any) -> None:
        self._portal = portal
        self._async = async_resource

    def _enter(self, fn: Callable[[], Awaitable[object]]) -> Self:
        """``__enter__`` of a wrapped object (a watcher): run its ``__aenter__``."""
        self._portal.call(fn)
        return self

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._async!r}>"
