"""``factures/valideur/*``: the validator's search, detail and decision."""

from __future__ import annotations

from typing import Any

from .. import _views
from .._parse import optional_int, optional_str, required_int
from .._records import (
    ERR_REASON_REQUIRED,
    ERR_TRANSITION,
    OK,
    Invoice,
    bad_param,
    day,
    forbidden,
    native,
    plays,
    unknown_attachment,
)
from ._context import Context, endpoint

__all__ = ["consulter", "rechercher", "traiter"]


@endpoint
def rechercher(context: Context, login: str, body: dict[str, Any]) -> dict[str, Any]:
    """``factures/valideur/rechercher``: invoices awaiting the caller's validation."""
    items, pagination = context.search(login, body, "valideur", _views.validator_item)
    return {"codeRetour": 0, "libelle": OK, "listeFactures": items, "parametresRetour": pagination}


def _validated_invoice(
    context: Context, login: str, body: dict[str, Any], now: float
) -> tuple[Invoice, frozenset[int] | None]:
    """The invoice named by ``body`` when ``login`` is one of its validators."""
    invoice_id = required_int(body, "idFacture", "identifiantFactureCPP")
    invoice = context.invoice(invoice_id, now)
    ids = context.directory.account_structures(login)
    if ids is not None and not any(v in ids for v in invoice.validators):
        raise forbidden()
    return invoice, ids


@endpoint
def consulter(context: Context, login: str, body: dict[str, Any]) -> dict[str, Any]:
    """``factures/valideur/consulter``: the native invoice detail object (``facture``)."""
    invoice, _ = _validated_invoice(context, login, body, context.clock.timestamp())
    facture = _views.detail(context.store, context.directory, invoice)
    return {"codeRetour": 0, "libelle": OK, "facture": facture}


_REACHED = {"VALIDATION": "VALIDEE_{rank}", "REFUS": "REFUSEE_{rank}"}


@endpoint
def traiter(context: Context, login: str, body: dict[str, Any]) -> dict[str, Any]:
    """``factures/valideur/traiter``: VALIDATION, REFUS or REJET."""
    now = context.clock.timestamp()
    invoice, ids = _validated_invoice(context, login, body, now)
    rank = invoice.validation_rank()
    if rank is None:
        raise native(
            ERR_TRANSITION,
            f"The invoice is in status {invoice.status}: it is not awaiting validation",
        )
    validator = invoice.validators[rank - 1]
    requested_validator = optional_int(body, "idValideur")
    if not plays(ids, validator) or requested_validator not in (None, validator):
        raise forbidden()
    raw_action = body.get("action")
    if not isinstance(raw_action, str) or not raw_action.strip():
        raise bad_param("action is required: VALIDATION, REFUS or REJET")
    action = raw_action.strip().upper()
    reason = optional_str(body, "motifRefus", limit=2000)
    info = optional_str(body, "complementInfo", limit=2000)
    piece = optional_int(body, "idPieceJointe")
    attachment = None if piece is None else context.store.owned_attachment(login, piece)
    if piece is not None and attachment is None:
        raise unknown_attachment(piece)
    if action == "REJET":
        reached = "ERREUR_FOURNISSEUR_SUR_VALIDEUR"
    elif action in _REACHED:
        reached = _REACHED[action].format(rank=rank)
    else:
        raise native(
            ERR_TRANSITION,
            f"action {raw_action} is not supported here: use VALIDATION, REFUS or REJET",
        )
    if action != "VALIDATION" and reason is None:
        raise native(ERR_REASON_REQUIRED, f"motifRefus is required for {action}")
    if attachment is not None:
        invoice.extra_attachments.append((attachment.attachment_id, attachment.name))
    lifecycle = context.lifecycle
    lifecycle.transition(invoice, reached, now, reason or info, "validator", login)
    if action == "VALIDATION":
        invoice.validation_dates[rank] = day(now)
        # The platform moves a validated invoice on at once (lifecycle.md §7).
        following = "A_VALIDER_2" if rank == 1 and len(invoice.validators) > 1 else "DEPOSEE"
        lifecycle.transition(invoice, following, now, None, "platform", None)
    return {
        "codeRetour": 0,
        "libelle": OK,
        "idFacture": invoice.invoice_id,
        "numeroFacture": invoice.number,
        "statutFacture": reached,
        "dateTraitement": day(now),
    }
