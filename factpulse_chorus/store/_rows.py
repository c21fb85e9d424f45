"""Rows to records and back, the ledger's transitions and the schema version rule: shared
by every backend (no SQL, no I/O), so the rules of ``reserve`` and ``mark`` are written once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

import attrs

from .._exceptions import DuplicateSubmissionError, StoreError
from . import _schema as sql
from ._records import StatusSeen, Submission, SubmissionState, TrackedInvoice

__all__ = [
    "Mark",
    "date_text",
    "invoice",
    "known_version",
    "marked",
    "reserved",
    "status_seen",
    "submission",
    "values",
]


def known_version(version: int, path: str) -> int:
    """``version`` if this code knows it; a newer schema raises :class:`StoreError` (the
    caller has written nothing yet, so the store is left as it was)."""
    if version > sql.SCHEMA_VERSION:
        raise StoreError(
            f"open: schema version {version} is newer than this version of factpulse-chorus "
            f"knows ({sql.SCHEMA_VERSION}); upgrade factpulse-chorus",
            path=path,
        )
    return version


def date_text(value: datetime | None) -> str | None:
    """A status date as stored: ISO 8601 text."""
    return None if value is None else value.isoformat()


def _date(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def invoice(row: Sequence[Any], history: tuple[StatusSeen, ...] = ()) -> TrackedInvoice:
    """A ``tracked_invoice`` row (the schema's column order; a claim's adds when the status
    was first seen) as a record."""
    seen_at = row[10] if len(row) > 10 else history[-1].seen_at if history else None
    return TrackedInvoice(
        invoice_id=row[0],
        status=row[1],
        status_date=_date(row[2]),
        next_check=row[3],
        errors=row[4],
        checks=row[5],
        final=bool(row[6]),
        gave_up=bool(row[7]),
        last_error=row[8],
        tracked_at=row[9],
        status_seen_at=seen_at,
        history=history,
    )


def status_seen(row: Sequence[Any]) -> StatusSeen:
    """A ``status_history`` row (status, status_date, seen_at) as a record."""
    return StatusSeen(status=row[0], status_date=_date(row[1]), seen_at=row[2])


def submission(row: Sequence[Any]) -> Submission:
    """A ``submission`` row (the schema's column order) as a record."""
    return Submission(
        supplier=row[0],
        invoice_number=row[1],
        state=SubmissionState(row[2]),
        invoice_id=row[3],
        owner=row[4],
        lease_until=row[5],
        attempts=row[6],
        reserved_at=row[7],
        sent_at=row[8],
        updated_at=row[9],
        last_error=row[10],
    )


def values(row: Submission) -> tuple[Any, ...]:
    """The record's columns in the schema's order (the state as its text)."""
    fields = attrs.astuple(row, recurse=False)
    return (*fields[:2], row.state.value, *fields[3:])


def _refused(current: Submission) -> DuplicateSubmissionError:
    return DuplicateSubmissionError(
        supplier=current.supplier,
        invoice_number=current.invoice_number,
        state=current.state,
        invoice_id=current.invoice_id,
    )


def reserved(
    current: Submission | None,
    supplier: str,
    invoice_number: str,
    *,
    owner: str,
    now: float,
    lease: float,
) -> Submission:
    """The row ``reserve`` leaves (``current``: the row found, if any); raises
    :class:`DuplicateSubmissionError` when the number is created or held by a live lease."""
    if current is None:
        return Submission(
            supplier=supplier,
            invoice_number=invoice_number,
            state=SubmissionState.RESERVED,
            invoice_id=None,
            owner=owner,
            lease_until=now + lease,
            attempts=1,
            reserved_at=now,
            sent_at=None,
            updated_at=now,
            last_error=None,
        )
    state = current.state
    live = current.lease_until is not None and current.lease_until > now
    # A live UNCERTAIN lease too: its holder is reconciling, a second one could send again.
    if state is SubmissionState.CREATED or (live and state is not SubmissionState.ABSENT):
        raise _refused(current)
    if state in (SubmissionState.ABSENT, SubmissionState.RESERVED):
        # Never sent, or known not created: a fresh attempt.
        return attrs.evolve(
            current,
            state=SubmissionState.RESERVED,
            owner=owner,
            lease_until=now + lease,
            attempts=current.attempts + 1,
            reserved_at=now,
            sent_at=None,
            updated_at=now,
        )
    # SENT by a process that is gone, or UNCERTAIN: maybe created; the caller reconciles.
    return attrs.evolve(
        current,
        state=SubmissionState.UNCERTAIN,
        owner=owner,
        lease_until=now + lease,
        updated_at=now,
    )


class Mark(NamedTuple):
    """What ``mark`` asks of a row (its arguments after the key, checked)."""

    state: SubmissionState
    owner: str
    now: float
    invoice_id: int | None
    error: str | None


def marked(current: Submission, change: Mark) -> Submission:
    """The row ``mark`` leaves; raises :class:`DuplicateSubmissionError` if ``change.owner``
    does not hold ``current``."""
    state, owner, now = change.state, change.owner, change.now
    if current.owner != owner:
        raise _refused(current)
    held = state in (SubmissionState.RESERVED, SubmissionState.SENT)
    return attrs.evolve(
        current,
        state=state,
        invoice_id=current.invoice_id if change.invoice_id is None else change.invoice_id,
        owner=owner if held else None,
        lease_until=current.lease_until if held else None,
        sent_at=now if state is SubmissionState.SENT else current.sent_at,
        updated_at=now,
        last_error=current.last_error if change.error is None else change.error,
    )
