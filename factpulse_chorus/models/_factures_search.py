"""The supplier and recipient invoice searches: filters, request bodies, result items, pages.

Each search's filters are declared once, as a ``TypedDict`` the search methods take as
``**filters``, beside the request model those keywords fill (the names match one to one,
plus the pagination keys). Re-exported by :mod:`.factures`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, TypedDict, TypeVar

import attrs

from .._exceptions import RequestValidationError
from .._validation import check_id, check_id_list, check_text, optional, required
from .._wire import extra_field, wire
from ._fields import (
    codes_options,
    filter_field,
    int_tuple_or_none,
    is_collection,
    mapping_or_none,
    opt_amount,
    opt_bool,
    opt_date,
    opt_datetime,
    opt_id,
    opt_ids,
    status_tuple,
    str_tuple_or_none,
    wire_field,
)
from .common import (
    ChorusProCredentials,
    InvoiceStatusCode,
    InvoiceStatusInput,
    NativeResponse,
    PageInfo,
    SearchPagination,
    SortDirectionInput,
)

T = TypeVar("T")


def tuple_or_none(value: Iterable[T] | None) -> tuple[T, ...] | None:
    """Converter of a list filter: a tuple, ``None`` staying unset (anything else is left
    for the validator to refuse, naming the field)."""
    if value is None:
        return None
    return tuple(value) if is_collection(value) else value  # type: ignore[return-value]


def items_of(name: str, cls: type) -> Callable[[Any, Any, tuple[object, ...] | None], None]:
    """Validator of a list-of-``cls`` field: each item must be a ``cls``."""

    def check(_instance: Any, _attribute: Any, value: tuple[object, ...] | None) -> None:
        if value is None:
            return
        if not isinstance(value, tuple):
            raise RequestValidationError(name, f"must be a list of {cls.__name__} objects")
        for index, item in enumerate(value):
            if not isinstance(item, cls):
                raise RequestValidationError(
                    name, f"must be {cls.__name__} objects (item {index} is not)"
                )

    return check


# Response invoice ids: one attribute whatever the source calls it.
_ID_CPP = wire("identifiantFactureCPP", fallback=("idFacture",))
_ID_FACTURE = wire("idFacture", fallback=("identifiantFactureCPP",))


@attrs.frozen(kw_only=True)
class _ListedInvoice:
    """The fields of an invoice in any search result (the two invoice searches and the
    validator's), under the same wire names."""

    invoice_number: str | None = wire_field("numeroFacture")
    invoice_type: str | None = wire_field("typeFacture")
    payment_request_type: str | None = wire_field("typeDemandePaiement")
    invoice_date: date | None = wire_field("dateFacture", lenient=True)
    deposit_date: date | None = wire_field("dateDepot", lenient=True)
    status: InvoiceStatusCode | None = wire_field("statut")
    recipient_structure_id: int | None = wire_field("idDestinataire")
    recipient_name: str | None = wire_field("designationDestinataire")
    recipient_service_id: int | None = wire_field("idServiceExecutant")
    recipient_service_code: str | None = wire_field("codeServiceExecutant")
    recipient_service_name: str | None = wire_field("nomServiceExecutant")
    supplier_name: str | None = wire_field("designationFournisseur")
    supplier_identifier_type: str | None = wire_field("typeIdentifiantFournisseur")
    supplier_service_code: str | None = wire_field("codeServiceFournisseur")
    supplier_service_name: str | None = wire_field("nomServiceFournisseur")
    total_net_amount: Decimal | None = wire_field("montantHT", lenient=True)
    total_gross_amount: Decimal | None = wire_field("montantTTC", lenient=True)
    amount_due: Decimal | None = wire_field("montantAPayer", lenient=True)
    currency: str | None = wire_field("devise")
    contract_reference: str | None = wire_field("numeroMarche")


@attrs.frozen(kw_only=True)
class _SearchedInvoice(_ListedInvoice):
    """The fields the supplier's and the recipient's search results add."""

    status_date: date | None = wire_field("dateHeureEtatCourant", lenient=True)
    status_comment: str | None = wire_field("commentaireEtatCourant")
    recipient_code: str | None = wire_field("codeDestinataire")
    supplier_code: str | None = wire_field("codeFournisseur")
    purchase_order_reference: str | None = wire_field("numeroBonCommande")
    size: int | None = wire_field("taille", lenient=True)


@attrs.frozen(kw_only=True)
class _InvoicePage(NativeResponse):
    """A page of an invoice search (the supplier's, the validator's): the ``invoices``,
    which each search declares with its own item class, and ``page_info``
    (``parametresRetour``)."""

    page_info: PageInfo | None = attrs.field(default=None, metadata=wire("parametresRetour"))


# --- 7. factures/rechercher-fournisseur --------------------------------------------------------


@attrs.frozen(kw_only=True)
class RecipientFilter:
    """One recipient of the ``recipients`` filter (wire ``listeDestinataire[]``)."""

    recipient_structure_id: int = attrs.field(
        validator=required(check_id, prefix="recipients."), metadata=wire("idDestinataire")
    )
    recipient_service_ids: tuple[int, ...] | None = attrs.field(
        default=None,
        converter=int_tuple_or_none,
        validator=optional(check_id_list, prefix="recipients.", non_empty=False),
        metadata=wire("listeIdServiceExecutant"),
    )
    recipient_name: str | None = attrs.field(
        default=None,
        validator=optional(check_text, prefix="recipients."),
        metadata=wire("raisonSocialeStuctDmd"),  # sic: the native spelling
    )


_check_recipients = items_of("recipients", RecipientFilter)


def _recipients(value: Iterable[RecipientFilter] | None) -> tuple[RecipientFilter, ...] | None:
    return tuple_or_none(value)


class _ListedInvoiceFilters(TypedDict, total=False):
    """The filters of every invoice search (the supplier's, the recipient's and the
    validator's): the keywords of their ``**filters``."""

    invoice_number: str | None
    invoice_date_from: date | None
    invoice_date_to: date | None
    deposit_date_from: date | None
    deposit_date_to: date | None
    status: InvoiceStatusInput | Sequence[InvoiceStatusInput] | None
    total_net_amount_min: Decimal | None
    total_net_amount_max: Decimal | None
    total_gross_amount_min: Decimal | None
    total_gross_amount_max: Decimal | None
    amount_due_min: Decimal | None
    amount_due_max: Decimal | None
    contract_reference: str | None
    validator_structure_id: int | None
    page_size: int | None
    sort_column: str | None
    sort_direction: SortDirectionInput | None
    extra: Mapping[str, Any] | None


class _InvoiceSearchFilters(_ListedInvoiceFilters, total=False):
    """The filters both invoice searches add (the validator's has none of these)."""

    status_date_from: date | None
    status_date_to: date | None
    purchase_order_reference: str | None
    include_size: bool | None


@attrs.frozen(kw_only=True)
class _ListedInvoiceRequest:
    """The fields every invoice search body has (the supplier's, the recipient's and the
    validator's), under the same wire names: those of :class:`_ListedInvoiceFilters` but
    the amounts due, which the validator's spells its own way."""

    invoice_number: str | None = filter_field("numeroFacture")
    invoice_date_from: date | None = filter_field("periodeDateFactureDu", opt_date)
    invoice_date_to: date | None = filter_field("periodeDateFactureAu", opt_date)
    deposit_date_from: date | None = filter_field("periodeDateDepotDu", opt_date)
    deposit_date_to: date | None = filter_field("periodeDateDepotAu", opt_date)
    status: tuple[InvoiceStatusCode, ...] | None = attrs.field(
        default=None, converter=status_tuple, metadata=wire("statutCourant")
    )
    total_net_amount_min: Decimal | None = filter_field("montantHTMin", opt_amount)
    total_net_amount_max: Decimal | None = filter_field("montantHTMax", opt_amount)
    total_gross_amount_min: Decimal | None = filter_field("montantTTCMin", opt_amount)
    total_gross_amount_max: Decimal | None = filter_field("montantTTCMax", opt_amount)
    contract_reference: str | None = filter_field("numeroMarche")
    validator_structure_id: int | None = filter_field("idStructureValideur", opt_id)


@attrs.frozen(kw_only=True)
class _InvoiceSearchRequest(_ListedInvoiceRequest):
    """The fields both invoice search bodies add, under the same wire names."""

    status_date_from: date | None = filter_field(
        "periodeDateHeureEtatCourantDu", opt_datetime, offset=True
    )
    status_date_to: date | None = filter_field(
        "periodeDateHeureEtatCourantAu", opt_datetime, offset=True
    )
    amount_due_min: Decimal | None = filter_field("montantApayerMin", opt_amount)
    amount_due_max: Decimal | None = filter_field("montantApayerMax", opt_amount)
    purchase_order_reference: str | None = filter_field("numeroBonCommande")
    include_size: bool | None = filter_field("recupererTaille", opt_bool)


class FacturesRechercherFournisseurFilters(_InvoiceSearchFilters, total=False):
    """The filters of ``factures.rechercher_fournisseur``, ``pages_fournisseur`` and
    ``iter_fournisseur`` (keywords; ``None`` means "not filtered"). Wire names: see
    :class:`FacturesRechercherFournisseurRequest`.

    ``status_date_from`` / ``status_date_to`` take a date (sent ``YYYY-MM-DD``) or a
    datetime, sent RFC 3339 with its offset; a naive datetime is Europe/Paris wall time
    (Chorus Pro's zone, summer time included), whatever the machine's zone. Amounts are
    Decimals, sent as JSON numbers with every digit."""

    recipients: Iterable[RecipientFilter] | None
    invoice_type: str | None
    original_invoice_number: str | None
    deposit_flow_number: str | None
    supplier_structure_id: int | None
    supplier_service_id: int | None
    deposit_mode: str | None
    rejection_processed: bool | None
    search_recipient_siren: bool | None
    creator_user_id: Iterable[int] | int | None
    billing_framework: Mapping[str, Any] | None
    bank_details_id: int | None


@attrs.frozen(kw_only=True)
class FacturesRechercherFournisseurRequest(_InvoiceSearchRequest):
    """Filters of ``factures/rechercher-fournisseur``, all optional.

    ``pagination`` goes under ``rechercheFactureParFournisseur``; amounts are sent as
    JSON numbers; ``extra`` carries further native fields (merged into the body; a key
    naming a declared field is refused).
    """

    recipients: tuple[RecipientFilter, ...] | None = attrs.field(
        default=None,
        converter=_recipients,
        validator=_check_recipients,
        metadata=wire("listeDestinataire"),
    )
    invoice_type: str | None = filter_field("typeFacture")
    original_invoice_number: str | None = filter_field("numeroFactureOrigine")
    deposit_flow_number: str | None = filter_field("numeroFluxDepot")
    supplier_structure_id: int | None = filter_field("idFournisseur", opt_id)
    supplier_service_id: int | None = filter_field("idServiceFournisseur", opt_id)
    deposit_mode: str | None = filter_field("modeDepot")
    rejection_processed: bool | None = filter_field("rejetTraite", opt_bool)
    search_recipient_siren: bool | None = filter_field("rechercheSirenDestinataire", opt_bool)
    creator_user_id: tuple[int, ...] | None = attrs.field(
        default=None,
        converter=int_tuple_or_none,
        validator=opt_ids,
        metadata=wire("idUtilisateurCreateur"),
    )
    billing_framework: Mapping[str, Any] | None = attrs.field(
        default=None, converter=mapping_or_none, hash=False, metadata=wire("cadreFacturation")
    )
    bank_details_id: int | None = filter_field("coordonneeBancaire", opt_id)
    pagination: SearchPagination | None = attrs.field(
        default=None, metadata=wire("rechercheFactureParFournisseur")
    )
    extra: Mapping[str, Any] = extra_field()
    credentials: ChorusProCredentials | None = None


@attrs.frozen(kw_only=True)
class SupplierInvoice(_SearchedInvoice):
    """One invoice of a supplier search (``listeFactures[]``).

    ``invoice_id`` is ``identifiantFactureCPP``; amounts (``montantHT``, ``montantTTC``,
    ``montantAPayer``) are Decimals; ``status_date`` is a datetime when the server sent
    a time.
    """

    invoice_id: int | None = attrs.field(default=None, metadata=_ID_CPP)
    original_invoice_number: str | None = wire_field("numeroFactureOrigine")
    deposit_flow_number: str | None = wire_field("numeroFluxDepot")
    deposit_mode: str | None = wire_field("modeDepot")
    rejection_processed: bool | None = wire_field("rejetTraite")
    creator_name: str | None = wire_field("nomPrenomUtilisateurCreateur")
    factor_code: str | None = wire_field("affactureurCode")
    factor_name: str | None = wire_field("affactureurRaisonSociale")
    factor_identifier_type: str | None = wire_field("affactureurTypeIdentifiant")
    bank_iban_key: str | None = wire_field("coordBancairesFournisseurCleIban")
    bank_rib_key: str | None = wire_field("coordBancairesFournisseurCleRib")
    bank_code: str | None = wire_field("coordBancairesFournisseurCodeBanque")
    bank_country_code: str | None = wire_field("coordBancairesFournisseurCodePays")
    bank_account: str | None = wire_field("coordBancairesFournisseurCompteBancaire")
    bank_name: str | None = wire_field("coordBancairesFournisseurNomCb")
    validator1_code: str | None = wire_field("codeValideur1")
    validator2_code: str | None = wire_field("codeValideur2")
    validator1_last_name: str | None = wire_field("nomValideur1")
    validator2_last_name: str | None = wire_field("nomValideur2")
    validator1_first_name: str | None = wire_field("prenomValideur1")
    validator2_first_name: str | None = wire_field("prenomValideur2")
    validator1_company_name: str | None = wire_field("raisonSocialeValideur1")
    validator2_company_name: str | None = wire_field("raisonSocialeValideur2")
    validator1_identifier_type: str | None = wire_field("typeIdentifiantValideur1")
    validator2_identifier_type: str | None = wire_field("typeIdentifiantValideur2")
    validation1_date: str | None = wire_field("dateValidation1")
    validation2_date: str | None = wire_field("dateValidation2")


@attrs.frozen(kw_only=True)
class FacturesRechercherFournisseurResponse(_InvoicePage):
    """200 body of ``factures/rechercher-fournisseur``; ``page_info`` is ``parametresRetour``."""

    invoices: tuple[SupplierInvoice, ...] = attrs.field(default=(), metadata=wire("listeFactures"))


# --- 8. factures/rechercher-destinataire -------------------------------------------------------


@attrs.frozen(kw_only=True)
class SupplierFilter:
    """One supplier of the ``suppliers`` filter (wire ``listeFournisseurs[]``)."""

    supplier_structure_id: int = attrs.field(
        validator=required(check_id, prefix="suppliers."), metadata=wire("idFournisseur")
    )
    supplier_service_ids: tuple[int, ...] | None = attrs.field(
        default=None,
        converter=int_tuple_or_none,
        validator=optional(check_id_list, prefix="suppliers.", non_empty=False),
        metadata=wire("listeIdService"),
    )


_check_suppliers = items_of("suppliers", SupplierFilter)


def _suppliers(value: Iterable[SupplierFilter] | None) -> tuple[SupplierFilter, ...] | None:
    return tuple_or_none(value)


class FacturesRechercherDestinataireFilters(_InvoiceSearchFilters, total=False):
    """The filters of ``factures.rechercher_destinataire``, ``pages_destinataire`` and
    ``iter_destinataire`` (keywords; ``None`` means "not filtered"). Wire names: see
    :class:`FacturesRechercherDestinataireRequest`.

    ``status_date_from`` / ``status_date_to`` take a date (sent ``YYYY-MM-DD``) or a
    datetime, sent RFC 3339 with its offset; a naive datetime is Europe/Paris wall time
    (Chorus Pro's zone, summer time included), whatever the machine's zone. Amounts are
    Decimals, sent as JSON numbers with every digit."""

    downloaded_by_recipient: bool | None
    suppliers: Iterable[SupplierFilter] | None
    search_supplier_siren: bool | None
    recipient_structure_id: int | None
    recipient_service_id: int | None
    billing_framework: str | None
    invoice_types: Iterable[str] | str | None
    works_invoice_types: Iterable[str] | str | None
    payment_request_type: str | None


@attrs.frozen(kw_only=True)
class FacturesRechercherDestinataireRequest(_InvoiceSearchRequest):
    """Filters of ``factures/rechercher-destinataire``, all optional.

    ``pagination`` goes under ``paramRecherche``; ``extra`` as for the supplier search.
    """

    downloaded_by_recipient: bool | None = filter_field(
        "factureTelechargeeParDestinataire", opt_bool
    )
    suppliers: tuple[SupplierFilter, ...] | None = attrs.field(
        default=None,
        converter=_suppliers,
        validator=_check_suppliers,
        metadata=wire("listeFournisseurs"),
    )
    search_supplier_siren: bool | None = filter_field("rechercheSirenFournisseur", opt_bool)
    recipient_structure_id: int | None = filter_field("idDestinataire", opt_id)
    recipient_service_id: int | None = filter_field("idServiceExecutant", opt_id)
    billing_framework: str | None = filter_field("cadreFacturation")
    invoice_types: tuple[str, ...] | None = attrs.field(
        default=None, converter=str_tuple_or_none, **codes_options("listeTypeFacture")
    )
    works_invoice_types: tuple[str, ...] | None = attrs.field(
        default=None, converter=str_tuple_or_none, **codes_options("listeTypeFactureTravaux")
    )
    payment_request_type: str | None = filter_field("typeDemandePaiement")
    pagination: SearchPagination | None = attrs.field(default=None, metadata=wire("paramRecherche"))
    extra: Mapping[str, Any] = extra_field()
    credentials: ChorusProCredentials | None = None


@attrs.frozen(kw_only=True)
class RecipientInvoice(_SearchedInvoice):
    """One invoice of a recipient search (``listeFactures[]``); ``invoice_id`` is
    ``idFacture``; ``project_owner_*`` / ``project_manager_*`` are the ``…MOA`` / ``…MOE``
    fields."""

    invoice_id: int | None = attrs.field(default=None, metadata=_ID_FACTURE)
    works_invoice_type: str | None = wire_field("typeFactureTravaux")
    downloaded_by_recipient: bool | None = wire_field("factureTelechargeeParDestinataire")
    project_owner_code: str | None = wire_field("codeMOA")
    project_owner_name: str | None = wire_field("designationMOA")
    project_owner_identifier_type: str | None = wire_field("typeIdentifiantMOA")
    project_manager_code: str | None = wire_field("codeMOE")
    project_manager_name: str | None = wire_field("designationMOE")
    project_manager_identifier_type: str | None = wire_field("typeIdentifiantMOE")


@attrs.frozen(kw_only=True)
class FacturesRechercherDestinataireResponse(NativeResponse):
    """200 body of ``factures/rechercher-destinataire``.

    ``page_info`` is read from ``parametresRetour`` or, as this endpoint sends it, from
    the top-level ``pageCourante``/``pages``/``nbResultatsParPage``/``total``.
    """

    invoices: tuple[RecipientInvoice, ...] = attrs.field(default=(), metadata=wire("listeFactures"))
    page_info: PageInfo | None = attrs.field(
        default=None, metadata=wire("parametresRetour", inline=True)
    )
