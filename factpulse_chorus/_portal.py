"""The runtime of the blocking facade: one anyio blocking portal per :class:`ChorusClient`.

The generated ``_sync_generated`` module holds the sync classes; this module holds what they
run on. Nothing here knows about the API: it only bridges coroutines to blocking calls.

Lifetime
    The constructor of a ``ChorusClient`` starts the portal (an asyncio event loop in a
    daemon thread named ``factpulse-chorus-portal``) and builds the :class:`AsyncChorusClient`
    *on that loop*, where its aiohttp session is later created and lives. ``close()`` (or
    leaving ``with``) closes the async client on the loop, stops the portal (cancelling any
    task still running there) and joins the thread; it is idempotent. ``with_options()``
    views share the portal and are closed with their client. A client that is never closed
    is closed when it is garbage collected, or at interpreter exit, by a
    :func:`weakref.finalize`; do not rely on it, as collection time is unpredictable.

Calls
    Each call is submitted with :meth:`BlockingPortal.start_task_soon` and the calling
    thread waits on the :class:`concurrent.futures.Future`. Exceptions raised by the
    coroutine reach the caller unchanged. If the wait is interrupted (``KeyboardInterrupt``
    or any other exception raised in the waiting thread), the future is cancelled, which
    cancels the coroutine on the loop (so the HTTP request is abandoned and its connection
    closed), the thread waits up to :data:`CANCEL_GRACE` seconds for it to unwind, and the
    interrupt propagates. The client remains usable.

Threads
    One client may be shared by any number of threads: their calls run concurrently on the
    portal's loop and share the connection pool and the token. A sync iterator or context
    manager returned by a method belongs to the thread that uses it.

Running event loops
    A blocking method called from a thread that runs an asyncio event loop would freeze that
    loop, so it raises :class:`SyncInAsyncContextError` instead (use
    :class:`AsyncChorusClient` there). ``close()`` and ``__exit__`` are exempt, so that
    cleanup always works; they only wait for the portal's own loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import weakref
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, ParamSpec, TypeVar, cast

import anyio
import anyio.from_thread

from ._config import SYNC_CLOSED_MESSAGE
from ._exceptions import ClientClosedError, RequestValidationError, SyncInAsyncContextError

if TYPE_CHECKING:
    from anyio.from_thread import BlockingPortal
    from typing_extensions import Self

__all__ = [
    "CANCEL_GRACE",
    "THREAD_NAME",
    "Portal",
    "SyncClient",
    "SyncContextManager",
    "SyncIterator",
    "SyncIteratorTwin",
    "SyncResource",
]

P = ParamSpec("P")
T = TypeVar("T")
R = TypeVar("R")
W = TypeVar("W")

THREAD_NAME: Final = "factpulse-chorus-portal"
"""Name of the thread running a client's event loop."""

CANCEL_GRACE: Final = 5.0
"""Seconds an interrupted call is given to finish cancelling before the interrupt goes on."""

_END: Final = object()  # what a drained async iterator's step returns

# Shutdowns scheduled from the loop thread itself: asyncio only keeps weak references to
# tasks, so they are held here until done.
_BACKGROUND: set[asyncio.Task[None]] = set()


def _check_no_running_loop(fn: object) -> None:
    # asyncio._get_running_loop() is the C-level check asyncio itself uses: no exception
    # is raised on the normal path (get_running_loop() would raise one on every call).
    if asyncio._get_running_loop() is not None:
        what = getattr(fn, "__qualname__", None) or repr(fn)
        raise SyncInAsyncContextError(
            f"ChorusClient blocks the calling thread, and this thread is running an event "
            f"loop (call: {what}). Use AsyncChorusClient here and await its methods, or run "
            f"the blocking call in a worker thread (anyio.to_thread.run_sync, "
            f"asyncio.to_thread)."
        )


async def _run(
    fn: Callable[..., Awaitable[T]],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    done: threading.Lock,
) -> T:
    """Await ``fn(*args, **kwargs)`` on the loop; release ``done`` once it has unwound."""
    try:
        return await fn(*args, **kwargs)
    finally:
        done.release()


async def _call_sync(fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    """Run a plain function on the loop thread (it may touch loop-bound state)."""
    return fn(*args, **kwargs)


async def _close_then_stop(final: Callable[[], Awaitable[object]], portal: BlockingPortal) -> None:
    try:
        await final()
    finally:
        await portal.stop(cancel_remaining=True)


class Portal:
    """One running blocking portal, shared by a client and its views."""

    _portal: BlockingPortal | None
    _thread_id: int

    def __init__(self) -> None:
        self._cm = anyio.from_thread.start_blocking_portal(backend="asyncio", name=THREAD_NAME)
        portal = self._cm.__enter__()
        self._portal = portal
        self._lock = threading.Lock()
        self._thread_id = portal.call(threading.get_ident)

    @property
    def closed(self) -> bool:
        """Whether the portal has been shut down."""
        return self._portal is None

    def _running(self) -> BlockingPortal:
        portal = self._portal
        if portal is None:
            raise ClientClosedError(SYNC_CLOSED_MESSAGE)
        return portal

    def _submit(
        self, fn: Callable[..., Awaitable[T]], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[concurrent.futures.Future[T], threading.Lock]:
        portal = self._running()
        done = threading.Lock()
        done.acquire()
        try:
            future = portal.start_task_soon(_run, fn, args, kwargs, done)
        except RuntimeError:
            if threading.get_ident() == self._thread_id:
                raise SyncInAsyncContextError(
                    "ChorusClient cannot be called from its own event loop thread "
                    "(e.g. from an on_request/on_response hook)"
                ) from None
            # The portal stopped between the check above and the submission.
            raise ClientClosedError(SYNC_CLOSED_MESSAGE) from None
        return future, done

    @staticmethod
    def _wait(future: concurrent.futures.Future[T], done: threading.Lock) -> T:
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            # Nobody in this thread cancelled it: close() stopped the portal under the call.
            raise ClientClosedError("the client was closed during the call") from None
        except BaseException:
            # Interrupted while waiting (KeyboardInterrupt, ...): cancel the coroutine so the
            # request is really abandoned, give it a moment to unwind, then let the
            # interrupt go on. A finished future cannot be cancelled: its exception is the
            # caller's, raised unchanged.
            if future.cancel():
                done.acquire(timeout=CANCEL_GRACE)
            raise

    def call(self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``await fn(*args, **kwargs)`` on the loop and wait for its result."""
        _check_no_running_loop(fn)
        future, done = self._submit(fn, args, kwargs)
        return self._wait(future, done)

    def call_for_cleanup(self, fn: Callable[[], Awaitable[object]]) -> None:
        """Like :meth:`call`, allowed from a running loop; nothing to do once closed."""
        if self._portal is None:
            return
        try:
            future, done = self._submit(fn, (), {})
        except ClientClosedError:
            return
        self._wait(future, done)

    def run_sync(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run the plain function ``fn`` on the loop thread and wait for its result."""
        _check_no_running_loop(fn)
        future, done = self._submit(_call_sync, (fn, args, kwargs), {})
        return cast(T, self._wait(future, done))

    def iterate(
        self, fn: Callable[P, AsyncIterable[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> SyncIterator[T]:
        """A blocking iterator over the async iterable ``fn(*args, **kwargs)``."""
        return SyncIterator(self, fn, args, kwargs)

    def context(
        self,
        fn: Callable[P, AbstractAsyncContextManager[T]],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> SyncContextManager[T]:
        """A blocking context manager around the async one ``fn(*args, **kwargs)``."""
        return SyncContextManager(self, fn, args, kwargs)

    def wrap(
        self,
        twin: Callable[[Portal, R], W],
        fn: Callable[P, R],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> W:
        """``twin(portal, fn(*args, **kwargs))``: the plain ``fn`` builds its object on the loop."""
        return twin(self, self.run_sync(fn, *args, **kwargs))

    def shutdown(self, final: Callable[[], Awaitable[object]]) -> None:
        """Run ``final()`` (closing the async client) on the loop, then stop it. Idempotent."""
        with self._lock:
            portal, self._portal = self._portal, None
        if portal is None:
            return
        if threading.get_ident() == self._thread_id:
            # Only the garbage collector gets here (a finalizer running on the loop thread):
            # it cannot wait for its own thread, so the loop finishes the job by itself.
            task = asyncio.get_running_loop().create_task(_close_then_stop(final, portal))
            _BACKGROUND.add(task)
            task.add_done_callback(_BACKGROUND.discard)
            return
        try:
            portal.call(final)
        finally:
            # Cancel what still runs (calls of other threads get ClientClosedError), then
            # the context manager of start_blocking_portal joins the thread.
            try:
                portal.call(portal.stop, True)
            finally:
                self._cm.__exit__(None, None, None)


class SyncIterator(Iterator[T]):
    """Iterates an async iterable on the portal, one blocking ``next()`` at a time.

    ``close()`` (also on leaving ``with``) closes the async iterator early.
    """

    def __init__(
        self,
        portal: Portal,
        fn: Callable[..., AsyncIterable[T]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> None:
        self._portal = portal
        self._fn = fn
        self._args = args
        self._kwargs = kwargs
        self._iterator: AsyncIterator[T] | None = None
        self._finished = False

    async def _step(self) -> object:
        iterator = self._iterator
        if iterator is None:
            # Built on the loop: the async iterable may bind to it.
            iterator = self._iterator = self._fn(*self._args, **self._kwargs).__aiter__()
        try:
            return await iterator.__anext__()
        except StopAsyncIteration:
            return _END

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> T:
        if self._finished:
            raise StopIteration
        try:
            value = self._portal.call(self._step)
        except BaseException:
            # Not resumed after an error or an interrupt: close the async iterator now (an
            # InvoicePoller stops its workers) rather than whenever it is collected.
            with contextlib.suppress(Exception):
                self.close()
            raise
        if value is _END:
            self._finished = True
            raise StopIteration
        return cast(T, value)

    def close(self) -> None:
        """Stop iterating and close the async iterator (idempotent)."""
        self._finished = True
        iterator, self._iterator = self._iterator, None
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            self._portal.call_for_cleanup(aclose)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


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

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._finished = True
        self._iterator = None

        async def leave() -> None:
            await self._async.__aexit__(exc_type, exc, tb)

        self._portal.call_for_cleanup(leave)


class SyncContextManager(AbstractContextManager[T]):
    """Holds an async context manager open in one task on the portal.

    ``__aenter__`` and ``__aexit__`` run in the same task (anyio cancel scopes and task
    groups require it); the task waits in between for ``__exit__``.
    """

    _exit_event: anyio.Event
    _exc_info: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]

    def __init__(
        self,
        portal: Portal,
        fn: Callable[..., AbstractAsyncContextManager[T]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> None:
        self._portal = portal
        self._fn = fn
        self._args = args
        self._kwargs = kwargs
        self._exc_info = (None, None, None)
        self._task: tuple[concurrent.futures.Future[bool | None], threading.Lock] | None = None

    async def _hold(self, entered: concurrent.futures.Future[T]) -> bool | None:
        self._exit_event = anyio.Event()
        cm = self._fn(*self._args, **self._kwargs)
        try:
            value = await cm.__aenter__()
        except BaseException as exc:
            entered.set_exception(exc)
            raise
        entered.set_result(value)
        try:
            await self._exit_event.wait()
        finally:
            result = await cm.__aexit__(*self._exc_info)
        return result

    def __enter__(self) -> T:
        _check_no_running_loop(self._fn)
        if self._task is not None:
            raise RuntimeError("this context manager is already in use")
        entered: concurrent.futures.Future[T] = concurrent.futures.Future()
        future, done = self._task = self._portal._submit(self._hold, (entered,), {})
        try:
            return entered.result()
        except BaseException:
            if future.cancel():
                done.acquire(timeout=CANCEL_GRACE)
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        task, self._task = self._task, None
        if task is None:
            raise RuntimeError("__exit__ without __enter__")
        self._exc_info = (exc_type, exc, tb)
        self._portal.run_sync(self._exit_event.set)
        return Portal._wait(*task)


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
        self._portal = portal
        self._async = client
        self._owner = None
        # Closes the client if it is collected unclosed, or at interpreter exit (while the
        # portal's daemon thread still runs). It references the portal, never `self`.
        self._finalizer = weakref.finalize(self, portal.shutdown, client.aclose)

    def _derive(self, fn: Callable[P, Any], /, *args: P.args, **kwargs: P.kwargs) -> Self:
        """A view: ``fn`` (the async ``with_options``) runs on the loop; same portal."""
        if self._portal.closed:
            raise ClientClosedError(SYNC_CLOSED_MESSAGE)
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

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._async!r}>"
