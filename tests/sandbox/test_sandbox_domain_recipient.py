"""The recipient's actions in the sandbox domain: the transition matrix (lifecycle.md §3),
completer (§4) and recycler (§5)."""

from __future__ import annotations

import re

import pytest
import sandbox_domain_support as support

from factpulse_chorus.sandbox._directory import CH_EXEMPLEVILLE_ID, VALIDATOR_ID
from factpulse_chorus.sandbox._domain import Domain
from factpulse_chorus.sandbox._records import recipient_targets

# == recipient transitions (lifecycle.md §3) =================================================

MATRIX_COLUMNS = [
    "MISE_A_DISPOSITION",
    "COMPLETEE",
    "PRISE_EN_COMPTE_DESTINATAIRE",
    "TRANSMISE_MOA",
    "SERVICE-FAIT",
    "MANDATEE",
    "MISE_A_DISPOSITION_COMPTABLE",
    "COMPTABILISEE",
    "MISE_EN_PAIEMENT",
    "SUSPENDUE",
    "REJETEE",
    "A_RECYCLER",
]
# Transcribed from the summary matrix of lifecycle.md §3: Y allowed, R reason needed, - refused.
MATRIX_ROWS = {
    "MISE_A_DISPOSITION": "--YYYYYYYRRY",
    "COMPLETEE": "--YYYYYYYRRY",
    "PRISE_EN_COMPTE_DESTINATAIRE": "---YYYYYYRRY",
    "TRANSMISE_MOA": "----YYYYYRRY",
    "SERVICE-FAIT": "-----YYYYRRY",
    "MANDATEE": "------YYY---",
    "MISE_A_DISPOSITION_COMPTABLE": "-------YY---",
    "COMPTABILISEE": "--------Y---",
    "SUSPENDUE": "YY--------R-",
    "A_RECYCLER": "------------",
    "REJETEE": "------------",
    "MISE_EN_PAIEMENT": "------------",
    "DEPOSEE": "------------",
    "EN_COURS_ACHEMINEMENT": "------------",
    "A_VALIDER_1": "------------",
    "VALIDEE_1": "------------",
    "REFUSEE_1": "------------",
}
MATRIX_CASES = [
    (current, target, row[index])
    for current, row in MATRIX_ROWS.items()
    for index, target in enumerate(MATRIX_COLUMNS)
]


@pytest.mark.parametrize(("current", "target", "rule"), MATRIX_CASES)
def test_recipient_matrix(current: str, target: str, rule: str) -> None:
    domain = support.make_domain()
    validators = (VALIDATOR_ID,) if "VALID" in current or "REFUS" in current else ()
    invoice_id = domain.seed_invoice(status=current, validators=validators)
    if rule == "R":
        refused = support.traiter(domain, invoice_id, target)
        assert support.is_error(refused), refused
        blank = support.traiter(domain, invoice_id, target, motifRejet="   ")
        assert support.is_error(blank), blank
        assert support.status_of(domain, invoice_id) == current
    reply = support.traiter(domain, invoice_id, target, motifRejet="Motif de test")
    if rule == "-":
        assert support.is_error(reply), reply
        assert support.status_of(domain, invoice_id) == current
        assert target not in recipient_targets(current)
    else:
        assert reply["codeRetour"] == 0, reply
        assert set(reply) == set(support.example("factures-traiter-facture-recue.response"))
        assert reply["nouveauStatut"] == target
        assert support.status_of(domain, invoice_id) == target


def test_traiter_example_and_reason(domain: Domain) -> None:
    invoice_id = support.delivered(domain)
    body = support.example("factures-traiter-facture-recue.request")
    body["identifiantFactureCPP"] = invoice_id
    reply = domain.factures_traiter_facture_recue(support.RECIPIENT_LOGIN, body)
    expected = support.example("factures-traiter-facture-recue.response")
    assert set(reply) == set(expected)
    assert {k: reply[k] for k in ("codeRetour", "nouveauStatut", "numeroFacture")} == {
        "codeRetour": 0,
        "nouveauStatut": "SUSPENDUE",
        "numeroFacture": reply["numeroFacture"],
    }
    assert reply["dateTraitement"] == "2025-03-10"
    item = support.supplier_listing(domain)[0]
    assert item["statut"] == "SUSPENDUE"
    assert item["commentaireEtatCourant"] == body["motifRejet"]
    last = domain.invoice_snapshot(invoice_id)["history"][-1]  # type: ignore[index]
    assert last["actor"] == "recipient"
    assert last["login"] == support.RECIPIENT_LOGIN
    assert last["comment"] == body["motifRejet"]


def test_traiter_service_fait_spellings_and_mandate(domain: Domain) -> None:
    invoice_id = support.delivered(domain)
    reply = support.traiter(domain, invoice_id, "SERVICE_FAIT")
    assert reply["codeRetour"] == 0
    assert reply["nouveauStatut"] == "SERVICE-FAIT"
    assert support.status_of(domain, invoice_id) == "SERVICE-FAIT"
    for spelling in ("SERVICE_FAIT", "SERVICE-FAIT"):
        found = support.supplier_listing(domain, statutCourant=[spelling])
        assert [i["identifiantFactureCPP"] for i in found] == [invoice_id]
    assert (
        support.traiter(domain, invoice_id, "MANDATEE", numeroDPMandat="DP-2025-77")["codeRetour"]
        == 0
    )
    assert domain.invoice_snapshot(invoice_id)["payment_mandate_number"] == "DP-2025-77"  # type: ignore[index]


def test_traiter_actor_and_unknown(domain: Domain) -> None:
    invoice_id = support.delivered(domain)
    assert support.traiter(domain, invoice_id, "MANDATEE", login=support.SUPPLIER_LOGIN) == {
        "codeRetour": 20001,
        "libelle": "GDP_MSG_11.005",
    }
    assert support.traiter(domain, 1111111, "MANDATEE") == {
        "codeRetour": 20000,
        "libelle": "GDP_MSG_11.008",
    }
    assert support.is_error(support.traiter(domain, invoice_id, "NOT_A_STATUS"))
    assert support.is_error(
        domain.factures_traiter_facture_recue("omni", {"nouveauStatut": "MANDATEE"})
    )
    assert support.status_of(domain, invoice_id) == "MISE_A_DISPOSITION"


# == completer (lifecycle.md §4) =============================================================


def suspended(domain: Domain) -> int:
    invoice_id = support.delivered(domain)
    assert (
        support.traiter(domain, invoice_id, "SUSPENDUE", motifRejet="Piece manquante")["codeRetour"]
        == 0
    )
    return invoice_id


def test_completer_requires_suspendue(domain: Domain) -> None:
    invoice_id = support.delivered(domain)
    body = {"identifiantFactureCPP": invoice_id, "commentaire": "ok"}
    assert domain.factures_completer("omni", body) == {
        "codeRetour": 20002,
        "libelle": "GDP_MSG_11.033",
    }
    assert domain.factures_completer("omni", {"identifiantFactureCPP": 1111111}) == {
        "codeRetour": 20000,
        "libelle": "GDP_MSG_11.008",
    }


def test_completer_rules(domain: Domain) -> None:
    invoice_id = suspended(domain)
    call = domain.factures_completer
    assert support.is_error(call("omni", {"identifiantFactureCPP": invoice_id}))
    assert support.is_error(
        call("omni", {"identifiantFactureCPP": invoice_id, "listePiecesJointes": []})
    )
    assert (
        call(support.SUPPLIER_LOGIN.replace("842", "843"), {"identifiantFactureCPP": invoice_id})[
            "codeRetour"
        ]
        != 0
    )
    assert call(
        support.RECIPIENT_LOGIN, {"identifiantFactureCPP": invoice_id, "commentaire": "x"}
    ) == {
        "codeRetour": 20001,
        "libelle": "GDP_MSG_11.005",
    }
    unknown = {"pieceJointeIdFichier": 1234567, "pieceJointeNom": "x.pdf"}
    assert support.is_error(
        call("omni", {"identifiantFactureCPP": invoice_id, "listePiecesJointes": [unknown]})
    )
    foreign = {
        "pieceJointeIdFichier": support.upload(domain, support.VALIDATOR_LOGIN),
        "pieceJointeNom": "x",
    }
    assert support.is_error(
        call("omni", {"identifiantFactureCPP": invoice_id, "listePiecesJointes": [foreign]})
    )
    assert support.status_of(domain, invoice_id) == "SUSPENDUE"

    body = support.example("factures-completer.request")
    body["identifiantFactureCPP"] = invoice_id
    attachment_id = support.upload(domain)
    body["listePiecesJointes"][0]["pieceJointeIdFichier"] = attachment_id
    reply = call("omni", body)
    assert set(reply) == set(support.example("factures-completer.response"))
    assert reply["codeRetour"] == 0
    assert re.fullmatch(r"2025-03-10 \d\d:\d\d", reply["dateTraitement"])
    snapshot = domain.invoice_snapshot(invoice_id)
    assert snapshot is not None
    assert snapshot["status"] == "MISE_A_DISPOSITION"
    assert snapshot["attachments"] == [attachment_id]
    assert snapshot["comment"] == body["commentaire"]


def test_completer_comment_only_and_completee_option() -> None:
    domain = support.make_domain(completer_status="COMPLETEE")
    invoice_id = suspended(domain)
    reply = domain.factures_completer(
        "omni", {"identifiantFactureCPP": invoice_id, "commentaire": "Voir courrier"}
    )
    assert reply["codeRetour"] == 0
    assert support.status_of(domain, invoice_id) == "COMPLETEE"
    assert support.traiter(domain, invoice_id, "SERVICE-FAIT")["codeRetour"] == 0


# == recycler (lifecycle.md §5) ==============================================================


def test_recycler(domain: Domain) -> None:
    invoice_id = support.delivered(domain)
    download = {"listeIdentifiantsFactureCPP": [invoice_id], "formatFichier": "PDF"}
    assert domain.factures_telecharger_groupe(support.RECIPIENT_LOGIN, download)["codeRetour"] == 0
    body = support.example("factures-recycler.request")
    body["identifiantFactureCPP"] = invoice_id
    assert support.is_error(domain.factures_recycler("omni", body))  # not A_RECYCLER yet
    assert support.traiter(domain, invoice_id, "A_RECYCLER")["codeRetour"] == 0
    assert support.traiter(domain, invoice_id, "MISE_A_DISPOSITION")["codeRetour"] != 0  # R-recycle

    assert support.is_error(domain.factures_recycler("omni", {"identifiantFactureCPP": invoice_id}))
    no_service = {"identifiantFactureCPP": invoice_id, "idStructureCPP": CH_EXEMPLEVILLE_ID}
    assert domain.factures_recycler("omni", no_service)["codeRetour"] != 0
    unknown = {"identifiantFactureCPP": invoice_id, "idStructureCPP": 99999999}
    assert domain.factures_recycler("omni", unknown)["codeRetour"] != 0
    inactive = next(s for s in domain.directory.structures() if not s.active)
    gone = {"identifiantFactureCPP": invoice_id, "idStructureCPP": inactive.structure_id}
    assert domain.factures_recycler("omni", gone)["codeRetour"] != 0
    assert domain.factures_recycler(support.RECIPIENT_LOGIN, body) == {
        "codeRetour": 20001,
        "libelle": "GDP_MSG_11.005",
    }
    assert support.status_of(domain, invoice_id) == "A_RECYCLER"

    domain.clock.advance(86400)
    reply = domain.factures_recycler("omni", body)
    assert set(reply) == set(support.example("factures-recycler.response"))
    assert reply["codeRetour"] == 0
    assert reply["statutFacture"] == "DEPOSEE"
    assert reply["dateDepot"] == "2025-03-11"
    assert reply["identifiantFactureCPP"] == invoice_id
    snapshot = domain.invoice_snapshot(invoice_id)
    assert snapshot is not None
    assert snapshot["recipient_structure_id"] == CH_EXEMPLEVILLE_ID
    assert snapshot["service_code"] == "SERV-ACHATS"
    assert snapshot["engagement_number"] == "EJ2025000387"
    assert snapshot["downloaded_by_recipient"] is False
    assert domain.factures_rechercher_destinataire(support.CH_LOGIN, {})["total"] == 0
    domain.clock.advance(support.ROUTED)
    assert support.status_of(domain, invoice_id) == "MISE_A_DISPOSITION"
    received = domain.factures_rechercher_destinataire(support.CH_LOGIN, {})
    assert [i["idFacture"] for i in received["listeFactures"]] == [invoice_id]
    assert received["listeFactures"][0]["factureTelechargeeParDestinataire"] is False
    assert domain.factures_rechercher_destinataire(support.RECIPIENT_LOGIN, {})["total"] == 0
