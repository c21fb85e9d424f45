"""The sandbox's opt-in request timeline: when each API request came and went.

``Sandbox(record_timeline=True)`` keeps, for every API request (the token route included,
the control routes not), its route, the invoice it names for ``factures/consulter`` (the
body's ``chorusInvoiceId``), the HTTP status answered, and its start and end on the
server's ``time.monotonic()`` (the same clock in every process of the machine). A test can
then assert from the server's side what its clients did together: :func:`overlapping`
(two requests on one invoice at the same time), :func:`rates` and :func:`busiest`
(requests per second).

Unlike the body journal (``record_requests``, the last 10,000 bodies), the timeline keeps
everything by default: a fleet test makes far more requests than that. It holds tuples,
not bodies: about a hundred bytes a request.
"""

from __future__ import annotations

import collections
import math
import time
from collections.abc import Iterable
from typing import Any, NamedTuple

__all__ = ["Timeline", "TimelineEntry", "busiest", "overlapping", "rates"]


class TimelineEntry(NamedTuple):
    """One API request as the server saw it."""

    route: str
    invoice_id: int | None
    status: int
    start: float
    end: float

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()


class Timeline:
    """The requests seen so far, oldest first; ``limit``: keep only the latest ``limit``
    (``None``: all of them)."""

    def __init__(self, limit: int | None = None) -> None:
        if limit is not None and limit < 1:
            raise ValueError("limit must be >= 1 or None")
        self._entries: collections.deque[TimelineEntry] = collections.deque(maxlen=limit)

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, route: str, invoice_id: int | None, status: int, start: float) -> None:
        """Record a request that started at ``start`` and ends now."""
        self._entries.append(TimelineEntry(route, invoice_id, status, start, time.monotonic()))

    def entries(self, route: str | None = None, *, since: float = -math.inf) -> list[TimelineEntry]:
        """The requests of ``route`` (all routes if ``None``) that started at ``since`` or
        later, in the order they ended."""
        return [
            entry
            for entry in self._entries
            if (route is None or entry.route == route) and entry.start >= since
        ]

    def clear(self) -> None:
        self._entries.clear()


def overlapping(entries: Iterable[TimelineEntry]) -> list[tuple[TimelineEntry, TimelineEntry]]:
    """The pairs of requests on one invoice whose times overlap (entries without an invoice
    are ignored): each later request with the earlier one it overlapped."""
    by_invoice: dict[int, list[TimelineEntry]] = {}
    for entry in entries:
        if entry.invoice_id is not None:
            by_invoice.setdefault(entry.invoice_id, []).append(entry)
    found: list[tuple[TimelineEntry, TimelineEntry]] = []
    for reads in by_invoice.values():
        reads.sort(key=lambda entry: entry.start)
        busiest = reads[0]  # the earlier request ending last
        for entry in reads[1:]:
            if entry.start < busiest.end:
                found.append((busiest, entry))
            if entry.end > busiest.end:
                busiest = entry
    return found


def rates(entries: Iterable[TimelineEntry], *, window: float = 1.0) -> list[int]:
    """Requests started in each ``window`` seconds, from the first request's start to the
    last one's (consecutive windows, empty ones included)."""
    starts = sorted(entry.start for entry in entries)
    if not starts:
        return []
    counts = [0] * (int((starts[-1] - starts[0]) // window) + 1)
    for start in starts:
        counts[int((start - starts[0]) // window)] += 1
    return counts


def busiest(entries: Iterable[TimelineEntry], *, window: float = 1.0) -> int:
    """The most requests started within any ``window`` seconds (a sliding window: what a
    rate limit of that many requests per ``window`` would have to allow)."""
    starts = sorted(entry.start for entry in entries)
    most = first = 0
    for last, start in enumerate(starts):
        while start - starts[first] >= window:
            first += 1
        most = max(most, last - first + 1)
    return most
