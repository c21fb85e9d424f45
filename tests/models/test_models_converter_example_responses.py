"""The specification's example responses: each parses, round-trips, and carries the
documented values."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from models_support import ENDPOINTS, wire_round_trip
from payloads import example

from factpulse_chorus._converter import from_wire
from factpulse_chorus.models import factures, structures, transverses, valideur
from factpulse_chorus.models.common import InvoiceStatusCode, PageInfo, StructureStatus

# --- the examples, both ways -----------------------------------------------------------------


@pytest.mark.parametrize(("name", "cls"), [(n, r) for n, _, r in ENDPOINTS])
def test_every_example_response_parses_and_round_trips(name: str, cls: type) -> None:
    data = example(f"{name}.response")
    parsed = from_wire(data, cls)
    assert wire_round_trip(parsed) == parsed
    assert parsed.raw.status == 0  # no RawResponse given: the placeholder


def test_typed_example_values() -> None:
    invoice = from_wire(example("factures-consulter.response"), factures.FacturesConsulterResponse)
    assert invoice.return_code == 0
    assert invoice.invoice_id == 7412589
    assert invoice.invoice_number == "F2025-0042"
    assert invoice.invoice_date == date(2025, 3, 10)
    assert invoice.total_gross_amount == Decimal("1250.50")
    assert str(invoice.total_gross_amount) == "1250.50"
    assert invoice.status is not None
    assert invoice.status.code is InvoiceStatusCode.MISE_A_DISPOSITION
    assert invoice.status.date == date(2025, 3, 10)
    assert type(invoice.status.date) is date
    assert invoice.recipient_structure_id == 25827464

    found = from_wire(
        example("structures-rechercher.response"), structures.StructuresRechercherResponse
    )
    assert found.total == 1
    assert found.structures[0].structure_id == 25827464
    assert found.structures[0].status is StructureStatus.ACTIVE

    details = from_wire(
        example("structures-consulter.response"), structures.StructuresConsulterResponse
    )
    assert details.parameters == structures.StructureParameters(
        service_code_required=True,
        engagement_number_required=False,
        engagement_or_service_management=True,
    )
    services = from_wire(
        example("structures-services.response"), structures.StructuresListerServicesResponse
    )
    assert [s.service_code for s in services.services] == ["FIN-001", "TECH-002", "CULT-OLD"]
    assert [s.service_code for s in services.active_services] == ["FIN-001", "TECH-002"]

    ident = from_wire(
        example("structures-obtenir-id-depuis-siret.response"),
        structures.StructuresObtenirIdDepuisSiretResponse,
    )
    assert ident.found
    assert ident.structure_id == 25827464
    assert not from_wire(
        {"structureId": 0, "structureIdentifier": "x", "structureName": None, "message": "none"},
        structures.StructuresObtenirIdDepuisSiretResponse,
    ).found

    submitted = from_wire(
        example("factures-soumettre.response"), factures.FacturesSoumettreResponse
    )
    assert submitted.invoice_id == 7412589
    assert submitted.deposit_flow_number == "CPP2025031000004217"


def test_native_search_example_values() -> None:
    supplier = from_wire(
        example("factures-rechercher-fournisseur.response"),
        factures.FacturesRechercherFournisseurResponse,
    )
    assert supplier.return_code == 0
    assert [f.invoice_id for f in supplier.invoices] == [7412589, 7398810]
    first = supplier.invoices[0]
    assert first.total_net_amount == Decimal("1042.08")
    assert first.total_gross_amount == Decimal("1250.50")
    assert first.amount_due == Decimal("1250.5")
    assert first.status is InvoiceStatusCode.MISE_A_DISPOSITION
    assert first.status_date == datetime(2025, 3, 13, 9, 41, tzinfo=timezone(timedelta(hours=1)))
    assert first.rejection_processed is False
    assert supplier.invoices[1].total_net_amount == Decimal("3000")
    assert supplier.page_info == PageInfo(page=1, page_count=1, page_size=20, total=2)
    assert supplier.page_info.next_page is None

    recipient = from_wire(
        example("factures-rechercher-destinataire.response"),
        factures.FacturesRechercherDestinataireResponse,
    )
    assert recipient.invoices[0].invoice_id == 7412589
    assert recipient.invoices[0].downloaded_by_recipient is False
    # Top-level pagination of this endpoint lands in the same place as parametresRetour.
    assert recipient.page_info == PageInfo(page=1, page_count=1, page_size=10, total=1)

    validator = from_wire(
        example("valideur-rechercher.response"), valideur.ValideurRechercherResponse
    )
    item = validator.invoices[0]
    assert item.invoice_id == 7433150
    assert item.status is InvoiceStatusCode.A_VALIDER_1
    assert item.total_gross_amount == Decimal("6240")
    assert item.validator_code == "90315528100012"
    assert validator.page_info is not None
    assert validator.page_info.total == 1


def test_native_action_example_values() -> None:
    traiter = from_wire(
        example("factures-traiter-facture-recue.response"),
        factures.FacturesTraiterFactureRecueResponse,
    )
    assert traiter.invoice_id == 7412589
    assert traiter.new_status is InvoiceStatusCode.SUSPENDUE
    assert traiter.processing_date == date(2025, 3, 12)

    completer = from_wire(
        example("factures-completer.response"), factures.FacturesCompleterResponse
    )
    assert completer.invoice_id == 7412589
    assert completer.processing_date == datetime(2025, 3, 13, 9, 41)

    recycler = from_wire(example("factures-recycler.response"), factures.FacturesRecyclerResponse)
    assert recycler.invoice_id == 7420031
    assert recycler.status is InvoiceStatusCode.DEPOSEE
    assert recycler.deposit_date == date(2025, 3, 18)

    upload = from_wire(
        example("transverses-ajouter-fichier.response"),
        transverses.TransversesAjouterFichierResponse,
    )
    assert upload.attachment_id == 4817263
    assert upload.message == "TRA_MSG_00.000"

    decision = from_wire(example("valideur-traiter.response"), valideur.ValideurTraiterResponse)
    assert decision.invoice_id == 7433150
    assert decision.status is InvoiceStatusCode.VALIDEE_1

    download = from_wire(
        example("factures-telecharger-groupe.response"), factures.FacturesTelechargerGroupeResponse
    )
    assert download.file_base64 == "UEsDBBQAAAAIAGt0bVr2m1x0..."
    assert download.content_kind == "zip"


def test_validator_detail_example_values() -> None:
    detail = from_wire(example("valideur-consulter.response"), valideur.ValideurConsulterResponse)
    facture = detail.invoice
    assert facture.invoice_id == 7433150
    assert facture.status is InvoiceStatusCode.A_VALIDER_1
    assert facture.recipient is not None
    assert facture.recipient.recipient_code == "21999012400014"
    assert facture.recipient.postal_code == "99100"
    assert facture.supplier is not None
    assert facture.supplier.bank_details_id == 551203
    assert facture.billing_framework is not None
    assert facture.billing_framework.validator1_id == 31207718
    assert facture.references is not None
    assert facture.references.creation_date == datetime(2025, 3, 14, 10, 5)
    assert facture.references.payment_due_date == date(2025, 4, 13)
    assert facture.references.attachments_total_size == 245760
    assert facture.totals == valideur.InvoiceTotals(
        total_net_amount=Decimal("5200"),
        vat_amount=Decimal("1040"),
        total_gross_amount_before_discount=Decimal("6240"),
        global_discount_amount=Decimal("0"),
        total_gross_amount=Decimal("6240"),
        amount_due=Decimal("6240"),
    )
    assert facture.main_attachment == valideur.MainAttachment(
        attachment_id=4820115, link_id=9912034
    )
    assert facture.attachments is not None
    assert facture.attachments.items[0].attachment_label == "ST-2025-009.pdf"
    assert facture.attachments.total == 1
    assert facture.line_items is not None
    lines = facture.line_items.items
    assert [line.quantity for line in lines] == [Decimal(1), Decimal(120)]
    assert lines[1].unit_net_price == Decimal("10.0")
    assert facture.line_items.total == 2
    assert facture.vat_summary is not None
    assert facture.vat_summary.items[0].vat_rate == Decimal("20.0")
    assert facture.vat_summary.total == 1
