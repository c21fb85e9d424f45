"""Following many invoices to a final status with ``factures.consulter``.

Design: one heap of ``(next due time, invoice id)`` and a fixed pool of ``concurrency``
worker tasks that take the earliest due invoice, ask its status once, report what
changed and put it back in the heap (or drop it once final). So the number of tasks,
of requests in flight and of buffered events is bounded by ``concurrency`` whatever the
number of invoices; only the heap grows with them.

* Intervals: an invoice is polled ``interval`` seconds after a change, then each quiet
  poll multiplies its interval by ``backoff`` up to ``max_interval``; ``jitter`` spreads
  the polls (±``jitter`` × the interval) so invoices submitted together do not stay in
  lock-step.
* Errors never stop the others: a failed read is reported as :class:`PollError` and
  retried later with the same backoff; after ``max_errors`` errors in a row an invoice
  is given up (``PollError.gave_up``, ``PollSummary.failed``).
* HTTP 429 pauses the whole batch for ``retry_after`` (or ``interval``) seconds.
* ``max_rate`` caps the requests per second; ``deadline`` (seconds) stops the poll.
* Cleanup: :meth:`InvoicePoller.aclose` (or leaving ``async with``) cancels every worker
  and waits for them. A poller dropped after ``async for ... break`` cancels its workers
  when it is garbage-collected (at once in CPython); prefer ``async with`` to be sure.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import math
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

import attrs

from ._arguments import checked
from ._exceptions import FactPulseError, RateLimitError, RequestValidationError
from .models.common import FINAL_STATUSES, InvoiceStatusCode
from .models.factures import FacturesConsulterResponse

if TYPE_CHECKING:
    from typing_extensions import Self

# No __all__: the package's export map (``factpulse_chorus._EXPORTS``) lists the public names.

DEFAULT_INTERVAL: Final = 60.0
DEFAULT_MAX_INTERVAL: Final = 3600.0


# --- the events --------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class StatusChanged:
    """The status of ``invoice_id`` is not the one seen before (``previous`` is ``None``
    the first time)."""

    invoice_id: int
    previous: InvoiceStatusCode | None
    current: InvoiceStatusCode
    response: FacturesConsulterResponse = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class FinalStatus:
    """``invoice_id`` reached a final status: it is no longer polled."""

    invoice_id: int
    status: InvoiceStatusCode
    response: FacturesConsulterResponse = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class PollError:
    """Reading ``invoice_id`` failed; it is retried later unless ``gave_up``."""

    invoice_id: int
    error: FactPulseError
    gave_up: bool = False


@attrs.frozen(kw_only=True)
class PollSummary:
    """How a poll went.

    ``final``: invoices per final status; ``pending``: ids still not final when the poll
    stopped (deadline, closed early); ``failed``: ids given up after ``max_errors``
    errors in a row; ``errors``: failed reads (``rate_limited`` of them HTTP 429);
    ``requests``: ``factures/consulter`` calls made; ``elapsed``: seconds.
    """

    final: Mapping[InvoiceStatusCode, int]
    pending: tuple[int, ...]
    failed: tuple[int, ...]
    errors: int
    rate_limited: int
    requests: int
    elapsed: float


@attrs.frozen(kw_only=True)
class PollFinished:
    """The last event: the poll is over (every invoice final or given up, or deadline)."""

    summary: PollSummary


PollEvent = StatusChanged | FinalStatus | PollError | PollFinished
"""What ``factures.poll`` (an ``InvoicePoller``) yields."""


# --- the poller ---------------------------------------------------------------------------


Fetch = Callable[[int], Awaitable[FacturesConsulterResponse]]


def _positive(
    name: str, value: float | None, *, allow_none: bool = False, finite: bool = True
) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise RequestValidationError(name, "must be a number > 0")
    if finite and not math.isfinite(value):
        raise RequestValidationError(name, "must be a finite number")


def _final_statuses(values: Collection[InvoiceStatusCode | str]) -> frozenset[InvoiceStatusCode]:
    # A bare string is refused by the argument check (it would be split into letters).
    codes = []
    for index, value in enumerate(values):
        if not isinstance(value, str) or not value.strip():
            raise RequestValidationError(
                f"final_statuses[{index}]", "must be a status code (a non-blank string)"
            )
        codes.append(InvoiceStatusCode(value))
    if not codes:
        raise RequestValidationError("final_statuses", "must name at least one status")
    return frozenset(codes)


class _End:
    """Queue marker: every worker has stopped."""


_END: Final = _End()


class _Scheduler:
    """The state the workers share (the poller facade holds it; workers never hold the
    facade, so that dropping the facade can cancel them)."""

    def __init__(
        self,
        fetch: Fetch,
        ids: list[int],
        *,
        final_statuses: Collection[InvoiceStatusCode],
        interval: float,
        max_interval: float,
        backoff: float,
        jitter: float,
        concurrency: int,
        max_rate: float | None,
        deadline: float | None,
        max_errors: int | None,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[Any]],
    ) -> None:
        self.fetch = fetch
        self.final_statuses = frozenset(final_statuses)
        self.interval = float(interval)
        self.max_interval = float(max_interval)
        self.backoff = float(backoff)
        self.jitter = float(jitter)
        self.concurrency = concurrency
        self.min_gap = 1.0 / max_rate if max_rate else 0.0
        self.deadline = deadline
        self.max_errors = max_errors
        self.clock = clock
        self.sleep = sleep
        self.rng = random.Random()
        self.ids = ids
        # Everyone is due at once; the sequence number keeps the heap order total.
        self.heap: list[tuple[float, int, int]] = [(0.0, n, i) for n, i in enumerate(ids)]
        self.seq = len(ids)
        self.status: dict[int, InvoiceStatusCode] = {}
        self.delay: dict[int, float] = {}
        self.error_streak: dict[int, int] = {}
        self.remaining = len(ids)
        self.final: Counter[InvoiceStatusCode] = Counter()
        self.done_ids: set[int] = set()
        self.failed: list[int] = []
        self.errors = 0
        self.rate_limited = 0
        self.requests = 0
        self.in_flight = 0
        self.pause_until = 0.0
        self.next_slot = 0.0
        self.started_at = 0.0
        self.stopped_at: float | None = None
        self.finished = False
        self.crash: BaseException | None = None
        self.workers: list[asyncio.Task[None]] = []
        self.active = 0
        self.events: asyncio.Queue[PollEvent | _End] | None = None
        self.wake: asyncio.Future[None] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    # -- life cycle -----------------------------------------------------------------------

    def start(self) -> None:
        loop = self.loop = asyncio.get_running_loop()
        self.started_at = self.clock()
        self.events = asyncio.Queue(maxsize=self.concurrency)
        self.wake = loop.create_future()
        if self.remaining == 0:
            self.finish()  # nothing to poll: the single worker ends at once
        count = min(self.concurrency, len(self.ids)) or 1
        self.active = count
        self.workers = [loop.create_task(self.work()) for _ in range(count)]

    def cancel_from_any_thread(self) -> None:
        """:meth:`cancel` on the workers' loop, from whichever thread drops the poller
        (the blocking client drops it in the caller's thread)."""
        loop = self.loop
        if loop is None or not self.workers:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self.cancel()
        else:
            # A closed loop raises RuntimeError: nothing runs there any more anyway.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self.cancel)

    def cancel(self) -> None:
        """Cancel every worker (no waiting); call it on the workers' loop."""
        for task in self.workers:
            if not task.done():
                # A closed loop raises RuntimeError: nothing runs there any more anyway.
                with contextlib.suppress(RuntimeError):
                    task.cancel()
        self.stop_clock()

    async def aclose(self) -> None:
        self.cancel()
        workers, self.workers = self.workers, []
        if workers:
            await asyncio.gather(*workers, return_exceptions=True)

    def stop_clock(self) -> None:
        if self.stopped_at is None and self.started_at:
            self.stopped_at = self.clock()

    def summary(self) -> PollSummary:
        end = self.stopped_at if self.stopped_at is not None else self.clock()
        gone = self.done_ids.union(self.failed)
        return PollSummary(
            final=dict(self.final),
            pending=tuple(i for i in self.ids if i not in gone),
            failed=tuple(self.failed),
            errors=self.errors,
            rate_limited=self.rate_limited,
            requests=self.requests,
            elapsed=(end - self.started_at) if self.started_at else 0.0,
        )

    # -- scheduling -----------------------------------------------------------------------

    def notify(self) -> None:
        wake = self.wake
        if wake is not None and not wake.done():
            wake.set_result(None)
        self.wake = asyncio.get_running_loop().create_future()

    def finish(self) -> None:
        if not self.finished:
            self.finished = True
            self.stop_clock()
            self.notify()

    async def wait(self, timeout: float | None) -> None:
        """Until something changes (a read ended, the poll finished) or ``timeout``."""
        assert self.wake is not None
        await asyncio.wait((self.wake,), timeout=timeout)

    def schedule(self, invoice_id: int, due: float) -> None:
        heapq.heappush(self.heap, (due, self.seq, invoice_id))
        self.seq += 1

    def spread(self, delay: float) -> float:
        return delay * (1.0 + self.jitter * self.rng.uniform(-1.0, 1.0))

    async def take(self) -> int | None:
        """The next due invoice (waiting for it), or ``None`` when the poll is over."""
        while True:
            if self.finished:
                return None
            now = self.clock()
            limit = None if self.deadline is None else self.started_at + self.deadline - now
            if limit is not None and limit <= 0:
                self.finish()
                return None
            if self.pause_until > now:
                pause = self.pause_until - now
                await self.sleep(pause if limit is None else min(pause, limit))
                continue
            if not self.heap:
                await self.wait(limit)  # everything left is in flight
                continue
            due = self.heap[0][0]
            if due > now:
                await self.wait(due - now if limit is None else min(due - now, limit))
                continue
            entry = heapq.heappop(self.heap)
            self.in_flight += 1
            if self.min_gap:
                slot = max(now, self.next_slot)
                self.next_slot = slot + self.min_gap
                if slot > now:
                    await self.sleep(slot - now)
                    if self.finished or (
                        self.deadline is not None
                        and self.clock() >= self.started_at + self.deadline
                    ):
                        # The poll ended while this worker waited for its slot.
                        heapq.heappush(self.heap, entry)
                        self.in_flight -= 1
                        continue
            return entry[2]

    # -- the workers ----------------------------------------------------------------------

    async def work(self) -> None:
        try:
            while True:
                invoice_id = await self.take()
                if invoice_id is None:
                    break
                try:
                    await self.poll_one(invoice_id)
                finally:
                    self.in_flight -= 1
                    self.notify()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # a bug: end the poll and let the consumer see it
            self.crash = exc
            self.finish()
        self.active -= 1
        if self.active == 0:
            assert self.events is not None
            await self.events.put(_END)

    async def emit(self, event: PollEvent) -> None:
        assert self.events is not None
        await self.events.put(event)  # blocks while the consumer lags: backpressure

    def done(self, invoice_id: int) -> None:
        self.remaining -= 1
        if self.remaining == 0:
            self.finish()

    async def poll_one(self, invoice_id: int) -> None:
        self.requests += 1
        try:
            # A success always carries the status (else the converter raised
            # ResponseDecodeError, a FactPulseError handled below).
            response = await self.fetch(invoice_id)
            status = response.status
        except RateLimitError as exc:
            self.errors += 1
            self.rate_limited += 1
            now = self.clock()
            pause = exc.retry_after if exc.retry_after is not None else self.interval
            self.pause_until = max(self.pause_until, now + pause)
            self.schedule(invoice_id, self.pause_until)
            await self.emit(PollError(invoice_id=invoice_id, error=exc))
            return
        except FactPulseError as exc:
            self.errors += 1
            streak = self.error_streak[invoice_id] = self.error_streak.get(invoice_id, 0) + 1
            if self.max_errors is not None and streak >= self.max_errors:
                self.failed.append(invoice_id)
                await self.emit(PollError(invoice_id=invoice_id, error=exc, gave_up=True))
                self.done(invoice_id)
                return
            delay = min(self.max_interval, self.interval * self.backoff**streak)
            self.schedule(invoice_id, self.clock() + self.spread(delay))
            await self.emit(PollError(invoice_id=invoice_id, error=exc))
            return

        self.error_streak.pop(invoice_id, None)
        code = status.code
        previous = self.status.get(invoice_id)
        if code != previous:
            self.status[invoice_id] = code
            delay = self.interval
            await self.emit(
                StatusChanged(
                    invoice_id=invoice_id, previous=previous, current=code, response=response
                )
            )
        else:
            delay = min(self.max_interval, self.delay.get(invoice_id, self.interval) * self.backoff)
        if code in self.final_statuses:
            self.final[code] += 1
            self.done_ids.add(invoice_id)
            self.delay.pop(invoice_id, None)
            await self.emit(FinalStatus(invoice_id=invoice_id, status=code, response=response))
            self.done(invoice_id)
            return
        self.delay[invoice_id] = delay
        self.schedule(invoice_id, self.clock() + self.spread(delay))


class InvoicePoller:
    """Polls invoices until each reaches a final status; an async iterator of events.

    Yields :class:`StatusChanged` (first status seen, then every change),
    :class:`FinalStatus`, :class:`PollError` and, last, :class:`PollFinished` with the
    :class:`PollSummary` (also :attr:`summary`). Build it with ``client.factures.poll(...)``
    or directly as ``InvoicePoller(client.factures.consulter, ids, ...)``; use it as
    ``async with poller: async for event in poller: ...`` so that leaving the block
    (``break``, an exception, cancellation) stops every request at once.

    ``fetch`` is called as ``fetch(invoice_id)``; the other arguments are those of
    ``factures.poll``, but ``concurrency`` is used as given (``factures.poll`` caps it at
    the client's connection limit). ``clock`` (monotonic seconds, default
    :func:`time.monotonic`) and ``sleep`` (default :func:`asyncio.sleep`) can be replaced
    in tests.
    """

    @checked
    def __init__(
        self,
        fetch: Fetch,
        invoice_ids: Iterable[int],
        *,
        final_statuses: Collection[InvoiceStatusCode | str] = FINAL_STATUSES,
        interval: float = DEFAULT_INTERVAL,
        max_interval: float = DEFAULT_MAX_INTERVAL,
        backoff: float = 1.5,
        jitter: float = 0.1,
        concurrency: int = 32,
        max_rate: float | None = None,
        deadline: float | None = 2_592_000.0,  # 30 days: REFERENCE §10.3
        max_errors: int | None = 10,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
    ) -> None:
        ids = list(dict.fromkeys(invoice_ids))  # each invoice once, in the order given
        for invoice_id in ids:
            if isinstance(invoice_id, bool) or not isinstance(invoice_id, int) or invoice_id < 1:
                raise RequestValidationError("invoice_ids", "must be positive integers")
        _positive("interval", interval)
        _positive("max_interval", max_interval)
        _positive("max_rate", max_rate, allow_none=True)
        _positive("deadline", deadline, allow_none=True, finite=False)
        if max_interval < interval:
            raise RequestValidationError("max_interval", "must be >= interval")
        if not backoff >= 1.0:
            raise RequestValidationError("backoff", "must be >= 1")
        if not 0.0 <= jitter < 1.0:
            raise RequestValidationError("jitter", "must be within [0, 1)")
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise RequestValidationError("concurrency", "must be an integer >= 1")
        if max_errors is not None and (isinstance(max_errors, bool) or max_errors < 1):
            raise RequestValidationError("max_errors", "must be an integer >= 1 or None")
        finals = _final_statuses(final_statuses)
        self._scheduler = _Scheduler(
            fetch,
            ids,
            final_statuses=finals,
            interval=interval,
            max_interval=max_interval,
            backoff=backoff,
            jitter=jitter,
            concurrency=concurrency,
            max_rate=max_rate,
            deadline=deadline,
            max_errors=max_errors,
            clock=clock or time.monotonic,
            sleep=sleep or asyncio.sleep,
        )
        self._state = "new"  # new -> running -> ended (finished or closed)
        self._summary: PollSummary | None = None

    @property
    def summary(self) -> PollSummary:
        """Counts so far; final once the iteration has ended or the poller is closed."""
        return self._summary if self._summary is not None else self._scheduler.summary()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> PollEvent:
        scheduler = self._scheduler
        if self._state == "ended":
            raise StopAsyncIteration
        if self._state == "new":
            self._state = "running"
            scheduler.start()
        assert scheduler.events is not None
        item = await scheduler.events.get()
        if isinstance(item, _End):
            await self.aclose()
            if scheduler.crash is not None:
                raise scheduler.crash
            return PollFinished(summary=self.summary)
        return item

    async def aclose(self) -> None:
        """Stop polling: cancel every worker and wait for them. Idempotent."""
        self._state = "ended"
        await self._scheduler.aclose()
        if self._summary is None:
            self._summary = self._scheduler.summary()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __del__(self) -> None:
        # `async for event in factures.poll(...): break` drops the poller without closing
        # it: the workers hold only the scheduler, so they can be cancelled from here.
        scheduler = getattr(self, "_scheduler", None)
        if scheduler is not None:
            scheduler.cancel_from_any_thread()
