"""Shared helpers of the sandbox HTTP tests (tests/sandbox/test_sandbox_http_*.py): the example
bodies, the 422 messages, and a raw HTTP client holding a token."""

from __future__ import annotations

import base64
from typing import Any

import aiohttp
import payloads

from factpulse_chorus.sandbox import Sandbox
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
