"""What the store hands back: tracked invoices, their status history, check results and
submission ledger rows. Plain data; the store's SQL lives in :mod:`._schema`."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

# No __all__: the package's export map (``factpulse_chorus.store._EXPORTS``) lists the names.


class SubmissionState(str, enum.Enum):
    """Where a (supplier, invoice number) stands in the submission ledger."""

    RESERVED = "reserved"
    """A process holds the number; nothing was sent."""
    SENT = "sent"
    """Committed just before the request went on the wire."""
    CREATED = "created"
    """The server answered with an ``invoice_id``."""
    UNCERTAIN = "uncertain"
    """The outcome is unknown (timeout, or a crash after SENT): reconcile before sending."""
    ABSENT = "absent"
    """Known not created (refused, or reconciled as absent): it may be sent again."""


@attrs.frozen(kw_only=True)
class StatusSeen:
    """One status of an invoice as first seen: ``seen_at`` is the caller's clock (POSIX s)."""

    status: str
    status_date: datetime | None
    seen_at: float


@attrs.frozen(kw_only=True)
class TrackedInvoice:
    """An invoice the store watches.

    ``status`` is the last status read (``None``: never read), ``errors`` the failed reads
    in a row, ``checks`` the successful reads, ``final`` / ``gave_up`` whether it is no
    longer watched. ``status_seen_at``: when the current status was first seen (the
    caller's clock; ``None``: never read). ``history`` is filled by ``get()`` only (empty
    from ``claim_due()``).
    """

    invoice_id: int
    status: str | None
    status_date: datetime | None
    next_check: float
    errors: int
    checks: int
    final: bool
    gave_up: bool
    last_error: str | None
    tracked_at: float
    status_seen_at: float | None = None
    history: tuple[StatusSeen, ...] = ()


@attrs.frozen(kw_only=True)
class CheckResult:
    """The outcome of one read of ``invoice_id``, for ``record()``.

    ``status`` ``None`` is a failed read (``error`` says why); ``next_check`` is when to
    read it again.
    """

    invoice_id: int
    next_check: float
    status: str | None = None
    status_date: datetime | None = None
    error: str | None = None
    final: bool = False
    gave_up: bool = False


@attrs.frozen(kw_only=True)
class Submission:
    """One row of the submission ledger, keyed by ``(supplier, invoice_number)``.

    ``owner`` / ``lease_until``: the process holding the row and until when (``None`` once
    settled); ``attempts``: reservations taken; times are the callers' clocks (POSIX s).
    """

    supplier: str
    invoice_number: str
    state: SubmissionState
    invoice_id: int | None
    owner: str | None
    lease_until: float | None
    attempts: int
    reserved_at: float
    sent_at: float | None
    updated_at: float
    last_error: str | None
