"""Every method of the factures group against the strict sandbox, on both clients (the other
groups: test_client_endpoints.py).

Each test runs twice: once on :class:`AsyncChorusClient`, once on the generated blocking
:class:`ChorusClient` (its calls made from a worker thread, as a blocking caller would).
The sandbox records the bodies it accepted, so the tests assert the exact JSON sent.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal
from io import BytesIO
from typing import Any

import pytest
from client_endpoints_support import PDF, RECIPIENT_ID, sent, submit

from factpulse_chorus import ChorusProBusinessError, InvoiceStatusCode, RequestValidationError
from factpulse_chorus.sandbox import Sandbox


async def test_soumettre_sends_the_documented_body(api: Any, sandbox: Sandbox) -> None:
    upload = await api.transverses.ajouter_fichier(PDF, name="F2025-0042_facturx.pdf")
    response = await api.factures.soumettre(
        invoice_number="F2025-0042",
        invoice_date=dt.date(2025, 3, 10),
        payment_due_date=dt.date(2025, 4, 9),
        structure_id=RECIPIENT_ID,
        service_code="FIN-001",
        total_net_amount=Decimal("1042.08"),
        vat_amount=Decimal("208.42"),
        total_gross_amount=Decimal("1250.5"),
        attachment_id=upload.attachment_id,
        attachment_label="Facture F2025-0042 (Factur-X)",
        comment="Maintenance du site web - fevrier 2025",
        purchase_order_reference="BC-2025-117",
        contract_reference="MAPA-2024-031",
    )
    assert sent(sandbox, "factures/soumettre") == {
        "invoiceNumber": "F2025-0042",
        "invoiceDate": "2025-03-10",
        "paymentDueDate": "2025-04-09",
        "structureId": RECIPIENT_ID,
        "serviceCode": "FIN-001",
        "totalNetAmount": "1042.08",
        "vatAmount": "208.42",
        "totalGrossAmount": "1250.50",
        "mainAttachmentId": upload.attachment_id,
        "mainAttachmentLabel": "Facture F2025-0042 (Factur-X)",
        "comment": "Maintenance du site web - fevrier 2025",
        "purchaseOrderReference": "BC-2025-117",
        "contractReference": "MAPA-2024-031",
    }
    assert response.return_code == 0
    assert response.deposit_flow_number
    assert sandbox.invoice_count() == 1


async def test_soumettre_amounts_must_add_up_before_sending(api: Any, sandbox: Sandbox) -> None:
    with pytest.raises(RequestValidationError) as info:
        await submit(api, "F-BAD-1", total_gross_amount=Decimal("121.00"))
    assert "total_gross_amount" in info.value.field
    with pytest.raises(RequestValidationError) as info:
        await submit(api, "F-BAD-2", vat_amount=Decimal("20.001"))
    assert info.value.field == "vat_amount"
    with pytest.raises(RequestValidationError) as info:
        await submit(api, "F BAD 3")
    assert info.value.field == "invoice_number"
    assert sandbox.received() == []


async def test_soumettre_business_error_for_a_missing_service_code(api: Any) -> None:
    with pytest.raises(ChorusProBusinessError) as info:
        await submit(api, "F-NOSVC-1", service_code=None)
    assert info.value.return_code != 0


async def test_consulter(api: Any, sandbox: Sandbox) -> None:
    invoice_id = await submit(api, "F-CONS-1")
    result = await api.factures.consulter(invoice_id)
    assert sent(sandbox, "factures/consulter") == {"chorusInvoiceId": invoice_id}
    assert result.invoice_number == "F-CONS-1"
    assert result.invoice_date == dt.date(2025, 3, 10)
    assert result.total_gross_amount == Decimal("120.00")
    assert result.status is not None
    assert result.status.code is InvoiceStatusCode.MISE_A_DISPOSITION
    assert result.recipient_structure_id == RECIPIENT_ID


async def test_consulter_unknown_invoice(api: Any) -> None:
    with pytest.raises(ChorusProBusinessError) as info:
        await api.factures.consulter(1_234_567)
    assert info.value.return_code == 20000


async def test_rechercher_fournisseur(api: Any, sandbox: Sandbox) -> None:
    ids = [await submit(api, f"F-SUP-{n}") for n in range(3)]
    result = await api.factures.rechercher_fournisseur(
        status=["MISE_A_DISPOSITION"],
        invoice_date_from=dt.date(2025, 3, 1),
        invoice_date_to=dt.date(2025, 3, 31),
        page_size=2,
        sort_column="numeroFacture",
        sort_direction="Ascendant",
    )
    assert sent(sandbox, "factures/rechercher-fournisseur") == {
        "statutCourant": ["MISE_A_DISPOSITION"],
        "periodeDateFactureDu": "2025-03-01",
        "periodeDateFactureAu": "2025-03-31",
        "rechercheFactureParFournisseur": {
            "pageResultatDemandee": 1,
            "nbResultatsParPage": 2,
            "triColonne": "numeroFacture",
            "triSens": "Ascendant",
        },
    }
    assert [f.invoice_number for f in result.invoices] == ["F-SUP-0", "F-SUP-1"]
    assert result.invoices[0].invoice_id == ids[0]
    assert result.invoices[0].total_gross_amount == Decimal("120")
    assert result.page_info is not None
    assert (result.page_info.total, result.page_info.page_count) == (3, 2)


async def test_rechercher_destinataire(api: Any, sandbox: Sandbox) -> None:
    invoice_id = await submit(api, "F-DEST-1")
    result = await api.factures.rechercher_destinataire(
        downloaded_by_recipient=False, invoice_number="F-DEST-1"
    )
    assert sent(sandbox, "factures/rechercher-destinataire") == {
        "factureTelechargeeParDestinataire": False,
        "numeroFacture": "F-DEST-1",
        "paramRecherche": {"pageResultatDemandee": 1},
    }
    [item] = result.invoices
    assert item.invoice_id == invoice_id
    assert item.downloaded_by_recipient is False
    assert result.page_info is not None
    assert result.page_info.total == 1  # read from the top level for this endpoint


async def test_telecharger_groupe_zip(api: Any, sandbox: Sandbox) -> None:
    upload = await api.transverses.ajouter_fichier(PDF, name="piece.pdf")
    first = await submit(api, "F-DL-1", attachment_id=upload.attachment_id)
    second = await submit(api, "F-DL-2")
    result = await api.factures.telecharger_groupe(
        [first, second], file_format="ZIP", include_attachments=True
    )
    assert sent(sandbox, "factures/telecharger-groupe") == {
        "listeIdentifiantsFactureCPP": [first, second],
        "formatFichier": "ZIP",
        "inclurePiecesJointes": True,
    }
    assert result.content_kind == "zip"
    names = zipfile.ZipFile(BytesIO(result.content())).namelist()
    assert any(name.endswith(".pdf") for name in names)
    assert any(name.endswith(".xml") for name in names)
    assert len({name.split("/")[0] for name in names}) == 2  # one folder per invoice


async def test_telecharger_groupe_pdf(api: Any) -> None:
    invoice_id = await submit(api, "F-DL-PDF")
    result = await api.factures.telecharger_groupe([invoice_id], file_format="PDF")
    assert result.content_kind == "pdf"
    assert result.content().startswith(b"%PDF")


async def test_recipient_suspends_and_supplier_completes(api: Any, sandbox: Sandbox) -> None:
    invoice_id = await submit(api, "F-SUSP-1")
    with pytest.raises(RequestValidationError) as info:
        await api.factures.traiter_facture_recue(invoice_id, new_status="SUSPENDUE")
    assert info.value.field == "reason"

    suspended = await api.factures.traiter_facture_recue(
        invoice_id,
        new_status="SUSPENDUE",
        reason="Bon de commande manquant",
        comment="Merci de joindre le bon de commande.",
    )
    assert sent(sandbox, "factures/traiter-facture-recue") == {
        "identifiantFactureCPP": invoice_id,
        "nouveauStatut": "SUSPENDUE",
        "motifRejet": "Bon de commande manquant",
        "commentaire": "Merci de joindre le bon de commande.",
    }
    assert suspended.new_status is InvoiceStatusCode.SUSPENDUE

    attachment = await api.transverses.ajouter_fichier(PDF, name="bon_de_commande.pdf")
    from factpulse_chorus.models import AdditionalAttachment

    completed = await api.factures.completer(
        invoice_id,
        comment="Bon de commande joint.",
        attachments=[
            AdditionalAttachment(
                attachment_id=attachment.attachment_id or 0,
                name="bon_de_commande.pdf",
            )
        ],
    )
    assert sent(sandbox, "factures/completer") == {
        "identifiantFactureCPP": invoice_id,
        "commentaire": "Bon de commande joint.",
        "listePiecesJointes": [
            {
                "pieceJointeIdFichier": attachment.attachment_id,
                "pieceJointeNom": "bon_de_commande.pdf",
            }
        ],
    }
    assert completed.invoice_id == invoice_id
    status = await api.factures.consulter(invoice_id)
    assert status.status is not None
    assert status.status.code is InvoiceStatusCode.MISE_A_DISPOSITION


async def test_completer_on_a_wrong_status_is_20002(api: Any) -> None:
    invoice_id = await submit(api, "F-COMP-X")
    with pytest.raises(ChorusProBusinessError) as info:
        await api.factures.completer(invoice_id, comment="rien")
    assert info.value.return_code == 20002
    assert info.value.server_message == "GDP_MSG_11.033"
    # The id a support ticket needs, from the response's X-Request-ID, also in the message.
    assert info.value.request_id
    assert info.value.request_id in str(info.value)


async def test_recycler(api: Any, sandbox: Sandbox) -> None:
    invoice_id = await submit(api, "F-RECY-1")
    await api.factures.traiter_facture_recue(invoice_id, new_status="A_RECYCLER")
    result = await api.factures.recycler(invoice_id, service_code="TECH-002")
    assert sent(sandbox, "factures/recycler") == {
        "identifiantFactureCPP": invoice_id,
        "codeService": "TECH-002",
    }
    assert result.invoice_id == invoice_id
    assert result.status in {
        InvoiceStatusCode.DEPOSEE,
        InvoiceStatusCode.MISE_A_DISPOSITION,
    }


async def test_service_fait_is_sent_with_its_hyphen(api: Any, sandbox: Sandbox) -> None:
    invoice_id = await submit(api, "F-SF-1")
    result = await api.factures.traiter_facture_recue(invoice_id, new_status="SERVICE_FAIT")
    assert sent(sandbox, "factures/traiter-facture-recue")["nouveauStatut"] == "SERVICE-FAIT"
    assert result.new_status is InvoiceStatusCode.SERVICE_FAIT


async def test_forbidden_transition_is_a_business_error(api: Any) -> None:
    invoice_id = await submit(api, "F-FORB-1")
    await api.factures.traiter_facture_recue(invoice_id, new_status="MANDATEE")
    with pytest.raises(ChorusProBusinessError):
        await api.factures.traiter_facture_recue(
            invoice_id, new_status="REJETEE", reason="trop tard"
        )
