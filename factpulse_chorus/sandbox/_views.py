"""What callers see of an invoice: search items, the validator's detail object, the documents.

Pure renderers: each reads an invoice (and the structures it names) and builds a JSON-ready
dict; none changes anything.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import _files
from ._directory import DEMO_SUPPLIER_ID, Directory, Structure
from ._records import STATUS_LABELS, Invoice, compact, iso, minute, money
from ._store import Store

__all__ = [
    "detail",
    "document",
    "recipient_item",
    "snapshot",
    "supplier_item",
    "validator_item",
]


def _service_fields(invoice: Invoice, recipient: Structure) -> tuple[str | None, str | None]:
    service = recipient.service(invoice.service_code) if invoice.service_code else None
    return invoice.service_code, service.label if service is not None else None


def _status_fields(invoice: Invoice) -> dict[str, Any]:
    return {
        "numeroFacture": invoice.number,
        "typeFacture": "FACTURE",
        "typeDemandePaiement": "FACTURE",
        "dateFacture": invoice.invoice_date,
        "dateDepot": invoice.deposit_date,
        "dateHeureEtatCourant": iso(invoice.status_ts),
        "statut": invoice.status,
        "commentaireEtatCourant": invoice.status_comment,
    }


def _amount_fields(invoice: Invoice) -> dict[str, Any]:
    return {
        "montantHT": float(invoice.net),
        "montantTTC": float(invoice.gross),
        "montantAPayer": float(invoice.gross),
        "devise": "EUR",
    }


def _validator_fields(directory: Directory, invoice: Invoice) -> dict[str, Any]:
    """``...Valideur1`` / ``...Valideur2`` of the supplier item and the detail's frame."""
    fields: dict[str, Any] = {}
    for rank, validator_id in enumerate(invoice.validators[:2], start=1):
        validator = directory.require(validator_id)
        fields[f"codeValideur{rank}"] = validator.identifier
        fields[f"raisonSocialeValideur{rank}"] = validator.name
        fields[f"typeIdentifiantValideur{rank}"] = validator.identifier_type
        fields[f"dateValidation{rank}"] = invoice.validation_dates.get(rank)
    return fields


def _item_common(directory: Directory, invoice: Invoice) -> dict[str, Any]:
    recipient = directory.require(invoice.recipient_structure_id)
    supplier = directory.require(invoice.supplier_structure_id)
    code, label = _service_fields(invoice, recipient)
    return {
        **_status_fields(invoice),
        "idDestinataire": recipient.structure_id,
        "codeDestinataire": recipient.identifier,
        "designationDestinataire": recipient.name,
        "idServiceExecutant": invoice.service_id,
        "codeServiceExecutant": code,
        "nomServiceExecutant": label,
        "codeFournisseur": supplier.identifier,
        "designationFournisseur": supplier.name,
        "typeIdentifiantFournisseur": supplier.identifier_type,
        **_amount_fields(invoice),
        "numeroBonCommande": invoice.purchase_order,
        "numeroMarche": invoice.contract,
    }


def supplier_item(directory: Directory, invoice: Invoice) -> dict[str, Any]:
    """An item of ``rechercher-fournisseur``."""
    return compact(
        {
            "identifiantFactureCPP": invoice.invoice_id,
            **_item_common(directory, invoice),
            "numeroFluxDepot": invoice.flow_number,
            "modeDepot": "SAISIE_API",
            "rejetTraite": False,
            **_validator_fields(directory, invoice),
        }
    )


def recipient_item(directory: Directory, invoice: Invoice) -> dict[str, Any]:
    """An item of ``rechercher-destinataire``."""
    return compact(
        {
            "idFacture": invoice.invoice_id,
            **_item_common(directory, invoice),
            "factureTelechargeeParDestinataire": invoice.downloaded,
        }
    )


def validator_item(directory: Directory, invoice: Invoice) -> dict[str, Any]:
    """An item of ``valideur/rechercher``."""
    recipient = directory.require(invoice.recipient_structure_id)
    supplier = directory.require(invoice.supplier_structure_id)
    code, label = _service_fields(invoice, recipient)
    validator_id = invoice.current_validator()
    validator = directory.get(validator_id) if validator_id is not None else None
    return compact(
        {
            "idFacture": invoice.invoice_id,
            **_status_fields(invoice),
            **_amount_fields(invoice),
            "idFournisseur": supplier.structure_id,
            "identifiantFournisseur": supplier.identifier,
            "designationFournisseur": supplier.name,
            "typeIdentifiantFournisseur": supplier.identifier_type,
            "idDestinataire": recipient.structure_id,
            "identifiantDestinataire": recipient.identifier,
            "designationDestinataire": recipient.name,
            "typeIdentifiantDestinataire": recipient.identifier_type,
            "idServiceExecutant": invoice.service_id,
            "codeServiceExecutant": code,
            "nomServiceExecutant": label,
            "idValideur": validator.structure_id if validator else None,
            "identifiantValideur": validator.identifier if validator else None,
            "designationValideur": validator.name if validator else None,
            "typeIdentifiantValideur": validator.identifier_type if validator else None,
            "numeroEngagement": invoice.engagement_number,
            "numeroMarche": invoice.contract,
        }
    )


def document(directory: Directory, invoice: Invoice) -> _files.InvoiceDocument:
    """What the downloaded PDF and XML files of the invoice show."""
    supplier = directory.require(invoice.supplier_structure_id)
    recipient = directory.require(invoice.recipient_structure_id)
    return _files.InvoiceDocument(
        invoice_id=invoice.invoice_id,
        number=invoice.number,
        invoice_date=invoice.invoice_date,
        deposit_date=invoice.deposit_date,
        status=invoice.status,
        supplier_name=supplier.name,
        supplier_identifier=supplier.identifier,
        supplier_vat=supplier.vat,
        recipient_name=recipient.name,
        recipient_identifier=recipient.identifier,
        net_amount=invoice.net,
        vat_amount=invoice.vat,
        gross_amount=invoice.gross,
        due_date=invoice.due_date,
        service_code=invoice.service_code,
        engagement_number=invoice.engagement_number,
        purchase_order=invoice.purchase_order,
        contract=invoice.contract,
        comment=invoice.comment,
    )


def snapshot(invoice: Invoice) -> dict[str, Any]:
    """JSON-ready view of one invoice (status, history, routing, flags) for tests and demos."""
    return {
        "invoice_id": invoice.invoice_id,
        "invoice_number": invoice.number,
        "status": invoice.status,
        "status_label": STATUS_LABELS.get(invoice.status, invoice.status),
        "status_date": iso(invoice.status_ts),
        "status_comment": invoice.status_comment,
        "supplier_structure_id": invoice.supplier_structure_id,
        "recipient_structure_id": invoice.recipient_structure_id,
        "service_code": invoice.service_code,
        "engagement_number": invoice.engagement_number,
        "invoice_date": invoice.invoice_date,
        "payment_due_date": invoice.due_date,
        "total_net_amount": money(invoice.net),
        "vat_amount": money(invoice.vat),
        "total_gross_amount": money(invoice.gross),
        "deposit_date": invoice.deposit_date,
        "deposit_flow_number": invoice.flow_number,
        "attachment_id": invoice.attachment_id,
        "attachments": [attachment_id for attachment_id, _ in invoice.extra_attachments],
        "comment": invoice.comment,
        "validators": list(invoice.validators),
        "downloaded_by_recipient": invoice.downloaded,
        "delivered": invoice.delivered,
        "payment_mandate_number": invoice.mandate_number,
        "history": [
            {"code": code, "date_time": iso(ts), "comment": comment, "actor": actor, "login": who}
            for code, ts, comment, actor, who in invoice.history
        ],
        "pending": [
            {"code": code, "due_at": iso(ts), "actor": actor} for ts, code, _, actor in invoice.plan
        ],
    }


# --- The validator's detail object (§8) ----------------------------------------------------


def _link_id(invoice_id: int, attachment_id: int) -> int:
    """A stable ``idLiaison...`` for an (invoice, attachment) pair."""
    return 9_000_000 + (invoice_id * 31 + attachment_id) % 1_000_000


def _pieces(store: Store, invoice: Invoice) -> list[dict[str, Any]]:
    pieces: list[dict[str, Any]] = []
    if invoice.attachment_id is not None:
        main = store.attachments.get(invoice.attachment_id)
        pieces.append(
            {
                "pieceJointeId": invoice.attachment_id,
                "pieceJointeIdLiaison": _link_id(invoice.invoice_id, invoice.attachment_id),
                "pieceJointeDesignation": invoice.attachment_label
                or (main.name if main else f"{invoice.number}.pdf"),
                "pieceJointeExtension": main.extension if main else "PDF",
                "pieceJointeTypeCode": "FACTURE",
                "pieceJointeTypeLibelle": "Facture",
            }
        )
    for attachment_id, designation in invoice.extra_attachments:
        extra = store.attachments.get(attachment_id)
        pieces.append(
            compact(
                {
                    "pieceJointeId": attachment_id,
                    "pieceJointeIdLiaison": _link_id(invoice.invoice_id, attachment_id),
                    "pieceJointeDesignation": designation,
                    "pieceJointeExtension": extra.extension if extra else None,
                    "pieceJointeTypeCode": "PIECE_JOINTE_COMPLEMENTAIRE",
                    "pieceJointeTypeLibelle": "Pièce jointe complémentaire",
                }
            )
        )
    return pieces


def _parties(directory: Directory, invoice: Invoice) -> dict[str, Any]:
    recipient = directory.require(invoice.recipient_structure_id)
    supplier = directory.require(invoice.supplier_structure_id)
    service_code, service_label = _service_fields(invoice, recipient)
    bank_id = (
        551203
        if supplier.structure_id == DEMO_SUPPLIER_ID
        else (500_000 + supplier.structure_id % 100_000)
    )
    return {
        "destinataire": compact(
            {
                "idDestinataire": recipient.structure_id,
                "codeDestinataire": recipient.identifier,
                "libelleDestinataire": recipient.name,
                "idServiceExecutant": invoice.service_id,
                "codeServiceExecutant": service_code,
                "libelleServiceExecutant": service_label,
                "destinataireEtat": recipient.status,
                "adresseDestinataireDetail": recipient.address.detail,
                "adresseDestinataireCodePostal": recipient.address.postal_code,
                "adresseDestinataireVille": recipient.address.city,
                "adresseDestinataireCodePays": recipient.address.country_code,
                "adresseDestinataireLibellePays": recipient.address.country_label,
            }
        ),
        "fournisseur": {
            "idFournisseur": supplier.structure_id,
            "codeFournisseur": supplier.identifier,
            "typeIdentifiantFournisseur": supplier.identifier_type,
            "designationFournisseur": supplier.name,
            "adresseFournisseurDetail": supplier.address.detail,
            "adresseFournisseurCodePostal": supplier.address.postal_code,
            "adresseFournisseurVille": supplier.address.city,
            "adresseFournisseurCodePays": supplier.address.country_code,
            "adresseFournisseurLibellePays": supplier.address.country_label,
            "coordBancairesFournisseurId": bank_id,
            "coordBancairesFournisseurType": "IBAN",
            "coordBancairesFournisseurCodePays": "FR",
        },
    }


def _lines(invoice: Invoice) -> dict[str, Any]:
    """The single invoice line and the VAT summary (one rate, derived from the amounts)."""
    rate = (invoice.vat * 100 / invoice.net).quantize(Decimal("0.1")) if invoice.net else Decimal(0)
    rate_text = f"{rate.normalize():f}"
    return {
        "lignesDePoste": {
            "lignePoste": [
                {
                    "lignePosteNumero": 1,
                    "lignePosteReference": invoice.purchase_order or invoice.number,
                    "lignePosteDenomination": invoice.comment or f"Facture {invoice.number}",
                    "lignePosteQuantite": 1,
                    "lignePosteUniteLibelle": "forfait",
                    "lignePosteMontantUnitaireHT": float(invoice.net),
                    "lignePosteMontantRemiseHT": 0.0,
                    "lignePosteMontantHtApresRemise": float(invoice.net),
                    "lignePosteTauxTva": f"TVA{rate_text}",
                    "lignePosteMontantTva": float(invoice.vat),
                    "lignePosteMontantTtcApresRemise": float(invoice.gross),
                }
            ],
            "pageCouranteLignesPoste": 1,
            "pagesLignesPoste": 1,
            "nbResultatsParPageLignesPoste": 10,
            "totalLignesPoste": 1,
        },
        "recapitulatifDeTva": {
            "ligneTva": [
                {
                    "ligneTvaTauxRefCode": f"TVA{rate_text}",
                    "ligneTvaTauxRefLibelle": f"TVA {rate_text.replace('.', ',')} %",
                    "ligneTvaTauxRefValeur": float(rate),
                    "ligneTvaMontantBaseHtParTaux": float(invoice.net),
                    "ligneTvaMontantTvaParTaux": float(invoice.vat),
                }
            ],
            "pageCouranteLignesRecapitulativesTVA": 1,
            "pagesLignesRecapitulativesTVA": 1,
            "nbResultatsParPageLignesRecapitulativesTVA": 10,
            "totalLignesRecapitulativesTVA": 1,
        },
    }


def detail(store: Store, directory: Directory, invoice: Invoice) -> dict[str, Any]:
    """The native invoice detail object of ``valideur/consulter`` (``facture``)."""
    frame: dict[str, Any] = {"codeCadreFacturation": invoice.billing_framework}
    for rank, validator_id in enumerate(invoice.validators[:2], start=1):
        frame[f"idValideur{rank}"] = validator_id
    frame.update(_validator_fields(directory, invoice))
    pieces = _pieces(store, invoice)
    attachments_size = sum(len(a.data) for a in store.stored_attachments(invoice))
    main_piece: dict[str, Any] = {}
    if invoice.attachment_id is not None:
        main_piece["pieceJointePrincipale"] = {
            "idPieceJointePrincipale": invoice.attachment_id,
            "idLiaisonPieceJointePrincipale": _link_id(invoice.invoice_id, invoice.attachment_id),
        }
    return {
        "identifiantFactureCPP": invoice.invoice_id,
        "numeroFacture": invoice.number,
        "statutFacture": invoice.status,
        "modeDepot": "SAISIE_API",
        **compact({"commentaire": invoice.comment}),
        **_parties(directory, invoice),
        "cadreDeFacturation": compact(frame),
        "references": compact(
            {
                "typeFacture": "FACTURE",
                "typeTva": "TVA_SUR_DEBIT",
                "codeDeviseFacture": "EUR",
                "libelleDeviseFacture": "Euro",
                "dateFacture": invoice.invoice_date,
                "dateDepot": invoice.deposit_date,
                "dateCreationFacture": minute(invoice.created_ts),
                "dateEcheancePaiement": invoice.due_date,
                "numeroBonCommande": invoice.purchase_order,
                "numeroMarche": invoice.contract,
                "numeroDpMandat": invoice.mandate_number,
                "tailleTotalePiecesJointes": attachments_size,
            }
        ),
        "montantTotal": {
            "montantHtTotal": float(invoice.net),
            "montantTVA": float(invoice.vat),
            "montantTtcAvantRemiseGlobalTTC": float(invoice.gross),
            "montantRemiseGlobaleTTC": 0.0,
            "montantTtcTotal": float(invoice.gross),
            "montantAPayer": float(invoice.gross),
        },
        **main_piece,
        "listeDesPiecesJointes": {
            "pieceJointe": pieces,
            "pageCouranteListePiecesJointe": 1,
            "pagesListePiecesJointe": 1 if pieces else 0,
            "nbResultatsParPageListePiecesJointe": max(10, len(pieces)),
            "totalListePiecesJointe": len(pieces),
        },
        **_lines(invoice),
    }
