"""Factures: submit, status, searches, download, recipient decision, complete, recycle.

Typed endpoints (5, 6) use English names; the native ones (7-12) use the snake_case
of the documented French wire names. Every response exposes the invoice id as
``invoice_id``, whichever of ``identifiantFactureCPP`` / ``idFacture`` the server sent.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
import os
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import attrs

from .._exceptions import FactPulseError, RequestValidationError, ResponseDecodeError
from .._validation import (
    MAX_COMMENT_LENGTH,
    MAX_LABEL_LENGTH,
    all_unset,
    check_amount,
    check_bool,
    check_date,
    check_datetime,
    check_enum,
    check_id,
    check_id_list,
    check_invoice_number,
    check_reason,
    check_text,
    check_text_list,
    check_totals,
    optional,
    required,
)
from .common import (
    ChorusProCredentials,
    FileFormat,
    InvoiceStatusCode,
    NativeResponse,
    PageInfo,
    SearchPagination,
    TargetStatus,
    TypedResponse,
    extra_field,
    int_tuple,
    int_tuple_or_none,
    mapping_or_none,
    status_tuple,
    str_tuple_or_none,
    wire,
)

__all__ = [
    "CompleterFactureRequest",
    "CompleterFactureResponse",
    "ConsulterFactureRequest",
    "ConsulterFactureResponse",
    "ConsulterResult",
    "ContentKind",
    "DeposerResult",
    "FactureDestinataire",
    "FactureFournisseur",
    "FiltreDestinataire",
    "FiltreFournisseur",
    "FinalStatus",
    "InvoiceStatus",
    "PieceJointeComplementaire",
    "PollError",
    "PollEvent",
    "PollFinished",
    "PollSummary",
    "RechercherDestinataireRequest",
    "RechercherDestinataireResponse",
    "RechercherFournisseurRequest",
    "RechercherFournisseurResponse",
    "RecyclerFactureRequest",
    "RecyclerFactureResponse",
    "SoumettreFactureRequest",
    "SoumettreFactureResponse",
    "StatusChanged",
    "TelechargerGroupeRequest",
    "TelechargerGroupeResponse",
    "TraiterFactureRecueRequest",
    "TraiterFactureRecueResponse",
]

# Validators used over and over below.
_id = required(check_id)
_opt_id = optional(check_id)
_opt_text = optional(check_text)
_opt_bool = optional(check_bool)
_opt_date = optional(check_date)
_opt_datetime = optional(check_datetime)
_opt_amount = optional(check_amount)
_opt_comment = optional(check_text, max_length=MAX_COMMENT_LENGTH)
_opt_ids = optional(check_id_list, non_empty=False)
_opt_texts = optional(check_text_list)

# Response invoice ids: one attribute whatever the source calls it.
_ID_CPP = wire("identifiantFactureCPP", fallback=("idFacture",))
_ID_FACTURE = wire("idFacture", fallback=("identifiantFactureCPP",))
_HT = wire("montantHT")
_TTC = wire("montantTTC")


# --- 5. factures/soumettre ---------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class SoumettreFactureRequest:
    """Body of ``factures/soumettre`` (``SubmitInvoiceRequest``).

    Amounts are Decimals with at most 2 decimals, sent as strings with exactly two
    (``"1250.50"``); ``total_net_amount + vat_amount`` must equal ``total_gross_amount``.
    """

    invoice_number: str = attrs.field(validator=required(check_invoice_number))
    invoice_date: date = attrs.field(validator=required(check_date))
    payment_due_date: date | None = attrs.field(default=None, validator=_opt_date)
    structure_id: int = attrs.field(validator=_id)
    service_code: str | None = attrs.field(default=None, validator=_opt_text)
    engagement_number: str | None = attrs.field(default=None, validator=_opt_text)
    total_net_amount: Decimal = attrs.field(
        validator=required(check_amount), metadata=wire(money="fixed2")
    )
    vat_amount: Decimal = attrs.field(
        validator=required(check_amount), metadata=wire(money="fixed2")
    )
    total_gross_amount: Decimal = attrs.field(
        validator=required(check_amount), metadata=wire(money="fixed2")
    )
    main_attachment_id: int | None = attrs.field(default=None, validator=_opt_id)
    main_attachment_label: str | None = attrs.field(
        default=None, validator=optional(check_text, max_length=MAX_LABEL_LENGTH)
    )
    comment: str | None = attrs.field(default=None, validator=_opt_comment)
    purchase_order_reference: str | None = attrs.field(default=None, validator=_opt_text)
    contract_reference: str | None = attrs.field(default=None, validator=_opt_text)
    credentials: ChorusProCredentials | None = None

    def __attrs_post_init__(self) -> None:
        check_totals(self.total_net_amount, self.vat_amount, self.total_gross_amount)


@attrs.frozen(kw_only=True)
class SoumettreFactureResponse(TypedResponse):
    """200 body of ``factures/soumettre`` (``SubmitInvoiceResponse``)."""

    chorus_invoice_id: int | None = None
    deposit_flow_number: str | None = None


@attrs.frozen(kw_only=True)
class DeposerResult:
    """What ``factures.deposer`` did: the invoice, its deposit flow, the PDF's attachment
    id and the recipient structure resolved from its SIRET (``submission``: the raw
    ``soumettre`` response)."""

    invoice_id: int
    deposit_flow_number: str | None
    attachment_id: int
    structure_id: int
    structure_name: str | None = None
    submission: SoumettreFactureResponse = attrs.field(repr=False)


# --- 6. factures/consulter ---------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ConsulterFactureRequest:
    """Body of ``factures/consulter`` (``GetInvoiceRequest``)."""

    chorus_invoice_id: int = attrs.field(validator=_id)
    credentials: ChorusProCredentials | None = None


@attrs.frozen(kw_only=True)
class InvoiceStatus:
    """Current status of an invoice (``InvoiceStatus``).

    ``date`` is a :class:`~datetime.date`, or a :class:`~datetime.datetime` when the
    server sent a time.
    """

    code: InvoiceStatusCode
    label: str
    date: dt.date | None = None


@attrs.frozen(kw_only=True)
class ConsulterFactureResponse(TypedResponse):
    """200 body of ``factures/consulter`` (``GetInvoiceResponse``)."""

    chorus_invoice_id: int | None = None
    invoice_number: str | None = None
    invoice_date: date | None = None
    total_gross_amount: Decimal | None = attrs.field(default=None, metadata=wire(money="string"))
    current_status: InvoiceStatus | None = None
    recipient_structure_id: int | None = None
    recipient_structure_name: str | None = None


@attrs.frozen(kw_only=True)
class ConsulterResult:
    """One answer of ``factures.consulter_many``: the response, or the error for that id."""

    invoice_id: int
    response: ConsulterFactureResponse | None = attrs.field(default=None, repr=False)
    error: FactPulseError | None = None

    @property
    def ok(self) -> bool:
        """Whether the invoice was read (``response`` is set)."""
        return self.error is None


# --- factures.poll events ---------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class StatusChanged:
    """The status of ``invoice_id`` is not the one seen before (``previous`` is ``None``
    the first time)."""

    invoice_id: int
    previous: InvoiceStatusCode | None
    current: InvoiceStatusCode
    response: ConsulterFactureResponse = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class FinalStatus:
    """``invoice_id`` reached a final status: it is no longer polled."""

    invoice_id: int
    status: InvoiceStatusCode
    response: ConsulterFactureResponse = attrs.field(repr=False)


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


# --- 7. factures/rechercher-fournisseur --------------------------------------------------------


@attrs.frozen(kw_only=True)
class FiltreDestinataire:
    """One recipient of the ``listeDestinataire`` filter."""

    id_destinataire: int = attrs.field(validator=required(check_id, prefix="liste_destinataire."))
    liste_id_service_executant: tuple[int, ...] | None = attrs.field(
        default=None,
        converter=int_tuple_or_none,
        validator=optional(check_id_list, prefix="liste_destinataire.", non_empty=False),
    )
    raison_sociale_stuct_dmd: str | None = attrs.field(
        default=None, validator=optional(check_text, prefix="liste_destinataire.")
    )


def _destinataires(
    value: Iterable[FiltreDestinataire] | None,
) -> tuple[FiltreDestinataire, ...] | None:
    return None if value is None else tuple(value)


def _check_destinataires(_instance: Any, _attribute: Any, value: tuple[object, ...] | None) -> None:
    if value is not None and not all(isinstance(item, FiltreDestinataire) for item in value):
        raise RequestValidationError("liste_destinataire", "must be FiltreDestinataire objects")


@attrs.frozen(kw_only=True)
class RechercherFournisseurRequest:
    """Filters of ``factures/rechercher-fournisseur`` (native names, §6.2), all optional.

    ``pagination`` goes under ``rechercheFactureParFournisseur``; amounts are sent as
    JSON numbers; ``extra`` carries further native fields (merged into the body; a key
    naming a declared field is refused).
    """

    numero_facture: str | None = attrs.field(default=None, validator=_opt_text)
    periode_date_facture_du: date | None = attrs.field(default=None, validator=_opt_date)
    periode_date_facture_au: date | None = attrs.field(default=None, validator=_opt_date)
    periode_date_depot_du: date | None = attrs.field(default=None, validator=_opt_date)
    periode_date_depot_au: date | None = attrs.field(default=None, validator=_opt_date)
    periode_date_heure_etat_courant_du: date | None = attrs.field(
        default=None, validator=_opt_datetime
    )
    periode_date_heure_etat_courant_au: date | None = attrs.field(
        default=None, validator=_opt_datetime
    )
    statut_courant: tuple[InvoiceStatusCode, ...] | None = attrs.field(
        default=None, converter=status_tuple
    )
    liste_destinataire: tuple[FiltreDestinataire, ...] | None = attrs.field(
        default=None, converter=_destinataires, validator=_check_destinataires
    )
    montant_ht_min: Decimal | None = attrs.field(
        default=None, validator=_opt_amount, metadata=wire("montantHTMin")
    )
    montant_ht_max: Decimal | None = attrs.field(
        default=None, validator=_opt_amount, metadata=wire("montantHTMax")
    )
    montant_ttc_min: Decimal | None = attrs.field(
        default=None, validator=_opt_amount, metadata=wire("montantTTCMin")
    )
    montant_ttc_max: Decimal | None = attrs.field(
        default=None, validator=_opt_amount, metadata=wire("montantTTCMax")
    )
    montant_a_payer_min: Decimal | None = attrs.field(
        default=None, validator=_opt_amount, metadata=wire("montantApayerMin")
    )
    montant_a_payer_max: Decimal | None = attrs.field(
        default=None, validator=_opt_amount, metadata=wire("montantApayerMax")
    )
    type_facture: str | None = attrs.field(default=None, validator=_opt_text)
    numero_bon_commande: str | None = attrs.field(default=None, validator=_opt_text)
    numero_marche: str | None = attrs.field(default=None, validator=_opt_text)
    numero_facture_origine: str | None = attrs.field(default=None, validator=_opt_text)
    numero_flux_depot: str | None = attrs.field(default=None, validator=_opt_text)
    id_fournisseur: int | None = attrs.field(default=None, validator=_opt_id)
    id_service_fournisseur: int | None = attrs.field(default=None, validator=_opt_id)
    id_structure_valideur: int | None = attrs.field(default=None, validator=_opt_id)
    mode_depot: str | None = attrs.field(default=None, validator=_opt_text)
    rejet_traite: bool | None = attrs.field(default=None, validator=_opt_bool)
    recherche_siren_destinataire: bool | None = attrs.field(default=None, validator=_opt_bool)
    recuperer_taille: bool | None = attrs.field(default=None, validator=_opt_bool)
    id_utilisateur_createur: tuple[int, ...] | None = attrs.field(
        default=None, converter=int_tuple_or_none, validator=_opt_ids
    )
    cadre_facturation: Mapping[str, Any] | None = attrs.field(
        default=None, converter=mapping_or_none, hash=False
    )
    coordonnee_bancaire: int | None = attrs.field(default=None, validator=_opt_id)
    pagination: SearchPagination | None = attrs.field(
        default=None, metadata=wire("rechercheFactureParFournisseur")
    )
    extra: Mapping[str, Any] = extra_field()
    credentials: ChorusProCredentials | None = None


@attrs.frozen(kw_only=True)
class FactureFournisseur:
    """One invoice of a supplier search (``listeFactures[]``, §7.1).

    ``invoice_id`` is ``identifiantFactureCPP``; amounts ``montantHT``/``montantTTC``/
    ``montantAPayer`` are Decimals; ``date_heure_etat_courant`` is a datetime when the
    server sent a time.
    """

    invoice_id: int | None = attrs.field(default=None, metadata=_ID_CPP)
    numero_facture: str | None = None
    type_facture: str | None = None
    type_demande_paiement: str | None = None
    date_facture: date | None = None
    date_depot: date | None = None
    date_heure_etat_courant: date | None = None
    statut: InvoiceStatusCode | None = None
    commentaire_etat_courant: str | None = None
    id_destinataire: int | None = None
    code_destinataire: str | None = None
    designation_destinataire: str | None = None
    id_service_executant: int | None = None
    code_service_executant: str | None = None
    nom_service_executant: str | None = None
    code_fournisseur: str | None = None
    designation_fournisseur: str | None = None
    type_identifiant_fournisseur: str | None = None
    code_service_fournisseur: str | None = None
    nom_service_fournisseur: str | None = None
    montant_ht: Decimal | None = attrs.field(default=None, metadata=_HT)
    montant_ttc: Decimal | None = attrs.field(default=None, metadata=_TTC)
    montant_a_payer: Decimal | None = None
    devise: str | None = None
    numero_bon_commande: str | None = None
    numero_marche: str | None = None
    numero_facture_origine: str | None = None
    numero_flux_depot: str | None = None
    mode_depot: str | None = None
    rejet_traite: bool | None = None
    taille: int | None = None
    nom_prenom_utilisateur_createur: str | None = None
    affactureur_code: str | None = None
    affactureur_raison_sociale: str | None = None
    affactureur_type_identifiant: str | None = None
    coord_bancaires_fournisseur_cle_iban: str | None = None
    coord_bancaires_fournisseur_cle_rib: str | None = None
    coord_bancaires_fournisseur_code_banque: str | None = None
    coord_bancaires_fournisseur_code_pays: str | None = None
    coord_bancaires_fournisseur_compte_bancaire: str | None = None
    coord_bancaires_fournisseur_nom_cb: str | None = None
    code_valideur1: str | None = None
    code_valideur2: str | None = None
    nom_valideur1: str | None = None
    nom_valideur2: str | None = None
    prenom_valideur1: str | None = None
    prenom_valideur2: str | None = None
    raison_sociale_valideur1: str | None = None
    raison_sociale_valideur2: str | None = None
    type_identifiant_valideur1: str | None = None
    type_identifiant_valideur2: str | None = None
    date_validation1: str | None = None
    date_validation2: str | None = None


@attrs.frozen(kw_only=True)
class RechercherFournisseurResponse(NativeResponse):
    """200 body of ``factures/rechercher-fournisseur``; ``page_info`` is ``parametresRetour``."""

    invoices: tuple[FactureFournisseur, ...] = attrs.field(
        default=(), metadata=wire("listeFactures")
    )
    page_info: PageInfo | None = attrs.field(default=None, metadata=wire("parametresRetour"))


# --- 8. factures/rechercher-destinataire -------------------------------------------------------


@attrs.frozen(kw_only=True)
class FiltreFournisseur:
    """One supplier of the ``listeFournisseurs`` filter."""

    id_fournisseur: int = attrs.field(validator=required(check_id, prefix="liste_fournisseurs."))
    liste_id_service: tuple[int, ...] | None = attrs.field(
        default=None,
        converter=int_tuple_or_none,
        validator=optional(check_id_list, prefix="liste_fournisseurs.", non_empty=False),
    )


def _fournisseurs(
    value: Iterable[FiltreFournisseur] | None,
) -> tuple[FiltreFournisseur, ...] | None:
    return None if value is None else tuple(value)


def _check_fournisseurs(_instance: Any, _attribute: Any, value: tuple[object, ...] | None) -> None:
    if value is not None and not all(isinstance(item, FiltreFournisseur) for item in value):
        raise RequestValidationError("liste_fournisseurs", "must be FiltreFournisseur objects")


@attrs.frozen(kw_only=True)
class RechercherDestinataireRequest:
    """Filters of ``factures/rechercher-destinataire`` (§6.3), all optional.

    ``pagination`` goes under ``paramRecherche``; ``extra`` as for the supplier search.
    """

    facture_telechargee_par_destinataire: bool | None = attrs.field(
        default=None, validator=_opt_bool
    )
    periode_date_depot_du: date | None = attrs.field(default=None, validator=_opt_date)
    periode_date_depot_au: date | None = attrs.field(default=None, validator=_opt_date)
    periode_date_facture_du: date | None = attrs.field(default=None, validator=_opt_date)
    periode_date_facture_au: date | None = attrs.field(default=None, validator=_opt_date)
    periode_date_heure_etat_courant_du: date | None = attrs.field(
        default=None, validator=_opt_datetime
    )
    periode_date_heure_etat_courant_au: date | None = attrs.field(
        default=None, validator=_opt_datetime
    )
    statut_courant: tuple[InvoiceStatusCode, ...] | None = attrs.field(
        default=None, converter=status_tuple
    )
    liste_fournisseurs: tuple[FiltreFournisseur, ...] | None = attrs.field(
        default=None, converter=_fournisseurs, validator=_check_fournisseurs
    )
    recherche_siren_fournisseur: bool | None = attrs.field(default=None, validator=_opt_bool)
    id_destinataire: int | None = attrs.field(default=None, validator=_opt_id)
    id_service_executant: int | None = attrs.field(default=None, validator=_opt_id)
    id_structure_valideur: int | None = attrs.field(default=None, validator=_opt_id)
    cadre_facturation: str | None = attrs.field(default=None, validator=_opt_text)
    liste_type_facture: tuple[str, ...] | None = attrs.field(
        default=None, converter=str_tuple_or_none, validator=_opt_texts
    )
    liste_type_facture_travaux: tuple[str, ...] | None = attrs.field(
        default=None, converter=str_tuple_or_none, validator=_opt_texts
    )
    type_demande_paiement: str | None = attrs.field(default=None, validator=_opt_text)
    montant_ht_min: Decimal | None = attrs.field(
        default=None, validator=_opt_amount, metadata=wire("montantHTMin")
    )
    montant_ht_max: Decimal | None = attrs.field(
        default=None, validator=_opt_amount, metadata=wire("montantHTMax")
    )
    montant_ttc_min: Decimal | None = attrs.field(
        default=None, validator=_opt_amount, metadata=wire("montantTTCMin")
    )
    montant_ttc_max: Decimal | None = attrs.field(
        default=None, validator=_opt_amount, metadata=wire("montantTTCMax")
    )
    montant_a_payer_min: Decimal | None = attrs.field(
        default=None, validator=_opt_amount, metadata=wire("montantApayerMin")
    )
    montant_a_payer_max: Decimal | None = attrs.field(
        default=None, validator=_opt_amount, metadata=wire("montantApayerMax")
    )
    numero_facture: str | None = attrs.field(default=None, validator=_opt_text)
    numero_bon_commande: str | None = attrs.field(default=None, validator=_opt_text)
    numero_marche: str | None = attrs.field(default=None, validator=_opt_text)
    recuperer_taille: bool | None = attrs.field(default=None, validator=_opt_bool)
    pagination: SearchPagination | None = attrs.field(default=None, metadata=wire("paramRecherche"))
    extra: Mapping[str, Any] = extra_field()
    credentials: ChorusProCredentials | None = None


@attrs.frozen(kw_only=True)
class FactureDestinataire:
    """One invoice of a recipient search (``listeFactures[]``, §7.2); ``invoice_id`` is
    ``idFacture``."""

    invoice_id: int | None = attrs.field(default=None, metadata=_ID_FACTURE)
    numero_facture: str | None = None
    type_facture: str | None = None
    type_demande_paiement: str | None = None
    type_facture_travaux: str | None = None
    date_facture: date | None = None
    date_depot: date | None = None
    date_heure_etat_courant: date | None = None
    statut: InvoiceStatusCode | None = None
    commentaire_etat_courant: str | None = None
    facture_telechargee_par_destinataire: bool | None = None
    id_destinataire: int | None = None
    code_destinataire: str | None = None
    designation_destinataire: str | None = None
    id_service_executant: int | None = None
    code_service_executant: str | None = None
    nom_service_executant: str | None = None
    code_fournisseur: str | None = None
    designation_fournisseur: str | None = None
    type_identifiant_fournisseur: str | None = None
    code_service_fournisseur: str | None = None
    nom_service_fournisseur: str | None = None
    code_moa: str | None = attrs.field(default=None, metadata=wire("codeMOA"))
    designation_moa: str | None = attrs.field(default=None, metadata=wire("designationMOA"))
    type_identifiant_moa: str | None = attrs.field(
        default=None, metadata=wire("typeIdentifiantMOA")
    )
    code_moe: str | None = attrs.field(default=None, metadata=wire("codeMOE"))
    designation_moe: str | None = attrs.field(default=None, metadata=wire("designationMOE"))
    type_identifiant_moe: str | None = attrs.field(
        default=None, metadata=wire("typeIdentifiantMOE")
    )
    montant_ht: Decimal | None = attrs.field(default=None, metadata=_HT)
    montant_ttc: Decimal | None = attrs.field(default=None, metadata=_TTC)
    montant_a_payer: Decimal | None = None
    devise: str | None = None
    numero_bon_commande: str | None = None
    numero_marche: str | None = None
    taille: int | None = None


@attrs.frozen(kw_only=True)
class RechercherDestinataireResponse(NativeResponse):
    """200 body of ``factures/rechercher-destinataire``.

    ``page_info`` is read from ``parametresRetour`` or, as this endpoint sends it, from
    the top-level ``pageCourante``/``pages``/``nbResultatsParPage``/``total``.
    """

    invoices: tuple[FactureDestinataire, ...] = attrs.field(
        default=(), metadata=wire("listeFactures")
    )
    page_info: PageInfo | None = attrs.field(
        default=None, metadata=wire("parametresRetour", inline=True)
    )


# --- 9. factures/telecharger-groupe ------------------------------------------------------------


def _to_file_format(value: FileFormat | str) -> FileFormat:
    return check_enum("format_fichier", FileFormat, value)


@attrs.frozen(kw_only=True)
class TelechargerGroupeRequest:
    """Body of ``factures/telecharger-groupe`` (§6.4).

    ``liste_identifiants_facture_cpp`` (wire ``listeIdentifiantsFactureCPP``): at least
    one invoice id (10 at most is recommended).
    """

    liste_identifiants_facture_cpp: tuple[int, ...] = attrs.field(
        converter=int_tuple,
        validator=required(check_id_list),
        metadata=wire("listeIdentifiantsFactureCPP"),
    )
    inclure_pieces_jointes: bool | None = attrs.field(default=None, validator=_opt_bool)
    format_fichier: FileFormat = attrs.field(converter=_to_file_format)
    extra: Mapping[str, Any] = extra_field()
    credentials: ChorusProCredentials | None = None


ContentKind = Literal["pdf", "zip", "xml", "unknown"]


def _b64decode(text: str) -> bytes:
    compact = "".join(text.split())
    compact += "=" * (-len(compact) % 4)
    return base64.b64decode(compact, validate=True)


def _kind(head: bytes) -> ContentKind:
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return "zip"
    if head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<?xml"):
        return "xml"
    return "unknown"


@attrs.frozen(kw_only=True)
class TelechargerGroupeResponse(NativeResponse):
    """200 body of ``factures/telecharger-groupe``.

    ``fichier_base64`` is ``fichierBase64``, or the native ``fichierResultat``.
    :meth:`content` decodes it; :attr:`content_kind` tells PDF, ZIP or XML apart
    from the magic bytes, whatever ``formatFichier`` was asked for.
    """

    fichier_base64: str | None = attrs.field(
        default=None, repr=False, metadata=wire("fichierBase64", fallback=("fichierResultat",))
    )

    def content(self) -> bytes:
        """The decoded file (decoded on each call: keep the result).

        Raises ResponseDecodeError when the file is missing or not base64.
        """
        status = self.raw.status if self.raw is not None else 200
        if self.fichier_base64 is None:
            raise ResponseDecodeError("the response carries no fichierBase64", status_code=status)
        try:
            return _b64decode(self.fichier_base64)
        except (binascii.Error, ValueError):
            raise ResponseDecodeError(
                "fichierBase64 is not valid base64", status_code=status
            ) from None

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the decoded file to ``path`` (replacing it) and return the path.

        Blocking file I/O: from async code, ``telecharger_groupe(..., dest=path)`` writes
        in a worker thread instead.
        """
        target = Path(path)
        target.write_bytes(self.content())
        return target

    def _zip(self) -> zipfile.ZipFile:
        content = self.content()
        if _kind(content[:8]) != "zip":
            raise ResponseDecodeError(
                f"the file is not a ZIP archive (it looks like {_kind(content[:64])!r})",
                status_code=self.raw.status if self.raw is not None else 200,
            )
        try:
            return zipfile.ZipFile(io.BytesIO(content))
        except zipfile.BadZipFile as exc:
            raise ResponseDecodeError(
                f"the ZIP archive is damaged: {exc}",
                status_code=self.raw.status if self.raw is not None else 200,
            ) from None

    def _read(self, archive: zipfile.ZipFile, member: str | zipfile.ZipInfo) -> bytes:
        """One member's bytes; a damaged member is a ResponseDecodeError, not zlib's error."""
        try:
            return archive.read(member)
        except KeyError:
            raise
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, RuntimeError) as exc:
            raise ResponseDecodeError(
                f"the ZIP archive is damaged: {type(exc).__name__}: {exc}",
                status_code=self.raw.status if self.raw is not None else 200,
            ) from None

    def zip_members(self) -> list[str]:
        """The file names inside the ZIP archive (folders left out), in archive order.

        Raises ResponseDecodeError when the file is not a ZIP archive.
        """
        with self._zip() as archive:
            return [info.filename for info in archive.infolist() if not info.is_dir()]

    def read_member(self, name: str) -> bytes:
        """The content of one member of the ZIP archive (``KeyError`` if absent)."""
        with self._zip() as archive:
            return self._read(archive, name)

    def extract(self, directory: str | os.PathLike[str]) -> list[Path]:
        """Extract the ZIP archive into ``directory`` (created if needed); return the files.

        Members whose name is absolute or climbs out of ``directory`` (``..``) are refused
        with ResponseDecodeError before anything is written.
        """
        root = Path(directory).resolve()
        with self._zip() as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            targets: list[Path] = []
            for info in members:
                name = info.filename.replace("\\", "/")
                target = (root / name).resolve()
                if name.startswith("/") or not target.is_relative_to(root):
                    raise ResponseDecodeError(
                        f"unsafe ZIP member name {info.filename!r}",
                        status_code=self.raw.status if self.raw is not None else 200,
                    )
                targets.append(target)
            # Every member is read (and checked) before anything is written.
            contents = [self._read(archive, info) for info in members]
        for target, data in zip(targets, contents, strict=True):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return targets

    @property
    def content_kind(self) -> ContentKind:
        """``"pdf"``, ``"zip"``, ``"xml"`` or ``"unknown"``, from the first bytes."""
        if not self.fichier_base64:
            return "unknown"
        head = "".join(self.fichier_base64[:128].split())
        head = head[: len(head) // 4 * 4]
        try:
            return _kind(base64.b64decode(head, validate=True))
        except (binascii.Error, ValueError):
            return "unknown"


# --- 10. factures/traiter-facture-recue ---------------------------------------------------------


def _to_target_status(value: TargetStatus | InvoiceStatusCode | str) -> TargetStatus:
    return check_enum("nouveau_statut", TargetStatus, value)


@attrs.frozen(kw_only=True)
class TraiterFactureRecueRequest:
    """Body of ``factures/traiter-facture-recue`` (§6.5): the recipient's decision.

    ``motif_rejet`` is required for SUSPENDUE and REJETEE; ``numero_dp_mandat`` is the
    native ``numeroDPMandat``.
    """

    identifiant_facture_cpp: int = attrs.field(
        validator=_id, metadata=wire("identifiantFactureCPP")
    )
    nouveau_statut: TargetStatus = attrs.field(converter=_to_target_status)
    motif_rejet: str | None = None
    commentaire: str | None = attrs.field(default=None, validator=_opt_comment)
    numero_dp_mandat: str | None = attrs.field(
        default=None, validator=_opt_text, metadata=wire("numeroDPMandat")
    )
    extra: Mapping[str, Any] = extra_field()
    credentials: ChorusProCredentials | None = None

    def __attrs_post_init__(self) -> None:
        check_reason(
            "motif_rejet",
            self.motif_rejet,
            required=self.nouveau_statut.requires_reason,
            because="nouveau_statut is SUSPENDUE or REJETEE",
        )


@attrs.frozen(kw_only=True)
class TraiterFactureRecueResponse(NativeResponse):
    """200 body of ``factures/traiter-facture-recue``; ``invoice_id`` is ``idFacture``."""

    invoice_id: int | None = attrs.field(default=None, metadata=_ID_FACTURE)
    numero_facture: str | None = None
    nouveau_statut: InvoiceStatusCode | None = None
    date_traitement: date | None = None


# --- 11. factures/completer ---------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class PieceJointeComplementaire:
    """An attachment added by ``completer`` (``listePiecesJointes[]``)."""

    piece_jointe_id_fichier: int = attrs.field(
        validator=required(check_id, prefix="liste_pieces_jointes.")
    )
    piece_jointe_nom: str = attrs.field(
        validator=required(check_text, prefix="liste_pieces_jointes.", max_length=MAX_LABEL_LENGTH)
    )


def _pieces_jointes(
    value: Iterable[PieceJointeComplementaire] | None,
) -> tuple[PieceJointeComplementaire, ...] | None:
    return None if value is None else tuple(value)


def _check_pieces_jointes(
    _instance: Any, _attribute: Any, value: tuple[object, ...] | None
) -> None:
    if value is not None and not all(isinstance(i, PieceJointeComplementaire) for i in value):
        raise RequestValidationError(
            "liste_pieces_jointes", "must be PieceJointeComplementaire objects"
        )


@attrs.frozen(kw_only=True)
class CompleterFactureRequest:
    """Body of ``factures/completer`` (§6.6): complete a SUSPENDUE invoice.

    Give a ``commentaire`` (at most 2000 characters) and/or attachments.
    """

    identifiant_facture_cpp: int = attrs.field(
        validator=_id, metadata=wire("identifiantFactureCPP")
    )
    commentaire: str | None = attrs.field(default=None, validator=_opt_comment)
    liste_pieces_jointes: tuple[PieceJointeComplementaire, ...] | None = attrs.field(
        default=None, converter=_pieces_jointes, validator=_check_pieces_jointes
    )
    extra: Mapping[str, Any] = extra_field()
    credentials: ChorusProCredentials | None = None

    def __attrs_post_init__(self) -> None:
        if all_unset((self.commentaire, self.liste_pieces_jointes)) and not self.extra:
            raise RequestValidationError(
                "commentaire", "give a commentaire or at least one of liste_pieces_jointes"
            )


@attrs.frozen(kw_only=True)
class CompleterFactureResponse(NativeResponse):
    """200 body of ``factures/completer``; ``invoice_id`` is ``identifiantFactureCPP``."""

    invoice_id: int | None = attrs.field(default=None, metadata=_ID_CPP)
    numero_facture: str | None = None
    date_traitement: date | None = None


# --- 12. factures/recycler ----------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class RecyclerFactureRequest:
    """Body of ``factures/recycler`` (§6.8): re-route an A_RECYCLER invoice.

    At least one of ``id_structure_cpp`` (wire ``idStructureCPP``), ``code_service``,
    ``numero_engagement``.
    """

    identifiant_facture_cpp: int = attrs.field(
        validator=_id, metadata=wire("identifiantFactureCPP")
    )
    id_structure_cpp: int | None = attrs.field(
        default=None, validator=_opt_id, metadata=wire("idStructureCPP")
    )
    code_service: str | None = attrs.field(default=None, validator=_opt_text)
    numero_engagement: str | None = attrs.field(default=None, validator=_opt_text)
    extra: Mapping[str, Any] = extra_field()
    credentials: ChorusProCredentials | None = None

    def __attrs_post_init__(self) -> None:
        routing = (self.id_structure_cpp, self.code_service, self.numero_engagement)
        if all_unset(routing) and not self.extra:
            raise RequestValidationError(
                "id_structure_cpp",
                "give at least one of id_structure_cpp, code_service, numero_engagement",
            )


@attrs.frozen(kw_only=True)
class RecyclerFactureResponse(NativeResponse):
    """200 body of ``factures/recycler``; ``invoice_id`` is ``identifiantFactureCPP``."""

    invoice_id: int | None = attrs.field(default=None, metadata=_ID_CPP)
    numero_facture: str | None = None
    date_depot: date | None = None
    statut_facture: InvoiceStatusCode | None = None
