"""Submitting and reading invoices in the sandbox domain (soumettre, consulter), and routing."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import sandbox_domain_support as support

from factpulse_chorus.sandbox._directory import CH_EXEMPLEVILLE_ID, DEMO_SUPPLIER_ID, VALIDATOR_ID
from factpulse_chorus.sandbox._domain import Domain

# == soumettre / consulter ===================================================================


def test_soumettre_success(domain: Domain) -> None:
    body = support.submit_body(domain)
    reply = domain.factures_soumettre("omni", body)
    assert set(reply) == set(support.example("factures-soumettre.response"))
    assert reply["returnCode"] == 0
    assert reply["message"] == "Invoice submitted to Chorus Pro"
    assert 1_000_000 <= reply["chorusInvoiceId"] <= 9_999_999
    assert re.fullmatch(r"CPP20250310\d{8}", reply["depositFlowNumber"])
    assert domain.counters["invoices_created"] == 1
    snapshot = domain.invoice_snapshot(reply["chorusInvoiceId"])
    assert snapshot is not None
    assert snapshot["status"] == "DEPOSEE"
    assert snapshot["supplier_structure_id"] == DEMO_SUPPLIER_ID
    assert snapshot["history"][0]["code"] == "DEPOSEE"
    assert snapshot["history"][0]["actor"] == "supplier"


def test_soumettre_amounts_as_numbers(domain: Domain) -> None:
    invoice_id = support.submit(
        domain, totalNetAmount=1042.08, vatAmount=208.42, totalGrossAmount=1250.5
    )
    reply = domain.factures_consulter("omni", {"chorusInvoiceId": invoice_id})
    assert reply["totalGrossAmount"] == "1250.50"


def _bad_submissions() -> list[tuple[str, Callable[[Domain, dict[str, Any]], None]]]:
    def set_(**values: Any) -> Callable[[Domain, dict[str, Any]], None]:
        return lambda domain, body: body.update(values)

    def drop(key: str) -> Callable[[Domain, dict[str, Any]], None]:
        return lambda domain, body: body.pop(key)

    def inactive_recipient(domain: Domain, body: dict[str, Any]) -> None:
        inactive = next(s for s in domain.directory.structures() if not s.active and not s.private)
        body.update(structureId=inactive.structure_id, serviceCode=None)
        body.pop("serviceCode")

    def duplicate(domain: Domain, body: dict[str, Any]) -> None:
        first = dict(body, mainAttachmentId=support.upload(domain))
        assert domain.factures_soumettre("omni", first)["returnCode"] == 0

    def foreign_attachment(domain: Domain, body: dict[str, Any]) -> None:
        body["mainAttachmentId"] = support.upload(domain, login=support.SUPPLIER_LOGIN)

    return [
        ("unknown recipient", set_(structureId=99999999)),
        ("inactive recipient", inactive_recipient),
        ("service code missing", drop("serviceCode")),
        ("inactive service", set_(serviceCode="CULT-OLD")),
        ("unknown service", set_(serviceCode="NOPE")),
        ("engagement missing", set_(structureId=CH_EXEMPLEVILLE_ID, serviceCode="SERV-ACHATS")),
        ("duplicate number", duplicate),
        ("number too long", set_(invoiceNumber="F" * 21)),
        ("number bad character", set_(invoiceNumber="F2025 0042")),
        ("unknown attachment", set_(mainAttachmentId=1234567)),
        ("attachment of another account", foreign_attachment),
        ("three decimals", set_(totalNetAmount="1042.081")),
        ("not an amount", set_(vatAmount="abc")),
        ("negative amount", set_(totalNetAmount="-1042.08")),
        ("net + vat != gross", set_(totalGrossAmount="1250.51")),
        ("impossible date", set_(invoiceDate="2025-02-30")),
        ("french date", set_(invoiceDate="10/03/2025")),
        ("bad due date", set_(paymentDueDate="2025-4-9")),
        ("missing number", drop("invoiceNumber")),
        ("missing amount", drop("vatAmount")),
    ]


@pytest.mark.parametrize(("case", "mutate"), _bad_submissions(), ids=lambda v: str(v)[:30])
def test_soumettre_refusals(domain: Domain, case: str, mutate: Callable[..., None]) -> None:
    body = support.submit_body(domain)
    mutate(domain, body)
    before = domain.invoice_count()
    reply = domain.factures_soumettre("omni", body)
    assert set(reply) == {"returnCode", "message"}, case
    assert reply["returnCode"] != 0, case
    assert reply["message"], case
    assert domain.invoice_count() == before


def test_invoice_number_unique_per_supplier_only(domain: Domain) -> None:
    body = support.submit_body(domain)
    assert domain.factures_soumettre("omni", body)["returnCode"] == 0
    other = dict(body, mainAttachmentId=support.upload(domain, login=support.VALIDATOR_LOGIN))
    reply = domain.factures_soumettre(support.VALIDATOR_LOGIN, other)
    assert reply["returnCode"] == 0
    snapshot = domain.invoice_snapshot(reply["chorusInvoiceId"])
    assert snapshot is not None
    assert snapshot["supplier_structure_id"] == VALIDATOR_ID


def test_consulter(domain: Domain) -> None:
    invoice_id = support.delivered(domain)
    reply = domain.factures_consulter("omni", {"chorusInvoiceId": invoice_id})
    expected = support.example("factures-consulter.response")
    assert set(reply) == set(expected)
    assert reply["currentStatus"] == {
        "code": "MISE_A_DISPOSITION",
        "label": "Mise à disposition du destinataire",
        "date": "2025-03-10",
    }
    for key in ("invoiceDate", "totalGrossAmount", "recipientStructureId", "message"):
        assert reply[key] == expected[key]
    assert domain.factures_consulter("omni", {"chorusInvoiceId": 1111111}) == support.example(
        "factures-consulter.business-error.response"
    )
    forbidden = domain.factures_consulter(support.RECIPIENT_LOGIN, {"chorusInvoiceId": invoice_id})
    assert set(forbidden) == {"returnCode", "message"}
    assert forbidden["returnCode"] == 20001


def test_consulter_factpulse_vocabulary() -> None:
    domain = support.make_domain(vocabulary="factpulse")
    invoice_id = support.submit(domain)

    def code() -> str:
        reply = domain.factures_consulter("omni", {"chorusInvoiceId": invoice_id})
        return str(reply["currentStatus"]["code"])

    assert code() == "SOUMISE"
    domain.clock.advance(support.ROUTED)
    assert code() == "SOUMISE"
    assert support.traiter(domain, invoice_id, "SERVICE-FAIT")["codeRetour"] == 0
    assert code() == "VALIDEE"
    assert support.traiter(domain, invoice_id, "MANDATEE")["codeRetour"] == 0
    assert code() == "MANDATEE"


# == routing =================================================================================


def test_routing_is_lazy_and_timed(domain: Domain) -> None:
    invoice_id = support.submit(domain)
    assert support.status_of(domain, invoice_id) == "DEPOSEE"
    pending = domain.invoice_snapshot(invoice_id)["pending"]  # type: ignore[index]
    assert [p["code"] for p in pending] == ["EN_COURS_ACHEMINEMENT", "MISE_A_DISPOSITION"]
    first = datetime.fromisoformat(pending[0]["due_at"])
    second = datetime.fromisoformat(pending[1]["due_at"])
    assert timedelta(seconds=59) <= first - support.START <= timedelta(seconds=601)
    assert timedelta(seconds=59) <= second - first <= timedelta(seconds=601)
    domain.clock.advance((first - support.START).total_seconds() + 1)
    assert support.status_of(domain, invoice_id) == "EN_COURS_ACHEMINEMENT"
    domain.clock.advance(support.ROUTED)
    assert support.history(domain, invoice_id) == [
        "DEPOSEE",
        "EN_COURS_ACHEMINEMENT",
        "MISE_A_DISPOSITION",
    ]
    assert support.history(domain, invoice_id, "actor") == ["supplier", "platform", "platform"]
    # The change is dated when it was due, not when it was observed.
    assert support.history(domain, invoice_id, "date_time")[2] == second.isoformat()
    item = support.supplier_listing(domain)[0]
    assert item["dateHeureEtatCourant"] == second.isoformat()
    assert item["dateHeureEtatCourant"].endswith("+01:00")


def test_routing_immediate_and_platform_rejection() -> None:
    immediate = support.make_domain(routing_delay=(0.0, 0.0))
    assert support.status_of(immediate, support.submit(immediate)) == "MISE_A_DISPOSITION"
    rejecting = support.make_domain(routing_delay=(0.0, 0.0), platform_reject_rate=1.0)
    invoice_id = support.submit(rejecting)
    snapshot = rejecting.invoice_snapshot(invoice_id)
    assert snapshot is not None
    assert snapshot["status"] == "REJETEE"
    assert snapshot["history"][-1]["actor"] == "platform"
    assert snapshot["status_comment"]
    item = support.supplier_listing(rejecting)[0]
    assert item["commentaireEtatCourant"] == snapshot["status_comment"]
    # Never made available: the recipient does not see it.
    reply = rejecting.factures_rechercher_destinataire("omni", {})
    assert reply["total"] == 0
