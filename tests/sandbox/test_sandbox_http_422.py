"""The sandbox's 422 validation over HTTP: the example body exactly, typed and untyped routes,
invalid JSON, path ids, strict mode."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from sandbox_http_support import (
    API,
    BOOL,
    CREDENTIALS,
    EXTRA,
    INT,
    INT_PARSING,
    MISSING,
    SECRET_VALUES,
    STRING,
    TYPED_ROUTES,
    UNTYPED_ROUTES,
    Client,
    err,
    example,
)

from factpulse_chorus.sandbox import Sandbox

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
