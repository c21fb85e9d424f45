"""The event iterator of :class:`~factpulse_chorus.AsyncInvoiceWatcher` (its run), the
figures of one run and the buffer of results written to the store in batches; the watcher
itself is in ``_watcher``."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Final

import attrs

from ._poll_events import PollEvent, PollFinished, PollSummary
from .models.common import InvoiceStatusCode
from .store._records import CheckResult

if TYPE_CHECKING:
    from typing_extensions import Self

    from ._watcher import AsyncInvoiceWatcher
    from .store._base import Store

# No __all__: the package's export map (``factpulse_chorus._EXPORTS``) lists the public names.

Emit = Callable[[PollEvent], Awaitable[None]]
RECORD_DELAY: Final = 1.0
"""Seconds (real time) a finished read waits at most in the buffer before it is recorded."""


@attrs.define
class Outcome:
    """One read's result for the store and the events to give once it is recorded."""

    result: CheckResult
    events: list[PollEvent]


class Recorder:
    """Finished reads buffered and written to the store ``size`` at a time (one
    transaction), or once the oldest has waited ``RECORD_DELAY`` s (in real time or on the
    watcher's clock), or when the caller flushes; each batch's events are given once the
    batch is recorded."""

    def __init__(self, store: Store, owner: str, clock: Callable[[], float], emit: Emit):
        self._store = store
        self._owner = owner
        self._clock = clock
        self._emit = emit
        self._outcomes: list[Outcome] = []
        self._since = self._since_clock = 0.0

    def add(self, outcomes: Sequence[Outcome]) -> None:
        if outcomes and not self._outcomes:
            self._since = time.monotonic()  # real time: how long a kill could lose reads
            self._since_clock = self._clock()  # the leases' time: a read may wait long on it
        self._outcomes.extend(outcomes)

    def wait(self) -> float | None:
        """Seconds until the buffer is due to be written (``None``: it is empty)."""
        if not self._outcomes:
            return None
        if self._clock() - self._since_clock >= RECORD_DELAY:
            return 0.0
        return max(0.0, self._since + RECORD_DELAY - time.monotonic())

    async def flush(self, size: int | None = None) -> None:
        """Record the buffer if it holds ``size`` results or is due (always: no ``size``)."""
        buffered = len(self._outcomes)
        if not buffered or (size is not None and buffered < size and (self.wait() or 0.0) > 0):
            return
        outcomes, self._outcomes = self._outcomes, []
        results = [outcome.result for outcome in outcomes]
        await self._store.record(results, owner=self._owner, now=self._clock())
        for outcome in outcomes:
            for event in outcome.events:
                await self._emit(event)  # blocks while the consumer lags: backpressure


class WatchCounts:
    """One run's figures, for its :class:`PollSummary`."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.started = clock()
        self.stopped: float | None = None
        self.final: Counter[InvoiceStatusCode] = Counter()
        self.pending: dict[int, None] = {}  # read in this run, still watched (ordered set)
        self.failed: list[int] = []
        self.errors = self.rate_limited = self.requests = 0

    def summary(self) -> PollSummary:
        end = self.stopped if self.stopped is not None else self.clock()
        return PollSummary(
            final=dict(self.final),
            pending=tuple(self.pending),
            failed=tuple(self.failed),
            errors=self.errors,
            rate_limited=self.rate_limited,
            requests=self.requests,
            elapsed=max(0.0, end - self.started),
        )


class _End:
    """Queue marker: the run is over (``crash``: the error that ended it, if any)."""

    def __init__(self, crash: BaseException | None) -> None:
        self.crash = crash


async def _produce(
    watcher: AsyncInvoiceWatcher,
    counts: WatchCounts,
    queue: asyncio.Queue[PollEvent | _End],
    once: bool,
    until: float | None,
) -> None:
    # Holds no WatchRun: a run dropped unclosed can be collected, and cancels this task.
    crash = None
    try:
        await watcher._work(counts, queue.put, once=once, until=until)
    except asyncio.CancelledError:
        raise
    except BaseException as exc:  # the consumer sees it
        crash = exc
    await queue.put(_End(crash))


class WatchRun:
    """One run of an :class:`AsyncInvoiceWatcher`: an async iterator (and async context
    manager) of :class:`PollEvent`, ending with :class:`PollFinished`.

    Use it as ``async with watcher.run() as run: async for event in run: ...``; leaving the
    block stops the run at once (the reads in flight are cancelled, their leases released).
    """

    def __init__(self, watcher: AsyncInvoiceWatcher, *, once: bool, until: float | None) -> None:
        self._watcher = watcher
        self._once = once
        self._until = until
        self._counts = WatchCounts(watcher._clock)
        self._queue: asyncio.Queue[PollEvent | _End] = asyncio.Queue(maxsize=watcher._window.limit)
        self._task: asyncio.Task[None] | None = None
        self._state = "new"  # new -> running -> ended

    @property
    def summary(self) -> PollSummary:
        """Counts so far; final once the run has ended or is closed."""
        return self._counts.summary()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> PollEvent:
        if self._state == "ended":
            raise StopAsyncIteration
        if self._state == "new":
            self._state = "running"
            self._watcher._runs.add(self)
            self._task = asyncio.ensure_future(
                _produce(self._watcher, self._counts, self._queue, self._once, self._until)
            )
        item = await self._queue.get()
        if isinstance(item, _End):
            await self.aclose()
            if item.crash is not None:
                raise item.crash
            return PollFinished(summary=self.summary)
        return item

    async def aclose(self) -> None:
        """Stop the run: cancel the reads in flight and wait for them. Idempotent."""
        self._state = "ended"
        self._watcher._runs.discard(self)
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)
        if self._counts.stopped is None:
            self._counts.stopped = self._watcher._clock()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __del__(self) -> None:
        # `async for event in watcher.run(): break` drops the run unclosed: stop its task
        # (from whichever thread drops it; the blocking client drops it in the caller's).
        task = getattr(self, "_task", None)
        if task is not None and not task.done():
            with contextlib.suppress(RuntimeError):  # a closed loop: nothing runs there
                task.get_loop().call_soon_threadsafe(task.cancel)
