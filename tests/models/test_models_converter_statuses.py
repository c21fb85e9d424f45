"""Status codes and enums: spellings, unknown codes kept, status groups."""

from __future__ import annotations

import pytest

from factpulse_chorus._converter import from_wire, to_wire
from factpulse_chorus.models import factures
from factpulse_chorus.models.common import (
    ACTION_STATUSES,
    FINAL_STATUSES,
    FileFormat,
    InvoiceStatusCode,
    SortDirection,
    StructureStatus,
    TargetStatus,
    ValidatorAction,
)

# --- status codes and enums ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling", ["SERVICE-FAIT", "SERVICE_FAIT", "service-fait", " Service_Fait "]
)
def test_service_fait_spellings_are_one_member_sent_with_a_hyphen(spelling: str) -> None:
    assert InvoiceStatusCode(spelling) is InvoiceStatusCode.SERVICE_FAIT
    assert TargetStatus(spelling) is TargetStatus.SERVICE_FAIT
    assert InvoiceStatusCode.SERVICE_FAIT == "SERVICE-FAIT"
    request = factures.FacturesTraiterFactureRecueRequest(invoice_id=1, new_status=spelling)
    assert to_wire(request)["nouveauStatut"] == "SERVICE-FAIT"
    status = from_wire({"code": spelling, "label": "x"}, factures.InvoiceStatus)
    assert status.code is InvoiceStatusCode.SERVICE_FAIT


def test_unknown_status_codes_are_kept() -> None:
    code = InvoiceStatusCode("EN_ATTENTE_DE_QUELQUE_CHOSE")
    assert code.value == "EN_ATTENTE_DE_QUELQUE_CHOSE"
    assert code == "EN_ATTENTE_DE_QUELQUE_CHOSE"
    assert code.name == "UNKNOWN"
    assert not code.is_known
    assert not code.is_final
    assert not code.needs_action
    assert code is InvoiceStatusCode("EN_ATTENTE_DE_QUELQUE_CHOSE")
    assert {"EN_ATTENTE_DE_QUELQUE_CHOSE": 1}[code] == 1
    assert str(code) == f"{code}" == "EN_ATTENTE_DE_QUELQUE_CHOSE"
    parsed = from_wire(
        {
            "returnCode": 0,
            "message": "",
            "chorusInvoiceId": 1,
            "currentStatus": {"code": "Nouveau-Code", "label": "?"},
        },
        factures.FacturesConsulterResponse,
    )
    assert parsed.status is not None
    assert parsed.status.code.value == "Nouveau-Code"
    assert to_wire(parsed)["currentStatus"]["code"] == "Nouveau-Code"
    assert StructureStatus("SUPPRIMEE").is_known is False
    assert all(member.is_known for member in InvoiceStatusCode)
    assert len(InvoiceStatusCode) == 27


def test_status_groups() -> None:
    assert {s.name for s in FINAL_STATUSES} == {
        "REJETEE",
        "MISE_EN_PAIEMENT",
        "REFUSEE_1",
        "REFUSEE_2",
    }
    assert {s.name for s in ACTION_STATUSES} == {
        "SUSPENDUE",
        "A_RECYCLER",
        "ERREUR_FOURNISSEUR_SUR_VALIDEUR",
        "ERREUR_COTRAITANT_SUR_VALIDEUR",
    }
    assert InvoiceStatusCode.MISE_EN_PAIEMENT.is_final
    assert InvoiceStatusCode.A_RECYCLER.needs_action
    assert not InvoiceStatusCode.MANDATEE.is_final
    assert len(TargetStatus) == 12
    assert [a.value for a in ValidatorAction] == [
        "VALIDATION",
        "REFUS",
        "REJET",
        "SUSPENSION",
        "MISE_EN_RECYCLAGE",
        "MISE_EN_PAIEMENT",
    ]
    assert [s.value for s in SortDirection] == ["Ascendant", "Descendant"]
    assert [f.value for f in FileFormat] == ["PDF", "XML", "ZIP"]
    assert SortDirection("descendant") is SortDirection.DESCENDANT
    with pytest.raises(ValueError):
        FileFormat("DOCX")
