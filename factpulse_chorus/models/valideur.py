"""Valideur: the validator's search, invoice detail and decision (native endpoints 14-16).

The invoice detail's nested classes live in :mod:`._invoice_detail` and are exported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from .._validation import check_enum
from .._wire import extra_field, wire
from ._factures_search import (
    _InvoicePage,
    _ListedInvoice,
    _ListedInvoiceFilters,
    _ListedInvoiceRequest,
)
from ._fields import (
    codes_options,
    filter_field,
    mapping_or_none,
    opt_amount,
    opt_bool,
    opt_comment,
    opt_id,
    reason_field,
    req_id,
    str_tuple_or_none,
    wire_field,
)

# The invoice detail's classes live in ._invoice_detail (for size); this module is
# their public home.
from ._invoice_detail import *  # noqa: F403
from ._invoice_detail import InvoiceDetail as InvoiceDetail
from .common import (
    ChorusProCredentials,
    InvoiceStatusCode,
    LanguageCode,
    NativeResponse,
    SearchPagination,
    ValidatorAction,
    ValidatorActionInput,
    language_field,
)

# --- 14. factures/valideur/rechercher ----------------------------------------------------------


class ValideurRechercherFilters(_ListedInvoiceFilters, total=False):
    """The keyword filters of ``valideur.rechercher``, ``pages_rechercher`` and
    ``iter_rechercher``: the fields of :class:`ValideurRechercherRequest` plus the page
    size, the sort and ``extra`` (further native fields)."""

    recipient_structure_id: int | None
    recipient_service_id: int | None
    supplier_structure_id: int | None
    supplier_service_id: int | None
    project_owner_structure_id: int | None
    project_manager_structure_id: int | None
    engagement_number: str | None
    invoice_types: str | Sequence[str] | None
    works_invoice_types: str | Sequence[str] | None
    search_recipient_siren: bool | None
    search_supplier_siren: bool | None
    payment_request_type: str | None
    billing_framework: Mapping[str, Any] | None


@attrs.frozen(kw_only=True)
class ValideurRechercherRequest(_ListedInvoiceRequest):
    """Body of ``factures/valideur/rechercher`` (native names), all optional.

    ``pagination`` goes under ``pagination``; the amount filters are ``montantAPayerMin``/
    ``Max`` here (capital P); ``extra`` carries further native fields.
    """

    recipient_structure_id: int | None = filter_field("idDestinataire", opt_id)
    recipient_service_id: int | None = filter_field("idServiceExecutant", opt_id)
    supplier_structure_id: int | None = filter_field("idFournisseur", opt_id)
    supplier_service_id: int | None = filter_field("idServiceFournisseur", opt_id)
    project_owner_structure_id: int | None = filter_field("idStructureMoa", opt_id)
    project_manager_structure_id: int | None = filter_field("idStructureMoe", opt_id)
    engagement_number: str | None = filter_field("numeroEngagement")
    invoice_types: tuple[str, ...] | None = attrs.field(
        default=None, converter=str_tuple_or_none, **codes_options("listeTypeFacture")
    )
    works_invoice_types: tuple[str, ...] | None = attrs.field(
        default=None, converter=str_tuple_or_none, **codes_options("listeTypeFactureTravaux")
    )
    amount_due_min: Decimal | None = filter_field("montantAPayerMin", opt_amount)
    amount_due_max: Decimal | None = filter_field("montantAPayerMax", opt_amount)
    search_recipient_siren: bool | None = filter_field("rechercheSirenDestinataire", opt_bool)
    search_supplier_siren: bool | None = filter_field("rechercheSirenFournisseur", opt_bool)
    payment_request_type: str | None = filter_field("typeDemandePaiement")
    billing_framework: Mapping[str, Any] | None = attrs.field(
        default=None, converter=mapping_or_none, hash=False, metadata=wire("cadreFacturation")
    )
    pagination: SearchPagination | None = None
    extra: Mapping[str, Any] = extra_field()
    credentials: ChorusProCredentials | None = None


@attrs.frozen(kw_only=True)
class ValidatorInvoice(_ListedInvoice):
    """One invoice awaiting a validator (``listeFactures[]``).

    ``invoice_id`` is ``idFacture``; ``project_owner_...`` / ``project_manager_...`` are
    the ``...Moa`` / ``...Moe`` fields.
    """

    invoice_id: int | None = wire_field("idFacture", fallback=("identifiantFactureCPP",))
    works_invoice_type: str | None = wire_field("typeFactureTravaux")
    supplier_structure_id: int | None = wire_field("idFournisseur")
    supplier_code: str | None = wire_field("identifiantFournisseur")
    recipient_code: str | None = wire_field("identifiantDestinataire")
    recipient_identifier_type: str | None = wire_field("typeIdentifiantDestinataire")
    validator_id: int | None = wire_field("idValideur")
    validator_code: str | None = wire_field("identifiantValideur")
    validator_name: str | None = wire_field("designationValideur")
    validator_identifier_type: str | None = wire_field("typeIdentifiantValideur")
    project_owner_structure_id: int | None = wire_field("idMoa")
    project_owner_code: str | None = wire_field("identifiantMoa")
    project_owner_name: str | None = wire_field("designationMoa")
    project_owner_identifier_type: str | None = wire_field("typeIdentifiantMoa")
    project_owner_service_id: int | None = wire_field("idServiceMoa")
    project_owner_service_code: str | None = wire_field("codeServiceMoa")
    project_owner_service_name: str | None = wire_field("nomServiceMoa")
    project_manager_structure_id: int | None = wire_field("idMoe")
    project_manager_code: str | None = wire_field("identifiantMoe")
    project_manager_name: str | None = wire_field("designationMoe")
    project_manager_identifier_type: str | None = wire_field("typeIdentifiantMoe")
    project_manager_service_id: int | None = wire_field("idServiceMoe")
    project_manager_service_code: str | None = wire_field("codeServiceMoe")
    project_manager_service_name: str | None = wire_field("nomServiceMoe")
    engagement_number: str | None = wire_field("numeroEngagement")


@attrs.frozen(kw_only=True)
class ValideurRechercherResponse(_InvoicePage):
    """200 body of ``factures/valideur/rechercher``; ``page_info`` is ``parametresRetour``."""

    invoices: tuple[ValidatorInvoice, ...] = attrs.field(default=(), metadata=wire("listeFactures"))


# --- 15. factures/valideur/consulter -----------------------------------------------------------


@attrs.frozen(kw_only=True)
class ValideurConsulterRequest:
    """Body of ``factures/valideur/consulter``: ``idFacture``, ``codeLangue``."""

    invoice_id: int = attrs.field(validator=req_id, metadata=wire("idFacture"))
    language_code: LanguageCode | None = language_field("upper", "codeLangue")
    extra: Mapping[str, Any] = extra_field()
    credentials: ChorusProCredentials | None = None


@attrs.frozen(kw_only=True)
class ValideurConsulterResponse(NativeResponse):
    """200 body of ``factures/valideur/consulter``; ``invoice`` (wire ``facture``) is
    always there: a body without it is a :class:`ResponseDecodeError`."""

    invoice: InvoiceDetail = attrs.field(metadata=wire("facture"))


# --- 16. factures/valideur/traiter -------------------------------------------------------------


def _to_action(value: ValidatorActionInput) -> ValidatorAction:
    return check_enum("action", ValidatorAction, value)


@attrs.frozen(kw_only=True)
class ValideurTraiterRequest:
    """Body of ``factures/valideur/traiter``: validate or refuse.

    ``reason`` (wire ``motifRefus``) is required for REFUS and REJET; ``comment`` is
    ``complementInfo``, ``attachment_id`` ``idPieceJointe``.
    """

    invoice_id: int = attrs.field(validator=req_id, metadata=wire("idFacture"))
    action: ValidatorAction = attrs.field(converter=_to_action)
    reason: str | None = reason_field("motifRefus", decided_by="action")
    comment: str | None = filter_field("complementInfo", opt_comment)
    attachment_id: int | None = filter_field("idPieceJointe", opt_id)
    validator_id: int | None = filter_field("idValideur", opt_id)
    validator_type: str | None = filter_field("typeValideur")
    extra: Mapping[str, Any] = extra_field()
    credentials: ChorusProCredentials | None = None


@attrs.frozen(kw_only=True)
class ValideurTraiterResponse(NativeResponse):
    """200 body of ``factures/valideur/traiter``; ``invoice_id`` (wire ``idFacture``) is
    always there: a body without it is a :class:`ResponseDecodeError`."""

    invoice_id: int = attrs.field(metadata=wire("idFacture", fallback=("identifiantFactureCPP",)))
    invoice_number: str | None = wire_field("numeroFacture")
    status: InvoiceStatusCode | None = wire_field("statutFacture")
    processing_date: date | None = wire_field("dateTraitement", lenient=True)
