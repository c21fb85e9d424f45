"""The sandbox's HTTP layer around the domain: zero-trust credentials (stripped, selecting the
login), unknown routes and methods, request ids, control routes."""

from __future__ import annotations

import copy
from typing import Any

import aiohttp
from sandbox_http_support import API, CREDENTIALS, SECRET_VALUES, Client

from factpulse_chorus.sandbox import Sandbox


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
