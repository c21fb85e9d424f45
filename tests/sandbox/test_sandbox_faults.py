"""Sandbox fault injection, seen from a raw aiohttp client."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

import aiohttp
import pytest

from factpulse_chorus.sandbox import Fault, Sandbox
from factpulse_chorus.sandbox._faults import FaultInjector

API = "/api/v1/chorus-pro/"
_numbers = itertools.count(1)


def invoice_body() -> dict[str, Any]:
    """A valid submission (examples/factures-soumettre.request.json, no attachment)."""
    return {
        "invoiceNumber": f"F2025-T{next(_numbers):04d}",
        "invoiceDate": "2025-03-10",
        "paymentDueDate": "2025-04-09",
        "structureId": 25827464,
        "serviceCode": "FIN-001",
        "totalNetAmount": "1042.08",
        "vatAmount": "208.42",
        "totalGrossAmount": "1250.50",
        "comment": "Maintenance du site web - fevrier 2025",
    }


def auth(sb: Sandbox) -> dict[str, str]:
    return {"Authorization": f"Bearer {sb.issue_token()}"}


async def submit(session: aiohttp.ClientSession, sb: Sandbox) -> tuple[int, Any]:
    async with session.post(
        sb.url + API + "factures/soumettre", json=invoice_body(), headers=auth(sb)
    ) as r:
        return r.status, await r.json()


async def consult(session: aiohttp.ClientSession, sb: Sandbox, **kwargs: Any) -> int:
    async with session.post(
        sb.url + API + "structures/consulter",
        json={"structureId": 25827464},
        headers=auth(sb),
        **kwargs,
    ) as r:
        await r.read()
        return r.status


# --- Fault objects and the injector (no HTTP) -------------------------------------------------


def test_fault_validation_and_parsing() -> None:
    with pytest.raises(ValueError, match="kind"):
        Fault("explode")
    with pytest.raises(ValueError, match="status"):
        Fault("status", status=418)
    with pytest.raises(ValueError, match="route"):
        Fault("reset", route="factures/nope")
    with pytest.raises(ValueError, match="probability"):
        Fault("reset", probability=1.5)
    assert Fault("reset", route="valideur/traiter").route == "factures/valideur/traiter"
    fault = Fault.from_spec("status:status=429,route=factures/consulter,count=2,retry_after=0.5")
    assert fault == Fault(
        "status", status=429, route="factures/consulter", count=2, retry_after=0.5
    )
    assert Fault.from_spec("html:html=true").html is True
    assert Fault.from_dict(fault.to_dict()) == fault
    with pytest.raises(ValueError, match="unknown fault option"):
        Fault.from_dict({"kind": "reset", "bogus": 1})
    with pytest.raises(ValueError, match="key=value"):
        Fault.from_spec("reset:route")
    assert Fault("status", status=503).outcome == "fault:status:503"
    assert Fault("drop_after").outcome == "fault:drop_after"


def test_injector_routes_counts_and_latency() -> None:
    injector = FaultInjector(
        [
            Fault("latency", delay=0.1),
            Fault("latency", delay=0.2, route="factures/soumettre"),
            Fault("reset", route="factures/soumettre", count=2),
            Fault("status", status=502, route="token"),
        ]
    )
    latency, fault = injector.pick("factures/soumettre")
    assert latency == pytest.approx(0.3)
    assert fault == Fault("reset", route="factures/soumettre", count=2)
    assert injector.pick("factures/soumettre")[1] is not None
    latency, fault = injector.pick("factures/soumettre")
    assert latency == pytest.approx(0.3)
    assert fault is None  # count exhausted
    assert [f.kind for f in injector.faults] == ["latency", "latency", "status"]
    # Global faults never hit the token route; route="token" faults only hit it.
    assert injector.pick("token") == (0.0, Fault("status", status=502, route="token"))
    latency, fault = injector.pick("factures/consulter")
    assert latency == pytest.approx(0.1)
    assert fault is None
    injector.clear()
    assert not injector
    assert injector.pick("factures/soumettre") == (0.0, None)


def test_injector_is_deterministic_for_a_seed() -> None:
    def sequence(seed: int) -> list[bool]:
        injector = FaultInjector([Fault("reset", probability=0.3)], seed=seed)
        return [injector.pick("factures/consulter")[1] is not None for _ in range(200)]

    assert sequence(7) == sequence(7)
    assert sequence(7) != sequence(8)
    assert 30 < sum(sequence(7)) < 90


# --- Each kind over HTTP ----------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
async def test_status_faults(session: aiohttp.ClientSession, sandbox: Sandbox, status: int) -> None:
    sandbox.add_fault(Fault("status", status=status, retry_after=2, count=1))
    async with session.post(
        sandbox.url + API + "factures/soumettre", json=invoice_body(), headers=auth(sandbox)
    ) as r:
        assert r.status == status
        assert r.content_type == "application/json"
        assert r.headers["X-Request-ID"]
        data = await r.json()
        assert set(data) == {"errorCode", "errorMessage"}
        if status == 429:
            assert r.headers["Retry-After"] == "2"
        else:
            assert "Retry-After" not in r.headers
    assert sandbox.invoice_count() == 0  # not processed
    assert sandbox.stats()["requests"]["factures/soumettre"] == {f"fault:status:{status}": 1}
    assert (await submit(session, sandbox))[0] == 200  # count=1: next one goes through


async def test_status_fault_html_page(session: aiohttp.ClientSession, sandbox: Sandbox) -> None:
    sandbox.add_fault(Fault("status", status=502, html=True, route="structures/consulter"))
    async with session.post(
        sandbox.url + API + "structures/consulter", json={"structureId": 1}, headers=auth(sandbox)
    ) as r:
        assert r.status == 502
        assert r.content_type == "text/html"
        assert "<html>" in await r.text()


async def test_reset_before_processing(session: aiohttp.ClientSession, sandbox: Sandbox) -> None:
    sandbox.add_fault(Fault("reset", route="factures/soumettre", count=1))
    with pytest.raises(aiohttp.ClientConnectionError) as info:
        await submit(session, sandbox)
    # A TCP reset: aiohttp reports ECONNRESET as ClientOSError.
    assert isinstance(info.value, aiohttp.ClientOSError)
    assert sandbox.invoice_count() == 0
    stats = sandbox.stats()
    assert stats["invoices_created"] == 0
    assert stats["requests"]["factures/soumettre"] == {"fault:reset": 1}
    assert (await submit(session, sandbox))[0] == 200
    assert sandbox.invoice_count() == 1


async def test_drop_after_processing(session: aiohttp.ClientSession, sandbox: Sandbox) -> None:
    sandbox.add_fault(Fault("drop_after", route="factures/soumettre", count=1))
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await submit(session, sandbox)
    # The worst case for a write: the client saw nothing, yet the invoice exists.
    assert sandbox.invoice_count() == 1
    stats = sandbox.stats()
    assert stats["invoices_created"] == 1
    assert stats["requests"]["factures/soumettre"] == {"fault:drop_after": 1}


@pytest.mark.parametrize("kind", ["truncated_json", "malformed_json"])
async def test_broken_json_after_processing(
    session: aiohttp.ClientSession, sandbox: Sandbox, kind: str
) -> None:
    sandbox.add_fault(Fault(kind, route="factures/soumettre", count=1))
    async with session.post(
        sandbox.url + API + "factures/soumettre", json=invoice_body(), headers=auth(sandbox)
    ) as r:
        assert r.status == 200
        assert r.content_type == "application/json"
        text = await r.text()
    with pytest.raises(ValueError):
        json.loads(text)
    assert text
    assert sandbox.invoice_count() == 1
    assert sandbox.stats()["requests"]["factures/soumettre"] == {f"fault:{kind}": 1}


async def test_html_200_not_processed(session: aiohttp.ClientSession, sandbox: Sandbox) -> None:
    sandbox.add_fault(Fault("html", route="factures/soumettre"))
    async with session.post(
        sandbox.url + API + "factures/soumettre", json=invoice_body(), headers=auth(sandbox)
    ) as r:
        assert r.status == 200
        assert r.content_type == "text/html"
        assert "<html>" in await r.text()
    assert sandbox.invoice_count() == 0


async def test_latency(session: aiohttp.ClientSession, sandbox: Sandbox) -> None:
    sandbox.add_fault(Fault("latency", delay=0.25, route="structures/consulter"))
    start = time.monotonic()
    assert await consult(session, sandbox) == 200
    assert time.monotonic() - start >= 0.25
    assert sandbox.stats()["requests"]["structures/consulter"] == {"fault:latency": 1, "ok": 1}
    with pytest.raises(asyncio.TimeoutError):
        await consult(session, sandbox, timeout=aiohttp.ClientTimeout(total=0.1))


async def test_slow_body(session: aiohttp.ClientSession, sandbox: Sandbox) -> None:
    sandbox.add_fault(Fault("slow_body", delay=0.1, chunks=4, route="structures/consulter"))
    start = time.monotonic()
    async with session.post(
        sandbox.url + API + "structures/consulter",
        json={"structureId": 25827464},
        headers=auth(sandbox),
    ) as r:
        assert r.status == 200
        data = await r.json()
    assert time.monotonic() - start >= 0.3
    assert data["returnCode"] == 0
    # A read timeout shorter than the pauses between chunks trips.
    with pytest.raises(asyncio.TimeoutError):
        await consult(session, sandbox, timeout=aiohttp.ClientTimeout(sock_read=0.05))
    assert sandbox.stats()["requests"]["structures/consulter"] == {"fault:slow_body": 2}


async def test_token_route_faults(session: aiohttp.ClientSession, sandbox: Sandbox) -> None:
    sandbox.add_fault(Fault("status", status=503))  # global: not the token route
    body = {"username": "demo", "password": "demo"}
    async with session.post(sandbox.url + "/api/token/", json=body) as r:
        assert r.status == 200
    sandbox.clear_faults()
    sandbox.add_fault(Fault("drop_after", route="token"))
    with pytest.raises(aiohttp.ServerDisconnectedError):
        async with session.post(sandbox.url + "/api/token/", json=body) as r:
            await r.read()
    stats = sandbox.stats()
    assert stats["logins"] == 2
    assert stats["requests"]["token"] == {"ok": 1, "fault:drop_after": 1}


async def test_services_route_faults(session: aiohttp.ClientSession, sandbox: Sandbox) -> None:
    sandbox.add_fault(Fault("status", status=500, route="structures/services"))
    url = sandbox.url + API + "structures/25827464/services"
    async with session.get(url, headers=auth(sandbox)) as r:
        assert r.status == 500
    assert sandbox.stats()["requests"]["structures/services"] == {"fault:status:500": 1}


# --- Determinism and control ------------------------------------------------------------------


async def outcomes(session: aiohttp.ClientSession, seed: int) -> list[int]:
    fault = Fault("status", status=503, probability=0.5, route="structures/consulter")
    async with Sandbox(seed=seed, faults=[fault]) as sb:
        return [await consult(session, sb) for _ in range(16)]


async def test_fault_sequence_is_deterministic(session: aiohttp.ClientSession) -> None:
    first = await outcomes(session, 3)
    assert first == await outcomes(session, 3)
    assert set(first) == {200, 503}
    assert first != await outcomes(session, 4)


async def test_faults_at_start_and_control_routes(session: aiohttp.ClientSession) -> None:
    async with Sandbox(faults=[Fault("status", status=504, count=1)]) as sb:
        assert await consult(session, sb) == 504
        assert await consult(session, sb) == 200
        faults = [{"kind": "status", "status": 502, "route": "structures/consulter"}]
        async with session.put(sb.url + "/_sandbox/faults", json=faults) as r:
            assert r.status == 200
            assert (await r.json())["faults"][0]["status"] == 502
        async with session.get(sb.url + "/_sandbox/faults") as r:
            assert [f["kind"] for f in (await r.json())["faults"]] == ["status"]
        assert await consult(session, sb) == 502
        assert [f.status for f in sb.faults] == [502]
        async with session.delete(sb.url + "/_sandbox/faults") as r:
            assert r.status == 200
        assert await consult(session, sb) == 200
        for bad in ({"kind": "status"}, [{"kind": "nope"}], [{"kind": "reset", "x": 1}]):
            async with session.put(sb.url + "/_sandbox/faults", json=bad) as r:
                assert r.status == 400
                assert "detail" in await r.json()
        async with session.get(sb.url + "/_sandbox/stats") as r:
            requests = (await r.json())["requests"]["structures/consulter"]
        assert requests == {"fault:status:504": 1, "ok": 2, "fault:status:502": 1}


async def test_picked_fault_applies_to_error_replies_too(
    session: aiohttp.ClientSession, sandbox: Sandbox
) -> None:
    sandbox.add_fault(Fault("truncated_json", route="factures/consulter", count=1))
    async with session.post(sandbox.url + API + "factures/consulter", json={}) as r:
        assert r.status == 401  # no token: the 401 body arrives truncated
        with pytest.raises(ValueError):
            json.loads(await r.text())
    assert sandbox.stats()["requests"]["factures/consulter"] == {"fault:truncated_json": 1}


async def test_control_routes_are_never_faulted(
    session: aiohttp.ClientSession, sandbox: Sandbox
) -> None:
    sandbox.add_fault(Fault("reset"))
    async with session.get(sandbox.url + "/_sandbox/stats") as r:
        assert r.status == 200
    async with session.delete(sandbox.url + "/_sandbox/faults") as r:
        assert r.status == 200
    assert await consult(session, sandbox) == 200
