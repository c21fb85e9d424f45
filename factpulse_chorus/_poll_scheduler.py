"""The engine under :class:`~factpulse_chorus.InvoicePoller`: one heap of due invoices and a
fixed pool of workers sharing one :class:`Scheduler` (the design is told in ``_polling``)."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Collection
from typing import Any, Final

from ._exceptions import FactPulseError, RateLimitError
from ._poll_events import FinalStatus, PollError, PollEvent, PollSummary, StatusChanged
from .models.common import InvoiceStatusCode
from .models.factures import FacturesConsulterResponse

__all__ = ["END", "End", "Fetch", "Scheduler"]

Fetch = Callable[[int], Awaitable[FacturesConsulterResponse]]


class End:
    """Queue marker: every worker has stopped."""


END: Final = End()


class Scheduler:
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
        self.events: asyncio.Queue[PollEvent | End] | None = None
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
            await self.events.put(END)

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
