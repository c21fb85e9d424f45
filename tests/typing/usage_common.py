"""What the two typed usage files share: the sandbox's fixed ids, a PDF, and the invoice
both clients submit, as a TypedDict the checkers match key by key against ``soumettre``.

Checked with them by mypy --strict and pyright (strict) in test_static_types.py.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TypedDict

from factpulse_chorus.models import AdditionalAttachment

RECIPIENT_SIRET = "21999012400014"
VALIDATOR_STRUCTURE_ID = 31207718
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class TypedInvoice(TypedDict):
    """Keywords of ``factures.soumettre``: a wrong key or type is a type error."""

    invoice_number: str
    invoice_date: date
    structure_id: int
    service_code: str | None
    total_net_amount: Decimal
    vat_amount: Decimal
    total_gross_amount: Decimal
    attachment_id: int


def typed_invoice(structure_id: int, service_code: str | None, attachment_id: int) -> TypedInvoice:
    """The invoice F-TYPED-1 for ``structure_id``, its PDF being ``attachment_id``."""
    return TypedInvoice(
        invoice_number="F-TYPED-1",
        invoice_date=date(2025, 3, 10),
        structure_id=structure_id,
        service_code=service_code,
        total_net_amount=Decimal("100.00"),
        vat_amount=Decimal("20.00"),
        total_gross_amount=Decimal("120.00"),
        attachment_id=attachment_id,
    )


def purchase_order(attachment_id: int) -> list[AdditionalAttachment]:
    """The purchase order that ``completer`` adds to a suspended invoice."""
    return [AdditionalAttachment(attachment_id=attachment_id, name="bc.pdf")]
