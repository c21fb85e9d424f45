"""Real file content for ``factures/telecharger-groupe``: a PDF, a CII-like XML, ZIP bundles.

The files are small but well-formed: the PDF has a correct cross-reference table and opens in
any viewer, the XML parses, the ZIP is a normal archive. Output is deterministic (no
timestamps taken from the wall clock), so two sandboxes with the same seed produce the same
bytes.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

__all__ = ["InvoiceDocument", "build_zip", "invoice_pdf", "invoice_xml", "render_pdf"]

_CII_NAMESPACES = {
    "xmlns:rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "xmlns:ram": (
        "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
    ),
    "xmlns:udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
# ZIP entries carry a fixed time so archives are reproducible.
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class InvoiceDocument:
    """What the generated files show about one invoice."""

    invoice_id: int
    number: str
    invoice_date: str
    deposit_date: str
    status: str
    supplier_name: str
    supplier_identifier: str
    supplier_vat: str | None
    recipient_name: str
    recipient_identifier: str
    net_amount: Decimal
    vat_amount: Decimal
    gross_amount: Decimal
    currency: str = "EUR"
    due_date: str | None = None
    service_code: str | None = None
    engagement_number: str | None = None
    purchase_order: str | None = None
    contract: str | None = None
    comment: str | None = None


def _pdf_text(text: str) -> bytes:
    """A PDF literal string in WinAnsi encoding, with the three special characters escaped."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("cp1252", errors="replace") + b")"


def render_pdf(title: str, lines: Sequence[str]) -> bytes:
    """A one-page PDF 1.7 showing ``title`` and ``lines`` in Helvetica, with a valid xref."""
    stream = bytearray(b"BT\n/F1 16 Tf\n50 790 Td\n" + _pdf_text(title) + b" Tj\nET\n")
    y = 760
    for line in lines[:48]:  # one page is enough for a summary
        stream += b"BT\n/F1 10 Tf\n50 %d Td\n" % y + _pdf_text(line) + b" Tj\nET\n"
        y -= 15
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + bytes(stream) + b"endstream",
        b"<< /Title " + _pdf_text(title) + b" /Producer (factpulse-chorus sandbox) >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n" % (len(objects) + 1)
    out += b"0000000000 65535 f \n"
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def _money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def invoice_pdf(doc: InvoiceDocument) -> bytes:
    """A readable PDF summary of the invoice (number, parties, dates, amounts)."""
    lines = [
        f"Numero de facture : {doc.number}",
        f"Identifiant Chorus Pro : {doc.invoice_id}",
        f"Date de facture : {doc.invoice_date}",
        f"Date de depot : {doc.deposit_date}",
        f"Statut : {doc.status}",
        "",
        f"Fournisseur : {doc.supplier_name} (SIRET {doc.supplier_identifier})",
        f"TVA intracommunautaire : {doc.supplier_vat or '-'}",
        f"Destinataire : {doc.recipient_name} (SIRET {doc.recipient_identifier})",
    ]
    references = (
        ("Service executant", doc.service_code),
        ("Numero d'engagement", doc.engagement_number),
        ("Bon de commande", doc.purchase_order),
        ("Marche", doc.contract),
    )
    lines += [f"{label} : {value}" for label, value in references if value]
    lines += [
        "",
        f"Montant HT : {_money(doc.net_amount)} {doc.currency}",
        f"Montant TVA : {_money(doc.vat_amount)} {doc.currency}",
        f"Montant TTC : {_money(doc.gross_amount)} {doc.currency}",
    ]
    if doc.due_date:
        lines.append(f"Echeance de paiement : {doc.due_date}")
    if doc.comment:
        lines += ["", f"Commentaire : {doc.comment[:90]}"]
    return render_pdf(f"Facture {doc.number}", lines)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _cii_date(iso_date: str) -> str:
    return iso_date.replace("-", "")


def invoice_xml(doc: InvoiceDocument) -> bytes:
    """A small UN/CEFACT CII (EN 16931-like) invoice in UTF-8 with the XML declaration."""
    # Prefixed tag names written literally: no global namespace registration needed.
    root = ET.Element("rsm:CrossIndustryInvoice", _CII_NAMESPACES)
    context = _sub(root, "rsm:ExchangedDocumentContext")
    guideline = _sub(context, "ram:GuidelineSpecifiedDocumentContextParameter")
    _sub(guideline, "ram:ID", "urn:cen.eu:en16931:2017")
    header = _sub(root, "rsm:ExchangedDocument")
    _sub(header, "ram:ID", doc.number)
    _sub(header, "ram:TypeCode", "380")
    issued = _sub(header, "ram:IssueDateTime")
    _sub(issued, "udt:DateTimeString", _cii_date(doc.invoice_date), format="102")
    if doc.comment:
        note = _sub(header, "ram:IncludedNote")
        _sub(note, "ram:Content", doc.comment)
    transaction = _sub(root, "rsm:SupplyChainTradeTransaction")
    agreement = _sub(transaction, "ram:ApplicableHeaderTradeAgreement")
    if doc.service_code:
        _sub(agreement, "ram:BuyerReference", doc.service_code)
    seller = _sub(agreement, "ram:SellerTradeParty")
    _sub(seller, "ram:Name", doc.supplier_name)
    legal = _sub(seller, "ram:SpecifiedLegalOrganization")
    _sub(legal, "ram:ID", doc.supplier_identifier[:9], schemeID="0002")
    if doc.supplier_vat:
        tax = _sub(seller, "ram:SpecifiedTaxRegistration")
        _sub(tax, "ram:ID", doc.supplier_vat, schemeID="VA")
    buyer = _sub(agreement, "ram:BuyerTradeParty")
    _sub(buyer, "ram:Name", doc.recipient_name)
    buyer_legal = _sub(buyer, "ram:SpecifiedLegalOrganization")
    _sub(buyer_legal, "ram:ID", doc.recipient_identifier, schemeID="0009")
    if doc.purchase_order:
        order = _sub(agreement, "ram:BuyerOrderReferencedDocument")
        _sub(order, "ram:IssuerAssignedID", doc.purchase_order)
    if doc.contract:
        contract = _sub(agreement, "ram:ContractReferencedDocument")
        _sub(contract, "ram:IssuerAssignedID", doc.contract)
    _sub(transaction, "ram:ApplicableHeaderTradeDelivery")
    settlement = _sub(transaction, "ram:ApplicableHeaderTradeSettlement")
    _sub(settlement, "ram:InvoiceCurrencyCode", doc.currency)
    if doc.due_date:
        terms = _sub(settlement, "ram:SpecifiedTradePaymentTerms")
        due = _sub(terms, "ram:DueDateDateTime")
        _sub(due, "udt:DateTimeString", _cii_date(doc.due_date), format="102")
    totals = _sub(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _sub(totals, "ram:LineTotalAmount", _money(doc.net_amount))
    _sub(totals, "ram:TaxBasisTotalAmount", _money(doc.net_amount))
    _sub(totals, "ram:TaxTotalAmount", _money(doc.vat_amount), currencyID=doc.currency)
    _sub(totals, "ram:GrandTotalAmount", _money(doc.gross_amount))
    _sub(totals, "ram:DuePayableAmount", _money(doc.gross_amount))
    body = ET.tostring(root, encoding="unicode")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body.encode("utf-8") + b"\n"


def build_zip(members: Iterable[tuple[str, bytes]]) -> bytes:
    """An in-memory ZIP (deflated) of ``(path, content)`` pairs, in the given order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, content in members:
            info = zipfile.ZipInfo(path, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()
