"""Where the sandbox keeps its invoices and attachments, allocates their ids, and seeds invoices.

The store holds records only; it decides nothing about statuses. Seeding, which puts an
invoice straight into a status, is handed the directory and the life-cycle engine.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from ._directory import Directory
from ._lifecycle import Lifecycle
from ._parse import INVOICE_NUMBER, as_int, canonical_status, parse_amount, parse_date
from ._records import DELIVERED_STATES, VALIDATION_RANK, Attachment, Invoice, day

__all__ = ["SEED_FIELDS", "Store"]

SEED_FIELDS = frozenset(
    {
        "invoice_id", "invoice_date", "payment_due_date", "service_code",
        "engagement_number", "total_net_amount", "vat_amount", "total_gross_amount",
        "attachment_id", "attachment_label", "comment", "purchase_order_reference",
        "contract_reference", "billing_framework", "downloaded_by_recipient",
        "status_comment", "owner_login",
    }
)  # fmt: skip
"""The optional keyword fields of :meth:`Store.seed_invoice`."""

_CENT = Decimal("0.01")
_MAX_ID = 9_999_999  # Chorus Pro ids have 7 digits


class Store:
    """Invoices (by id and by supplier + number), attachments (by id) and the counters."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.invoices: dict[int, Invoice] = {}
        self.numbers: dict[tuple[int, str], int] = {}
        self.attachments: dict[int, Attachment] = {}
        self.counters: dict[str, int] = {
            "invoices_created": 0,
            "invoices_seeded": 0,
            "attachments_created": 0,
            "duplicate_numbers_refused": 0,
        }
        ids = random.Random(f"factpulse-sandbox-ids:{seed}")
        self._next_invoice_id = 7_500_000 + ids.randrange(0, 400_000)
        self._next_attachment_id = 4_800_000 + ids.randrange(0, 100_000)
        self._next_flow = ids.randrange(1_000, 9_000)

    # -- invoices

    def allocate_invoice_id(self) -> int:
        while self._next_invoice_id in self.invoices:
            self._next_invoice_id += 1
        invoice_id = self._next_invoice_id
        if invoice_id > _MAX_ID:
            raise RuntimeError("invoice id space exhausted")  # pragma: no cover
        self._next_invoice_id += 1
        return invoice_id

    def create_invoice(
        self, *, now: float, invoice_id: int | None = None, **values: Any
    ) -> Invoice:
        """A new invoice deposited ``now`` (no status yet), indexed by id and number.

        ``values`` are the :class:`Invoice` fields a caller chooses (number, routing,
        amounts, references); the store adds the id, flow number and dates.
        """
        if invoice_id is None:
            invoice_id = self.allocate_invoice_id()
        flow = f"CPP{day(now).replace('-', '')}{self._next_flow % 100_000_000:08d}"
        self._next_flow += 1
        invoice = Invoice(
            invoice_id=invoice_id, flow_number=flow, created_ts=now, deposit_ts=now, **values
        )
        self.invoices[invoice_id] = invoice
        self.numbers[(invoice.supplier_structure_id, invoice.number)] = invoice_id
        return invoice

    # -- attachments

    def add_attachment(
        self, *, name: str, mime: str, extension: str, owner: str, data: bytes
    ) -> int:
        """Store a file for ``owner``; return its new id."""
        attachment_id = self._next_attachment_id
        if attachment_id > _MAX_ID:
            raise RuntimeError("attachment id space exhausted")  # pragma: no cover
        self._next_attachment_id += 1
        self.attachments[attachment_id] = Attachment(
            attachment_id=attachment_id,
            name=name,
            mime=mime,
            extension=extension.strip().lstrip(".").upper(),
            owner=owner,
            data=data,
        )
        self.counters["attachments_created"] += 1
        return attachment_id

    def owned_attachment(self, login: str, attachment_id: int) -> Attachment | None:
        """The attachment when it exists and belongs to ``login``."""
        attachment = self.attachments.get(attachment_id)
        return attachment if attachment is not None and attachment.owner == login else None

    def stored_attachments(self, invoice: Invoice) -> list[Attachment]:
        """The invoice's attachments whose bytes the sandbox holds, main one first."""
        ids = [invoice.attachment_id] if invoice.attachment_id is not None else []
        ids += [attachment_id for attachment_id, _ in invoice.extra_attachments]
        found: list[Attachment] = []
        for attachment_id in dict.fromkeys(ids):
            attachment = self.attachments.get(attachment_id)
            if attachment is not None:
                found.append(attachment)
        return found

    # -- seeding

    def seed_invoice(
        self,
        directory: Directory,
        lifecycle: Lifecycle,
        now: float,
        *,
        supplier_structure_id: Any,
        recipient_structure_id: Any,
        status: Any,
        validators: Any,
        invoice_number: Any,
        fields: Mapping[str, Any],
    ) -> int:
        """See :meth:`Domain.seed_invoice` (the checks, then the invoice in ``status``)."""
        unknown = sorted(set(fields) - SEED_FIELDS)
        if unknown:
            raise TypeError(f"unknown seed_invoice field(s): {', '.join(unknown)}")
        supplier_id = _seed_int(supplier_structure_id, "supplier_structure_id")
        recipient_id = _seed_int(recipient_structure_id, "recipient_structure_id")
        if directory.get(supplier_id) is None:
            raise ValueError(f"unknown supplier structure {supplier_id}")
        recipient = directory.get(recipient_id)
        if recipient is None:
            raise ValueError(f"unknown recipient structure {recipient_id}")
        validator_ids = _seed_validators(directory, validators)
        if not isinstance(status, str) or not status.strip():
            raise TypeError("status must be a status code")
        code = canonical_status(status)
        needed = VALIDATION_RANK.get(code, 0)
        if len(validator_ids) < needed:
            raise ValueError(f"status {code} needs at least {needed} validator(s)")

        invoice_id = self._seed_invoice_id(fields.get("invoice_id"))
        rng = random.Random(f"factpulse-sandbox-seed-invoice:{self.seed}:{invoice_id}")
        number = invoice_number if invoice_number is not None else f"SEED-{invoice_id}"
        if not isinstance(number, str) or not INVOICE_NUMBER.fullmatch(number):
            raise ValueError(f"invalid invoice number {number!r}")
        if (supplier_id, number) in self.numbers:
            raise ValueError(f"invoice number {number} already used by supplier {supplier_id}")
        net, vat, gross = _seed_amounts(fields, rng)
        service_code = fields.get("service_code")
        if service_code is None and recipient.service_code_required:
            service_code = next((s.code for s in recipient.services if s.active), None)
        service = recipient.service(service_code) if isinstance(service_code, str) else None
        engagement = fields.get("engagement_number")
        if engagement is None and recipient.engagement_number_required:
            engagement = f"EJ{invoice_id}"
        invoice_date = parse_date(fields.get("invoice_date", day(now)))
        if invoice_date is None:
            raise ValueError("invoice_date must be YYYY-MM-DD")
        due_date = None
        if fields.get("payment_due_date") is not None:
            due_date = parse_date(fields["payment_due_date"])
            if due_date is None:
                raise ValueError("payment_due_date must be YYYY-MM-DD")
        attachment_id = fields.get("attachment_id")
        invoice = self.create_invoice(
            now=now,
            invoice_id=invoice_id,
            number=number,
            supplier_structure_id=supplier_id,
            recipient_structure_id=recipient.structure_id,
            service_code=service_code,
            service_id=service.service_id if service is not None else None,
            engagement_number=engagement,
            invoice_date=invoice_date,
            due_date=due_date,
            net=net,
            vat=vat,
            gross=gross,
            attachment_id=(
                _seed_int(attachment_id, "attachment_id") if attachment_id is not None else None
            ),
            attachment_label=fields.get("attachment_label"),
            comment=fields.get("comment"),
            purchase_order=fields.get("purchase_order_reference"),
            contract=fields.get("contract_reference"),
            validators=validator_ids,
            billing_framework=fields.get("billing_framework")
            or ("A9_FACTURE_SOUSTRAITANT" if validator_ids else "A1_FACTURE_FOURNISSEUR"),
            owner_login=fields.get("owner_login"),
        )
        invoice.downloaded = bool(fields.get("downloaded_by_recipient", False))
        self.counters["invoices_seeded"] += 1
        invoice.delivered = code in DELIVERED_STATES or code == "REJETEE"
        lifecycle.apply(invoice, code, now, fields.get("status_comment"), "sandbox", None)
        lifecycle.plan_next(invoice, now)
        return invoice.invoice_id

    def _seed_invoice_id(self, value: Any) -> int:
        if value is None:
            return self.allocate_invoice_id()
        invoice_id = _seed_int(value, "invoice_id")
        if not 1_000_000 <= invoice_id <= _MAX_ID:
            raise ValueError("invoice_id must have 7 digits")
        if invoice_id in self.invoices:
            raise ValueError(f"invoice {invoice_id} already exists")
        return invoice_id


def _seed_int(value: Any, name: str) -> int:
    number = as_int(value)
    if number is None:
        raise TypeError(f"{name} must be an integer")
    return number


def _seed_validators(directory: Directory, validators: Any) -> tuple[int, ...]:
    if isinstance(validators, (str, bytes)) or not isinstance(validators, Iterable):
        raise TypeError("validators must be a list of structure ids")
    validator_ids = tuple(_seed_int(v, "validators") for v in validators)
    for validator in validator_ids:
        if directory.get(validator) is None:
            raise ValueError(f"unknown validator structure {validator}")
    return validator_ids


def _seed_amounts(
    fields: Mapping[str, Any], rng: random.Random
) -> tuple[Decimal, Decimal, Decimal]:
    """The three amounts: those given (checked), the others derived or drawn from ``rng``."""
    parsed: dict[str, Decimal | None] = {}
    for name in ("total_net_amount", "vat_amount", "total_gross_amount"):
        value = fields.get(name)
        amount = None if value is None else parse_amount(value)
        if value is not None and amount is None:
            raise ValueError(f"{name} must be an amount with at most 2 decimals")
        parsed[name] = amount
    net = parsed["total_net_amount"]
    vat = parsed["vat_amount"]
    gross = parsed["total_gross_amount"]
    if net is None:
        if gross is not None and vat is not None:
            net = gross - vat
        elif gross is not None:
            net = (gross / Decimal("1.2")).quantize(_CENT)
        else:
            net = Decimal(rng.randrange(10_000, 1_000_000)) / 100
    if vat is None:
        vat = gross - net if gross is not None else (net * Decimal("0.2")).quantize(_CENT)
    if gross is None:
        gross = net + vat
    if net + vat != gross or min(net, vat, gross) < 0:
        raise ValueError("amounts must satisfy net + vat == gross, all >= 0")
    return net, vat, gross
