"""``factures/*``: submit, consult, search, download, and the supplier/recipient loops."""

from __future__ import annotations

import base64
import re
from typing import Any

from .. import _files, _views
from .._parse import (
    INVOICE_NUMBER,
    as_int,
    canonical_status,
    optional_bool,
    optional_int,
    optional_str,
    required_int,
)
from .._records import (
    ERR_ATTACHMENT_INVALID,
    ERR_DOWNLOAD_LIMIT,
    ERR_DUPLICATE_NUMBER,
    ERR_FORBIDDEN,
    ERR_INVALID_NUMBER,
    ERR_MISSING_FIELD,
    ERR_NOT_SUSPENDED,
    ERR_REASON_REQUIRED,
    ERR_TRANSITION,
    ERR_UNKNOWN_INVOICE,
    OK,
    REASON_REQUIRED,
    RECIPIENT_TARGETS,
    SOUMISE_ALIASED,
    STATUS_LABELS,
    Invoice,
    Refusal,
    bad_param,
    day,
    forbidden,
    minute,
    money,
    native,
    plays,
    recipient_targets,
    typed,
    unknown_attachment,
)
from ._context import Context, endpoint
from ._submission import AMOUNTS, check_routing, submitted_amounts, submitted_date, submitted_texts

__all__ = [
    "completer",
    "consulter",
    "rechercher_destinataire",
    "rechercher_fournisseur",
    "recycler",
    "soumettre",
    "telecharger_groupe",
    "traiter_facture_recue",
]

_UNSAFE_PATH_CHARS = re.compile(r"[^A-Za-z0-9._+-]+")


# == supplier: submit and consult ==========================================================


@endpoint
def soumettre(context: Context, login: str, body: dict[str, Any]) -> dict[str, Any]:
    """``factures/soumettre``: the synchronous checks of :mod:`._submission`, then DEPOSEE."""
    now = context.clock.timestamp()
    number = body.get("invoiceNumber")
    if not isinstance(number, str) or not number:
        raise typed(ERR_MISSING_FIELD, "invoiceNumber is required")
    if body.get("invoiceDate") is None:
        raise typed(ERR_MISSING_FIELD, "invoiceDate is required")
    recipient_id = as_int(body.get("structureId"))
    if recipient_id is None:
        raise typed(ERR_MISSING_FIELD, "structureId is required and must be an integer")
    for name in AMOUNTS:
        if body.get(name) is None:
            raise typed(ERR_MISSING_FIELD, f"{name} is required")
    texts = submitted_texts(body)
    attachment_id: int | None = None
    if body.get("mainAttachmentId") is not None:
        attachment_id = as_int(body["mainAttachmentId"])
        if attachment_id is None:
            raise typed(ERR_MISSING_FIELD, "mainAttachmentId must be an integer")

    store = context.store
    supplier_id = context.directory.supplier_for(login)
    recipient, service_id = check_routing(
        context, recipient_id, texts["serviceCode"], texts["engagementNumber"], typed
    )
    if not INVOICE_NUMBER.fullmatch(number):
        raise typed(
            ERR_INVALID_NUMBER,
            "invoiceNumber must be 1 to 20 characters: letters, digits and - _ / + only",
        )
    existing = store.numbers.get((supplier_id, number))
    if existing is not None:
        store.counters["duplicate_numbers_refused"] += 1
        raise typed(
            ERR_DUPLICATE_NUMBER,
            f"invoiceNumber {number} is already used by supplier {supplier_id} "
            f"(invoice {existing})",
        )
    if attachment_id is not None and store.owned_attachment(login, attachment_id) is None:
        raise typed(
            ERR_ATTACHMENT_INVALID,
            f"mainAttachmentId {attachment_id} does not exist or belongs to another account",
        )
    amounts = submitted_amounts(body)
    invoice_date = submitted_date(body, "invoiceDate")
    due_date = None
    if body.get("paymentDueDate") is not None:
        due_date = submitted_date(body, "paymentDueDate")

    invoice = store.create_invoice(
        now=now,
        number=number,
        supplier_structure_id=supplier_id,
        recipient_structure_id=recipient.structure_id,
        service_code=texts["serviceCode"],
        service_id=service_id,
        engagement_number=texts["engagementNumber"],
        invoice_date=invoice_date,
        due_date=due_date,
        net=amounts["totalNetAmount"],
        vat=amounts["vatAmount"],
        gross=amounts["totalGrossAmount"],
        attachment_id=attachment_id,
        attachment_label=texts["mainAttachmentLabel"],
        comment=texts["comment"],
        purchase_order=texts["purchaseOrderReference"],
        contract=texts["contractReference"],
        validators=(),
        billing_framework="A1_FACTURE_FOURNISSEUR",
        owner_login=login,
    )
    store.counters["invoices_created"] += 1
    context.lifecycle.transition(invoice, "DEPOSEE", now, None, "supplier", login)
    return {
        "returnCode": 0,
        "message": "Invoice submitted to Chorus Pro",
        "chorusInvoiceId": invoice.invoice_id,
        "depositFlowNumber": invoice.flow_number,
    }


def consulter(context: Context, login: str, body: dict[str, Any]) -> dict[str, Any]:
    """``factures/consulter``: status of one invoice, supplier view."""
    invoice_id = as_int(body.get("chorusInvoiceId"))
    if invoice_id is None:
        return {"returnCode": ERR_MISSING_FIELD, "message": "chorusInvoiceId is required"}
    invoice = context.store.invoices.get(invoice_id)
    if invoice is None:
        return {
            "returnCode": ERR_UNKNOWN_INVOICE,
            "message": "GDP_MSG_11.008: the invoice does not exist",
        }
    if not context.directory.acts_for(login, invoice.supplier_structure_id):
        return {
            "returnCode": ERR_FORBIDDEN,
            "message": "GDP_MSG_11.005: this account is not the supplier of the invoice",
        }
    context.lifecycle.settle(invoice, context.clock.timestamp())
    code = invoice.status
    if context.options.vocabulary == "factpulse":
        if code in SOUMISE_ALIASED:
            code = "SOUMISE"
        elif code == "SERVICE-FAIT":
            code = "VALIDEE"
    recipient = context.directory.require(invoice.recipient_structure_id)
    return {
        "returnCode": 0,
        "message": "Invoice retrieved",
        "chorusInvoiceId": invoice.invoice_id,
        "invoiceNumber": invoice.number,
        "invoiceDate": invoice.invoice_date,
        "totalGrossAmount": money(invoice.gross),
        "currentStatus": {
            "code": code,
            "label": STATUS_LABELS.get(code, code),
            "date": day(invoice.status_ts),
        },
        "recipientStructureId": recipient.structure_id,
        "recipientStructureName": recipient.name,
    }


# == searches ==============================================================================


@endpoint
def rechercher_fournisseur(context: Context, login: str, body: dict[str, Any]) -> dict[str, Any]:
    """``factures/rechercher-fournisseur``: invoices issued by the caller's structures."""
    items, pagination = context.search(login, body, "fournisseur", _views.supplier_item)
    return {"codeRetour": 0, "libelle": OK, "listeFactures": items, "parametresRetour": pagination}


@endpoint
def rechercher_destinataire(context: Context, login: str, body: dict[str, Any]) -> dict[str, Any]:
    """``factures/rechercher-destinataire``: invoices made available to the caller.

    Pagination is at the top level for this endpoint (no ``parametresRetour``).
    """
    items, pagination = context.search(login, body, "destinataire", _views.recipient_item)
    return {"codeRetour": 0, "libelle": OK, "listeFactures": items, **pagination}


# == downloads =============================================================================


def _safe_name(text: str) -> str:
    return _UNSAFE_PATH_CHARS.sub("_", text).strip("._") or "fichier"


def _too_large(limit: int) -> Refusal:
    return native(
        ERR_DOWNLOAD_LIMIT,
        f"The download exceeds {limit} bytes ({limit / (1024 * 1024):g} MB): "
        "request fewer invoices",
    )


def _requested_ids(body: dict[str, Any], limit: int) -> list[int]:
    raw_ids = body.get("listeIdentifiantsFactureCPP")
    if not isinstance(raw_ids, list) or not raw_ids:
        raise bad_param("listeIdentifiantsFactureCPP is required: a non-empty list of ids")
    invoice_ids: list[int] = []
    for raw in raw_ids:
        invoice_id = as_int(raw)
        if invoice_id is None:
            raise bad_param("listeIdentifiantsFactureCPP must hold integer invoice ids")
        if invoice_id not in invoice_ids:
            invoice_ids.append(invoice_id)
    if len(invoice_ids) > limit:
        raise native(
            ERR_DOWNLOAD_LIMIT,
            f"Too many invoices in one download: {len(invoice_ids)} (at most {limit})",
        )
    return invoice_ids


def _download_files(
    context: Context, invoices: list[Invoice], fmt: str, include: bool
) -> list[tuple[Invoice, str, bytes]]:
    """Every (invoice, name, bytes) of the download, within the size limit."""
    limit = context.options.max_group_bytes
    attachments = {
        invoice.invoice_id: context.store.stored_attachments(invoice) if include else []
        for invoice in invoices
    }
    if sum(len(a.data) for group in attachments.values() for a in group) > limit:
        raise _too_large(limit)
    files: list[tuple[Invoice, str, bytes]] = []
    for invoice in invoices:
        document = _views.document(context.directory, invoice)
        stem = _safe_name(invoice.number)
        if fmt in ("PDF", "ZIP"):
            files.append((invoice, f"{stem}.pdf", _files.invoice_pdf(document)))
        if fmt in ("XML", "ZIP"):
            files.append((invoice, f"{stem}.xml", _files.invoice_xml(document)))
        for attachment in attachments[invoice.invoice_id]:
            name = f"pieces_jointes/{attachment.attachment_id}_{_safe_name(attachment.name)}"
            files.append((invoice, name, attachment.data))
    return files


@endpoint
def telecharger_groupe(context: Context, login: str, body: dict[str, Any]) -> dict[str, Any]:
    """``factures/telecharger-groupe``: PDF, XML or ZIP of up to ``max_group_ids`` invoices."""
    invoice_ids = _requested_ids(body, context.options.max_group_ids)
    fmt = body.get("formatFichier")
    if not isinstance(fmt, str) or fmt.strip().upper() not in ("PDF", "XML", "ZIP"):
        raise bad_param("formatFichier is required: PDF, XML or ZIP")
    fmt = fmt.strip().upper()
    include = optional_bool(body, "inclurePiecesJointes")
    if include is None:
        include = fmt == "ZIP"  # a ZIP is "PDF + XML + attachments" unless told otherwise
    now = context.clock.timestamp()
    ids = context.directory.account_structures(login)
    invoices: list[Invoice] = []
    for invoice_id in invoice_ids:
        invoice = context.invoice(invoice_id, now)
        if not (
            plays(ids, invoice.supplier_structure_id)
            or plays(ids, invoice.recipient_structure_id)
            or any(plays(ids, v) for v in invoice.validators)
        ):
            raise forbidden()
        invoices.append(invoice)
    files = _download_files(context, invoices, fmt, include)
    if fmt != "ZIP" and len(files) == 1:
        payload = files[0][2]  # native rule: one file for one invoice comes bare
    else:
        payload = _files.build_zip(
            (f"{inv.invoice_id}_{_safe_name(inv.number)}/{name}", data) for inv, name, data in files
        )
    if len(payload) > context.options.max_group_bytes:
        raise _too_large(context.options.max_group_bytes)
    for invoice in invoices:
        if invoice.delivered and plays(ids, invoice.recipient_structure_id):
            invoice.downloaded = True
    return {
        "codeRetour": 0,
        "libelle": OK,
        "fichierBase64": base64.b64encode(payload).decode("ascii"),
    }


# == recipient and supplier loops ==========================================================


def _acted_invoice(
    context: Context, login: str, body: dict[str, Any], now: float, party: str
) -> Invoice:
    """The invoice named by ``body`` when ``login`` acts for its ``party`` structure."""
    invoice = context.invoice(required_int(body, "identifiantFactureCPP", "idFacture"), now)
    structure_id = (
        invoice.recipient_structure_id if party == "recipient" else invoice.supplier_structure_id
    )
    if not context.directory.acts_for(login, structure_id):
        raise forbidden()
    return invoice


@endpoint
def traiter_facture_recue(context: Context, login: str, body: dict[str, Any]) -> dict[str, Any]:
    """``factures/traiter-facture-recue``: a status the recipient may set from the current one."""
    now = context.clock.timestamp()
    invoice = _acted_invoice(context, login, body, now, "recipient")
    raw = body.get("nouveauStatut")
    if not isinstance(raw, str) or not raw.strip():
        raise bad_param("nouveauStatut is required")
    target = canonical_status(raw)
    if target not in RECIPIENT_TARGETS:
        raise bad_param(f"nouveauStatut {raw} is not a status a recipient can set")
    if target == invoice.status:
        raise native(ERR_TRANSITION, f"The invoice is already in status {target}")
    if target not in recipient_targets(invoice.status):
        raise native(ERR_TRANSITION, f"Transition from {invoice.status} to {target} is not allowed")
    reason = optional_str(body, "motifRejet", "motif", limit=2000)
    if target in REASON_REQUIRED and reason is None:
        raise native(ERR_REASON_REQUIRED, f"motifRejet is required for {target}")
    comment = optional_str(body, "commentaire", limit=2000)
    mandate = body.get("numeroDPMandat")
    if mandate is not None and not isinstance(mandate, (str, int)):
        raise bad_param("numeroDPMandat must be a string")
    if mandate is not None and str(mandate).strip():
        invoice.mandate_number = str(mandate).strip()
    context.lifecycle.transition(invoice, target, now, reason or comment, "recipient", login)
    return {
        "codeRetour": 0,
        "libelle": OK,
        "idFacture": invoice.invoice_id,
        "numeroFacture": invoice.number,
        "nouveauStatut": target,
        "dateTraitement": day(now),
    }


def _added_pieces(context: Context, login: str, pieces: Any) -> list[tuple[int, str]]:
    if pieces is None:
        pieces = []
    if not isinstance(pieces, list):
        raise bad_param("listePiecesJointes must be a list")
    added: list[tuple[int, str]] = []
    for piece in pieces:
        if not isinstance(piece, dict):
            raise bad_param("listePiecesJointes items must be objects")
        attachment_id = required_int(piece, "pieceJointeIdFichier", "pieceJointeId")
        attachment = context.store.owned_attachment(login, attachment_id)
        if attachment is None:
            raise unknown_attachment(attachment_id)
        label = optional_str(piece, "pieceJointeNom", limit=100) or attachment.name
        added.append((attachment_id, label))
    return added


@endpoint
def completer(context: Context, login: str, body: dict[str, Any]) -> dict[str, Any]:
    """``factures/completer``: the supplier answers a suspension."""
    now = context.clock.timestamp()
    invoice = _acted_invoice(context, login, body, now, "supplier")
    if invoice.status != "SUSPENDUE":
        raise native(ERR_NOT_SUSPENDED, "GDP_MSG_11.033")
    comment = optional_str(body, "commentaire", limit=2000)
    added = _added_pieces(context, login, body.get("listePiecesJointes"))
    if comment is None and not added:
        raise bad_param("commentaire or a non-empty listePiecesJointes is required")
    if comment is not None:
        invoice.comment = comment
    invoice.extra_attachments.extend(added)
    status = context.options.completer_status
    context.lifecycle.transition(invoice, status, now, comment, "supplier", login)
    return {
        "codeRetour": 0,
        "libelle": OK,
        "identifiantFactureCPP": invoice.invoice_id,
        "numeroFacture": invoice.number,
        "dateTraitement": minute(now),
    }


@endpoint
def recycler(context: Context, login: str, body: dict[str, Any]) -> dict[str, Any]:
    """``factures/recycler``: new routing for an A_RECYCLER invoice."""
    now = context.clock.timestamp()
    invoice = _acted_invoice(context, login, body, now, "supplier")
    if invoice.status != "A_RECYCLER":
        raise native(
            ERR_TRANSITION,
            f"The invoice is in status {invoice.status}: recycler requires A_RECYCLER",
        )
    new_recipient = optional_int(body, "idStructureCPP")
    new_service = optional_str(body, "codeService", limit=100)
    new_engagement = optional_str(body, "numeroEngagement", limit=50)
    if new_recipient is None and new_service is None and new_engagement is None:
        raise bad_param("At least one of idStructureCPP, codeService, numeroEngagement is required")
    recipient_id = new_recipient if new_recipient is not None else invoice.recipient_structure_id
    service_code = new_service
    if service_code is None and recipient_id == invoice.recipient_structure_id:
        service_code = invoice.service_code  # a service code belongs to its recipient
    engagement = new_engagement if new_engagement is not None else invoice.engagement_number
    recipient, service_id = check_routing(context, recipient_id, service_code, engagement, native)
    invoice.recipient_structure_id = recipient.structure_id
    invoice.service_code = service_code
    invoice.service_id = service_id
    invoice.engagement_number = engagement
    invoice.downloaded = False
    invoice.delivered = False
    invoice.deposit_ts = now  # and so deposit_date
    context.lifecycle.transition(invoice, "DEPOSEE", now, None, "supplier", login)
    return {
        "codeRetour": 0,
        "libelle": OK,
        "identifiantFactureCPP": invoice.invoice_id,
        "numeroFacture": invoice.number,
        "dateDepot": invoice.deposit_date,
        "statutFacture": "DEPOSEE",
    }
