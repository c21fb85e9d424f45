"""Valideur: the validator's search, invoice detail and decision (native endpoints 14-16)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from .._exceptions import RequestValidationError
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
from .common import (
    ChorusProCredentials,
    InvoiceStatusCode,
    NativeResponse,
    PageInfo,
    SearchPagination,
    ValidatorAction,
    extra_field,
    mapping_or_none,
    status_tuple,
    str_tuple_or_none,
    wire,
)

__all__ = [
    "Affactureur",
    "CadreDeFacturation",
    "DestinataireFacture",
    "FactureDetail",
    "FactureValideur",
    "FournisseurFacture",
    "LignePoste",
    "LigneTva",
    "LignesDePoste",
    "ListeDesPiecesJointes",
    "MontantTotal",
    "PieceJointeFacture",
    "PieceJointePrincipale",
    "RecapitulatifDeTva",
    "ReferencesFacture",
    "ValideurConsulterRequest",
    "ValideurConsulterResponse",
    "ValideurRechercherRequest",
    "ValideurRechercherResponse",
    "ValideurTraiterRequest",
    "ValideurTraiterResponse",
]

_opt_id = optional(check_id)
_opt_text = optional(check_text)
_opt_bool = optional(check_bool)
_opt_date = optional(check_date)
_opt_amount = optional(check_amount)
_opt_texts = optional(check_text_list)


# --- 14. factures/valideur/rechercher ----------------------------------------------------------


@attrs.frozen(kw_only=True)
class ValideurRechercherRequest:
    """Filters of ``factures/valideur/rechercher`` (native names, §6.9), all optional.

    ``pagination`` goes under ``pagination``; amount filters are ``montantAPayerMin/Max``
    here (capital P); ``extra`` carries further native fields.
    """

    id_structure_valideur: int | None = attrs.field(default=None, validator=_opt_id)
    id_destinataire: int | None = attrs.field(default=None, validator=_opt_id)
    id_service_executant: int | None = attrs.field(default=None, validator=_opt_id)
    id_fournisseur: int | None = attrs.field(default=None, validator=_opt_id)
    id_service_fournisseur: int | None = attrs.field(default=None, validator=_opt_id)
    id_structure_moa: int | None = attrs.field(default=None, validator=_opt_id)
    id_structure_moe: int | None = attrs.field(default=None, validator=_opt_id)
    periode_date_depot_du: date | None = attrs.field(default=None, validator=_opt_date)
    periode_date_depot_au: date | None = attrs.field(default=None, validator=_opt_date)
    periode_date_facture_du: date | None = attrs.field(default=None, validator=_opt_date)
    periode_date_facture_au: date | None = attrs.field(default=None, validator=_opt_date)
    statut_courant: tuple[InvoiceStatusCode, ...] | None = attrs.field(
        default=None, converter=status_tuple
    )
    numero_facture: str | None = attrs.field(default=None, validator=_opt_text)
    numero_engagement: str | None = attrs.field(default=None, validator=_opt_text)
    numero_marche: str | None = attrs.field(default=None, validator=_opt_text)
    liste_type_facture: tuple[str, ...] | None = attrs.field(
        default=None, converter=str_tuple_or_none, validator=_opt_texts
    )
    liste_type_facture_travaux: tuple[str, ...] | None = attrs.field(
        default=None, converter=str_tuple_or_none, validator=_opt_texts
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
        default=None, validator=_opt_amount, metadata=wire("montantAPayerMin")
    )
    montant_a_payer_max: Decimal | None = attrs.field(
        default=None, validator=_opt_amount, metadata=wire("montantAPayerMax")
    )
    recherche_siren_destinataire: bool | None = attrs.field(default=None, validator=_opt_bool)
    recherche_siren_fournisseur: bool | None = attrs.field(default=None, validator=_opt_bool)
    type_demande_paiement: str | None = attrs.field(default=None, validator=_opt_text)
    cadre_facturation: Mapping[str, Any] | None = attrs.field(
        default=None, converter=mapping_or_none, hash=False
    )
    pagination: SearchPagination | None = None
    extra: Mapping[str, Any] = extra_field()
    credentials: ChorusProCredentials | None = None


@attrs.frozen(kw_only=True)
class FactureValideur:
    """One invoice awaiting a validator (``listeFactures[]``, §7.3); ``invoice_id`` is
    ``idFacture``."""

    invoice_id: int | None = attrs.field(
        default=None, metadata=wire("idFacture", fallback=("identifiantFactureCPP",))
    )
    numero_facture: str | None = None
    date_facture: date | None = None
    date_depot: date | None = None
    statut: InvoiceStatusCode | None = None
    type_facture: str | None = None
    type_demande_paiement: str | None = None
    type_facture_travaux: str | None = None
    montant_ht: Decimal | None = attrs.field(default=None, metadata=wire("montantHT"))
    montant_ttc: Decimal | None = attrs.field(default=None, metadata=wire("montantTTC"))
    montant_a_payer: Decimal | None = None
    devise: str | None = None
    id_fournisseur: int | None = None
    identifiant_fournisseur: str | None = None
    designation_fournisseur: str | None = None
    type_identifiant_fournisseur: str | None = None
    code_service_fournisseur: str | None = None
    nom_service_fournisseur: str | None = None
    id_destinataire: int | None = None
    identifiant_destinataire: str | None = None
    designation_destinataire: str | None = None
    type_identifiant_destinataire: str | None = None
    id_service_executant: int | None = None
    code_service_executant: str | None = None
    nom_service_executant: str | None = None
    id_valideur: int | None = None
    identifiant_valideur: str | None = None
    designation_valideur: str | None = None
    type_identifiant_valideur: str | None = None
    id_moa: int | None = None
    identifiant_moa: str | None = None
    designation_moa: str | None = None
    type_identifiant_moa: str | None = None
    id_service_moa: int | None = None
    code_service_moa: str | None = None
    nom_service_moa: str | None = None
    id_moe: int | None = None
    identifiant_moe: str | None = None
    designation_moe: str | None = None
    type_identifiant_moe: str | None = None
    id_service_moe: int | None = None
    code_service_moe: str | None = None
    nom_service_moe: str | None = None
    numero_engagement: str | None = None
    numero_marche: str | None = None


@attrs.frozen(kw_only=True)
class ValideurRechercherResponse(NativeResponse):
    """200 body of ``factures/valideur/rechercher``; ``page_info`` is ``parametresRetour``."""

    invoices: tuple[FactureValideur, ...] = attrs.field(default=(), metadata=wire("listeFactures"))
    page_info: PageInfo | None = attrs.field(default=None, metadata=wire("parametresRetour"))


# --- 15. factures/valideur/consulter -----------------------------------------------------------


def _check_langue(field: str, value: object) -> str:
    if value not in ("FR", "EN"):
        raise RequestValidationError(field, "must be 'FR' or 'EN'")
    assert isinstance(value, str)
    return value


@attrs.frozen(kw_only=True)
class ValideurConsulterRequest:
    """Body of ``factures/valideur/consulter`` (§6.10)."""

    id_facture: int = attrs.field(validator=required(check_id))
    code_langue: str | None = attrs.field(default=None, validator=optional(_check_langue))
    extra: Mapping[str, Any] = extra_field()
    credentials: ChorusProCredentials | None = None


@attrs.frozen(kw_only=True)
class DestinataireFacture:
    """``facture.destinataire``: the recipient structure, service and address."""

    id_destinataire: int | None = None
    code_destinataire: str | None = None
    libelle_destinataire: str | None = None
    id_service_executant: int | None = None
    code_service_executant: str | None = None
    libelle_service_executant: str | None = None
    destinataire_etat: str | None = None
    mise_en_paiement_destinataire: bool | None = None
    adresse_destinataire_id: int | None = None
    adresse_destinataire_detail: str | None = None
    adresse_destinataire_complement1: str | None = None
    adresse_destinataire_complement2: str | None = None
    adresse_destinataire_code_postal: str | None = None
    adresse_destinataire_ville: str | None = None
    adresse_destinataire_code_pays: str | None = None
    adresse_destinataire_libelle_pays: str | None = None


@attrs.frozen(kw_only=True)
class Affactureur:
    """``facture.fournisseur.affactureur``: the factoring company."""

    affactureur_id: int | None = None
    affactureur_code: str | None = None
    affactureur_code_pays: str | None = None
    affactureur_raison_sociale: str | None = None
    affactureur_type_identifiant: str | None = None


@attrs.frozen(kw_only=True)
class FournisseurFacture:
    """``facture.fournisseur``: the supplier, its address and bank details.

    ``designation_fournisseur`` falls back to ``raisonSocialeFournisseur``.
    """

    id_fournisseur: int | None = None
    code_fournisseur: str | None = None
    type_identifiant_fournisseur: str | None = None
    designation_fournisseur: str | None = attrs.field(
        default=None, metadata=wire(fallback=("raisonSocialeFournisseur",))
    )
    id_service_fournisseur: int | None = None
    code_service_fournisseur: str | None = None
    libelle_service_fournisseur: str | None = None
    numero_rcs_fournisseur: str | None = None
    adresse_fournisseur_id: int | None = None
    adresse_fournisseur_detail: str | None = None
    adresse_fournisseur_complement1: str | None = None
    adresse_fournisseur_complement2: str | None = None
    adresse_fournisseur_code_postal: str | None = None
    adresse_fournisseur_ville: str | None = None
    adresse_fournisseur_code_pays: str | None = None
    adresse_fournisseur_libelle_pays: str | None = None
    coord_bancaires_fournisseur_id: int | None = None
    coord_bancaires_fournisseur_type: str | None = None
    coord_bancaires_fournisseur_libelle: str | None = None
    coord_bancaires_fournisseur_code_pays: str | None = None
    coord_bancaires_fournisseur_compte_bancaire: str | None = None
    coord_bancaires_fournisseur_cle_iban: str | None = None
    coord_bancaires_fournisseur_cle_rib: str | None = None
    coord_bancaires_fournisseur_code_banque: str | None = None
    coord_bancaires_code_guichet: str | None = None
    coord_bancaires_bic_swift: str | None = None
    affactureur: Affactureur | None = None


@attrs.frozen(kw_only=True)
class CadreDeFacturation:
    """``facture.cadreDeFacturation``: billing framework, validators, MOA/MOE."""

    code_cadre_facturation: str | None = None
    id_valideur1: int | None = None
    id_valideur2: int | None = None
    code_valideur1: str | None = None
    code_valideur2: str | None = None
    type_identifiant_valideur1: str | None = None
    type_identifiant_valideur2: str | None = None
    raison_sociale_valideur1: str | None = None
    raison_sociale_valideur2: str | None = None
    nom_valideur1: str | None = None
    nom_valideur2: str | None = None
    prenom_valideur1: str | None = None
    prenom_valideur2: str | None = None
    designation_valideur2: str | None = None
    date_validation1: str | None = None
    date_validation2: str | None = None
    id_moa: int | None = None
    identifiant_moa: str | None = None
    raison_sociale_moa: str | None = None
    id_service_moa: int | None = None
    code_service_moa: str | None = None
    nom_service_moa: str | None = None
    designation_moa: str | None = None
    type_identifiant_moa: str | None = None
    id_moe: int | None = None
    identifiant_moe: str | None = None
    raison_sociale_moe: str | None = None
    id_service_moe: int | None = None
    code_service_moe: str | None = None
    nom_service_moe: str | None = None
    designation_moe: str | None = None
    type_identifiant_moe: str | None = None
    nom_moe: str | None = None
    prenom_moe: str | None = None


@attrs.frozen(kw_only=True)
class ReferencesFacture:
    """``facture.references``: types, currency, dates and references.

    ``date_creation_facture`` (``YYYY-MM-DD HH:MM``) is a datetime when a time is sent.
    """

    type_facture: str | None = None
    type_tva: str | None = None
    type_facture_travaux: str | None = None
    code_devise_facture: str | None = None
    libelle_devise_facture: str | None = None
    date_facture: date | None = None
    date_depot: date | None = None
    date_creation_facture: date | None = None
    date_echeance_paiement: date | None = None
    mode_paiement: str | None = None
    motif_exoneration_tva: str | None = None
    libelle_motif_exoneration_tva: str | None = None
    numero_bon_commande: str | None = None
    numero_marche: str | None = None
    numero_facture_origine: str | None = None
    numero_dp_mandat: str | None = None
    taille_totale_pieces_jointes: int | None = None


@attrs.frozen(kw_only=True)
class MontantTotal:
    """``facture.montantTotal`` (wire ``montantTVA``, ``...TTC`` spellings kept)."""

    montant_ht_total: Decimal | None = None
    montant_tva: Decimal | None = attrs.field(default=None, metadata=wire("montantTVA"))
    montant_ttc_avant_remise_global_ttc: Decimal | None = attrs.field(
        default=None, metadata=wire("montantTtcAvantRemiseGlobalTTC")
    )
    montant_remise_globale_ttc: Decimal | None = attrs.field(
        default=None, metadata=wire("montantRemiseGlobaleTTC")
    )
    motif_remise_globale_ttc: str | None = attrs.field(
        default=None, metadata=wire("motifRemiseGlobaleTTC")
    )
    montant_ttc_total: Decimal | None = None
    montant_a_payer: Decimal | None = None


@attrs.frozen(kw_only=True)
class PieceJointePrincipale:
    """``facture.pieceJointePrincipale``."""

    id_piece_jointe_principale: int | None = None
    id_liaison_piece_jointe_principale: int | None = None


@attrs.frozen(kw_only=True)
class PieceJointeFacture:
    """One attachment of ``listeDesPiecesJointes.pieceJointe[]``."""

    piece_jointe_id: int | None = None
    piece_jointe_id_liaison: int | None = None
    piece_jointe_designation: str | None = None
    piece_jointe_extension: str | None = None
    piece_jointe_type_code: str | None = None
    piece_jointe_type_libelle: str | None = None
    piece_jointe_numero_ligne_facture: int | None = None


@attrs.frozen(kw_only=True)
class ListeDesPiecesJointes:
    """``facture.listeDesPiecesJointes``: attachments and their pagination."""

    piece_jointe: tuple[PieceJointeFacture, ...] = ()
    page_courante_liste_pieces_jointe: int | None = None
    pages_liste_pieces_jointe: int | None = None
    nb_resultats_par_page_liste_pieces_jointe: int | None = None
    total_liste_pieces_jointe: int | None = None


@attrs.frozen(kw_only=True)
class LignePoste:
    """One line of ``lignesDePoste.lignePoste[]`` (``...HT`` spellings kept)."""

    ligne_poste_numero: int | None = None
    ligne_poste_reference: str | None = None
    ligne_poste_denomination: str | None = None
    ligne_poste_quantite: Decimal | None = None
    ligne_poste_unite_code: str | None = None
    ligne_poste_unite_libelle: str | None = None
    ligne_poste_montant_unitaire_ht: Decimal | None = attrs.field(
        default=None, metadata=wire("lignePosteMontantUnitaireHT")
    )
    ligne_poste_montant_remise_ht: Decimal | None = attrs.field(
        default=None, metadata=wire("lignePosteMontantRemiseHT")
    )
    ligne_poste_montant_ht_apres_remise: Decimal | None = None
    ligne_poste_taux_tva: str | None = None
    ligne_poste_taux_tva_manuel: Decimal | None = None
    ligne_poste_montant_tva: Decimal | None = None
    ligne_poste_montant_ttc_apres_remise: Decimal | None = None


@attrs.frozen(kw_only=True)
class LignesDePoste:
    """``facture.lignesDePoste``: invoice lines and their pagination."""

    ligne_poste: tuple[LignePoste, ...] = ()
    page_courante_lignes_poste: int | None = None
    pages_lignes_poste: int | None = None
    nb_resultats_par_page_lignes_poste: int | None = None
    total_lignes_poste: int | None = None


@attrs.frozen(kw_only=True)
class LigneTva:
    """One line of ``recapitulatifDeTva.ligneTva[]``."""

    ligne_tva_taux_ref_id: int | None = None
    ligne_tva_taux_ref_code: str | None = None
    ligne_tva_taux_ref_libelle: str | None = None
    ligne_tva_taux_ref_valeur: Decimal | None = None
    ligne_tva_taux_manuel: Decimal | None = None
    ligne_tva_montant_base_ht_par_taux: Decimal | None = None
    ligne_tva_montant_tva_par_taux: Decimal | None = None


@attrs.frozen(kw_only=True)
class RecapitulatifDeTva:
    """``facture.recapitulatifDeTva``: VAT summary lines (wire ``...TVA`` suffixes)."""

    ligne_tva: tuple[LigneTva, ...] = ()
    page_courante_lignes_recapitulatives_tva: int | None = attrs.field(
        default=None, metadata=wire("pageCouranteLignesRecapitulativesTVA")
    )
    pages_lignes_recapitulatives_tva: int | None = attrs.field(
        default=None, metadata=wire("pagesLignesRecapitulativesTVA")
    )
    nb_resultats_par_page_lignes_recapitulatives_tva: int | None = attrs.field(
        default=None, metadata=wire("nbResultatsParPageLignesRecapitulativesTVA")
    )
    total_lignes_recapitulatives_tva: int | None = attrs.field(
        default=None, metadata=wire("totalLignesRecapitulativesTVA")
    )


@attrs.frozen(kw_only=True)
class FactureDetail:
    """The native invoice detail (``facture`` of ``valideur/consulter``, §8); all optional.

    ``invoice_id`` is ``identifiantFactureCPP`` (or ``idFacture``). ``piece_precedente``
    and ``piece_suivante`` are kept as plain mappings.
    """

    invoice_id: int | None = attrs.field(
        default=None, metadata=wire("identifiantFactureCPP", fallback=("idFacture",))
    )
    numero_facture: str | None = None
    statut_facture: InvoiceStatusCode | None = None
    mode_depot: str | None = None
    commentaire: str | None = None
    destinataire: DestinataireFacture | None = None
    fournisseur: FournisseurFacture | None = None
    cadre_de_facturation: CadreDeFacturation | None = None
    references: ReferencesFacture | None = None
    montant_total: MontantTotal | None = None
    piece_jointe_principale: PieceJointePrincipale | None = None
    liste_des_pieces_jointes: ListeDesPiecesJointes | None = None
    lignes_de_poste: LignesDePoste | None = None
    recapitulatif_de_tva: RecapitulatifDeTva | None = None
    piece_precedente: Mapping[str, Any] | None = attrs.field(default=None, hash=False)
    piece_suivante: Mapping[str, Any] | None = attrs.field(default=None, hash=False)


@attrs.frozen(kw_only=True)
class ValideurConsulterResponse(NativeResponse):
    """200 body of ``factures/valideur/consulter``."""

    facture: FactureDetail | None = None


# --- 16. factures/valideur/traiter -------------------------------------------------------------


def _to_action(value: ValidatorAction | str) -> ValidatorAction:
    return check_enum("action", ValidatorAction, value)


@attrs.frozen(kw_only=True)
class ValideurTraiterRequest:
    """Body of ``factures/valideur/traiter`` (§6.11): validate or refuse.

    ``motif_refus`` is required for REFUS and REJET.
    """

    id_facture: int = attrs.field(validator=required(check_id))
    action: ValidatorAction = attrs.field(converter=_to_action)
    motif_refus: str | None = None
    complement_info: str | None = attrs.field(
        default=None, validator=optional(check_text, max_length=MAX_COMMENT_LENGTH)
    )
    id_piece_jointe: int | None = attrs.field(default=None, validator=_opt_id)
    id_valideur: int | None = attrs.field(default=None, validator=_opt_id)
    type_valideur: str | None = attrs.field(default=None, validator=_opt_text)
    extra: Mapping[str, Any] = extra_field()
    credentials: ChorusProCredentials | None = None

    def __attrs_post_init__(self) -> None:
        check_reason(
            "motif_refus",
            self.motif_refus,
            required=self.action.requires_reason,
            because="action is REFUS or REJET",
        )


@attrs.frozen(kw_only=True)
class ValideurTraiterResponse(NativeResponse):
    """200 body of ``factures/valideur/traiter``; ``invoice_id`` is ``idFacture``."""

    invoice_id: int | None = attrs.field(
        default=None, metadata=wire("idFacture", fallback=("identifiantFactureCPP",))
    )
    numero_facture: str | None = None
    statut_facture: InvoiceStatusCode | None = None
    date_traitement: date | None = None
