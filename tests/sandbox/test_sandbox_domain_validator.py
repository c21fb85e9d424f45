"""The validator's endpoints in the sandbox domain (lifecycle.md §6)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sandbox_domain_support import (
    CH_LOGIN,
    ROUTED,
    SUPPLIER_LOGIN,
    VALIDATOR_LOGIN,
    example,
    history,
    is_error,
    make_domain,
    status_of,
    submit,
    traiter,
)

from factpulse_chorus.sandbox._directory import CH_EXEMPLEVILLE_ID, VALIDATOR_ID
from factpulse_chorus.sandbox._domain import Domain
from factpulse_chorus.sandbox._lifecycle import SimClock
from factpulse_chorus.sandbox._records import SANDBOX_TZ

# == validator (lifecycle.md §6) =============================================================


def test_valideur_validation_single_validator(domain: Domain) -> None:
    invoice_id = domain.seed_invoice()
    body = dict(example("valideur-traiter.request"), idFacture=invoice_id)
    reply = domain.valideur_traiter(VALIDATOR_LOGIN, body)
    assert set(reply) == set(example("valideur-traiter.response"))
    assert reply["codeRetour"] == 0
    assert reply["statutFacture"] == "VALIDEE_1"
    assert status_of(domain, invoice_id) == "DEPOSEE"
    domain.clock.advance(ROUTED)
    assert history(domain, invoice_id) == [
        "A_VALIDER_1",
        "VALIDEE_1",
        "DEPOSEE",
        "EN_COURS_ACHEMINEMENT",
        "MISE_A_DISPOSITION",
    ]
    assert is_error(domain.valideur_traiter(VALIDATOR_LOGIN, body))  # no longer awaiting


def test_valideur_two_validators(domain: Domain) -> None:
    second = CH_EXEMPLEVILLE_ID
    invoice_id = domain.seed_invoice(validators=[VALIDATOR_ID, second])
    approve = {"idFacture": invoice_id, "action": "VALIDATION"}
    assert domain.valideur_traiter(CH_LOGIN, approve) == {
        "codeRetour": 20001,
        "libelle": "GDP_MSG_11.005",
    }
    assert domain.valideur_traiter(VALIDATOR_LOGIN, approve)["statutFacture"] == "VALIDEE_1"
    assert status_of(domain, invoice_id) == "A_VALIDER_2"
    assert domain.valideur_traiter(VALIDATOR_LOGIN, approve)["codeRetour"] == 20001
    listed = domain.valideur_rechercher(CH_LOGIN, {})
    assert [i["idFacture"] for i in listed["listeFactures"]] == [invoice_id]
    assert listed["listeFactures"][0]["idValideur"] == second
    assert domain.valideur_rechercher(VALIDATOR_LOGIN, {})["parametresRetour"]["total"] == 0
    assert domain.valideur_traiter(CH_LOGIN, approve)["statutFacture"] == "VALIDEE_2"
    assert status_of(domain, invoice_id) == "DEPOSEE"


@pytest.mark.parametrize(
    ("action", "reached"),
    [("REFUS", "REFUSEE_1"), ("REJET", "ERREUR_FOURNISSEUR_SUR_VALIDEUR")],
)
def test_valideur_refusals(domain: Domain, action: str, reached: str) -> None:
    invoice_id = domain.seed_invoice()
    body: dict[str, Any] = {"idFacture": invoice_id, "action": action}
    assert is_error(domain.valideur_traiter(VALIDATOR_LOGIN, body))
    body["motifRefus"] = "Travaux non conformes"
    reply = domain.valideur_traiter(VALIDATOR_LOGIN, body)
    assert reply["codeRetour"] == 0
    assert reply["statutFacture"] == reached
    assert status_of(domain, invoice_id) == reached
    assert is_error(domain.valideur_traiter(VALIDATOR_LOGIN, dict(body, action="VALIDATION")))
    assert is_error(traiter(domain, invoice_id, "MISE_A_DISPOSITION"))


def test_valideur_errors(domain: Domain) -> None:
    invoice_id = domain.seed_invoice()
    call = domain.valideur_traiter
    assert is_error(call(VALIDATOR_LOGIN, {"idFacture": invoice_id, "action": "SUSPENSION"}))
    assert is_error(call(VALIDATOR_LOGIN, {"idFacture": invoice_id}))
    assert call(VALIDATOR_LOGIN, {"idFacture": 1111111, "action": "VALIDATION"}) == {
        "codeRetour": 20000,
        "libelle": "GDP_MSG_11.008",
    }
    assert call(SUPPLIER_LOGIN, {"idFacture": invoice_id, "action": "VALIDATION"}) == {
        "codeRetour": 20001,
        "libelle": "GDP_MSG_11.005",
    }
    assert domain.valideur_consulter(SUPPLIER_LOGIN, {"idFacture": invoice_id}) == {
        "codeRetour": 20001,
        "libelle": "GDP_MSG_11.005",
    }
    plain = submit(domain)
    assert is_error(call("omni", {"idFacture": plain, "action": "VALIDATION"}))
    assert status_of(domain, invoice_id) == "A_VALIDER_1"


def _example_validator_invoice() -> tuple[Domain, int]:
    domain = make_domain(
        clock=SimClock(speed=0, start=datetime(2025, 3, 14, 10, 5, tzinfo=SANDBOX_TZ))
    )
    invoice_id = domain.seed_invoice(
        invoice_id=7433150,
        invoice_number="ST-2025-009",
        service_code="TECH-002",
        total_net_amount="5200.00",
        vat_amount="1040.00",
        invoice_date="2025-03-14",
        payment_due_date="2025-04-13",
        purchase_order_reference="BC-2025-121",
        contract_reference="MAPA-2024-031",
        comment="Travaux de cablage - batiment B (sous-traitance)",
        attachment_id=4820115,
        attachment_label="ST-2025-009.pdf",
        billing_framework="A9_FACTURE_SOUSTRAITANT",
    )
    return domain, invoice_id


def test_valideur_rechercher_example() -> None:
    domain, _invoice_id = _example_validator_invoice()
    reply = domain.valideur_rechercher("omni", example("valideur-rechercher.request"))
    expected = example("valideur-rechercher.response")
    assert reply["parametresRetour"] == expected["parametresRetour"]
    assert set(reply) == set(expected)
    (item,) = reply["listeFactures"]
    for key, value in expected["listeFactures"][0].items():
        assert item[key] == value, key


def test_valideur_consulter_example() -> None:
    domain, _invoice_id = _example_validator_invoice()
    reply = domain.valideur_consulter(VALIDATOR_LOGIN, example("valideur-consulter.request"))
    expected = example("valideur-consulter.response")
    assert set(reply) == set(expected)
    assert reply["codeRetour"] == 0
    facture, wanted = reply["facture"], expected["facture"]
    assert set(wanted) <= set(facture)
    for key in ("identifiantFactureCPP", "numeroFacture", "statutFacture", "modeDepot"):
        assert facture[key] == wanted[key]
    assert facture["montantTotal"] == wanted["montantTotal"]
    for group in ("destinataire", "fournisseur", "cadreDeFacturation", "references"):
        for key, value in wanted[group].items():
            if key != "tailleTotalePiecesJointes":  # the example's file is not stored here
                assert facture[group][key] == value, (group, key)
    assert facture["pieceJointePrincipale"]["idPieceJointePrincipale"] == 4820115
    pieces = facture["listeDesPiecesJointes"]
    assert pieces["totalListePiecesJointe"] == 1
    assert pieces["pieceJointe"][0]["pieceJointeDesignation"] == "ST-2025-009.pdf"
    assert facture["recapitulatifDeTva"]["ligneTva"][0]["ligneTvaTauxRefCode"] == "TVA20"
    assert facture["lignesDePoste"]["totalLignesPoste"] >= 1
