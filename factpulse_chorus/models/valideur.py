"""Valideur: the validator's search, invoice detail and decision (native endpoints 14-16).

The invoice detail's nested classes live in :mod:`._invoice_detail` and are exported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, TypedDict

import attrs

from .._validation import (
    MAX_COMMENT_LENGTH,
    check_amount,
    check_bool,
    check_date,
    check_enum,
    check_id,
    check_reason,
    check_text,
    check_text_list,
    optional,
    required,
)
from .._wire import extra_field, wire
from ._fields import mapping_or_none, status_tuple, str_tuple_or_none
from ._invoice_detail import (
    AttachmentList,
    BillingFramework,
    Factor,
    InvoiceAttachment,
    InvoiceDetail,
    InvoiceRecipient,
    InvoiceReferences,
    InvoiceSupplier,
    InvoiceTotals,
    LineItem,
    LineItemList,
    MainAttachment,
    VatLine,
    VatSummary,
    wire_field,
)
from .common import (
    ChorusProCredentials,
    InvoiceStatusCode,
    InvoiceStatusInput,
    LanguageCode,
    NativeResponse,
    PageInfo,
    SearchPagination,
    SortDirectionInput,
    ValidatorAction,
    ValidatorActionInput,
    language_field,
)

__all__ = [
    "AttachmentList",
    "BillingFramework",
    "Factor",
    "InvoiceAttachment",
    "InvoiceDetail",
    "InvoiceRecipient",
    "InvoiceReferences",
    "InvoiceSupplier",
    "InvoiceTotals",
    "LineItem",
    "LineItemList",
    "MainAttachment",
    "ValidatorInvoice",
    "ValideurConsulterRequest",
    "ValideurConsulterResponse",
    "ValideurRechercherFilters",
    "ValideurRechercherRequest",
    "ValideurRechercherResponse",
    "ValideurTraiterRequest",
    "ValideurTraiterResponse",
    "VatLine",
    "VatSummary",
]

_opt_id = optional(check_id)
_opt_text = optional(check_text)
_opt_bool = optional(check_bool)
_opt_date = optional(check_date)
_opt_amount = optional(check_amount)
_opt_texts = optional(check_text_list)

#: ``codeLangue`` of ``valideur/consulter``.


# --- 14. factures/valideur/rechercher ----------------------------------------------------------


class ValideurRechercherFilters(TypedDict, total=False):
    """The keyword filters of ``valideur.rechercher``, ``pages_rechercher`` and
    ``iter_rechercher``: the fields of :class:`ValideurRechercherRequest` plus the page
    size, the sort and ``extra`` (further native fields)."""

    validator_structure_id: int | None
    recipient_structure_id: int | None
    recipient_service_id: int | None
    supplier_structure_id: int | None
    supplier_service_id: int | None
    project_owner_structure_id: int | None
    project_manager_structure_id: int | None
    deposit_date_from: date | None
    deposit_date_to: date | None
    invoice_date_from: date | None
    invoice_date_to: date | None
    status: InvoiceStatusInput | Sequence[InvoiceStatusInput] | None
    invoice_number: str | None
    engagement_number: str | None
    contract_reference: str | None
    invoice_types: str | Sequence[str] | None
    works_invoice_types: str | Sequence[str] | None
    total_net_amount_min: Decimal | None
    total_net_amount_max: Decimal | None
    total_gross_amount_min: Decimal | None
    total_gross_amount_max: Decimal | None
    amount_due_min: Decimal | None
    amount_due_max: Decimal | None
    search_recipient_siren: bool | None
    search_supplier_siren: bool | None
    payment_request_type: str | None
    billing_framework: Mapping[str, Any] | None
    page_size: int | None
    sort_column: str | None
    sort_direction: SortDirectionInput | None
    extra: Mapping[str, Any] | None


@attrs.frozen(kw_only=True)
class ValideurRechercherRequest:
    """Body of ``factures/valideur/rechercher`` (native names, §6.9), all optional.

    ``pagination`` goes under ``pagination``; the amount filters are ``montantAPayerMin``/
    ``Max`` here (capital P); ``extra`` carries further native fields.
    """

    validator_structure_id: int | None = attrs.field(
        default=None, validator=_opt_id, metadata=wire("idStructureValideur")
    )
    recipient_structure_id: int | None = attrs.field(
        default=None, validator=_opt_id, metadata=wire("idDestinataire")
    )
    recipient_service_id: int | None = attrs.field(
        default=None, validator=_opt_id, metadata=wire("idServiceExecutant")
    )
    supplier_structure_id: int | None = attrs.field(
        default=None, validator=_opt_id, metadata=wire("idFournisseur")
    )
    supplier_service_id: int | None = attrs.field(
        default=None, validator=_opt_id, metadata=wire("idServiceFournisseur")
    )
    project_owner_structure_id: int | None = attrs.field(
        default=None, validator=_opt_id, metadata=wire("idStructureMoa")
    )
    project_manager_structure_id: int | None = attrs.field(
        default=None, validator=_opt_id, metadata=wire("idStructureMoe")
    )
    deposit_date_from: date | None = attrs.field(
        default=None, validator=_opt_date, metadata=wire("periodeDateDepotDu")
    )
    deposit_date_to: date | None = attrs.field(
        default=None, validator=_opt_date, metadata=wire("periodeDateDepotAu")
    )
    invoice_date_from: date | None = attrs.field(
        default=None, validator=_opt_date, metadata=wire("periodeDateFactureDu")
    )
    invoice_date_to: date | None = attrs.field(
        default=None, validator=_opt_date, metadata=wire("periodeDateFactureAu")
    )
    status: tuple[InvoiceStatusCode, ...] | None = attrs.field(
        default=None, converter=status_tuple, metadata=wire("statutCourant")
    )
    invoice_number: str | None = attrs.field(
        default=None, validator=_opt_text, metadata=wire("numeroFacture")
    )
    engagement_number: str | None = attrs.field(
        default=None, validator=_opt_text, metadata=wire("numeroEngagement")
    )
    contract_reference: str | None = attrs.field(
        default=None, validator=_opt_text, metadata=wire("numeroMarche")
    )
    invoice_types: tuple[str, ...] | None = attrs.field(
        default=None,
        converter=str_tuple_or_none,
        validator=_opt_texts,
        metadata=wire("listeTypeFacture"),
    )
    works_invoice_types: tuple[str, ...] | None = attrs.field(
        default=None,
        converter=str_tuple_or_none,
        validator=_opt_texts,
        metadata=wire("listeTypeFactureTravaux"),
    )
    total_net_amount_min: Decimal | None = attrs.field(
        default=None, validator=_opt_amount, metadata=wire("montantHTMin")
    )
    total_net_amount_max: Decimal | None = attrs.field(
        default=None, validator=_opt_amount, metadata=wire("montantHTMax")
    )
    total_gross_amount_min: Decimal | None = attrs.field(
        default=None, validator=_opt_amount, metadata=wire("montantTTCMin")
    )
    total_gross_amount_max: Decimal | None = attrs.field(
        default=None, validator=_opt_amount, metadata=wire("montantTTCMax")
    )
    amount_due_min: Decimal | None = attrs.field(
        default=None, validator=_opt_amount, metadata=wire("montantAPayerMin")
    )
    amount_due_max: Decimal | None = attrs.field(
        default=None, validator=_opt_amount, metadata=wire("montantAPayerMax")
    )
    search_recipient_siren: bool | None = attrs.field(
        default=None, validator=_opt_bool, metadata=wire("rechercheSirenDestinataire")
    )
    search_supplier_siren: bool | None = attrs.field(
        default=None, validator=_opt_bool, metadata=wire("rechercheSirenFournisseur")
    )
    payment_request_type: str | None = attrs.field(
        default=None, validator=_opt_text, metadata=wire("typeDemandePaiement")
    )
    billing_framework: Mapping[str, Any] | None = attrs.field(
        default=None, converter=mapping_or_none, hash=False, metadata=wire("cadreFacturation")
    )
    pagination: SearchPagination | None = None
    extra: Mapping[str, Any] = extra_field()
    credentials: ChorusProCredentials | None = None


@attrs.frozen(kw_only=True)
class ValidatorInvoice:
    """One invoice awaiting a validator (``listeFactures[]``, §7.3).

    ``invoice_id`` is ``idFacture``; ``project_owner_...`` / ``project_manager_...`` are
    the ``...Moa`` / ``...Moe`` fields.
    """

    invoice_id: int | None = wire_field("idFacture", fallback=("identifiantFactureCPP",))
    invoice_number: str | None = wire_field("numeroFacture")
    invoice_date: date | None = wire_field("dateFacture", lenient=True)
    deposit_date: date | None = wire_field("dateDepot", lenient=True)
    status: InvoiceStatusCode | None = wire_field("statut")
    invoice_type: str | None = wire_field("typeFacture")
    payment_request_type: str | None = wire_field("typeDemandePaiement")
    works_invoice_type: str | None = wire_field("typeFactureTravaux")
    total_net_amount: Decimal | None = wire_field("montantHT", lenient=True)
    total_gross_amount: Decimal | None = wire_field("montantTTC", lenient=True)
    amount_due: Decimal | None = wire_field("montantAPayer", lenient=True)
    currency: str | None = wire_field("devise")
    supplier_structure_id: int | None = wire_field("idFournisseur")
    supplier_code: str | None = wire_field("identifiantFournisseur")
    supplier_name: str | None = wire_field("designationFournisseur")
    supplier_identifier_type: str | None = wire_field("typeIdentifiantFournisseur")
    supplier_service_code: str | None = wire_field("codeServiceFournisseur")
    supplier_service_name: str | None = wire_field("nomServiceFournisseur")
    recipient_structure_id: int | None = wire_field("idDestinataire")
    recipient_code: str | None = wire_field("identifiantDestinataire")
    recipient_name: str | None = wire_field("designationDestinataire")
    recipient_identifier_type: str | None = wire_field("typeIdentifiantDestinataire")
    recipient_service_id: int | None = wire_field("idServiceExecutant")
    recipient_service_code: str | None = wire_field("codeServiceExecutant")
    recipient_service_name: str | None = wire_field("nomServiceExecutant")
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
    contract_reference: str | None = wire_field("numeroMarche")


@attrs.frozen(kw_only=True)
class ValideurRechercherResponse(NativeResponse):
    """200 body of ``factures/valideur/rechercher``; ``page_info`` is ``parametresRetour``."""

    invoices: tuple[ValidatorInvoice, ...] = attrs.field(default=(), metadata=wire("listeFactures"))
    page_info: PageInfo | None = attrs.field(default=None, metadata=wire("parametresRetour"))


# --- 15. factures/valideur/consulter -----------------------------------------------------------


@attrs.frozen(kw_only=True)
class ValideurConsulterRequest:
    """Body of ``factures/valideur/consulter`` (§6.10): ``idFacture``, ``codeLangue``."""

    invoice_id: int = attrs.field(validator=required(check_id), metadata=wire("idFacture"))
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
    """Body of ``factures/valideur/traiter`` (§6.11): validate or refuse.

    ``reason`` (wire ``motifRefus``) is required for REFUS and REJET; ``comment`` is
    ``complementInfo``, ``attachment_id`` ``idPieceJointe``.
    """

    invoice_id: int = attrs.field(validator=required(check_id), metadata=wire("idFacture"))
    action: ValidatorAction = attrs.field(converter=_to_action)
    reason: str | None = attrs.field(default=None, metadata=wire("motifRefus"))
    comment: str | None = attrs.field(
        default=None,
        validator=optional(check_text, max_length=MAX_COMMENT_LENGTH),
        metadata=wire("complementInfo"),
    )
    attachment_id: int | None = attrs.field(
        default=None, validator=_opt_id, metadata=wire("idPieceJointe")
    )
    validator_id: int | None = attrs.field(
        default=None, validator=_opt_id, metadata=wire("idValideur")
    )
    validator_type: str | None = attrs.field(
        default=None, validator=_opt_text, metadata=wire("typeValideur")
    )
    extra: Mapping[str, Any] = extra_field()
    credentials: ChorusProCredentials | None = None

    def __attrs_post_init__(self) -> None:
        check_reason(
            "reason",
            self.reason,
            required=self.action.requires_reason,
            because="action is REFUS or REJET",
        )


@attrs.frozen(kw_only=True)
class ValideurTraiterResponse(NativeResponse):
    """200 body of ``factures/valideur/traiter``; ``invoice_id`` (wire ``idFacture``) is
    always there: a body without it is a :class:`ResponseDecodeError`."""

    invoice_id: int = attrs.field(metadata=wire("idFacture", fallback=("identifiantFactureCPP",)))
    invoice_number: str | None = wire_field("numeroFacture")
    status: InvoiceStatusCode | None = wire_field("statutFacture")
    processing_date: date | None = wire_field("dateTraitement", lenient=True)
