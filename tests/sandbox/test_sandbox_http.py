"""Sandbox HTTP layer: every endpoint, 422 validation, zero-trust credentials, control routes,
runners (async, threaded, pytest fixture, standalone process)."""

from __future__ import annotations

import asyncio
import base64
import copy
import os
import signal
import subprocess
import sys
import threading
from typing import Any

import aiohttp
import payloads
import pytest

from factpulse_chorus.sandbox import Sandbox, sandbox_in_thread
from factpulse_chorus.sandbox._faults import API_ROUTES

API = "/api/v1/chorus-pro/"

SECRET_VALUES = ("FAKE-piste-secret-8d41c2e9b7a6", "FAKE-cpro-password-Q7m2")
CREDENTIALS = {
    "pisteClientId": "3f2a9c1e-5b7d-4e8f-a6c2-91d0b4e7f123",
    "pisteClientSecret": SECRET_VALUES[0],
    "chorusProLogin": "TECH_84213765500010@cpro.fr",
    "chorusProPassword": SECRET_VALUES[1],
    "sandbox": True,
}

TYPED_ROUTES = [
    "structures/rechercher",
    "structures/consulter",
    "structures/obtenir-id-depuis-siret",
    "factures/soumettre",
    "factures/consulter",
]
# The other POST routes, in the sandbox's own order (structures/services is a GET).
UNTYPED_ROUTES = [r for r in API_ROUTES if r not in {*TYPED_ROUTES, "structures/services"}]


def example(route: str, **changes: Any) -> dict[str, Any]:
    """The request example of ``route`` (tests/data/examples/), with ``changes`` applied."""
    name = route.replace("factures/valideur/", "valideur/").replace("/", "-")
    body: dict[str, Any] = payloads.example(f"{name}.request")
    body.update(changes)
    return body


def attachment_body() -> dict[str, Any]:
    pdf = b"%PDF-1.7\n1 0 obj <</Type/Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
    return example("transverses/ajouter-fichier", pieceJointeFichier=base64.b64encode(pdf).decode())


def err(loc: list[Any], type_: str, msg: str) -> dict[str, Any]:
    return {"loc": loc, "msg": msg, "type": type_}


MISSING = "Field required"
INT = "Input should be a valid integer"
INT_PARSING = "Input should be a valid integer, unable to parse string as an integer"
STRING = "Input should be a valid string"
BOOL = "Input should be a valid boolean"
EXTRA = "Extra inputs are not permitted"


class Client:
    """Raw HTTP against one sandbox with a token."""

    def __init__(self, session: aiohttp.ClientSession, sb: Sandbox) -> None:
        self.session = session
        self.sb = sb
        self.headers = {"Authorization": f"Bearer {sb.issue_token()}"}
        self.texts: list[str] = []

    async def post(
        self, route: str, body: Any = None, *, data: bytes | None = None
    ) -> tuple[int, Any]:
        async with self.session.post(
            self.sb.url + API + route, json=body, data=data, headers=self.headers
        ) as r:
            assert r.headers["X-Request-ID"]
            self.texts.append(await r.text())
            return r.status, await r.json()

    async def ok(self, route: str, body: Any) -> dict[str, Any]:
        status, data = await self.post(route, body)
        assert status == 200, data
        code = data.get("returnCode", data.get("codeRetour", 0))
        assert code == 0, (route, data)
        return data  # type: ignore[no-any-return]

    async def services(self, structure_id: str | int) -> tuple[int, Any]:
        url = f"{self.sb.url}{API}structures/{structure_id}/services"
        async with self.session.get(url, headers=self.headers) as r:
            return r.status, await r.json()


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


# --- 422 --------------------------------------------------------------------------------------


async def test_example_422_body_exactly(session: aiohttp.ClientSession, sandbox: Sandbox) -> None:
    body = example("factures/soumettre", structureId="COMMUNE", credentials=dict(CREDENTIALS))
    del body["invoiceDate"]
    del body["credentials"]["pisteClientSecret"]
    status, data = await Client(session, sandbox).post("factures/soumettre", body)
    assert status == 422
    # examples/error-422.response.json
    assert data == {
        "detail": [
            err(["body", "invoiceDate"], "missing", MISSING),
            err(["body", "structureId"], "int_parsing", INT_PARSING),
            err(["body", "credentials", "pisteClientSecret"], "missing", MISSING),
        ]
    }
    assert sandbox.invoice_count() == 0
    assert sandbox.stats()["requests"]["factures/soumettre"] == {"422": 1}


TYPED_422_CASES = [
    ("factures/consulter", {}, [err(["body", "chorusInvoiceId"], "missing", MISSING)]),
    (
        "factures/consulter",
        {"chorusInvoiceId": "12"},
        [err(["body", "chorusInvoiceId"], "int_type", INT)],
    ),
    (
        "factures/consulter",
        {"chorusInvoiceId": True},
        [err(["body", "chorusInvoiceId"], "int_type", INT)],
    ),
    (
        "factures/consulter",
        {"chorusInvoiceId": 1.5},
        [err(["body", "chorusInvoiceId"], "int_type", INT)],
    ),
    (
        "factures/consulter",
        {"chorusInvoiceId": None},
        [err(["body", "chorusInvoiceId"], "int_type", INT)],
    ),
    (
        "factures/consulter",
        {"chorusInvoiceId": "abc"},
        [err(["body", "chorusInvoiceId"], "int_parsing", INT_PARSING)],
    ),
    (
        "structures/consulter",
        {"structureId": 1, "languageCode": 5},
        [err(["body", "languageCode"], "string_type", STRING)],
    ),
    (
        "structures/rechercher",
        {"restrictPrivateStructures": 1, "structureIdentifier": 21999012400014},
        [
            err(["body", "structureIdentifier"], "string_type", STRING),
            err(["body", "restrictPrivateStructures"], "bool_type", BOOL),
        ],
    ),
    (
        "structures/rechercher",
        {"restrictPrivateStructures": "true"},
        [err(["body", "restrictPrivateStructures"], "bool_type", BOOL)],
    ),
    (
        "structures/obtenir-id-depuis-siret",
        {"identifierType": None},
        [
            err(["body", "siret"], "missing", MISSING),
            err(["body", "identifierType"], "string_type", STRING),
        ],
    ),
    (
        "factures/soumettre",
        example("factures/soumettre", totalNetAmount=True, vatAmount=None, mainAttachmentId="x"),
        [
            err(
                ["body", "totalNetAmount", "float"], "float_type", "Input should be a valid number"
            ),
            err(["body", "totalNetAmount", "str"], "string_type", STRING),
            err(["body", "vatAmount", "float"], "float_type", "Input should be a valid number"),
            err(["body", "vatAmount", "str"], "string_type", STRING),
            err(["body", "mainAttachmentId"], "int_parsing", INT_PARSING),
        ],
    ),
    (
        "structures/consulter",
        {"structureId": 1, "credentials": "token"},
        [
            err(
                ["body", "credentials"],
                "model_attributes_type",
                "Input should be a valid dictionary or object to extract fields from",
            )
        ],
    ),
    (
        "structures/consulter",
        {"structureId": 1, "credentials": {**CREDENTIALS, "pisteClientId": 7, "sandbox": "yes"}},
        [
            err(["body", "credentials", "pisteClientId"], "string_type", STRING),
            err(["body", "credentials", "sandbox"], "bool_type", BOOL),
        ],
    ),
    (
        "factures/consulter",
        [1, 2],
        [
            err(
                ["body"],
                "model_attributes_type",
                "Input should be a valid dictionary or object to extract fields from",
            )
        ],
    ),
    ("factures/consulter", None, [err(["body"], "missing", MISSING)]),
]


@pytest.mark.parametrize(("route", "body", "detail"), TYPED_422_CASES)
async def test_typed_422(
    session: aiohttp.ClientSession, route: str, body: Any, detail: Any
) -> None:
    # Strict types: the default (lax, like FastAPI) mode is in test_sandbox_lax.py.
    async with Sandbox(seed=0, strict=True) as sandbox:
        c = Client(session, sandbox)
        # None -> no body at all; the JSON literal null gives the same answer.
        payloads = [b"", b"null"] if body is None else [None]
        for data in payloads:
            status, response = await c.post(route, body, data=data)
            assert status == 422
            assert response == {"detail": detail}
    assert not any(secret in text for text in c.texts for secret in SECRET_VALUES)


@pytest.mark.parametrize(
    "body",
    [
        example("factures/soumettre", paymentDueDate=None, serviceCode=None, comment=None),
        example(
            "factures/soumettre", totalNetAmount=1042.08, vatAmount=208.42, totalGrossAmount=1250.5
        ),
        example("structures/obtenir-id-depuis-siret", credentials=None),
    ],
)
async def test_nullable_and_number_amounts_accepted(
    session: aiohttp.ClientSession, sandbox: Sandbox, body: dict[str, Any]
) -> None:
    route = "structures/obtenir-id-depuis-siret" if "siret" in body else "factures/soumettre"
    body.pop("mainAttachmentId", None)
    status, _ = await Client(session, sandbox).post(route, body)
    assert status == 200


@pytest.mark.parametrize("route", UNTYPED_ROUTES)
async def test_untyped_bodies_must_be_objects(
    session: aiohttp.ClientSession, sandbox: Sandbox, route: str
) -> None:
    c = Client(session, sandbox)
    for body in ([example(route)], "text", 12):
        status, data = await c.post(route, body)
        assert (status, data) == (
            422,
            {"detail": [err(["body"], "dict_type", "Input should be a valid dictionary")]},
        )
    status, data = await c.post(route, data=b"")
    assert (status, data) == (422, {"detail": [err(["body"], "missing", MISSING)]})
    # Lax mode: the keys inside are not validated.
    status, _ = await c.post(route, {"anything": [1, {"x": None}]})
    assert status == 200


@pytest.mark.parametrize("route", TYPED_ROUTES + UNTYPED_ROUTES)
async def test_invalid_json_422(
    session: aiohttp.ClientSession, sandbox: Sandbox, route: str
) -> None:
    status, data = await Client(session, sandbox).post(route, data=b'{"a": 1,, }')
    assert status == 422
    assert data["detail"][0]["loc"] == ["body", 8]
    assert data["detail"][0]["type"] == "json_invalid"
    assert data["detail"][0]["msg"] == "JSON decode error"


async def test_invalid_json_comes_before_auth(
    session: aiohttp.ClientSession, sandbox: Sandbox
) -> None:
    async with session.post(sandbox.url + API + "factures/consulter", data=b"{") as r:
        assert r.status == 422  # FastAPI decodes the body before the security dependency
    async with session.post(sandbox.url + API + "factures/consulter", json={}) as r:
        assert r.status == 401  # ... but checks auth before validating it


@pytest.mark.parametrize("segment", ["abc", "1.5", "25827464x"])
async def test_path_id_not_int_422(
    session: aiohttp.ClientSession, sandbox: Sandbox, segment: str
) -> None:
    status, data = await Client(session, sandbox).services(segment)
    assert (status, data) == (
        422,
        {"detail": [err(["path", "id_structure_cpp"], "int_parsing", INT_PARSING)]},
    )
    assert sandbox.stats()["requests"]["structures/services"] == {"422": 1}


async def test_strict_mode_extra_and_types(session: aiohttp.ClientSession) -> None:
    async with Sandbox(strict=True) as sb:
        c = Client(session, sb)
        status, data = await c.post(
            "factures/consulter",
            {"chorusInvoiceId": 1, "invoiceId": 1, "credentials": {**CREDENTIALS, "x": 1}},
        )
        assert (status, data["detail"]) == (
            422,
            [
                err(["body", "credentials", "x"], "extra_forbidden", EXTRA),
                err(["body", "invoiceId"], "extra_forbidden", EXTRA),
            ],
        )
        status, data = await c.post(
            "factures/telecharger-groupe",
            {
                "listeIdentifiantsFactureCPP": ["a", 2, "3"],
                "inclurePiecesJointes": "yes",
                "formatFichier": None,
                "identifiantFactureCPP": 1,
            },
        )
        assert (status, data["detail"]) == (
            422,
            [
                err(["body", "listeIdentifiantsFactureCPP", 0], "int_parsing", INT_PARSING),
                err(["body", "listeIdentifiantsFactureCPP", 2], "int_type", INT),
                err(["body", "inclurePiecesJointes"], "bool_type", BOOL),
                err(["body", "identifiantFactureCPP"], "extra_forbidden", EXTRA),
            ],
        )
        status, data = await c.post(
            "factures/completer",
            {
                "identifiantFactureCPP": 1,
                "listePiecesJointes": [{"pieceJointeIdFichier": "9", "pieceJointeNom": "a.pdf"}],
                "credentials": {"pisteClientId": "x"},
            },
        )
        locs = [e["loc"] for e in data["detail"]]
        assert status == 422
        assert ["body", "listePiecesJointes", 0, "pieceJointeIdFichier"] in locs
        assert ["body", "credentials", "chorusProPassword"] in locs
        # Native keys and credentials are allowed keys.
        status, _ = await c.post(
            "factures/valideur/consulter",
            {
                "idFacture": 1,
                "codeLangue": "FR",
                "idUtilisateurCourant": 3,
                "credentials": CREDENTIALS,
            },
        )
        assert status == 200


class Spy:
    """Wraps a domain method to record what the HTTP layer passed."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[tuple[str, Any]] = []

    def __call__(self, login: str, body: Any) -> Any:
        self.calls.append((login, copy.deepcopy(body)))
        return self.inner(login, body)


async def test_credentials_are_stripped_and_select_the_login(
    session: aiohttp.ClientSession,
) -> None:
    sb = Sandbox()
    spies = {}
    for name in ("structures_consulter", "factures_completer"):
        spies[name] = Spy(getattr(sb.domain, name))
        setattr(sb.domain, name, spies[name])
    async with sb:
        c = Client(session, sb)
        await c.post(
            "structures/consulter", {"structureId": 25827464, "credentials": CREDENTIALS, "x": 1}
        )
        await c.post("structures/consulter", {"structureId": 25827464, "credentials": None})
        await c.post("factures/completer", {"identifiantFactureCPP": 1, "credentials": CREDENTIALS})
        bad = {k: v for k, v in CREDENTIALS.items() if k != "pisteClientSecret"}
        await c.post("factures/completer", {"identifiantFactureCPP": 1, "credentials": bad})
    consulter = spies["structures_consulter"].calls
    assert consulter == [
        ("TECH_84213765500010@cpro.fr", {"structureId": 25827464, "languageCode": "fr"}),
        ("omni", {"structureId": 25827464, "languageCode": "fr"}),
    ]
    completer = spies["factures_completer"].calls
    assert completer == [
        ("TECH_84213765500010@cpro.fr", {"identifiantFactureCPP": 1}),
        ("omni", {"identifiantFactureCPP": 1}),  # malformed: ignored (lax), still stripped
    ]
    for text in c.texts:
        assert not any(secret in text for secret in SECRET_VALUES)


async def test_account_stored_login(session: aiohttp.ClientSession) -> None:
    from factpulse_chorus.sandbox import Account

    sb = Sandbox(accounts=[Account("alice", "pw", chorus_login="TECH_21999012400014@cpro.fr")])
    spy = Spy(sb.domain.structures_rechercher)
    sb.domain.structures_rechercher = spy
    async with sb:
        c = Client.__new__(Client)
        c.session, c.sb, c.texts = session, sb, []
        c.headers = {"Authorization": f"Bearer {sb.issue_token('alice')}"}
        assert (await c.post("structures/rechercher", {}))[0] == 200
    assert spy.calls == [("TECH_21999012400014@cpro.fr", {"restrictPrivateStructures": False})]


# --- Other HTTP behaviour ---------------------------------------------------------------------


async def test_not_found_and_method_not_allowed(
    session: aiohttp.ClientSession, sandbox: Sandbox
) -> None:
    async with session.get(sandbox.url + "/nope") as r:
        assert (r.status, await r.json()) == (404, {"detail": "Not Found"})
        assert r.headers["X-Request-ID"]
    async with session.get(sandbox.url + API + "factures/soumettre") as r:
        assert (r.status, await r.json()) == (405, {"detail": "Method Not Allowed"})
    async with session.post(sandbox.url + API + "structures/1/services") as r:
        assert r.status == 405


async def test_request_ids_are_unique(session: aiohttp.ClientSession, sandbox: Sandbox) -> None:
    ids = set()
    for _ in range(5):
        async with session.get(sandbox.url + "/_sandbox/stats") as r:
            ids.add(r.headers["X-Request-ID"])
    assert len(ids) == 5


async def test_control_routes(session: aiohttp.ClientSession, sandbox: Sandbox) -> None:
    before = sandbox.clock.now()
    async with session.post(sandbox.url + "/_sandbox/clock/advance", json={"seconds": 7200}) as r:
        assert r.status == 200
        assert "now" in await r.json()
    assert (sandbox.clock.now() - before).total_seconds() >= 7200
    async with session.post(sandbox.url + "/_sandbox/clock/advance", json={"seconds": "1"}) as r:
        assert r.status == 400
    async with session.post(
        sandbox.url + "/_sandbox/invoices", json={"status": "A_VALIDER_1", "invoice_number": "ST-1"}
    ) as r:
        assert r.status == 200
        invoice = (await r.json())["id"]
    assert sandbox.invoice_count() == 1
    async with session.get(f"{sandbox.url}/_sandbox/invoices/{invoice}") as r:
        assert r.status == 200
        assert isinstance(await r.json(), dict)
    async with session.get(f"{sandbox.url}/_sandbox/invoices/1") as r:
        assert r.status == 404
    async with session.post(sandbox.url + "/_sandbox/invoices", json={"no_such_option": 1}) as r:
        assert r.status == 400
    async with session.get(sandbox.url + "/_sandbox/stats") as r:
        stats = await r.json()
    assert set(stats) == {
        "requests",
        "invoices_created",
        "attachments_created",
        "logins",
        "login_failures",
    }


# --- Runners ----------------------------------------------------------------------------------


async def _hit(url: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as s:
        async with s.post(url + "/api/token/", json={"username": "demo", "password": "demo"}) as r:
            token = (await r.json())["access"]
        headers = {"Authorization": f"Bearer {token}"}
        async with s.post(
            url + API + "factures/consulter", json={"chorusInvoiceId": 1}, headers=headers
        ) as r:
            return r.status, await r.json()


def test_sandbox_in_thread_from_sync_code() -> None:
    with sandbox_in_thread(seed=1, token_lifetime=60) as sb:
        assert sb.url.startswith("http://127.0.0.1:")
        invoice = sb.domain.seed_invoice(status="A_VALIDER_1")  # runs on the sandbox loop
        assert sb.invoice_count() == 1
        before = sb.clock.now()
        sb.clock.advance(3600)
        assert (sb.clock.now() - before).total_seconds() >= 3600
        status, _ = asyncio.run(_hit(sb.url))
        assert status == 200
        assert sb.domain.invoice_snapshot(invoice) is not None
        from factpulse_chorus.sandbox import Fault

        sb.add_fault(Fault("status", status=503, route="factures/consulter"))
        assert asyncio.run(_hit(sb.url))[0] == 503
        sb.clear_faults()
        assert sb.faults == []
        stats = sb.stats()
        assert stats["logins"] == 2
        assert stats["requests"]["factures/consulter"] == {
            "business_error": 1,
            "fault:status:503": 1,
        }
    assert not any(t.name == "chorus-sandbox" and t.is_alive() for t in threading.enumerate())


async def test_sandbox_in_thread_from_async_code() -> None:
    with sandbox_in_thread() as sb:
        status, data = await _hit(sb.url)
        assert status == 200
        assert data["returnCode"] != 0


def test_chorus_sandbox_fixture_sync(chorus_sandbox: Any) -> None:
    status, _ = asyncio.run(_hit(chorus_sandbox.url))
    assert status == 200
    assert chorus_sandbox.stats()["logins"] == 1


@pytest.mark.chorus_sandbox(strict=True, seed=5)
async def test_chorus_sandbox_fixture_async_with_marker(chorus_sandbox: Any) -> None:
    assert chorus_sandbox.strict is True
    assert (await _hit(chorus_sandbox.url))[0] == 200


async def test_chorus_sandbox_factory(chorus_sandbox_factory: Any) -> None:
    first = chorus_sandbox_factory(seed=1)
    second = chorus_sandbox_factory(seed=2, strict=True)
    assert first.url != second.url
    assert not first.strict
    assert second.strict
    assert (await _hit(second.url))[0] == 200


def test_standalone_server_stops_on_sigint_and_sigterm() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for sig in (signal.SIGINT, signal.SIGTERM):
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "factpulse_chorus.sandbox",
                "--port",
                "0",
                "--seed",
                "3",
                "--fault",
                "latency:delay=0.01",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            assert proc.stdout is not None
            assert proc.stderr is not None
            first = proc.stdout.readline()
            assert "listening on http://127.0.0.1:" in first, first + proc.stderr.read()
            url = first.rsplit(" ", 1)[1].strip()
            assert "username 'demo', password 'demo'" in proc.stdout.readline()
            assert asyncio.run(_hit(url))[0] == 200
            proc.send_signal(sig)
            out, err_text = proc.communicate(timeout=10)
            assert proc.returncode == 0, err_text
            assert "Sandbox stopped." in out
            assert "Traceback" not in err_text
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


def test_standalone_rejects_bad_fault_spec() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "factpulse_chorus.sandbox", "--fault", "explode"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "unknown fault kind" in result.stderr
