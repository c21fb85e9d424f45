"""Issue 13, item 21: the sandbox reads typed bodies as FastAPI does (pydantic 2, lax mode).

By default ``"123"`` or ``123.0`` is an integer and ``"true"``/``1`` a boolean, and the
handlers get the converted values; ``strict=True`` keeps refusing them (the project's own
suite runs strict to catch an SDK that sends the wrong JSON type). Raw HTTP on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import payloads
import pytest

from factpulse_chorus.sandbox import Sandbox

API = "/api/v1/chorus-pro/"
CREDENTIALS = {
    "pisteClientId": "3f2a9c1e-5b7d-4e8f-a6c2-91d0b4e7f123",
    "pisteClientSecret": "FAKE-piste-secret-8d41c2e9b7a6",
    "chorusProLogin": "TECH_84213765500010@cpro.fr",
    "chorusProPassword": "FAKE-cpro-password-Q7m2",
    "sandbox": True,
}
STRUCTURE = 25827464  # seed 0's first structure (examples/structures-consulter)


def example(name: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = payloads.example(f"{name}.request")
    body.update(changes)
    return body


async def post(
    session: aiohttp.ClientSession, sb: Sandbox, route: str, body: Any
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {sb.issue_token()}"}
    async with session.post(sb.url + API + route, json=body, headers=headers) as r:
        return r.status, await r.json()


@pytest.fixture
async def strict_sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(seed=0, strict=True) as sb:
        yield sb


LAX_ACCEPTED = [
    ("structures/consulter", {"structureId": str(STRUCTURE)}),
    ("structures/consulter", {"structureId": f" {STRUCTURE} "}),
    ("structures/consulter", {"structureId": float(STRUCTURE)}),
    ("structures/consulter", {"structureId": f"{STRUCTURE}.00"}),
    ("structures/rechercher", {"restrictPrivateStructures": "true"}),
    ("structures/rechercher", {"restrictPrivateStructures": "no"}),
    ("structures/rechercher", {"restrictPrivateStructures": 1}),
    ("structures/rechercher", {"restrictPrivateStructures": 0.0}),
    ("structures/rechercher", {"credentials": {**CREDENTIALS, "sandbox": "true"}}),
]  # fmt: skip


@pytest.mark.parametrize(("route", "changes"), LAX_ACCEPTED)
async def test_lax_values_are_accepted_by_default_and_refused_when_strict(
    session: aiohttp.ClientSession,
    sandbox: Sandbox,
    strict_sandbox: Sandbox,
    route: str,
    changes: dict[str, Any],
) -> None:
    body = example(route.replace("/", "-"), **changes)
    status, data = await post(session, sandbox, route, body)
    assert status == 200, data
    assert data["returnCode"] == 0
    status, data = await post(session, strict_sandbox, route, body)
    assert status == 422
    assert {e["type"] for e in data["detail"]} <= {"int_type", "int_parsing", "bool_type"}


async def test_handlers_get_the_converted_values(
    session: aiohttp.ClientSession, sandbox: Sandbox
) -> None:
    as_text = example("structures-consulter", structureId=str(STRUCTURE))
    status, data = await post(session, sandbox, "structures/consulter", as_text)
    assert status == 200
    assert data["structureId"] == STRUCTURE  # an int again, found like the int id
    as_int = example("structures-consulter", structureId=STRUCTURE)
    assert (await post(session, sandbox, "structures/consulter", as_int))[1] == data
    private = example("structures-rechercher", restrictPrivateStructures="yes")
    status, by_text = await post(session, sandbox, "structures/rechercher", private)
    typed = example("structures-rechercher", restrictPrivateStructures=True)
    assert (status, by_text) == (
        200,
        (await post(session, sandbox, "structures/rechercher", typed))[1],
    )


@pytest.mark.parametrize(
    ("route", "changes", "loc", "type_", "msg"),
    [
        ("structures/consulter", {"structureId": 1.5}, ["body", "structureId"],
         "int_from_float", "Input should be a valid integer, got a number with a fractional part"),
        ("structures/consulter", {"structureId": "12a"}, ["body", "structureId"],
         "int_parsing", "Input should be a valid integer, unable to parse string as an integer"),
        ("structures/consulter", {"structureId": "1.5"}, ["body", "structureId"],
         "int_parsing", "Input should be a valid integer, unable to parse string as an integer"),
        ("structures/consulter", {"structureId": [1]}, ["body", "structureId"],
         "int_type", "Input should be a valid integer"),
        ("structures/rechercher", {"restrictPrivateStructures": "peut-être"},
         ["body", "restrictPrivateStructures"],
         "bool_parsing", "Input should be a valid boolean, unable to interpret input"),
        ("structures/rechercher", {"restrictPrivateStructures": 2},
         ["body", "restrictPrivateStructures"],
         "bool_parsing", "Input should be a valid boolean, unable to interpret input"),
        ("structures/rechercher", {"companyName": 12}, ["body", "companyName"],
         "string_type", "Input should be a valid string"),
    ],
)  # fmt: skip
async def test_what_lax_mode_still_refuses(
    session: aiohttp.ClientSession,
    sandbox: Sandbox,
    route: str,
    changes: dict[str, Any],
    loc: list[Any],
    type_: str,
    msg: str,
) -> None:
    status, data = await post(session, sandbox, route, example(route.replace("/", "-"), **changes))
    assert status == 422
    assert data["detail"] == [{"loc": loc, "msg": msg, "type": type_}]
