"""Reading invoices of ``client.factures``: one (``consulter``), many at once
(``consulter_many``), and over time until each is final (``poll`` in memory, ``watch``
through a store). :class:`AsyncFacturesReads` is a base of ``AsyncFactures``, as the searches
are of it: the methods are ``client.factures.consulter`` and so on.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Collection, Iterable
from typing import TYPE_CHECKING, Any

from .._budget import RateBudget
from .._exceptions import FactPulseError, RequestValidationError
from .._polling import InvoicePoller
from .._types import NOT_GIVEN, Headers, NotGivenOr, TimeoutTypes
from .._watch_policy import WatchPolicy
from .._watcher import AsyncInvoiceWatcher
from ..models.common import FINAL_STATUSES
from ..models.factures import (
    FacturesConsulterManyResult,
    FacturesConsulterRequest,
    FacturesConsulterResponse,
)
from ._base import CALL_OPTIONS, call_options
from ._factures_search import AsyncFacturesSearches

if TYPE_CHECKING:
    from .._poll_scheduler import Fetch
    from ..models.common import ChorusProCredentials, InvoiceStatusInput
    from ..store import Store

__all__ = ["AsyncFacturesReads"]


class AsyncFacturesReads(AsyncFacturesSearches):
    """``consulter``, ``consulter_many``, ``poll`` and ``watch``."""

    __slots__ = ()

    async def consulter(
        self,
        invoice_id: int,
        *,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> FacturesConsulterResponse:
        """Status (``status``) and main data of an invoice, supplier view.
        ``POST /factures/consulter``."""
        return await self._read(
            "/factures/consulter", FacturesConsulterRequest, FacturesConsulterResponse, locals()
        )

    async def consulter_many(
        self,
        invoice_ids: Iterable[int],
        *,
        concurrency: int = 16,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> list[FacturesConsulterManyResult]:
        """:meth:`consulter` for many invoices, ``concurrency`` requests at a time: at most
        the client's connection limit (more would only wait for a free connection).

        Returns one :class:`FacturesConsulterManyResult` per id, in the order given: the
        response, or the :class:`FactPulseError` raised for that id (one failure never
        stops the others). Any other exception, or cancellation, stops every request.
        """
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise RequestValidationError("concurrency", "must be an integer >= 1")
        options = call_options(locals())
        ids = list(invoice_ids)
        results: list[FacturesConsulterManyResult | None] = [None] * len(ids)
        queue = iter(enumerate(ids))

        async def worker() -> None:
            for index, invoice_id in queue:  # a shared iterator: each id goes to one worker
                try:
                    response = await self.consulter(invoice_id, **options)
                except FactPulseError as exc:
                    results[index] = FacturesConsulterManyResult(invoice_id=invoice_id, error=exc)
                else:
                    results[index] = FacturesConsulterManyResult(
                        invoice_id=invoice_id, response=response
                    )

        count = min(self._workers(concurrency), len(ids))
        workers = [asyncio.ensure_future(worker()) for _ in range(count)]
        try:
            await asyncio.gather(*workers)
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        return [result for result in results if result is not None]

    def poll(
        self,
        invoice_ids: Iterable[int],
        *,
        final_statuses: Collection[InvoiceStatusInput] = FINAL_STATUSES,
        interval: float = 60.0,
        max_interval: float = 3600.0,
        backoff: float = 1.5,
        jitter: float = 0.1,
        concurrency: int = 32,
        max_rate: float | None = None,
        deadline: float | None = 2_592_000.0,
        max_errors: int | None = 10,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: int = 0,
        extra_headers: Headers | None = None,
    ) -> InvoicePoller:
        """Follow invoices with :meth:`consulter` until each reaches a final status.

        Returns the poller (:class:`InvoicePoller`): an async iterator (and async context
        manager) of events: :class:`StatusChanged` (the first status seen, then each change),
        :class:`FinalStatus` (``final_statuses``, by default REJETEE, MISE_EN_PAIEMENT,
        REFUSEE_1/2), :class:`PollError` (a failed read, retried later) and last
        :class:`PollFinished` with the :class:`PollSummary` (also ``poller.summary``).

        ``concurrency`` worker tasks (at most the client's connection limit, as in
        :meth:`consulter_many`) share one schedule: an invoice is read again
        ``interval`` s after a change, the wait growing ×``backoff`` up to
        ``max_interval`` while nothing changes, ±``jitter``; an HTTP 429 pauses the whole
        batch for its ``Retry-After``; ``max_rate`` caps requests per second;
        ``deadline`` (s; 30 days by default, ``None`` for none) ends the poll, since
        some recipients never report ``MISE_EN_PAIEMENT``; an invoice is given up after
        ``max_errors`` failed reads in a row. ``max_retries`` (default 0) is per read: the
        poller itself retries. Chorus Pro statuses change over hours or days: keep
        ``interval`` in minutes.

        Leaving ``async for`` with ``break`` drops the poller, which cancels its workers
        when collected; to stop every request deterministically (and read
        ``poller.summary``), use it as a context manager: ``async with
        client.factures.poll(ids) as poller: async for event in poller: ...``.
        """

        settings = {name: value for name, value in locals().items() if name != "self"}
        options = {name: settings.pop(name) for name in CALL_OPTIONS}
        # Capped before the poller checks it: an invalid value stays invalid.
        settings["concurrency"] = self._workers(concurrency)

        async def fetch(invoice_id: int) -> FacturesConsulterResponse:
            return await self.consulter(invoice_id, **options)

        # The other parameters are InvoicePoller's own, under the same names.
        return InvoicePoller(fetch, **settings)

    def watch(
        self,
        store: Store,
        *,
        policy: WatchPolicy | None = None,
        concurrency: int = 8,
        max_requests: int | None = None,
        max_rate: float | None = None,
        lease: float = 300.0,
        max_errors: int | None = 10,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
        owner: str | None = None,
        seed: int | None = None,
        budget: RateBudget | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: int = 0,
        extra_headers: Headers | None = None,
    ) -> AsyncInvoiceWatcher:
        """A watcher (:class:`AsyncInvoiceWatcher`) following invoices with :meth:`consulter`
        through ``store`` (a :class:`Store`: :class:`SQLiteStore` or :class:`PostgresStore`),
        which keeps every invoice's status, history and next check, so runs resume across
        restarts, processes and machines.

        ``watcher.track(ids)`` once, then ``watcher.run_once()`` on each cron tick, or
        ``watcher.run()`` for events (those of :meth:`poll`). ``policy``: the intervals by
        status (:class:`WatchPolicy`); ``concurrency``: reads in flight at most (capped at
        the client's connection limit), halved on HTTP 429/503 and growing back; an HTTP
        429 pauses the whole run for its ``Retry-After``; ``max_requests``: reads per run;
        ``max_rate``: requests per second; ``lease``: seconds a claimed invoice stays this
        watcher's (``owner``, by default host, process and a random part); an invoice is
        given up after ``max_errors`` failed reads in a row. ``clock`` (POSIX seconds,
        default :func:`time.time`: the store is read by other processes) and ``sleep``
        can be replaced in tests; ``seed`` seeds the jitter's random generator (a seeded
        run with the same clock replays exactly; by default each watcher draws its own).
        ``max_retries`` (default 0) is per read. ``budget`` (a :class:`RateBudget`): the
        account's calls per second and per day, shared through ``store`` by every watcher
        giving it (any process, any machine); a 429 pauses them all for its ``Retry-After``.
        Each read starts once the budget grants it: a wait too long for the claimed
        invoices' ``lease`` makes ``run_once`` release them and return (still due, in the
        summary's ``pending``: run it again later) and ``run`` release them and sleep until
        the budget allows.
        """
        settings = {name: value for name, value in locals().items() if name != "self"}
        fetch: Fetch = functools.partial(
            self.consulter, **{n: settings.pop(n) for n in CALL_OPTIONS}
        )
        settings["concurrency"] = self._workers(concurrency)  # an invalid value stays invalid
        return AsyncInvoiceWatcher(fetch, **settings)  # the same parameters, the same names
