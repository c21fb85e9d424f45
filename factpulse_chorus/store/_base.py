"""The interface of every store, whatever its backend (:class:`SQLiteStore`,
:class:`PostgresStore`), and what they share: ``async with`` / ``with`` close it.

Each public method checks its arguments (``_checks``) before anything touches the database,
then calls the backend's protected one (``track`` -> ``_track``), which gets them checked and
normalised (times as floats, states as values): the rules and the docstrings are written once.
Times are POSIX seconds given by the caller (``now``): the store never reads a clock, so a
simulated one works and every process sharing a store agrees on what is due.
"""

from __future__ import annotations

import abc
import os
import secrets
import socket
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING

from . import _bucket as bucket
from . import _checks as check
from ._rows import Mark

if TYPE_CHECKING:
    from typing_extensions import Self

    from ._records import CheckResult, Submission, SubmissionState, TrackedInvoice

__all__ = ["Store", "new_owner"]


def new_owner() -> str:
    """``host:pid:random``: a lease owner unique to its watcher or submission, readable in
    the store."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(6)}"


class Store(abc.ABC):
    """A durable store: the watcher's tracked invoices and the submission ledger.

    Accepted wherever the SDK takes a ``store`` (``factures.watch``, ``soumettre``,
    ``deposer``, ``reconcile``). Its methods are coroutines; ``async with`` awaits
    :meth:`aclose`, ``with`` calls :meth:`close`. A bad argument is a
    :class:`RequestValidationError` naming it, raised before the store is touched.
    """

    __slots__ = ()

    @property
    @abc.abstractmethod
    def path(self) -> str:
        """Where the store lives (a file path, or a URL with its password masked)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Close the store (idempotent); using it afterwards raises :class:`StoreError`."""

    @abc.abstractmethod
    async def aclose(self) -> None:
        """:meth:`close`, awaitable."""

    # -- tracked invoices

    async def track(self, invoice_ids: Iterable[int], *, now: float) -> int:
        """Watch ``invoice_ids`` from ``now`` on; ids already tracked keep their state.
        Returns how many were new."""
        ids = check.invoice_ids(invoice_ids)
        return await self._track(ids, now=check.time("now", now))

    async def claim_due(
        self, *, now: float, limit: int, owner: str, lease: float
    ) -> list[TrackedInvoice]:
        """Up to ``limit`` watched invoices due at ``now`` and not leased, earliest first,
        each leased to ``owner`` until ``now + lease``: no other claim gets them meanwhile.
        Rows another process is writing are passed over, never waited for (PostgreSQL)."""
        now, limit = check.time("now", now), check.limit(limit)
        owner, lease = check.non_blank("owner", owner), check.lease(lease)
        if limit == 0:
            return []
        return await self._claim_due(now=now, limit=limit, owner=owner, lease=lease)

    async def record(self, results: Sequence[CheckResult], *, owner: str, now: float) -> None:
        """Store ``results`` in one transaction and drop their leases. A result for an invoice
        no longer leased to ``owner`` is ignored; a new status is appended to the history."""
        results = check.results(results)
        owner, now = check.non_blank("owner", owner), check.time("now", now)
        if results:
            await self._record(results, owner=owner, now=now)

    async def release(self, owner: str) -> None:
        """Drop every lease ``owner`` holds (a clean stop): the invoices are due again."""
        await self._release(check.non_blank("owner", owner))

    async def next_due(self) -> float | None:
        """The earliest time ``claim_due`` could return an invoice (``None``: none watched)."""
        return await self._next_due()

    async def get(self, invoice_id: int) -> TrackedInvoice | None:
        """The tracked invoice with its status history, or ``None`` if not tracked."""
        return await self._get(check.invoice_id(invoice_id))

    async def status_counts(self) -> dict[str | None, int]:
        """Tracked invoices per last status (``None``: never read)."""
        return await self._status_counts()

    async def due_count(self, *, now: float) -> int:
        """How many invoices ``claim_due(now=now)`` could hand out."""
        return await self._due_count(now=check.time("now", now))

    async def watched_count(self) -> int:
        """How many invoices are still watched (neither final nor given up)."""
        return await self._watched_count()

    async def check_integrity(self) -> str:
        """``"ok"``, or the problems found: SQLite's ``PRAGMA integrity_check``; on
        PostgreSQL (which keeps its own files consistent) the store's rules some rows break."""
        return await self._check_integrity()

    # -- the submission ledger

    async def reserve(
        self, supplier: str, invoice_number: str, *, owner: str, now: float, lease: float
    ) -> Submission:
        """Hold ``(supplier, invoice_number)`` for ``owner`` until ``now + lease``.

        Returns the row RESERVED (send it), or UNCERTAIN (an earlier send's outcome is
        unknown: reconcile before sending). Raises :class:`DuplicateSubmissionError` when
        the number is created, or held by a live lease.
        """
        supplier = check.supplier(supplier)
        invoice_number = check.non_blank("invoice_number", invoice_number)
        owner, now = check.non_blank("owner", owner), check.time("now", now)
        return await self._reserve(
            supplier, invoice_number, owner=owner, now=now, lease=check.lease(lease)
        )

    async def mark(
        self,
        supplier: str,
        invoice_number: str,
        state: SubmissionState,
        *,
        owner: str,
        now: float,
        invoice_id: int | None = None,
        error: str | None = None,
    ) -> Submission:
        """Move ``owner``'s row to ``state``: SENT records ``sent_at``; CREATED, ABSENT and
        UNCERTAIN release the row. ``error`` (if given) becomes ``last_error``. Raises
        :class:`DuplicateSubmissionError` if ``owner`` does not hold the row."""
        supplier = check.supplier(supplier)
        invoice_number = check.non_blank("invoice_number", invoice_number)
        change = Mark(
            state=check.state(state),
            owner=check.non_blank("owner", owner),
            now=check.time("now", now),
            invoice_id=check.optional_invoice_id(invoice_id),
            error=check.optional_text("error", error),
        )
        return await self._mark(supplier, invoice_number, change)

    async def submission(self, supplier: str, invoice_number: str) -> Submission | None:
        """The ledger row of ``(supplier, invoice_number)``, or ``None``."""
        supplier = check.supplier(supplier)
        return await self._submission(supplier, check.non_blank("invoice_number", invoice_number))

    async def submissions(
        self, *, states: Collection[SubmissionState] | None = None
    ) -> list[Submission]:
        """Every ledger row (in ``states`` only, if given), by supplier and number."""
        values = check.states(states)
        if values is not None and not values:
            return []
        return await self._submissions(values)

    # -- the fleet's rate budget

    async def take_budget(
        self, name: str, *, now: float, per_second: float | None, burst: int, per_day: int | None
    ) -> float:
        """Ask the budget ``name`` (shared by every process using this store) for one call.

        ``0.0``: granted, and counted. Else the seconds to wait before asking again: the
        fleet is paused (:meth:`pause_budget`), the UTC calendar day's ``per_day`` calls are
        spent (the wait ends at the next 00:00 UTC), or the bucket (``per_second`` refill, at
        most ``burst`` calls at once) is empty. ``None``: no such limit. The budget's row is
        read and written under a lock: every process takes from one bucket.
        """
        name, now = check.non_blank("name", name), check.time("now", now)
        bucket.check(per_second=per_second, burst=burst, per_day=per_day)
        return await self._take_budget(
            name,
            now=now,
            per_second=None if per_second is None else float(per_second),
            burst=int(burst),
            per_day=None if per_day is None else int(per_day),
        )

    async def pause_budget(self, name: str, *, until: float) -> None:
        """Refuse every call of the budget ``name`` until ``until`` (an HTTP 429's
        ``Retry-After``): the later of the current pause and this one holds."""
        name = check.non_blank("name", name)
        await self._pause_budget(name, until=check.time("until", until))

    # -- what each backend implements, given checked arguments

    @abc.abstractmethod
    async def _track(self, invoice_ids: list[int], *, now: float) -> int: ...

    @abc.abstractmethod
    async def _claim_due(
        self, *, now: float, limit: int, owner: str, lease: float
    ) -> list[TrackedInvoice]: ...

    @abc.abstractmethod
    async def _record(self, results: Sequence[CheckResult], *, owner: str, now: float) -> None:
        """``results`` is not empty."""

    @abc.abstractmethod
    async def _release(self, owner: str) -> None: ...

    @abc.abstractmethod
    async def _next_due(self) -> float | None: ...

    @abc.abstractmethod
    async def _get(self, invoice_id: int) -> TrackedInvoice | None: ...

    @abc.abstractmethod
    async def _status_counts(self) -> dict[str | None, int]: ...

    @abc.abstractmethod
    async def _due_count(self, *, now: float) -> int: ...

    @abc.abstractmethod
    async def _watched_count(self) -> int: ...

    @abc.abstractmethod
    async def _check_integrity(self) -> str: ...

    @abc.abstractmethod
    async def _reserve(
        self, supplier: str, invoice_number: str, *, owner: str, now: float, lease: float
    ) -> Submission: ...

    @abc.abstractmethod
    async def _mark(self, supplier: str, invoice_number: str, change: Mark) -> Submission: ...

    @abc.abstractmethod
    async def _submission(self, supplier: str, invoice_number: str) -> Submission | None: ...

    @abc.abstractmethod
    async def _submissions(self, states: tuple[str, ...] | None) -> list[Submission]:
        """``states``: the states' values (never empty), or None for every row."""

    @abc.abstractmethod
    async def _take_budget(
        self, name: str, *, now: float, per_second: float | None, burst: int, per_day: int | None
    ) -> float: ...

    @abc.abstractmethod
    async def _pause_budget(self, name: str, *, until: float) -> None: ...

    # -- closing

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
