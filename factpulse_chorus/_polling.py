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

The events are in ``_poll_events``, the heap and the workers in ``_poll_scheduler``; this
module checks the arguments and is the async iterator.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Collection, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

from ._arguments import checked
from ._exceptions import RequestValidationError
from ._poll_events import PollEvent, PollFinished, PollSummary
from ._poll_scheduler import End, Fetch, Scheduler
from .models.common import FINAL_STATUSES, InvoiceStatusCode

if TYPE_CHECKING:
    from typing_extensions import Self

# No __all__: the package's export map (``factpulse_chorus._EXPORTS``) lists the public names.

DEFAULT_INTERVAL: Final = 60.0
DEFAULT_MAX_INTERVAL: Final = 3600.0


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
        self._scheduler = Scheduler(
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
        if isinstance(item, End):
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
