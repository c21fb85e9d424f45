"""The sandbox over HTTP: every endpoint with the example bodies, business errors counted."""

from __future__ import annotations

import aiohttp
import pytest
from sandbox_http_support import SECRET_VALUES, Client, attachment_body, example

from factpulse_chorus.sandbox import Sandbox

# --- Every endpoint with the example bodies ---------------------------------------------------


@pytest.mark.parametrize("strict", [False, True])
async def test_every_endpoint_with_the_examples(
    session: aiohttp.ClientSession, strict: bool
) -> None:
    async with Sandbox(seed=0, strict=strict) as sb:
        c = Client(session, sb)

        data = await c.ok("structures/rechercher", example("structures/rechercher"))
        assert data["structures"][0]["structureId"] == 25827464
        assert set(data["structures"][0]) == {
            "structureId",
            "structureIdentifier",
            "structureName",
            "structureIdentifierType",
            "status",
        }
        data = await c.ok("structures/consulter", example("structures/consulter"))
        assert data["structureIdentifier"] == "21999012400014"
        assert data["parameters"]["serviceCodeRequired"] is True
        status, data = await c.services(25827464)
        assert status == 200
        assert [s["serviceCode"] for s in data["services"]] == ["FIN-001", "TECH-002", "CULT-OLD"]
        status, data = await c.post(
            "structures/obtenir-id-depuis-siret", example("structures/obtenir-id-depuis-siret")
        )
        assert (status, data["structureId"]) == (200, 25827464)

        # The example's base64 is shortened with "..." (not decodable): send a real file.
        upload = await c.ok("transverses/ajouter-fichier", attachment_body())
        attachment = upload["pieceJointeIdFichier"]
        assert isinstance(attachment, int)
        data = await c.ok(
            "factures/soumettre", example("factures/soumettre", mainAttachmentId=attachment)
        )
        invoice = data["chorusInvoiceId"]
        assert isinstance(invoice, int)
        assert sb.invoice_count() == 1
        data = await c.ok("factures/consulter", {"chorusInvoiceId": invoice})
        assert data["invoiceNumber"] == "F2025-0042"
        assert data["recipientStructureId"] == 25827464

        data = await c.ok(
            "factures/rechercher-fournisseur", example("factures/rechercher-fournisseur")
        )
        assert "listeFactures" in data
        assert "parametresRetour" in data
        data = await c.ok("factures/rechercher-fournisseur", {})
        assert [i["identifiantFactureCPP"] for i in data["listeFactures"]] == [invoice]
        data = await c.ok(
            "factures/rechercher-destinataire", example("factures/rechercher-destinataire")
        )
        assert "listeFactures" in data
        assert {"pageCourante", "pages", "nbResultatsParPage", "total"} <= set(data)

        sb.clock.advance(24 * 3600)  # routing done: MISE_A_DISPOSITION
        data = await c.ok(
            "factures/traiter-facture-recue",
            example("factures/traiter-facture-recue", identifiantFactureCPP=invoice),
        )
        assert data["nouveauStatut"] == "SUSPENDUE"
        extra = await c.ok("transverses/ajouter-fichier", attachment_body())
        body = example("factures/completer", identifiantFactureCPP=invoice)
        body["listePiecesJointes"][0]["pieceJointeIdFichier"] = extra["pieceJointeIdFichier"]
        data = await c.ok("factures/completer", body)
        assert data["identifiantFactureCPP"] == invoice
        data = await c.ok(
            "factures/telecharger-groupe",
            example("factures/telecharger-groupe", listeIdentifiantsFactureCPP=[invoice]),
        )
        assert isinstance(data["fichierBase64"], str)
        await c.ok(
            "factures/traiter-facture-recue",
            {"identifiantFactureCPP": invoice, "nouveauStatut": "A_RECYCLER"},
        )
        data = await c.ok(
            "factures/recycler", example("factures/recycler", identifiantFactureCPP=invoice)
        )
        assert data["identifiantFactureCPP"] == invoice
        assert isinstance(data["statutFacture"], str)

        async with session.post(sb.url + "/_sandbox/invoices", json={}) as r:
            assert r.status == 200
            validated = (await r.json())["id"]
        data = await c.ok("factures/valideur/rechercher", example("factures/valideur/rechercher"))
        assert "listeFactures" in data
        data = await c.ok("factures/valideur/rechercher", {"idStructureValideur": 31207718})
        assert validated in [i["idFacture"] for i in data["listeFactures"]]
        data = await c.ok("factures/valideur/consulter", {"idFacture": validated})
        assert data["facture"]["statutFacture"] == "A_VALIDER_1"
        data = await c.ok(
            "factures/valideur/traiter", example("factures/valideur/traiter", idFacture=validated)
        )
        assert data["statutFacture"] == "VALIDEE_1"

        requests = sb.stats()["requests"]
        assert all(
            "422" not in outcomes and "401" not in outcomes for outcomes in requests.values()
        )
        assert len(requests) == 16
        for text in c.texts:
            assert not any(secret in text for secret in SECRET_VALUES)


async def test_business_errors_are_counted(
    session: aiohttp.ClientSession, sandbox: Sandbox
) -> None:
    c = Client(session, sandbox)
    status, data = await c.post("factures/consulter", {"chorusInvoiceId": 1})
    assert status == 200
    assert data["returnCode"] != 0
    status, data = await c.services(99999999)
    assert status == 200
    assert data["returnCode"] != 0
    status, data = await c.post("structures/obtenir-id-depuis-siret", {"siret": "00000000000000"})
    assert (status, data["structureId"]) == (200, 0)
    requests = sandbox.stats()["requests"]
    assert requests["factures/consulter"] == {"business_error": 1}
    assert requests["structures/services"] == {"business_error": 1}
    assert requests["structures/obtenir-id-depuis-siret"] == {"business_error": 1}
