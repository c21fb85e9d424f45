"""The resumable watcher: invoices followed to a final status through a durable store.

Design: the store holds every tracked invoice with its next check time, so nothing lives
only in memory and any number of processes may share one store. A run claims what is due
in batches (``store.claim_due``: a lease, so two processes never read the same invoice at
once; ``max(256, 4 × concurrency)`` at a time, read within the lease), reads them at most
the AIMD window at a time (``_watch_policy.ConcurrencyWindow``) with ``factures.consulter``,
and records the results in batches too (``store.record``: as many, or what finished in the
last second, or when nothing is in flight), one store transaction for many reads. A
kill (even ``kill -9``) loses only the reads not recorded yet: their invoices are still due
in the store, so they are read again once their lease runs out. A result is recorded before
its events are given (the same as the poller's).

* Intervals come from :class:`~factpulse_chorus.WatchPolicy`, by status and by how long the
  invoice has been in it: since the server's status date (a date alone counts as its end),
  or since the status was first seen (the store's history, which ``claim_due`` returns as
  ``status_seen_at``; or this watcher's own memory), whichever is longer ago. So waits
  follow the invoice's age also for a process started by cron each tick.
* ``run_once`` reads what was due when it started (a tick's work is bounded); ``run``
  sleeps until ``store.next_due()`` and ends when nothing is watched any more.
* An HTTP 429 pauses the whole run for its ``Retry-After``; the window halves on 429/503
  and grows back.
* With a :class:`~factpulse_chorus.RateBudget` the run asks it before each read starts
  (``_watch_drain``): a wait that ends within the claimed invoices' lease is spent beside
  the reads in flight; a longer one gives the claims back: ``run_once`` returns (the
  invoices left unread in its ``pending``), ``run`` sleeps until the budget allows.
"""

from __future__ import annotations

import asyncio
import random
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, Final

from ._arguments import checked
from ._budget import BudgetGate, RateBudget
from ._exceptions import APIStatusError, FactPulseError, RateLimitError, RequestValidationError
from ._poll_events import (
    FinalStatus,
    PollError,
    PollEvent,
    PollSummary,
    StatusChanged,
)
from ._poll_scheduler import Fetch
from ._polling import _positive
from ._watch_drain import Drain
from ._watch_policy import ConcurrencyWindow, WatchPolicy, status_instant, stored_date
from ._watch_run import Emit, Outcome, WatchCounts, WatchRun
from .models.common import InvoiceStatusCode
from .store._base import Store, new_owner
from .store._records import CheckResult, TrackedInvoice

if TYPE_CHECKING:
    from typing_extensions import Self

    from .models.factures import FacturesConsulterResponse

# No __all__: the package's export map (``factpulse_chorus._EXPORTS``) lists the public names.

DEFAULT_CONCURRENCY: Final = 8
DEFAULT_LEASE: Final = 300.0
"""Seconds a claimed invoice stays this watcher's: far longer than a read."""
DEFAULT_MAX_ERRORS: Final = 10
CLAIM_BATCH: Final = 256
CLAIM_WINDOWS: Final = 4
"""One claim takes ``max(CLAIM_BATCH, CLAIM_WINDOWS × concurrency)`` invoices, and finished
reads are recorded as many at a time: one store transaction per many reads (the store's
CPU per invoice read, claim and record: about 13 µs at 256, 18 µs at 64, 80 µs at 4)."""
IDLE_WAIT: Final = 1.0
"""Seconds a run waits when something is due but another process holds it."""
_UNLIMITED: Final = 2**62


async def _ignore(_event: PollEvent) -> None:
    return None


class AsyncInvoiceWatcher:
    """Follows tracked invoices to a final status through a store shared across runs and
    processes: :meth:`track` adds invoices, :meth:`run_once` reads what is due and returns
    (for cron), :meth:`run` keeps going and yields the poller's events.

    Build it with ``client.factures.watch(store, ...)``. ``owner`` names this watcher's
    leases in the store; ``window`` is the current AIMD concurrency; ``seed`` seeds the
    jitter (a seeded run on the same clock replays exactly). With ``budget`` (a
    :class:`RateBudget` kept in the store) each read starts once the budget grants it; a
    wait too long for the claimed invoices' lease makes :meth:`run_once` release them and
    return (still due, in the summary's ``pending``: run it again later) and :meth:`run`
    release them and sleep until the budget allows (or ``until``). :meth:`aclose` (or leaving
    ``async with``) stops a run under way and releases the leases it holds.
    """

    @checked
    def __init__(
        self,
        fetch: Fetch,
        store: Store,
        *,
        policy: WatchPolicy | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        max_requests: int | None = None,
        max_rate: float | None = None,
        lease: float = DEFAULT_LEASE,
        owner: str | None = None,
        max_errors: int | None = DEFAULT_MAX_ERRORS,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
        seed: int | None = None,
        budget: RateBudget | None = None,
    ) -> None:
        if max_requests is not None and max_requests < 1:
            raise RequestValidationError("max_requests", "must be an integer >= 1 or None")
        if max_errors is not None and max_errors < 1:
            raise RequestValidationError("max_errors", "must be an integer >= 1 or None")
        if owner is not None and not owner.strip():
            raise RequestValidationError("owner", "must be a non-blank string or None")
        _positive("lease", lease)
        _positive("max_rate", max_rate, allow_none=True)
        self._fetch = fetch
        self._store = store
        self._gate = None if budget is None else BudgetGate(store, budget)
        self._budget_wake = 0.0  # when the budget allows a read again, past the leases
        self._policy = policy or WatchPolicy()
        self._window = ConcurrencyWindow(concurrency)
        self._batch = max(CLAIM_BATCH, CLAIM_WINDOWS * concurrency)
        self._max_requests = max_requests
        self._min_gap = 1.0 / max_rate if max_rate else 0.0
        self._lease = float(lease)
        self._owner = owner or new_owner()
        self._max_errors = max_errors
        self._clock = clock or time.time
        self._sleep = sleep or asyncio.sleep
        self._rng = random.Random(seed)  # None: seeded by the system, apart per watcher
        self._pause_until = 0.0
        self._next_slot = 0.0
        self._seen: dict[int, tuple[str, float]] = {}  # id -> (status, first seen here)
        self._turn = asyncio.Lock()  # runs of one watcher take turns: one owner's leases
        self._runs: weakref.WeakSet[WatchRun] = weakref.WeakSet()  # for aclose()

    def __repr__(self) -> str:
        return f"<AsyncInvoiceWatcher owner={self._owner!r} window={self.window}>"

    @property
    def owner(self) -> str:
        """The name of this watcher's leases in the store."""
        return self._owner

    @property
    def policy(self) -> WatchPolicy:
        """The intervals by status."""
        return self._policy

    @property
    def window(self) -> int:
        """Reads allowed in flight now: ``concurrency``, halved on 429/503, growing back."""
        return self._window.current

    @checked
    async def track(self, invoice_ids: Iterable[int]) -> int:
        """Start watching ``invoice_ids`` (due at once); returns how many were new."""
        ids = list(invoice_ids)
        for invoice_id in ids:
            if isinstance(invoice_id, bool) or not isinstance(invoice_id, int) or invoice_id < 1:
                raise RequestValidationError("invoice_ids", "must be positive integers")
        return await self._store.track(ids, now=self._clock())

    async def run_once(self) -> PollSummary:
        """Read every invoice due when it starts (up to ``max_requests``), record the
        results, return the run's :class:`PollSummary`: the job of one cron tick."""
        counts = WatchCounts(self._clock)
        await self._work(counts, _ignore, once=True, until=None)
        return counts.summary()

    @checked
    def run(self, *, once: bool = False, until: float | None = None) -> WatchRun:
        """The events of a run (:class:`WatchRun`): :class:`StatusChanged`,
        :class:`FinalStatus`, :class:`PollError`, last :class:`PollFinished`.

        The run sleeps until the next invoice is due and ends once nothing is watched any
        more (every invoice final or given up), at ``until`` (a time of ``clock``), after
        ``max_requests`` reads, or when closed; ``once=True``: :meth:`run_once` as events.
        An event is given once its result is in the store.
        """
        return WatchRun(self, once=once, until=until)

    async def aclose(self) -> None:
        """Stop the runs under way and release this watcher's leases. Idempotent."""
        for run in list(self._runs):
            await run.aclose()
        await self._store.release(self._owner)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- the run ------------------------------------------------------------------------

    async def _work(
        self, counts: WatchCounts, emit: Emit, *, once: bool, until: float | None
    ) -> None:
        async with self._turn:
            try:
                while True:
                    since = counts.started if once else None
                    claimed = await Drain(self, counts, emit, since, until).run()
                    now = self._clock()
                    if once or self._budget(counts) == 0 or (until is not None and now >= until):
                        return
                    if await self._store.watched_count() == 0:
                        return
                    due = await self._store.next_due()
                    # A budget wait too long for the leases: the claims went back, sleep here.
                    wake = max(now if due is None else due, self._pause_until, self._budget_wake)
                    delay = wake - now
                    if not claimed:  # due, but held by another process: do not spin
                        delay = max(delay, IDLE_WAIT)
                    if until is not None:
                        delay = min(delay, until - now)
                    if delay > 0:
                        await self._sleep(delay)
            finally:
                counts.stopped = self._clock()

    def _budget(self, counts: WatchCounts) -> int:
        """Requests this run may still make."""
        if self._max_requests is None:
            return _UNLIMITED
        return max(0, self._max_requests - counts.requests)

    def _claim_size(self, room: int) -> int:
        """How many invoices one claim takes: several windows' worth (one store transaction
        for many reads), no more than ``room`` (the budget left) nor, with ``max_rate``,
        than half a lease's worth of requests (each is read well within its lease)."""
        size = self._batch
        if self._min_gap:
            size = min(size, max(1, int(self._lease / (2 * self._min_gap))))
        return min(size, room)

    async def _slot(self) -> None:
        """``max_rate``: wait for this request's turn."""
        if self._min_gap:
            now = self._clock()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self._min_gap
            if slot > now:
                await self._sleep(slot - now)

    async def _check(self, invoice: TrackedInvoice, counts: WatchCounts) -> Outcome:
        await self._slot()
        epoch = self._window.epoch
        invoice_id = invoice.invoice_id
        try:
            response = await self._fetch(invoice_id)
        except FactPulseError as exc:
            outcome = self._failed(invoice, exc, epoch, counts)
            if isinstance(exc, RateLimitError) and self._gate is not None:
                await self._gate.pause(self._pause_until)  # the fleet waits as this one does
            return outcome
        self._window.on_success()
        now = self._clock()
        code = response.status.code
        status = code.value
        previous = None if invoice.status is None else InvoiceStatusCode(invoice.status)
        events: list[PollEvent] = []
        if code != previous:
            events.append(
                StatusChanged(
                    invoice_id=invoice_id, previous=previous, current=code, response=response
                )
            )
        final = self._policy.is_final(status)
        if final:
            counts.final[code] += 1
            counts.pending.pop(invoice_id, None)
            self._seen.pop(invoice_id, None)
            events.append(FinalStatus(invoice_id=invoice_id, status=code, response=response))
            next_check = now
        else:
            counts.pending[invoice_id] = None
            quiet = self._quiet(invoice, status, response, now)
            delay = self._policy.interval(status, quiet=quiet)
            next_check = now + self._policy.spread(delay, self._rng)
        result = CheckResult(
            invoice_id=invoice_id,
            next_check=next_check,
            status=status,
            status_date=stored_date(response.status.date),
            final=final,
        )
        return Outcome(result, events)

    def _quiet(
        self, invoice: TrackedInvoice, status: str, response: FacturesConsulterResponse, now: float
    ) -> float:
        """How long the invoice has been in ``status``, at least: since the status date the
        server gives, or since it was first seen in it (by the store, or by this watcher),
        whichever is longer ago."""
        first = now
        if invoice.status == status and invoice.status_seen_at is not None:
            first = min(now, invoice.status_seen_at)
        seen = self._seen.get(invoice.invoice_id)
        if seen is None or seen[0] != status:
            seen = self._seen[invoice.invoice_id] = (status, first)
        entered = status_instant(response.status.date)
        return max(now - min(first, seen[1]), 0.0 if entered is None else now - entered)

    def _failed(
        self, invoice: TrackedInvoice, exc: FactPulseError, epoch: int, counts: WatchCounts
    ) -> Outcome:
        now = self._clock()
        counts.errors += 1
        invoice_id = invoice.invoice_id
        errors = invoice.errors + 1
        gave_up = False
        if isinstance(exc, RateLimitError):
            counts.rate_limited += 1
            self._window.on_overload(epoch)
            pause = exc.retry_after if exc.retry_after is not None else self._policy.error_interval
            self._pause_until = max(self._pause_until, now + pause)
            next_check = self._pause_until  # rate limited: not the invoice's fault
        else:
            if isinstance(exc, APIStatusError) and exc.status_code == 503:
                self._window.on_overload(epoch)
            gave_up = self._max_errors is not None and errors >= self._max_errors
            delay = self._policy.error_delay(errors)
            next_check = now + self._policy.spread(delay, self._rng)
        if gave_up:
            counts.failed.append(invoice_id)
            counts.pending.pop(invoice_id, None)
            self._seen.pop(invoice_id, None)
        else:
            counts.pending[invoice_id] = None
        result = CheckResult(
            invoice_id=invoice_id,
            next_check=next_check,
            error=f"{type(exc).__name__}: {exc}",
            gave_up=gave_up,
        )
        return Outcome(result, [PollError(invoice_id=invoice_id, error=exc, gave_up=gave_up)])
