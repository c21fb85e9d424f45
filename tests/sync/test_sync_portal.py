"""The blocking facade's runtime (``_portal``) on toy coroutines: no HTTP involved."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager

import anyio
import anyio.lowlevel
import pytest

from factpulse_chorus._exceptions import ClientClosedError, SyncInAsyncContextError
from factpulse_chorus._portal import THREAD_NAME, Portal


@pytest.fixture
def portal() -> Iterator[Portal]:
    baseline = set(threading.enumerate())
    portal = Portal()
    try:
        yield portal
    finally:
        portal.shutdown(anyio.lowlevel.checkpoint)
    assert set(threading.enumerate()) == baseline


def interrupt_main_when(condition: Callable[[], bool]) -> threading.Thread:
    """Send SIGINT to the main thread (a real signal: it interrupts a blocking wait)."""
    main = threading.main_thread().ident
    assert main is not None

    def run() -> None:
        deadline = time.monotonic() + 5
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.002)
        signal.pthread_kill(main, signal.SIGINT)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


async def sleep_until_cancelled(started: threading.Event, cancelled: threading.Event) -> None:
    """Set ``started``, then sleep 10 s; a cancellation sets ``cancelled`` and goes on."""
    started.set()
    try:
        await anyio.sleep(10)
    except anyio.get_cancelled_exc_class():
        cancelled.set()
        raise


async def double(x: int) -> int:
    await anyio.lowlevel.checkpoint()
    return 2 * x


def test_call_runs_on_the_portal_thread_and_returns(portal: Portal) -> None:
    async def where() -> str:
        return threading.current_thread().name

    assert portal.call(double, 21) == 42
    assert portal.call(where) == THREAD_NAME
    assert portal.run_sync(threading.current_thread).name == THREAD_NAME


def test_exceptions_propagate_unchanged(portal: Portal) -> None:
    error = ValueError("boom")

    async def fail() -> None:
        raise error

    with pytest.raises(ValueError, match="boom") as info:
        portal.call(fail)
    assert info.value is error


def test_keyboard_interrupt_cancels_the_coroutine(portal: Portal) -> None:
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    started, cancelled = threading.Event(), threading.Event()
    killer = interrupt_main_when(started.is_set)
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        portal.call(sleep_until_cancelled, started, cancelled)
    killer.join()
    assert time.monotonic() - t0 < 8  # not the 10 s the coroutine would sleep
    # The call waited for the coroutine to unwind before re-raising.
    assert cancelled.is_set()
    assert portal.call(double, 1) == 2  # still usable


def test_iterator_and_early_close(portal: Portal) -> None:
    closed: list[bool] = []

    async def numbers(n: int) -> AsyncIterator[int]:
        try:
            for i in range(n):
                await anyio.lowlevel.checkpoint()
                yield i
        finally:
            closed.append(True)

    assert list(portal.iterate(numbers, 3)) == [0, 1, 2]
    assert closed == [True]
    with portal.iterate(numbers, 100) as iterator:
        assert next(iterator) == 0
        assert next(iterator) == 1
    assert closed == [True, True]
    assert list(iterator) == []


def test_an_interrupted_iterator_is_closed_at_once(portal: Portal) -> None:
    started = threading.Event()
    closed: list[bool] = []

    class Ticker:
        """An async iterator object (not a generator) with its own aclose, like a poller."""

        def __aiter__(self) -> Ticker:
            return self

        async def __anext__(self) -> int:
            started.set()
            await anyio.sleep(10)
            return 1

        async def aclose(self) -> None:
            closed.append(True)

    iterator = portal.iterate(Ticker)
    killer = interrupt_main_when(started.is_set)
    with pytest.raises(KeyboardInterrupt):
        next(iterator)
    killer.join()
    assert closed == [True]
    assert list(iterator) == []


def test_context_manager_enters_and_exits_in_one_task(portal: Portal) -> None:
    seen: list[object] = []

    @asynccontextmanager
    async def scope(name: str) -> AsyncIterator[str]:
        with anyio.CancelScope():  # must be left in the task that entered it
            seen.append(asyncio.current_task())
            try:
                yield name.upper()
            finally:
                seen.append(asyncio.current_task())

    with portal.context(scope, "x") as value:
        assert value == "X"
    assert len(seen) == 2
    assert seen[0] is seen[1]

    with pytest.raises(KeyError), portal.context(scope, "y"):
        raise KeyError("inside")
    assert len(seen) == 4


def test_interrupted_context_manager_enter_is_cancelled(portal: Portal) -> None:
    started, cancelled = threading.Event(), threading.Event()

    @asynccontextmanager
    async def slow_enter() -> AsyncIterator[None]:
        await sleep_until_cancelled(started, cancelled)
        yield

    killer = interrupt_main_when(started.is_set)
    with pytest.raises(KeyboardInterrupt), portal.context(slow_enter):
        pass
    killer.join()
    assert cancelled.is_set()


def test_blocking_calls_refuse_a_running_loop(portal: Portal) -> None:
    async def main() -> None:
        with pytest.raises(SyncInAsyncContextError, match="AsyncChorusClient") as info:
            portal.call(double, 1)
        assert isinstance(info.value, RuntimeError)
        assert "double" in str(info.value)
        with pytest.raises(SyncInAsyncContextError):
            portal.run_sync(int)
        # A worker thread has no loop: that is the way out.
        assert await asyncio.to_thread(portal.call, double, 2) == 4

    asyncio.run(main())


def test_shutdown_cancels_calls_in_flight_and_is_idempotent() -> None:
    portal = Portal()
    started = threading.Event()
    outcome: list[BaseException] = []

    async def forever() -> None:
        started.set()
        await anyio.sleep(30)

    def worker() -> None:
        try:
            portal.call(forever)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    assert started.wait(5)
    portal.shutdown(anyio.lowlevel.checkpoint)
    portal.shutdown(anyio.lowlevel.checkpoint)
    thread.join(5)
    assert len(outcome) == 1
    assert isinstance(outcome[0], ClientClosedError)
    assert portal.closed
    with pytest.raises(ClientClosedError):
        portal.call(double, 1)
    assert not [t for t in threading.enumerate() if t.name == THREAD_NAME]
