"""Every method of the structures, transverses and valideur groups, and what cuts across the
groups, against the strict sandbox, on both clients (the factures group:
test_client_endpoints_factures.py).

Each test runs twice: once on :class:`AsyncChorusClient`, once on the generated blocking
:class:`ChorusClient` (its calls made from a worker thread, as a blocking caller would).
The sandbox records the bodies it accepted, so the tests assert the exact JSON sent.
"""

from __future__ import annotations

import base64
import inspect
from collections.abc import Callable
from typing import Any

import pytest
from client_endpoints_support import PDF, RECIPIENT_ID, sent, submit

from factpulse_chorus import (
    AsyncChorusClient,
    ChorusClient,
    ChorusProBusinessError,
    ChorusProCredentials,
    InvoiceStatusCode,
    RequestValidationError,
    StructureNotFoundError,
    UnprocessableEntityError,
)
from factpulse_chorus.sandbox import Sandbox

RECIPIENT_SIRET = "21999012400014"

SECRET_PISTE = "piste-SECRET-4f9a1c"
SECRET_CPRO = "cpro-PASSWORD-77e2b0"


def zero_trust(
    client_id: str, login: str, make: Callable[..., ChorusProCredentials] = ChorusProCredentials
) -> ChorusProCredentials:
    """Zero-trust credentials (``make``: the class or one of its constructors) whose two
    secrets are SECRET_PISTE and SECRET_CPRO."""
    return make(
        piste_client_id=client_id,
        piste_client_secret=SECRET_PISTE,
        chorus_pro_login=login,
        chorus_pro_password=SECRET_CPRO,
    )


# Every method of the four groups that calls an endpoint, as a test below calls it.
ENDPOINTS = {
    "structures": ["rechercher", "consulter", "lister_services", "obtenir_id_depuis_siret"],
    "factures": [
        "soumettre",
        "consulter",
        "rechercher_fournisseur",
        "rechercher_destinataire",
        "telecharger_groupe",
        "traiter_facture_recue",
        "completer",
        "recycler",
    ],
    "transverses": ["ajouter_fichier"],
    "valideur": ["rechercher", "consulter", "traiter"],
}


def test_every_endpoint_is_a_coroutine_on_async_and_plain_on_blocking() -> None:
    async_client = AsyncChorusClient(base_url="http://127.0.0.1:9", email="x", password="y")
    with ChorusClient(base_url="http://127.0.0.1:9", email="x", password="y") as blocking:
        for group, names in ENDPOINTS.items():
            for name in names:
                assert inspect.iscoroutinefunction(getattr(getattr(async_client, group), name))
                method = getattr(getattr(blocking, group), name)
                assert callable(method)
                assert not inspect.iscoroutinefunction(method), name
    assert sum(map(len, ENDPOINTS.values())) == 16


# -- structures ---------------------------------------------------------------------------


async def test_structures_rechercher(api: Any, sandbox: Sandbox) -> None:
    result = await api.structures.rechercher(
        structure_identifier=RECIPIENT_SIRET, structure_identifier_type="SIRET"
    )
    assert sent(sandbox, "structures/rechercher") == {
        "structureIdentifier": RECIPIENT_SIRET,
        "structureIdentifierType": "SIRET",
    }
    assert result.total == 1
    [structure] = result.structures
    assert structure.structure_id == RECIPIENT_ID
    assert structure.structure_name == "COMMUNE DE SAINT-EXEMPLE"
    assert result.raw.status == 200
    assert result.raw.request_id
    assert result.raw.json["structures"][0]["structureId"] == RECIPIENT_ID


async def test_structures_consulter(api: Any, sandbox: Sandbox) -> None:
    result = await api.structures.consulter(RECIPIENT_ID, language_code="fr")
    assert sent(sandbox, "structures/consulter") == {
        "structureId": RECIPIENT_ID,
        "languageCode": "fr",
    }
    assert result.structure_identifier == RECIPIENT_SIRET
    assert result.vat_number == "FR38219990124"
    assert result.parameters is not None
    assert result.parameters.service_code_required is True
    assert result.parameters.engagement_number_required is False


async def test_structures_consulter_unknown_is_a_business_error(api: Any) -> None:
    with pytest.raises(ChorusProBusinessError) as info:
        await api.structures.consulter(99_999_999)
    assert info.value.return_code != 0
    assert info.value.body["returnCode"] == info.value.return_code


async def test_structures_lister_services(api: Any, sandbox: Sandbox) -> None:
    result = await api.structures.lister_services(RECIPIENT_ID)
    [entry] = sandbox.received("structures/services")
    assert entry["id"] == RECIPIENT_ID
    codes = {s.service_code: s.is_active for s in result.services}
    assert codes == {"FIN-001": True, "TECH-002": True, "CULT-OLD": False}
    assert result.total == 3


async def test_structures_lister_services_refuses_zero_trust(api: Any, sandbox: Sandbox) -> None:
    credentials = zero_trust("id", "login")
    with pytest.raises(RequestValidationError) as info:
        await api.structures.lister_services(RECIPIENT_ID, credentials=credentials)
    assert info.value.field == "credentials"
    assert sandbox.received() == []


async def test_structures_obtenir_id_depuis_siret(api: Any, sandbox: Sandbox) -> None:
    result = await api.structures.obtenir_id_depuis_siret(RECIPIENT_SIRET)
    assert sent(sandbox, "structures/obtenir-id-depuis-siret") == {"siret": RECIPIENT_SIRET}
    assert result.structure_id == RECIPIENT_ID
    assert result.structure_name == "COMMUNE DE SAINT-EXEMPLE"


async def test_obtenir_id_shared_siret_raises_not_found(api: Any, sandbox: Sandbox) -> None:
    shared = sandbox.domain.directory.shared_siret
    with pytest.raises(StructureNotFoundError) as info:
        await api.structures.obtenir_id_depuis_siret(shared)
    assert info.value.identifier == shared


async def test_obtenir_id_unknown_siret_raises_not_found(api: Any) -> None:
    with pytest.raises(StructureNotFoundError):
        await api.structures.obtenir_id_depuis_siret("73282932000074")


async def test_invalid_siret_is_refused_before_sending(api: Any, sandbox: Sandbox) -> None:
    with pytest.raises(RequestValidationError) as info:
        await api.structures.obtenir_id_depuis_siret("21999012400015")  # bad Luhn key
    assert info.value.field == "siret"
    assert "Luhn" in info.value.rule
    assert sandbox.received() == []


# -- transverses --------------------------------------------------------------------------


async def test_ajouter_fichier(api: Any, sandbox: Sandbox) -> None:
    result = await api.transverses.ajouter_fichier(PDF, name="F2025-0042_facturx.pdf")
    body = sent(sandbox, "transverses/ajouter-fichier")
    assert body == {
        "pieceJointeFichier": base64.b64encode(PDF).decode("ascii"),
        "pieceJointeNom": "F2025-0042_facturx.pdf",
        "pieceJointeTypeMime": "application/pdf",
        "pieceJointeExtension": "PDF",
    }
    assert isinstance(result.attachment_id, int)
    assert result.return_code == 0


async def test_ajouter_fichier_over_10_mib_is_refused_before_sending(
    api: Any, sandbox: Sandbox
) -> None:
    with pytest.raises(RequestValidationError) as info:
        await api.transverses.ajouter_fichier(b"\0" * (10 * 1024 * 1024 + 1), name="big.pdf")
    assert "10 MiB" in info.value.rule
    assert sandbox.received() == []


# -- valideur -----------------------------------------------------------------------------


async def test_validator_approves_and_refuses(api: Any, sandbox: Sandbox) -> None:
    approved = sandbox.domain.seed_invoice(invoice_number="ST-2025-009")
    refused = sandbox.domain.seed_invoice(invoice_number="ST-2025-010")

    found = await api.valideur.rechercher(
        validator_structure_id=31207718, status=["A_VALIDER_1"], page_size=10
    )
    assert sent(sandbox, "factures/valideur/rechercher") == {
        "idStructureValideur": 31207718,
        "statutCourant": ["A_VALIDER_1"],
        "pagination": {"pageResultatDemandee": 1, "nbResultatsParPage": 10},
    }
    assert {item.invoice_id for item in found.invoices} == {approved, refused}

    detail = await api.valideur.consulter(approved, language_code="FR")
    assert sent(sandbox, "factures/valideur/consulter") == {
        "idFacture": approved,
        "codeLangue": "FR",
    }
    assert detail.invoice.invoice_id == approved
    assert detail.invoice.invoice_number == "ST-2025-009"
    assert detail.invoice.status is InvoiceStatusCode.A_VALIDER_1

    ok = await api.valideur.traiter(approved, "VALIDATION", comment="Conforme")
    assert sent(sandbox, "factures/valideur/traiter") == {
        "idFacture": approved,
        "action": "VALIDATION",
        "complementInfo": "Conforme",
    }
    assert ok.invoice_id == approved
    assert ok.status is InvoiceStatusCode.VALIDEE_1

    with pytest.raises(RequestValidationError) as info:
        await api.valideur.traiter(refused, action="REFUS")
    assert info.value.field == "reason"
    no = await api.valideur.traiter(refused, action="REFUS", reason="Travaux non conformes")
    assert no.status is InvoiceStatusCode.REFUSEE_1
    assert no.status.is_final


async def test_validator_search_takes_every_declared_filter_and_refuses_others(
    api: Any, sandbox: Sandbox
) -> None:
    await api.valideur.rechercher(billing_framework={"codeCadreFacturation": "A9"})
    assert sent(sandbox, "factures/valideur/rechercher") == {
        "cadreFacturation": {"codeCadreFacturation": "A9"},
        "pagination": {"pageResultatDemandee": 1},
    }
    with pytest.raises(RequestValidationError) as info:
        await api.valideur.rechercher(statut_courant=["A_VALIDER_1"])  # type: ignore[call-arg]
    assert info.value.field == "statut_courant"
    assert "valideur.rechercher" in info.value.rule
    assert len(sandbox.received("factures/valideur/rechercher")) == 1  # nothing more sent


# -- cross-cutting ------------------------------------------------------------------------


async def test_zero_trust_credentials_go_in_the_body(api: Any, sandbox: Sandbox) -> None:
    credentials = zero_trust("3f2a9c1e", "TECH_84213765500010@cpro.fr")
    await api.structures.consulter(RECIPIENT_ID, credentials=credentials)
    assert sent(sandbox, "structures/consulter")["credentials"] == {
        "pisteClientId": "3f2a9c1e",
        "pisteClientSecret": "***",  # masked by the sandbox journal
        "chorusProLogin": "TECH_84213765500010@cpro.fr",
        "chorusProPassword": "***",
        "sandbox": True,
    }
    production = zero_trust("a", "b", ChorusProCredentials.production)
    assert SECRET_PISTE not in repr(production)
    assert SECRET_CPRO not in repr(production)
    await api.structures.consulter(RECIPIENT_ID, credentials=production)
    assert sent(sandbox, "structures/consulter")["credentials"]["sandbox"] is False


async def test_actor_checks_with_zero_trust_logins(api: Any) -> None:
    invoice_id = await submit(api, "F-ACTOR-1")
    validator = zero_trust("x", "TECH_90315528100012@cpro.fr")
    with pytest.raises(ChorusProBusinessError) as info:
        await api.factures.traiter_facture_recue(
            invoice_id, new_status="MANDATEE", credentials=validator
        )
    assert info.value.return_code == 20001


async def test_strict_sandbox_rejects_an_unknown_extra_key(api: Any) -> None:
    with pytest.raises(UnprocessableEntityError) as info:
        await api.factures.recycler(1, extra={"codeServiceTypo": "X"})
    assert info.value.status_code == 422
    assert info.value.errors[0]["type"] == "extra_forbidden"


def test_both_clients_expose_the_same_methods() -> None:
    def public(obj: Any) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = {}
        for group in ("structures", "factures", "transverses", "valideur"):
            cls = type(getattr(obj, group))
            groups[group] = sorted(n for n in dir(cls) if not n.startswith("_"))
        return groups

    async_client = AsyncChorusClient(base_url="http://127.0.0.1:9", token="t")
    sync_client = ChorusClient(base_url="http://127.0.0.1:9", token="t")
    try:
        assert public(async_client) == public(sync_client)
        expected = {
            "structures": ["consulter", "lister_services", "obtenir_id_depuis_siret", "rechercher"],
            "transverses": ["ajouter_fichier"],
        }
        for group, names in expected.items():
            assert set(names) <= set(public(async_client)[group])
    finally:
        sync_client.close()


async def test_payment_path_to_a_final_status(api: Any) -> None:
    invoice_id = await submit(api, "F-PAY-1")
    for status in ("PRISE_EN_COMPTE_DESTINATAIRE", "SERVICE-FAIT", "MANDATEE", "MISE_EN_PAIEMENT"):
        result = await api.factures.traiter_facture_recue(invoice_id, new_status=status)
        assert result.new_status is not None
        assert result.new_status.value == status
    final = await api.factures.consulter(invoice_id)
    assert final.status is not None
    assert final.status.code is InvoiceStatusCode.MISE_EN_PAIEMENT
    assert final.status.code.is_final


async def test_a_submission_without_its_pdf_is_logged(
    api: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="factpulse_chorus"):
        await submit(api, "F-NOPDF-1")
    assert any("no attachment_id" in r.getMessage() for r in caplog.records)
