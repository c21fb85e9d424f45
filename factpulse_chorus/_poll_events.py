"""The events an :class:`~factpulse_chorus.InvoicePoller` yields, and its summary."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from ._exceptions import FactPulseError
from .models.common import InvoiceStatusCode
from .models.factures import FacturesConsulterResponse

# No __all__: the package's export map (``factpulse_chorus._EXPORTS``) lists the public names.


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
