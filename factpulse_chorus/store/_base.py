"""The interface of every store, whatever its backend (:class:`SQLiteStore`,
:class:`PostgresStore`), and what they share: ``async with`` / ``with`` close it.

Times are POSIX seconds given by the caller (``now``): the store never reads a clock, so a
simulated one works and every process sharing a store agrees on what is due.
"""

from __future__ import annotations

import abc
from collections.abc import Collection, Iterable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing_extensions import Self

    from ._records import CheckResult, Submission, SubmissionState, TrackedInvoice

__all__ = ["Store"]


class Store(abc.ABC):
    """A durable store: the watcher's tracked invoices and the submission ledger.

    Accepted wherever the SDK takes a ``store`` (``factures.watch``, ``soumettre``,
    ``deposer``, ``reconcile``). Its methods are coroutines; ``async with`` awaits
    :meth:`aclose`, ``with`` calls :meth:`close`.
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

    @abc.abstractmethod
    async def track(self, invoice_ids: Iterable[int], *, now: float) -> int:
        """Watch ``invoice_ids`` from ``now`` on; ids already tracked keep their state.
        Returns how many were new."""

    @abc.abstractmethod
    async def claim_due(
        self, *, now: float, limit: int, owner: str, lease: float
    ) -> list[TrackedInvoice]:
        """Up to ``limit`` watched invoices due at ``now`` and not leased, earliest first,
        each leased to ``owner`` until ``now + lease``: no other claim gets them meanwhile."""

    @abc.abstractmethod
    async def record(self, results: Sequence[CheckResult], *, owner: str, now: float) -> None:
        """Store ``results`` in one transaction and drop their leases. A result for an invoice
        no longer leased to ``owner`` is ignored; a new status is appended to the history."""

    @abc.abstractmethod
    async def release(self, owner: str) -> None:
        """Drop every lease ``owner`` holds (a clean stop): the invoices are due again."""

    @abc.abstractmethod
    async def next_due(self) -> float | None:
        """The earliest time ``claim_due`` could return an invoice (``None``: none watched)."""

    @abc.abstractmethod
    async def get(self, invoice_id: int) -> TrackedInvoice | None:
        """The tracked invoice with its status history, or ``None`` if not tracked."""

    @abc.abstractmethod
    async def status_counts(self) -> dict[str | None, int]:
        """Tracked invoices per last status (``None``: never read)."""

    @abc.abstractmethod
    async def due_count(self, *, now: float) -> int:
        """How many invoices ``claim_due(now=now)`` could hand out."""

    @abc.abstractmethod
    async def watched_count(self) -> int:
        """How many invoices are still watched (neither final nor given up)."""

    @abc.abstractmethod
    async def check_integrity(self) -> str:
        """``"ok"``, or the problems found in the store's data."""

    # -- the submission ledger

    @abc.abstractmethod
    async def reserve(
        self, supplier: str, invoice_number: str, *, owner: str, now: float, lease: float
    ) -> Submission:
        """Hold ``(supplier, invoice_number)`` for ``owner`` until ``now + lease``.

        Returns the row RESERVED (send it), or UNCERTAIN (an earlier send's outcome is
        unknown: reconcile before sending). Raises :class:`DuplicateSubmissionError` when
        the number is created, or held by a live lease.
        """

    @abc.abstractmethod
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

    @abc.abstractmethod
    async def submission(self, supplier: str, invoice_number: str) -> Submission | None:
        """The ledger row of ``(supplier, invoice_number)``, or ``None``."""

    @abc.abstractmethod
    async def submissions(
        self, *, states: Collection[SubmissionState] | None = None
    ) -> list[Submission]:
        """Every ledger row (in ``states`` only, if given), by supplier and number."""

    # -- the fleet's rate budget

    @abc.abstractmethod
    async def take_budget(
        self, name: str, *, now: float, per_second: float | None, burst: int, per_day: int | None
    ) -> float:
        """Ask the budget ``name`` (shared by every process using this store) for one call.

        ``0.0``: granted, and counted. Else the seconds to wait before asking again: the
        fleet is paused (:meth:`pause_budget`), the UTC calendar day's ``per_day`` calls are
        spent (the wait ends at the next 00:00 UTC), or the bucket (``per_second`` refill, at
        most ``burst`` calls at once) is empty. ``None``: no such limit.
        """

    @abc.abstractmethod
    async def pause_budget(self, name: str, *, until: float) -> None:
        """Refuse every call of the budget ``name`` until ``until`` (an HTTP 429's
        ``Retry-After``): the later of the current pause and this one holds."""

    # -- closing

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
