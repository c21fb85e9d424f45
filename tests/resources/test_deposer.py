"""factures.deposer: SIRET -> structure -> parameters -> upload -> submit, in one call."""

from __future__ import annotations

import base64
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from factpulse_chorus import (
    AsyncChorusClient,
    ChorusClient,
    RequestValidationError,
    StructureNotFoundError,
)
from factpulse_chorus.sandbox import ThreadedSandbox

pytestmark = pytest.mark.chorus_sandbox(record_requests=True)

COMMUNE_SIRET = "21999012400014"  # service code required, no engagement number
HOSPITAL_SIRET = "26999045300012"  # both required
PDF = b"%PDF-1.4\n% deposer test\n%%EOF\n"
AMOUNTS: dict[str, Any] = {
    "invoice_date": date(2026, 2, 1),
    "total_net_amount": Decimal("1042.08"),
    "vat_amount": Decimal("208.42"),
    "total_gross_amount": Decimal("1250.50"),
}


def routes(sandbox: ThreadedSandbox) -> list[str]:
    return [entry["route"] for entry in sandbox.received()]


def free_structure(sandbox: ThreadedSandbox, *, engagement: bool = False) -> tuple[str, int]:
    """A public active structure with a SIRET of its own and no (or only an EJ) requirement."""
    directory = sandbox.domain.directory
    for structure in directory.structures():
        if (
            not structure.private
            and structure.active
            and structure.identifier_type == "SIRET"
            and structure.identifier != directory.shared_siret
            and not structure.service_code_required
            and structure.engagement_number_required == engagement
        ):
            return structure.identifier, structure.structure_id
    raise AssertionError("the sandbox directory has no such structure")


async def test_deposer_without_mandatory_parameters(
    client: AsyncChorusClient, chorus_sandbox: ThreadedSandbox
) -> None:
    siret, structure_id = free_structure(chorus_sandbox)
    result = await client.factures.deposer(
        PDF, recipient_siret=siret, invoice_number="DEP-001", **AMOUNTS
    )
    assert result.structure_id == structure_id
    assert result.submission.invoice_id == result.invoice_id
    snapshot = chorus_sandbox.domain.invoice_snapshot(result.invoice_id)
    assert snapshot is not None
    assert snapshot["invoice_number"] == "DEP-001"
    assert routes(chorus_sandbox) == [
        "structures/obtenir-id-depuis-siret",
        "structures/consulter",
        "transverses/ajouter-fichier",
        "factures/soumettre",
    ]
    (upload,) = chorus_sandbox.received("transverses/ajouter-fichier")
    assert upload["body"]["pieceJointeNom"] == "DEP-001.pdf"
    assert base64.b64decode(upload["body"]["pieceJointeFichier"]) == PDF
    (submit,) = chorus_sandbox.received("factures/soumettre")
    assert submit["body"]["mainAttachmentId"] == result.attachment_id
    assert submit["body"]["structureId"] == structure_id
    assert submit["body"]["totalGrossAmount"] == "1250.50"


async def test_deposer_with_required_service_code(
    client: AsyncChorusClient, chorus_sandbox: ThreadedSandbox, tmp_path: Path
) -> None:
    with pytest.raises(RequestValidationError) as info:
        await client.factures.deposer(
            PDF, recipient_siret=COMMUNE_SIRET, invoice_number="DEP-002", **AMOUNTS
        )
    assert info.value.field == "service_code"
    # Refused after the two look-ups: nothing uploaded, nothing submitted.
    assert routes(chorus_sandbox) == [
        "structures/obtenir-id-depuis-siret",
        "structures/consulter",
    ]
    path = tmp_path / "facture-002.pdf"
    path.write_bytes(PDF)
    result = await client.factures.deposer(
        path,
        recipient_siret=COMMUNE_SIRET,
        invoice_number="DEP-002",
        service_code="FIN-001",
        **AMOUNTS,
    )
    assert result.structure_id == 25827464
    assert result.structure_name == "COMMUNE DE SAINT-EXEMPLE"
    upload = chorus_sandbox.received("transverses/ajouter-fichier")[-1]
    assert upload["body"]["pieceJointeNom"] == "facture-002.pdf"


async def test_deposer_with_required_engagement_number(
    client: AsyncChorusClient, chorus_sandbox: ThreadedSandbox
) -> None:
    with pytest.raises(RequestValidationError) as info:
        await client.factures.deposer(
            PDF,
            recipient_siret=HOSPITAL_SIRET,
            invoice_number="DEP-003",
            service_code="SERV-ACHATS",
            **AMOUNTS,
        )
    assert info.value.field == "engagement_number"
    siret, _ = free_structure(chorus_sandbox, engagement=True)
    with pytest.raises(RequestValidationError, match="engagement"):
        await client.factures.deposer(
            PDF, recipient_siret=siret, invoice_number="DEP-003", **AMOUNTS
        )
    assert "transverses/ajouter-fichier" not in routes(chorus_sandbox)
    result = await client.factures.deposer(
        PDF,
        recipient_siret=HOSPITAL_SIRET,
        invoice_number="DEP-003",
        service_code="SERV-ACHATS",
        engagement_number="EJ-2026-7",
        pdf_name="DEP-003-facturx.pdf",
        **AMOUNTS,
    )
    snapshot = chorus_sandbox.domain.invoice_snapshot(result.invoice_id)
    assert snapshot is not None
    (submit,) = chorus_sandbox.received("factures/soumettre")
    assert submit["body"]["engagementNumber"] == "EJ-2026-7"


async def test_unknown_or_ambiguous_siret(
    client: AsyncChorusClient, chorus_sandbox: ThreadedSandbox
) -> None:
    shared = chorus_sandbox.domain.directory.shared_siret
    for siret in (shared, "73282932000074"):
        with pytest.raises(StructureNotFoundError):
            await client.factures.deposer(
                PDF, recipient_siret=siret, invoice_number="DEP-004", **AMOUNTS
            )
    assert set(routes(chorus_sandbox)) == {"structures/obtenir-id-depuis-siret"}


async def test_bad_arguments_are_refused_before_any_request(
    client: AsyncChorusClient, chorus_sandbox: ThreadedSandbox
) -> None:
    bad = {**AMOUNTS, "total_gross_amount": Decimal("1.00")}  # net + VAT != gross
    with pytest.raises(RequestValidationError):
        await client.factures.deposer(
            PDF, recipient_siret=COMMUNE_SIRET, invoice_number="DEP-005", **bad
        )
    with pytest.raises(RequestValidationError):
        await client.factures.deposer(
            PDF, recipient_siret=COMMUNE_SIRET, invoice_number="BAD NUMBER!", **AMOUNTS
        )
    assert routes(chorus_sandbox) == []


def test_sync_deposer(chorus_sandbox: ThreadedSandbox) -> None:
    siret, structure_id = free_structure(chorus_sandbox)
    with ChorusClient(base_url=chorus_sandbox.url, email="demo", password="demo") as client:
        result = client.factures.deposer(
            PDF, recipient_siret=siret, invoice_number="DEP-SYNC", **AMOUNTS
        )
    assert result.structure_id == structure_id
