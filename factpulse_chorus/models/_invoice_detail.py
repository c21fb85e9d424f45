"""The native invoice detail of ``valideur/consulter`` (its ``facture`` object).

Plain data, read leniently: every field is optional except the invoice id. Wire names
are French and irregular, so each field declares its own with :func:`wire`. Imported
(and exported) through :mod:`factpulse_chorus.models.valideur`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from .._wire import wire
from ._fields import wire_field
from .common import InvoiceStatusCode


@attrs.frozen(kw_only=True)
class InvoiceRecipient:
    """``facture.destinataire``: the recipient structure, its service and its address.

    ``state_recipient`` is ``destinataireEtat``; ``payment_by_recipient`` is
    ``miseEnPaiementDestinataire``.
    """

    recipient_structure_id: int | None = wire_field("idDestinataire")
    recipient_code: str | None = wire_field("codeDestinataire")
    recipient_name: str | None = wire_field("libelleDestinataire")
    recipient_service_id: int | None = wire_field("idServiceExecutant")
    recipient_service_code: str | None = wire_field("codeServiceExecutant")
    recipient_service_name: str | None = wire_field("libelleServiceExecutant")
    state_recipient: str | None = wire_field("destinataireEtat")
    payment_by_recipient: bool | None = wire_field("miseEnPaiementDestinataire")
    address_id: int | None = wire_field("adresseDestinataireId")
    address_line: str | None = wire_field("adresseDestinataireDetail")
    address_complement1: str | None = wire_field("adresseDestinataireComplement1")
    address_complement2: str | None = wire_field("adresseDestinataireComplement2")
    postal_code: str | None = wire_field("adresseDestinataireCodePostal")
    city: str | None = wire_field("adresseDestinataireVille")
    country_code: str | None = wire_field("adresseDestinataireCodePays")
    country_name: str | None = wire_field("adresseDestinataireLibellePays")


@attrs.frozen(kw_only=True)
class Factor:
    """``facture.fournisseur.affactureur``: the factoring company (wire ``affactureur...``)."""

    structure_id: int | None = wire_field("affactureurId")
    code: str | None = wire_field("affactureurCode")
    country_code: str | None = wire_field("affactureurCodePays")
    name: str | None = wire_field("affactureurRaisonSociale")
    identifier_type: str | None = wire_field("affactureurTypeIdentifiant")


@attrs.frozen(kw_only=True)
class InvoiceSupplier:
    """``facture.fournisseur``: the supplier, its address and bank details.

    ``supplier_name`` is ``designationFournisseur`` (else ``raisonSocialeFournisseur``);
    the ``bank_...`` fields are ``coordBancaires...``.
    """

    supplier_structure_id: int | None = wire_field("idFournisseur")
    supplier_code: str | None = wire_field("codeFournisseur")
    supplier_identifier_type: str | None = wire_field("typeIdentifiantFournisseur")
    supplier_name: str | None = wire_field(
        "designationFournisseur", fallback=("raisonSocialeFournisseur",)
    )
    supplier_service_id: int | None = wire_field("idServiceFournisseur")
    supplier_service_code: str | None = wire_field("codeServiceFournisseur")
    supplier_service_name: str | None = wire_field("libelleServiceFournisseur")
    trade_register_number: str | None = wire_field("numeroRcsFournisseur")
    address_id: int | None = wire_field("adresseFournisseurId")
    address_line: str | None = wire_field("adresseFournisseurDetail")
    address_complement1: str | None = wire_field("adresseFournisseurComplement1")
    address_complement2: str | None = wire_field("adresseFournisseurComplement2")
    postal_code: str | None = wire_field("adresseFournisseurCodePostal")
    city: str | None = wire_field("adresseFournisseurVille")
    country_code: str | None = wire_field("adresseFournisseurCodePays")
    country_name: str | None = wire_field("adresseFournisseurLibellePays")
    bank_details_id: int | None = wire_field("coordBancairesFournisseurId")
    bank_details_type: str | None = wire_field("coordBancairesFournisseurType")
    bank_details_label: str | None = wire_field("coordBancairesFournisseurLibelle")
    bank_country_code: str | None = wire_field("coordBancairesFournisseurCodePays")
    bank_account: str | None = wire_field("coordBancairesFournisseurCompteBancaire")
    bank_iban_key: str | None = wire_field("coordBancairesFournisseurCleIban")
    bank_rib_key: str | None = wire_field("coordBancairesFournisseurCleRib")
    bank_code: str | None = wire_field("coordBancairesFournisseurCodeBanque")
    bank_branch_code: str | None = wire_field("coordBancairesCodeGuichet")
    bank_bic: str | None = wire_field("coordBancairesBicSwift")
    factor: Factor | None = wire_field("affactureur")


@attrs.frozen(kw_only=True)
class BillingFramework:
    """``facture.cadreDeFacturation``: the billing framework, its validators and the
    project owner (MOA) / project manager (MOE); ``code`` is ``codeCadreFacturation``."""

    code: str | None = wire_field("codeCadreFacturation")
    validator1_id: int | None = wire_field("idValideur1")
    validator2_id: int | None = wire_field("idValideur2")
    validator1_code: str | None = wire_field("codeValideur1")
    validator2_code: str | None = wire_field("codeValideur2")
    validator1_identifier_type: str | None = wire_field("typeIdentifiantValideur1")
    validator2_identifier_type: str | None = wire_field("typeIdentifiantValideur2")
    validator1_company_name: str | None = wire_field("raisonSocialeValideur1")
    validator2_company_name: str | None = wire_field("raisonSocialeValideur2")
    validator1_last_name: str | None = wire_field("nomValideur1")
    validator2_last_name: str | None = wire_field("nomValideur2")
    validator1_first_name: str | None = wire_field("prenomValideur1")
    validator2_first_name: str | None = wire_field("prenomValideur2")
    validator2_name: str | None = wire_field("designationValideur2")
    validation1_date: str | None = wire_field("dateValidation1")
    validation2_date: str | None = wire_field("dateValidation2")
    project_owner_structure_id: int | None = wire_field("idMoa")
    project_owner_code: str | None = wire_field("identifiantMoa")
    project_owner_company_name: str | None = wire_field("raisonSocialeMoa")
    project_owner_service_id: int | None = wire_field("idServiceMoa")
    project_owner_service_code: str | None = wire_field("codeServiceMoa")
    project_owner_service_name: str | None = wire_field("nomServiceMoa")
    project_owner_name: str | None = wire_field("designationMoa")
    project_owner_identifier_type: str | None = wire_field("typeIdentifiantMoa")
    project_manager_structure_id: int | None = wire_field("idMoe")
    project_manager_code: str | None = wire_field("identifiantMoe")
    project_manager_company_name: str | None = wire_field("raisonSocialeMoe")
    project_manager_service_id: int | None = wire_field("idServiceMoe")
    project_manager_service_code: str | None = wire_field("codeServiceMoe")
    project_manager_service_name: str | None = wire_field("nomServiceMoe")
    project_manager_name: str | None = wire_field("designationMoe")
    project_manager_identifier_type: str | None = wire_field("typeIdentifiantMoe")
    project_manager_last_name: str | None = wire_field("nomMoe")
    project_manager_first_name: str | None = wire_field("prenomMoe")


@attrs.frozen(kw_only=True)
class InvoiceReferences:
    """``facture.references``: types, currency, dates and references.

    ``creation_date`` (``dateCreationFacture``, ``YYYY-MM-DD HH:MM``) is a datetime when a
    time is sent.
    """

    invoice_type: str | None = wire_field("typeFacture")
    vat_type: str | None = wire_field("typeTva")
    works_invoice_type: str | None = wire_field("typeFactureTravaux")
    currency: str | None = wire_field("codeDeviseFacture")
    currency_name: str | None = wire_field("libelleDeviseFacture")
    invoice_date: date | None = wire_field("dateFacture", lenient=True)
    deposit_date: date | None = wire_field("dateDepot", lenient=True)
    creation_date: date | None = wire_field("dateCreationFacture", lenient=True)
    payment_due_date: date | None = wire_field("dateEcheancePaiement", lenient=True)
    payment_method: str | None = wire_field("modePaiement")
    vat_exemption_reason: str | None = wire_field("motifExonerationTva")
    vat_exemption_reason_label: str | None = wire_field("libelleMotifExonerationTva")
    purchase_order_reference: str | None = wire_field("numeroBonCommande")
    contract_reference: str | None = wire_field("numeroMarche")
    original_invoice_number: str | None = wire_field("numeroFactureOrigine")
    payment_mandate_number: str | None = wire_field("numeroDpMandat")
    attachments_total_size: int | None = wire_field("tailleTotalePiecesJointes", lenient=True)


@attrs.frozen(kw_only=True)
class InvoiceTotals:
    """``facture.montantTotal``: the invoice's totals (net, VAT, gross, discount, due)."""

    total_net_amount: Decimal | None = wire_field("montantHtTotal", lenient=True)
    vat_amount: Decimal | None = wire_field("montantTVA", lenient=True)
    total_gross_amount_before_discount: Decimal | None = wire_field(
        "montantTtcAvantRemiseGlobalTTC", lenient=True
    )
    global_discount_amount: Decimal | None = wire_field("montantRemiseGlobaleTTC", lenient=True)
    global_discount_reason: str | None = wire_field("motifRemiseGlobaleTTC")
    total_gross_amount: Decimal | None = wire_field("montantTtcTotal", lenient=True)
    amount_due: Decimal | None = wire_field("montantAPayer", lenient=True)


@attrs.frozen(kw_only=True)
class MainAttachment:
    """``facture.pieceJointePrincipale``: the main attachment and its link id."""

    attachment_id: int | None = wire_field("idPieceJointePrincipale")
    link_id: int | None = wire_field("idLiaisonPieceJointePrincipale")


@attrs.frozen(kw_only=True)
class InvoiceAttachment:
    """One attachment of ``listeDesPiecesJointes.pieceJointe[]`` (wire ``pieceJointe...``)."""

    attachment_id: int | None = wire_field("pieceJointeId")
    link_id: int | None = wire_field("pieceJointeIdLiaison")
    attachment_label: str | None = wire_field("pieceJointeDesignation")
    extension: str | None = wire_field("pieceJointeExtension")
    type_code: str | None = wire_field("pieceJointeTypeCode")
    type_label: str | None = wire_field("pieceJointeTypeLibelle")
    invoice_line_number: int | None = wire_field("pieceJointeNumeroLigneFacture")


@attrs.frozen(kw_only=True)
class AttachmentList:
    """``facture.listeDesPiecesJointes``: the attachments (``items``) and their pagination."""

    items: tuple[InvoiceAttachment, ...] = attrs.field(default=(), metadata=wire("pieceJointe"))
    page: int | None = wire_field("pageCouranteListePiecesJointe")
    page_count: int | None = wire_field("pagesListePiecesJointe")
    page_size: int | None = wire_field("nbResultatsParPageListePiecesJointe")
    total: int | None = wire_field("totalListePiecesJointe")


@attrs.frozen(kw_only=True)
class LineItem:
    """One line of ``lignesDePoste.lignePoste[]`` (wire ``lignePoste...``)."""

    number: int | None = wire_field("lignePosteNumero")
    reference: str | None = wire_field("lignePosteReference")
    description: str | None = wire_field("lignePosteDenomination")
    quantity: Decimal | None = wire_field("lignePosteQuantite", lenient=True)
    unit_code: str | None = wire_field("lignePosteUniteCode")
    unit_label: str | None = wire_field("lignePosteUniteLibelle")
    unit_net_price: Decimal | None = wire_field("lignePosteMontantUnitaireHT", lenient=True)
    net_discount_amount: Decimal | None = wire_field("lignePosteMontantRemiseHT", lenient=True)
    net_amount_after_discount: Decimal | None = wire_field(
        "lignePosteMontantHtApresRemise", lenient=True
    )
    vat_rate_code: str | None = wire_field("lignePosteTauxTva")
    manual_vat_rate: Decimal | None = wire_field("lignePosteTauxTvaManuel", lenient=True)
    vat_amount: Decimal | None = wire_field("lignePosteMontantTva", lenient=True)
    gross_amount_after_discount: Decimal | None = wire_field(
        "lignePosteMontantTtcApresRemise", lenient=True
    )


@attrs.frozen(kw_only=True)
class LineItemList:
    """``facture.lignesDePoste``: the invoice lines (``items``) and their pagination."""

    items: tuple[LineItem, ...] = attrs.field(default=(), metadata=wire("lignePoste"))
    page: int | None = wire_field("pageCouranteLignesPoste")
    page_count: int | None = wire_field("pagesLignesPoste")
    page_size: int | None = wire_field("nbResultatsParPageLignesPoste")
    total: int | None = wire_field("totalLignesPoste")


@attrs.frozen(kw_only=True)
class VatLine:
    """One line of ``recapitulatifDeTva.ligneTva[]`` (wire ``ligneTva...``)."""

    vat_rate_id: int | None = wire_field("ligneTvaTauxRefId")
    vat_rate_code: str | None = wire_field("ligneTvaTauxRefCode")
    vat_rate_label: str | None = wire_field("ligneTvaTauxRefLibelle")
    vat_rate: Decimal | None = wire_field("ligneTvaTauxRefValeur", lenient=True)
    manual_vat_rate: Decimal | None = wire_field("ligneTvaTauxManuel", lenient=True)
    taxable_amount: Decimal | None = wire_field("ligneTvaMontantBaseHtParTaux", lenient=True)
    vat_amount: Decimal | None = wire_field("ligneTvaMontantTvaParTaux", lenient=True)


@attrs.frozen(kw_only=True)
class VatSummary:
    """``facture.recapitulatifDeTva``: the VAT summary lines (``items``) and their pagination."""

    items: tuple[VatLine, ...] = attrs.field(default=(), metadata=wire("ligneTva"))
    page: int | None = wire_field("pageCouranteLignesRecapitulativesTVA")
    page_count: int | None = wire_field("pagesLignesRecapitulativesTVA")
    page_size: int | None = wire_field("nbResultatsParPageLignesRecapitulativesTVA")
    total: int | None = wire_field("totalLignesRecapitulativesTVA")


@attrs.frozen(kw_only=True)
class InvoiceDetail:
    """The native invoice detail (``facture`` of ``valideur/consulter``).

    ``invoice_id`` (``identifiantFactureCPP``, else ``idFacture``) is always there; the
    rest is optional. ``previous_document`` / ``next_document`` (``piecePrecedente`` /
    ``pieceSuivante``) are kept as plain mappings.
    """

    invoice_id: int = attrs.field(metadata=wire("identifiantFactureCPP", fallback=("idFacture",)))
    invoice_number: str | None = wire_field("numeroFacture")
    status: InvoiceStatusCode | None = wire_field("statutFacture")
    deposit_mode: str | None = wire_field("modeDepot")
    comment: str | None = wire_field("commentaire")
    recipient: InvoiceRecipient | None = wire_field("destinataire")
    supplier: InvoiceSupplier | None = wire_field("fournisseur")
    billing_framework: BillingFramework | None = wire_field("cadreDeFacturation")
    references: InvoiceReferences | None = None
    totals: InvoiceTotals | None = wire_field("montantTotal")
    main_attachment: MainAttachment | None = wire_field("pieceJointePrincipale")
    attachments: AttachmentList | None = wire_field("listeDesPiecesJointes")
    line_items: LineItemList | None = wire_field("lignesDePoste")
    vat_summary: VatSummary | None = wire_field("recapitulatifDeTva")
    previous_document: Mapping[str, Any] | None = attrs.field(
        default=None, hash=False, metadata=wire("piecePrecedente")
    )
    next_document: Mapping[str, Any] | None = attrs.field(
        default=None, hash=False, metadata=wire("pieceSuivante")
    )
