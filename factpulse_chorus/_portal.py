"""The runtime of the blocking facade: one event-loop thread per :class:`ChorusClient`.

The generated ``_sync_generated`` module holds the sync classes; this module holds what they
run on. Nothing here knows about the API: it only bridges coroutines to blocking calls.

Lifetime
    The constructor of a ``ChorusClient`` starts an anyio blocking portal (an asyncio event
    loop in a daemon thread named ``factpulse-chorus-portal``) and builds the
    :class:`AsyncChorusClient` *on that loop*, where its aiohttp session is later created
    and lives. ``close()`` (or leaving ``with``) closes the async client on the loop, cancels
    the calls still running there, stops the portal and joins the thread; it is idempotent.
    ``with_options()`` views share the portal and are closed with their client. A client
    that is never closed is closed when it is garbage collected, or at interpreter exit, by
    a :func:`weakref.finalize`; do not rely on it, as collection time is unpredictable.

Calls
    Each call costs one hand-off between threads: the caller schedules a callback on the
    loop (``call_soon_threadsafe``) that starts the coroutine as a task, then waits on a
    lock that the task's done-callback releases. (anyio's ``BlockingPortal.call`` costs two:
    it waits for the task to be spawned, then for its result.) Exceptions raised by the
    coroutine reach the caller unchanged. If the wait is interrupted (``KeyboardInterrupt``
    or any other exception raised in the waiting thread), the task is cancelled (so the HTTP
    request is abandoned and its connection closed), the thread waits up to
    :data:`CANCEL_GRACE` seconds for it to unwind, and the interrupt propagates. The client
    remains usable.

Threads
    One client may be shared by any number of threads: their calls run concurrently on the
    portal's loop and share the connection pool and the token. A sync iterator or context
    manager returned by a method belongs to the thread that uses it.

Processes
    The loop thread and the connections belong to the process that made the client. In a
    child made by :func:`os.fork`, every call of an inherited client raises
    :class:`ClientClosedError` saying so (make a new ``ChorusClient`` in the child), and
    ``close()`` and interpreter exit do nothing with it: nothing of it is run, closed or
    finalized there, because its sockets, TLS sessions and the loop's selector are shared
    with the parent, which is still using them.

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
import os
import sys
import threading
import weakref
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Generic, ParamSpec, TypeVar, cast

import anyio
import anyio.from_thread

from ._config import SYNC_CLOSED_MESSAGE
from ._exceptions import ClientClosedError, SyncInAsyncContextError

if TYPE_CHECKING:
    from anyio.from_thread import BlockingPortal
    from typing_extensions import Self

__all__ = [
    "CANCEL_GRACE",
    "THREAD_NAME",
    "Portal",
    "SyncContextManager",
    "SyncIterator",
]

P = ParamSpec("P")
T = TypeVar("T")
R = TypeVar("R")
W = TypeVar("W")

THREAD_NAME: Final = "factpulse-chorus-portal"
"""Name of the thread running a client's event loop."""

CANCEL_GRACE: Final = 5.0
"""Seconds an interrupted call is given to finish cancelling before the interrupt goes on."""

CLOSED_DURING_CALL: Final = "the client was closed during the call"

_ExcInfo = tuple[type[BaseException] | None, BaseException | None, TracebackType | None]

_END: Final = object()  # what a drained async iterator's step returns

# Shutdowns scheduled from the loop thread itself: asyncio only keeps weak references to
# tasks, so they are held here until done.
_BACKGROUND: set[asyncio.Task[None]] = set()

# The portals of this process, for the fork hook; weak, so that they are still collected.
_LIVE: Final[weakref.WeakSet[Portal]] = weakref.WeakSet()


def _check_no_running_loop(fn: object) -> None:
    # asyncio._get_running_loop() is the C-level check asyncio itself uses: no exception
    # is raised on the normal path (get_running_loop() would raise one on every call).
    if asyncio._get_running_loop() is not None:
        # A bound method by the class of its object (the one the user holds), not by the
        # base class that defines it: AsyncFactures.consulter.
        owner, name = getattr(fn, "__self__", None), getattr(fn, "__name__", None)
        if owner is not None and name:
            what = f"{type(owner).__name__}.{name}"
        else:
            what = getattr(fn, "__qualname__", None) or repr(fn)
        raise SyncInAsyncContextError(
            f"ChorusClient blocks the calling thread, and this thread is running an event "
            f"loop (call: {what}). Use AsyncChorusClient here and await its methods, or run "
            f"the blocking call in a worker thread (anyio.to_thread.run_sync, "
            f"asyncio.to_thread)."
        )


async def _call_sync(fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    """Run a plain function on the loop thread (it may touch loop-bound state)."""
    return fn(*args, **kwargs)


def _loop_and_thread() -> tuple[asyncio.AbstractEventLoop, int]:
    return asyncio.get_running_loop(), threading.get_ident()


class _Call(Generic[T]):
    """One blocking call: started on the loop by one callback, awaited on a lock."""

    __slots__ = ("args", "calls", "done", "error", "fn", "kwargs", "task")

    def __init__(
        self,
        fn: Callable[..., Awaitable[T]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        calls: set[_Call[Any]],
    ) -> None:
        self.fn, self.args, self.kwargs, self.calls = fn, args, kwargs, calls
        self.task: asyncio.Future[T] | None = None
        self.error: BaseException | None = None
        self.done = threading.Lock()
        self.done.acquire()  # released once the task is over, whatever its end

    def start(self) -> None:
        """On the loop thread: start the task (built there: the coroutine may bind to it)."""
        try:
            task = asyncio.ensure_future(self.fn(*self.args, **self.kwargs))
        except BaseException as exc:  # e.g. wrong arguments: the caller gets it unchanged
            self.error = exc
            self.finish(None)
            return
        self.task = task
        # A done-callback runs even for a task cancelled before its first step (where a
        # `finally` in the coroutine would not).
        task.add_done_callback(self.finish)

    def finish(self, task: asyncio.Future[T] | None) -> None:
        self.calls.discard(self)
        if task is not None and not task.cancelled():
            # Marked as retrieved: an interrupted caller never reads it, and asyncio would
            # log "exception was never retrieved".
            task.exception()
        self.done.release()

    def cancel(self) -> None:
        """On the loop thread (scheduled after :meth:`start`, so the task exists)."""
        if self.task is not None:
            self.task.cancel()

    def result(self) -> T:
        if self.error is not None:
            raise self.error
        assert self.task is not None
        if self.task.cancelled():
            # Nobody in this thread cancelled it: close() stopped the portal under the call.
            raise ClientClosedError(CLOSED_DURING_CALL)
        return self.task.result()


class Portal:
    """One running blocking portal, shared by a client and its views."""

    _portal: BlockingPortal | None

    def __init__(self) -> None:
        self._cm = anyio.from_thread.start_blocking_portal(backend="asyncio", name=THREAD_NAME)
        portal = self._cm.__enter__()
        self._portal = portal
        self._lock = threading.Lock()
        self._calls: set[_Call[Any]] = set()  # started and not over yet
        self._pid = os.getpid()
        self._forked = False
        # What must never be finalized in a forked child (the async client): see _forget().
        self.pinned: object = None
        self._loop, self._thread_id = portal.call(_loop_and_thread)
        _LIVE.add(self)

    @property
    def closed(self) -> bool:
        """Whether the portal has been shut down (or this process is a fork of its own)."""
        return self._portal is None

    def _closed_error(self) -> ClientClosedError:
        if self._forked:
            return ClientClosedError(
                f"this ChorusClient was made in process {self._pid}, and this process "
                f"({os.getpid()}) is a fork of it: its event loop thread and connections "
                "stayed there. Create a new ChorusClient in this process"
            )
        return ClientClosedError(SYNC_CLOSED_MESSAGE)

    def _submit(
        self, fn: Callable[..., Awaitable[T]], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> _Call[T]:
        if self._portal is None:
            raise self._closed_error()
        if threading.get_ident() == self._thread_id:
            raise SyncInAsyncContextError(
                "ChorusClient cannot be called from its own event loop thread "
                "(e.g. from an on_request/on_response hook)"
            )
        call = _Call(fn, args, kwargs, self._calls)
        # Registered before it is scheduled: shutdown() releases whatever the loop never ran.
        self._calls.add(call)
        try:
            self._loop.call_soon_threadsafe(call.start)
        except RuntimeError:  # the loop closed since the check above
            self._calls.discard(call)
            raise self._closed_error() from None
        return call

    def _interrupted(self, call: _Call[Any]) -> None:
        """The waiting thread was interrupted: cancel the task, let it unwind for a moment."""
        with contextlib.suppress(RuntimeError):  # the loop is closed: nothing runs any more
            self._loop.call_soon_threadsafe(call.cancel)
        call.done.acquire(timeout=CANCEL_GRACE)

    def _wait(self, call: _Call[T]) -> T:
        try:
            call.done.acquire()
        except BaseException:
            # Interrupted while waiting (KeyboardInterrupt, ...): cancel the coroutine so the
            # request is really abandoned, then let the interrupt go on. A finished task
            # cannot be cancelled: the interrupt wins, as it would have a moment later.
            self._interrupted(call)
            raise
        return call.result()

    def call(self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``await fn(*args, **kwargs)`` on the loop and wait for its result."""
        _check_no_running_loop(fn)
        return self._wait(self._submit(fn, args, kwargs))

    def call_for_cleanup(self, fn: Callable[[], Awaitable[object]]) -> None:
        """Like :meth:`call`, allowed from a running loop; nothing to do once closed."""
        if self._portal is None:
            return
        try:
            call = self._submit(fn, (), {})
        except ClientClosedError:
            return
        self._wait(call)

    def run_sync(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run the plain function ``fn`` on the loop thread and wait for its result."""
        _check_no_running_loop(fn)
        return cast(T, self._wait(self._submit(_call_sync, (fn, args, kwargs), {})))

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

    async def _cancel_calls(self) -> None:
        """On the loop: cancel the calls still running (their callers get ClientClosedError)."""
        tasks = [call.task for call in list(self._calls) if call.task is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    async def _close_then_stop(
        self, final: Callable[[], Awaitable[object]], portal: BlockingPortal
    ) -> None:
        try:
            await final()
        finally:
            try:
                await self._cancel_calls()
            finally:
                await portal.stop(cancel_remaining=True)

    def shutdown(self, final: Callable[[], Awaitable[object]]) -> None:
        """Run ``final()`` (closing the async client) on the loop, then stop it. Idempotent."""
        with self._lock:
            portal, self._portal = self._portal, None
        if portal is None:
            return
        _LIVE.discard(self)
        self.pinned = None
        if threading.get_ident() == self._thread_id:
            # Only the garbage collector gets here (a finalizer running on the loop thread):
            # it cannot wait for its own thread, so the loop finishes the job by itself.
            task = self._loop.create_task(self._close_then_stop(final, portal))
            _BACKGROUND.add(task)
            task.add_done_callback(_BACKGROUND.discard)
            return
        try:
            portal.call(final)
        finally:
            try:
                portal.call(self._cancel_calls)
                portal.call(portal.stop, True)
            finally:
                # The context manager of start_blocking_portal joins the thread.
                self._cm.__exit__(None, None, None)
                # A call scheduled as the loop closed was never started: end its wait.
                for call in list(self._calls):
                    call.error = ClientClosedError(CLOSED_DURING_CALL)
                    call.finish(None)

    def _forget(self) -> None:
        """In a forked child: drop the portal without running, closing or freeing any of it."""
        self._lock = threading.Lock()  # another thread of the parent may have held it
        if self._portal is None:
            return
        self._portal, self._forked = None, True
        # Freeing these objects here would run their finalizers in the child: anyio's
        # portal context manager would wait forever for the parent's loop thread, and
        # aiohttp's connector would close the pooled connections, unregistering their
        # sockets from the epoll set shared with the parent and sending TLS close_notify on
        # its connections. So they are kept until the child exits.
        if not _FORGOTTEN and sys.implementation.name == "cpython":
            # One reference never given back: the list outlives interpreter shutdown too,
            # which clears module globals.
            import ctypes

            ctypes.pythonapi.Py_IncRef(ctypes.py_object(_FORGOTTEN))
        _FORGOTTEN.append(self)


_FORGOTTEN: Final[list[Portal]] = []  # the portals inherited by this (forked) process


def _after_fork_in_child() -> None:
    for portal in list(_LIVE):
        portal._forget()
    _LIVE.clear()


if sys.platform != "win32":
    os.register_at_fork(after_in_child=_after_fork_in_child)


class _Deferred(Generic[R]):
    """What a blocking wrapper opens on the loop: ``fn(*args, **kwargs)``, called there."""

    def __init__(
        self, portal: Portal, fn: Callable[..., R], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        self._portal = portal
        self._fn = fn
        self._args = args
        self._kwargs = kwargs

    def _open(self) -> R:
        """On the loop thread: the async object may bind to the running loop."""
        return self._fn(*self._args, **self._kwargs)


class SyncIterator(_Deferred[AsyncIterable[T]], Iterator[T]):
    """Iterates an async iterable on the portal, one blocking ``next()`` at a time.

    ``close()`` (also on leaving ``with``) closes the async iterator early.
    """

    _iterator: AsyncIterator[T] | None = None
    _finished = False

    async def _step(self) -> object:
        iterator = self._iterator
        if iterator is None:
            iterator = self._iterator = self._open().__aiter__()
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

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class SyncContextManager(_Deferred[AbstractAsyncContextManager[T]], AbstractContextManager[T]):
    """Holds an async context manager open in one task on the portal.

    ``__aenter__`` and ``__aexit__`` run in the same task (anyio cancel scopes and task
    groups require it); the task waits in between for ``__exit__``.
    """

    _exit_event: anyio.Event
    _exc_info: _ExcInfo = (None, None, None)
    _call: _Call[bool | None] | None = None

    async def _hold(self, entered: concurrent.futures.Future[T]) -> bool | None:
        self._exit_event = anyio.Event()
        cm = self._open()
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
        if self._call is not None:
            raise RuntimeError("this context manager is already in use")
        entered: concurrent.futures.Future[T] = concurrent.futures.Future()
        call = self._call = self._portal._submit(self._hold, (entered,), {})
        try:
            return entered.result()
        except BaseException:
            self._call = None
            self._portal._interrupted(call)
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        call, self._call = self._call, None
        if call is None:
            raise RuntimeError("__exit__ without __enter__")
        self._exc_info = (exc_type, exc, tb)
        self._portal.run_sync(self._exit_event.set)
        return self._portal._wait(call)
