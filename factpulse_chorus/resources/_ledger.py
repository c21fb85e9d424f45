"""Exactly-once submissions: ``factures.soumettre`` / ``deposer`` with ``store=``, and
``factures.reconcile``, through the store's submission ledger.

A number, keyed with its supplier, goes: reserved -> SENT (committed just before the request
leaves) -> CREATED (``invoice_id``), ABSENT (refused: it may be sent again) or UNCERTAIN (the
outcome is unknown). An UNCERTAIN row, or a SENT one whose lease ran out (its process
stopped), is settled by looking the number up until ``settle`` seconds after it was sent:
the settle-then-look-up of ``safe_retry`` (:func:`._factures_submit.look_up_settled`), timed
from the ``sent_at`` the ledger kept, so it also works in the next process after a crash.

The supplier is the ``chorus_pro_login`` of the call's credentials (else the client's
default ones), ``""`` without any: the FactPulse account's own Chorus Pro account.

The lease is never renewed: it lasts :data:`LEASE` (600 s) plus the settle periods the call's
:class:`SafeRetry` may spend, far more than one submission takes with the default timeouts
(120 s in all per request). Only a call outlasting it (timeouts raised past it) could see
another process reconcile its row while its request is still out.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING, Any, Final

import attrs

from .._exceptions import (
    DuplicateSubmissionError,
    FactPulseError,
    OutcomeUnknownError,
    RequestValidationError,
)
from .._logging import logger
from ..models.factures import FacturesSoumettreRequest
from ..store._base import new_owner
from ..store._records import SubmissionState
from . import _factures_submit
from ._base import API_ROOT
from ._factures_submit import SafeRetry, find_submitted, look_up_settled

if TYPE_CHECKING:
    from .._files import FileInput
    from ..models.common import ChorusProCredentials
    from ..models.factures import FacturesDeposerResult, FacturesSoumettreResponse
    from ..store import Store, Submission
    from .factures import AsyncFactures

__all__ = ["LEASE", "deposit", "reconcile", "submit", "supplier_key"]

LEASE: Final = 600.0
"""How long a reservation holds its number, in seconds (plus the call's settle periods)."""

_STATES: Final = SubmissionState
_OPERATION: Final = "factures.soumettre"


def supplier_key(credentials: ChorusProCredentials | None) -> str:
    """The ledger's supplier for a call made with ``credentials``."""
    return "" if credentials is None else credentials.chorus_pro_login


def _error(exc: BaseException) -> str:
    # The SDK's messages are already scrubbed of secrets.
    return f"{type(exc).__name__}: {exc}"


@attrs.frozen
class _Held:
    """One ledger row as this call holds it (``owner``: this call alone)."""

    store: Store
    supplier: str
    invoice_number: str
    lease: float
    owner: str = attrs.field(factory=new_owner)

    async def reserve(self) -> Submission:
        return await self.store.reserve(
            self.supplier, self.invoice_number, owner=self.owner, now=time.time(), lease=self.lease
        )

    async def mark(self, state: SubmissionState, **details: Any) -> Submission:
        return await self.store.mark(
            self.supplier, self.invoice_number, state, owner=self.owner, now=time.time(), **details
        )

    async def record(self, state: SubmissionState, **details: Any) -> None:
        """:meth:`mark` after the request: a store failure is logged, never raised over the
        outcome, and the row, left SENT, is settled by ``reconcile`` once the lease ends."""
        try:
            await self.mark(state, **details)
        except FactPulseError as exc:
            logger.warning(
                "%s: invoice %r could not be recorded as %s in the ledger (%s); "
                "factures.reconcile settles it once its lease has run out",
                _OPERATION,
                self.invoice_number,
                state.value,
                exc.message,
            )


def _unknown(number: str, why: str) -> OutcomeUnknownError:
    return OutcomeUnknownError(
        f"{_OPERATION}: invoice {number!r}: {why}",
        method="POST",
        url=API_ROOT + "/factures/soumettre",
        operation=_OPERATION,
        invoice_number=number,
    )


async def _settle(
    factures: AsyncFactures,
    held: _Held,
    row: Submission,
    policy: SafeRetry,
    lookup: Mapping[str, Any],
    *,
    wait: bool,
) -> FacturesSoumettreResponse | None:
    """Settle the UNCERTAIN ``row`` ``held`` took: CREATED and the invoice when the number
    is found, ABSENT and ``None`` when it is still missing ``policy.settle`` s after it was
    sent; else (too early without ``wait``, or a failed look-up) it stays UNCERTAIN and
    :class:`OutcomeUnknownError` is raised."""
    sent = row.sent_at if row.sent_at is not None else row.updated_at

    def find() -> Awaitable[FacturesSoumettreResponse | None]:
        return find_submitted(factures, held.invoice_number, dict(lookup))

    try:
        if wait:
            found = await look_up_settled(find, policy, started=sent, clock=time.time)
        else:
            found = await find()
    except FactPulseError as exc:
        # Without an answer the outcome is still unknown: never read it as "not created".
        await held.mark(_STATES.UNCERTAIN, error=_error(exc))
        raise _unknown(held.invoice_number, f"could not be looked up ({exc.message})") from exc
    if found is not None:
        await held.mark(_STATES.CREATED, invoice_id=found.invoice_id)
        return found
    age = time.time() - sent
    if age < policy.settle:
        # It may still land: "not found" only means "not created" once it has settled.
        await held.mark(_STATES.UNCERTAIN)
        raise _unknown(
            held.invoice_number,
            f"sent {age:.1f} s ago, outcome unknown and not found yet; "
            f"factures.reconcile settles it after {policy.settle:g} s",
        )
    await held.mark(_STATES.ABSENT, error=f"not found {age:.0f} s after it was sent")
    return None


async def _reserve(
    factures: AsyncFactures,
    store: Store,
    invoice_number: str,
    credentials: ChorusProCredentials | None,
    policy: SafeRetry | None,
    lookup: Mapping[str, Any],
) -> _Held:
    """Reserve ``invoice_number``; a row left UNCERTAIN by an earlier call is settled first
    (with ``policy``: over its settle period; else by one look-up)."""
    settle = policy or SafeRetry()
    held = _Held(
        store,
        supplier_key(credentials),
        invoice_number,
        LEASE + (settle.resends + 1) * settle.settle,
    )
    row = await held.reserve()
    if row.state is _STATES.UNCERTAIN:
        found = await _settle(factures, held, row, settle, lookup, wait=policy is not None)
        if found is not None:
            raise DuplicateSubmissionError(
                supplier=held.supplier,
                invoice_number=invoice_number,
                state=_STATES.CREATED,
                invoice_id=found.invoice_id,
            )
        # ABSENT now: reserve it again, as anyone may (another process could be first).
        row = await held.reserve()
        if row.state is not _STATES.RESERVED:  # it went out and came back uncertain meanwhile
            await held.mark(_STATES.UNCERTAIN)
            raise _unknown(invoice_number, "submitted meanwhile by another process")
    return held


async def _send(
    held: _Held,
    factures: AsyncFactures,
    request: FacturesSoumettreRequest,
    arguments: Mapping[str, Any],
    policy: SafeRetry | None,
) -> FacturesSoumettreResponse:
    """Send ``request`` for the reserved row ``held``: SENT first, then its outcome."""
    try:
        await held.mark(_STATES.SENT)
    except FactPulseError:
        # Nothing left: free the number at once instead of at the end of the lease.
        await held.record(_STATES.ABSENT, error="not sent: the ledger could not record it")
        raise
    try:
        response = await _factures_submit.submit(factures, request, arguments, policy)
    except OutcomeUnknownError as exc:
        await held.record(_STATES.UNCERTAIN, error=_error(exc))
        raise
    except FactPulseError as exc:
        # Whenever the server may have processed a write, the transport raises
        # OutcomeUnknownError: any other error says it was not created.
        await held.record(_STATES.ABSENT, error=_error(exc))
        raise
    await held.record(_STATES.CREATED, invoice_id=response.invoice_id)
    return response


def _lookup(arguments: Mapping[str, Any]) -> dict[str, Any]:
    return {"credentials": arguments["credentials"], "timeout": arguments["timeout"]}


async def submit(
    factures: AsyncFactures,
    store: Store,
    request: FacturesSoumettreRequest,
    arguments: Mapping[str, Any],
    policy: SafeRetry | None,
) -> FacturesSoumettreResponse:
    """``soumettre(store=store)``: reserve ``request``'s number, then send it."""
    held = await _reserve(
        factures, store, request.invoice_number, request.credentials, policy, _lookup(arguments)
    )
    return await _send(held, factures, request, arguments, policy)


async def deposit(
    factures: AsyncFactures,
    store: Store,
    pdf: FileInput,
    *,
    submission: dict[str, Any],
    options: dict[str, Any],
    **steps: Any,
) -> FacturesDeposerResult:
    """``deposer(store=store)``: reserve the number before any request (a duplicate costs
    none), then the four steps (``steps``: their other keywords), the last one through the
    ledger."""
    number = str(submission["invoice_number"])
    credentials = factures._credentials(options["credentials"])
    held = await _reserve(factures, store, number, credentials, None, _lookup(options))
    sending = False

    async def soumettre(**keywords: Any) -> FacturesSoumettreResponse:
        nonlocal sending
        sending = True
        request = factures._build(FacturesSoumettreRequest, keywords)
        return await _send(held, factures, request, keywords, None)

    try:
        return await _factures_submit.deposit(
            factures,
            pdf,
            submission=submission,
            options=options,
            soumettre=soumettre,
            **steps,
        )
    except FactPulseError as exc:
        if not sending:  # a look-up or the upload failed: nothing was submitted
            await held.record(_STATES.ABSENT, error=_error(exc))
        raise


async def reconcile(
    factures: AsyncFactures, store: Store, settle: float, options: Mapping[str, Any]
) -> list[Submission]:
    """``factures.reconcile``: settle this supplier's UNCERTAIN rows, and its SENT rows whose
    lease ran out; returns them as they are after (a failed look-up leaves one UNCERTAIN)."""
    if not isinstance(settle, (int, float)) or not 0 <= settle < math.inf:
        raise RequestValidationError("settle", "a finite number of seconds >= 0")
    policy = SafeRetry(settle=settle, resends=0)
    supplier = supplier_key(factures._credentials(options["credentials"]))
    rows = await store.submissions(states=(_STATES.UNCERTAIN, _STATES.SENT))
    mine = sorted(
        (row for row in rows if row.supplier == supplier),
        key=lambda row: (row.sent_at or row.updated_at, row.invoice_number),
    )
    after: list[Submission] = []
    for row in mine:
        held = _Held(store, supplier, row.invoice_number, LEASE + settle)
        try:
            taken = await held.reserve()
        except DuplicateSubmissionError:
            taken = None  # in flight in another call, or settled by one meanwhile
        if taken is not None and taken.state is _STATES.UNCERTAIN:
            try:
                await _settle(factures, held, taken, policy, options, wait=True)
            except OutcomeUnknownError as exc:
                logger.warning("factures.reconcile: %s", exc.message)
        elif taken is not None:  # it was settled ABSENT meanwhile: give it back as it was
            await held.mark(_STATES.ABSENT)
        current = await store.submission(supplier, row.invoice_number)
        if current is not None:
            after.append(current)
    return after
