"""``factures.soumettre``'s safe-retry path and ``factures.deposer``, the four-step deposit.

Kept apart from :mod:`.factures` (which holds the public signatures and docstrings):
these are the two places where one call makes several requests.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from .._exceptions import (
    ChorusProBusinessError,
    FactPulseError,
    OutcomeUnknownError,
    RequestValidationError,
)
from .._logging import logger
from ..models.factures import (
    FacturesDeposerResult,
    FacturesSoumettreRequest,
    FacturesSoumettreResponse,
)
from .structures import AsyncStructures
from .transverses import AsyncTransverses

if TYPE_CHECKING:
    from .._files import FileInput
    from .factures import AsyncFactures

__all__ = [
    "SafeRetry",
    "deposit",
    "find_submitted",
    "look_up_settled",
    "safe_retry_policy",
    "send_safely",
    "submit",
]


@attrs.frozen(kw_only=True)
class SafeRetry:
    """How ``factures.soumettre(safe_retry=...)`` settles an unknown outcome.

    After an unknown outcome the invoice number is looked up ``lookups`` times over
    ``settle`` seconds (at once, then evenly spaced, the last one ``settle`` seconds
    later): a first attempt still in the server's hands may land that late. Only when
    none finds it is the submission sent again; at most ``resends`` times, each followed
    by the same round of look-ups. ``safe_retry=True`` means ``SafeRetry()``:
    30 seconds, 4 look-ups, 2 resends. ``resends=0``: look up, never resend.
    """

    settle: float = 30.0
    lookups: int = 4
    resends: int = 2

    def __attrs_post_init__(self) -> None:
        settle = self.settle
        if (
            isinstance(settle, bool)
            or not isinstance(settle, (int, float))
            or not math.isfinite(settle)
            or settle < 0
        ):
            raise RequestValidationError("safe_retry.settle", "a finite number of seconds >= 0")
        for name, least in (("lookups", 1), ("resends", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise RequestValidationError(f"safe_retry.{name}", f"an integer >= {least}")

    def delays(self) -> list[float]:
        """When each look-up is due, in seconds after the unknown outcome."""
        if self.lookups == 1:
            return [float(self.settle)]
        return [self.settle * i / (self.lookups - 1) for i in range(self.lookups)]


def safe_retry_policy(value: object) -> SafeRetry | None:
    """``soumettre``'s ``safe_retry``: ``False`` (``None``), ``True`` or a :class:`SafeRetry`."""
    if isinstance(value, SafeRetry):
        return value
    if value is True:
        return SafeRetry()
    if value is False:
        return None
    raise RequestValidationError("safe_retry", "True, False or a SafeRetry")


Send = Callable[[], Awaitable[FacturesSoumettreResponse]]
Find = Callable[[], Awaitable["FacturesSoumettreResponse | None"]]
Submit = Callable[..., Awaitable[FacturesSoumettreResponse]]
"""``factures.soumettre``, or what stands in for it (the ledger's, for ``deposer``)."""


async def submit(
    factures: AsyncFactures,
    request: FacturesSoumettreRequest,
    arguments: Mapping[str, Any],
    policy: SafeRetry | None,
) -> FacturesSoumettreResponse:
    """Send the built ``request`` once; on an unknown outcome, with ``policy``, settle and
    look it up (:func:`send_safely`). ``arguments``: ``soumettre``'s keywords."""

    async def send() -> FacturesSoumettreResponse:
        return await factures._send(
            "/factures/soumettre",
            request,
            FacturesSoumettreResponse,
            arguments,
            idempotent=False,
            invoice_number=request.invoice_number,
        )

    if request.attachment_id is None:
        # The documented workflow submits the Factur-X PDF uploaded first (§5.5).
        logger.warning(
            "factures.soumettre: invoice %r has no attachment_id (the PDF uploaded "
            "with transverses.ajouter_fichier); Chorus Pro expects one",
            request.invoice_number,
        )
    try:
        return await send()
    except OutcomeUnknownError as unknown:
        if policy is None:
            raise
        lookup = {"credentials": arguments["credentials"], "timeout": arguments["timeout"]}
        return await send_safely(factures, send, request.invoice_number, unknown, lookup, policy)


async def look_up_settled(
    find: Find, policy: SafeRetry, *, started: float, clock: Callable[[], float]
) -> FacturesSoumettreResponse | None:
    """Run ``find`` at ``started`` + each of ``policy.delays()`` (``clock``'s time) until it
    finds the invoice; look-ups already due when called collapse into one, made at once."""
    now = clock()
    delays = policy.delays()
    past = [due for due in delays if started + due <= now]
    for due in past[-1:] + [due for due in delays if started + due > now]:
        wait = started + due - clock()
        if wait > 0:
            await asyncio.sleep(wait)
        existing = await find()
        if existing is not None:
            return existing
    return None


async def find_submitted(
    factures: AsyncFactures, invoice_number: str, options: dict[str, Any]
) -> FacturesSoumettreResponse | None:
    """The supplier's invoice numbered ``invoice_number``, as a submission result."""
    found = await factures.rechercher_fournisseur(invoice_number=invoice_number, **options)
    for item in found.invoices:
        if item.invoice_number == invoice_number and item.invoice_id is not None:
            return FacturesSoumettreResponse(
                return_code=0,
                message="Invoice already submitted (found by its number after an "
                "unknown outcome; not resent)",
                invoice_id=item.invoice_id,
                deposit_flow_number=item.deposit_flow_number,
                raw=found.raw,
            )
    return None


async def send_safely(
    factures: AsyncFactures,
    send: Send,
    invoice_number: str,
    outcome: OutcomeUnknownError,
    options: dict[str, Any],
    policy: SafeRetry,
) -> FacturesSoumettreResponse:
    """After ``outcome``: look ``invoice_number`` up as ``policy`` says, resend only when
    no look-up found it."""

    async def find() -> FacturesSoumettreResponse | None:
        try:
            return await find_submitted(factures, invoice_number, options)
        except FactPulseError as exc:
            # Without an answer the outcome is still unknown: never let the look-up's
            # error (a 503, say) read as "not submitted".
            raise outcome from exc

    def settle() -> Awaitable[FacturesSoumettreResponse | None]:
        # A single look-up right away is not enough: the first attempt may still be on
        # its way through FactPulse to Chorus Pro, and land after it.
        return look_up_settled(find, policy, started=time.monotonic(), clock=time.monotonic)

    for _ in range(policy.resends):
        logger.warning(
            "factures.soumettre: outcome unknown (%s); looking invoice %r up %d times over "
            "%.1f s before any resend",
            outcome.message,
            invoice_number,
            policy.lookups,
            policy.settle,
        )
        existing = await settle()
        if existing is not None:
            return existing
        try:
            return await send()
        except OutcomeUnknownError as again:
            outcome = again
        except ChorusProBusinessError:
            # The first attempt may have landed meanwhile: the number is now taken.
            existing = await settle()
            if existing is not None:
                return existing
            raise
    existing = await settle()
    if existing is not None:
        return existing
    raise outcome


async def deposit(
    factures: AsyncFactures,
    pdf: FileInput,
    *,
    recipient_siret: str,
    pdf_name: str | None,
    submission: dict[str, Any],
    options: dict[str, Any],
    soumettre: Submit | None = None,
) -> FacturesDeposerResult:
    """The four steps of ``factures.deposer``; ``submission``: the ``soumettre`` keywords
    but ``structure_id`` and ``attachment_id`` (already checked by the caller);
    ``soumettre``: the last step (by default ``factures.soumettre``)."""
    structures = factures._sibling(AsyncStructures)
    found = await structures.obtenir_id_depuis_siret(recipient_siret, **options)
    structure = await structures.consulter(found.structure_id, **options)
    parameters = structure.parameters
    if parameters is not None:
        if parameters.service_code_required and not submission.get("service_code"):
            raise RequestValidationError(
                "service_code",
                f"structure {found.structure_id} ({recipient_siret}) requires a service "
                "code (see structures.lister_services)",
            )
        if parameters.engagement_number_required and not submission.get("engagement_number"):
            raise RequestValidationError(
                "engagement_number",
                f"structure {found.structure_id} ({recipient_siret}) requires an engagement number",
            )
    name = pdf_name
    if name is None and isinstance(pdf, (bytes, bytearray, memoryview)):
        name = f"{str(submission['invoice_number']).replace('/', '_')}.pdf"
    upload = await factures._sibling(AsyncTransverses).ajouter_fichier(pdf, name=name, **options)
    sent = await (soumettre or factures.soumettre)(
        **submission,
        structure_id=found.structure_id,
        attachment_id=upload.attachment_id,
        **options,
    )
    return FacturesDeposerResult(
        invoice_id=sent.invoice_id,
        deposit_flow_number=sent.deposit_flow_number,
        attachment_id=upload.attachment_id,
        structure_id=found.structure_id,
        structure_name=found.structure_name or structure.company_name,
        submission=sent,
    )
