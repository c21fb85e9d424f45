"""Retry discipline: for every state-changing endpoint and every fault, how many requests the
sandbox received and how many it processed.

The rule proven here: a write is resent only when the failure guarantees the first request
was not processed (HTTP 429, a 401 before any work). A 503 is surfaced as is (the service
was unavailable); a 500/502/504 (the server or a gateway failed, possibly after acting), a reset
or a dropped connection after the request was sent, or a read timeout, raises
OutcomeUnknownError and nothing is resent. The sandbox's ``reset`` fault fires before the
request is processed, but the client cannot know that (the request bytes were sent, the
RST could have come at any point), so OutcomeUnknownError is the correct answer there too.
Reads are retried through all of these faults and succeed.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import payloads
import pytest

from factpulse_chorus import AsyncChorusClient
from factpulse_chorus._config import RetryPolicy
from factpulse_chorus._exceptions import (
    FactPulseError,
    OutcomeUnknownError,
    ServerError,
)
from factpulse_chorus._types import Timeout
from factpulse_chorus.sandbox import Fault, Sandbox

COMMUNE = 25827464
FAST = RetryPolicy(base_delay=0.001, max_delay=0.01)
# Only the latency cases use the short read timeout: elsewhere a loaded machine must not
# turn a normal answer into a timeout.
READ_TIMEOUT = 0.3
LATENCY = 1.0
NORMAL_READ_TIMEOUT = 10.0

Call = Callable[[AsyncChorusClient], Awaitable[Any]]


def _soumettre(sb: Sandbox) -> Call:
    number = f"RD-{random.randrange(10**9):09d}"
    return lambda c: c.factures.soumettre(**payloads.invoice(number))


def _ajouter_fichier(sb: Sandbox) -> Call:
    return lambda c: c.transverses.ajouter_fichier(b"%PDF-1.4 retry discipline", name="f.pdf")


def _traiter_facture_recue(sb: Sandbox) -> Call:
    invoice = sb.domain.seed_invoice(status="MISE_A_DISPOSITION")
    return lambda c: c.factures.traiter_facture_recue(
        invoice, new_status="SUSPENDUE", reason="missing order number"
    )


def _completer(sb: Sandbox) -> Call:
    invoice = sb.domain.seed_invoice(status="SUSPENDUE")
    return lambda c: c.factures.completer(invoice, comment="order number added")


def _recycler(sb: Sandbox) -> Call:
    invoice = sb.domain.seed_invoice(status="A_RECYCLER")
    return lambda c: c.factures.recycler(invoice, service_code="FIN-001")


def _valideur_traiter(sb: Sandbox) -> Call:
    invoice = sb.domain.seed_invoice(status="A_VALIDER_1")
    return lambda c: c.valideur.traiter(invoice, "VALIDATION")


WRITES: dict[str, Callable[[Sandbox], Call]] = {
    "factures/soumettre": _soumettre,
    "transverses/ajouter-fichier": _ajouter_fichier,
    "factures/traiter-facture-recue": _traiter_facture_recue,
    "factures/completer": _completer,
    "factures/recycler": _recycler,
    "factures/valideur/traiter": _valideur_traiter,
}

# fault kind -> (the fault on the route, the error the caller must see or None for success,
# how many requests reach the route, how many are processed). None: 0 or 1, see below.
FAULTS: dict[str, tuple[dict[str, Any], type[FactPulseError] | None, int, int | None]] = {
    "status-503": ({"kind": "status", "status": 503}, ServerError, 1, 0),
    "status-500": ({"kind": "status", "status": 500}, OutcomeUnknownError, 1, 0),
    "status-502": ({"kind": "status", "status": 502}, OutcomeUnknownError, 1, 0),
    "status-504": ({"kind": "status", "status": 504}, OutcomeUnknownError, 1, 0),
    "status-429": ({"kind": "status", "status": 429, "retry_after": 0.01}, None, 2, 1),
    "reset": ({"kind": "reset"}, OutcomeUnknownError, 1, 0),
    "drop_after": ({"kind": "drop_after"}, OutcomeUnknownError, 1, 1),
    # The server is slow, not broken: it may or may not have acted when the client gives up.
    "latency": ({"kind": "latency", "delay": LATENCY}, OutcomeUnknownError, 1, None),
}


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(seed=11, record_requests=True) as sb:
        yield sb


def client_for(sb: Sandbox, *, slow: bool = False, **options: Any) -> AsyncChorusClient:
    """A client with fast retries; ``slow``: the sandbox answers late, time out early."""
    options.setdefault("max_retries", 4)
    read = READ_TIMEOUT if slow else NORMAL_READ_TIMEOUT
    return AsyncChorusClient(
        base_url=sb.url,
        email="demo",
        password="demo",
        retry_policy=FAST,
        timeout=Timeout(connect=5.0, read=read, total=read * 8),
        **options,
    )


def received(sb: Sandbox, route: str) -> int:
    """HTTP requests that reached ``route`` (latency is counted apart from the outcome)."""
    outcomes = sb.stats()["requests"].get(route, {})
    return sum(n for outcome, n in outcomes.items() if outcome != "fault:latency")


def processed(sb: Sandbox, route: str) -> int:
    """Requests on ``route`` that passed auth and validation and reached the domain."""
    return len(sb.received(route))


async def settle(sb: Sandbox, route: str, expected_received: int) -> None:
    """Wait (bounded) for a handler still sleeping on a latency fault to finish."""
    for _ in range(100):
        if received(sb, route) >= expected_received:
            return
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("fault_name", list(FAULTS))
@pytest.mark.parametrize("route", list(WRITES))
async def test_write_is_processed_at_most_once(
    sandbox: Sandbox, route: str, fault_name: str
) -> None:
    call = WRITES[route](sandbox)
    spec, error, want_received, want_processed = FAULTS[fault_name]
    sandbox.add_fault(Fault(route=route, count=1, **spec))
    invoices = sandbox.invoice_count()
    attachments = sandbox.stats()["attachments_created"]
    async with client_for(sandbox, slow=fault_name == "latency") as client:
        if error is None:
            result = await call(client)
            assert result.raw.status == 200
        else:
            with pytest.raises(error) as info:
                await call(client)
            if isinstance(info.value, OutcomeUnknownError):
                assert info.value.operation is not None
        await settle(sandbox, route, want_received)
        assert received(sandbox, route) == want_received
        count = processed(sandbox, route)
        if want_processed is None:
            assert count <= 1
        else:
            assert count == want_processed
        # The domain agrees: at most one invoice or attachment was created.
        created = sandbox.invoice_count() - invoices
        uploaded = sandbox.stats()["attachments_created"] - attachments
        if route == "factures/soumettre":
            assert created == count
        if route == "transverses/ajouter-fichier":
            assert uploaded == count
        assert created <= 1
        assert uploaded <= 1

        # The client is still fine, and the next call is clean.
        assert (await client.structures.consulter(COMMUNE)).structure_id == COMMUNE


@pytest.mark.parametrize("fault_name", ["status-503", "status-500", "status-502", "status-504"])
async def test_write_5xx_is_never_retried_even_with_many_retries(
    sandbox: Sandbox, fault_name: str
) -> None:
    route = "factures/soumettre"
    spec, expected, _, _ = FAULTS[fault_name]
    assert expected is not None
    sandbox.add_fault(Fault(route=route, count=3, **spec))
    async with client_for(sandbox, max_retries=6) as client:
        with pytest.raises(expected) as info:
            await _soumettre(sandbox)(client)
    if expected is OutcomeUnknownError:
        # The server's answer stays reachable: the cause is the ServerError.
        assert isinstance(info.value.__cause__, ServerError)
        assert info.value.__cause__.status_code == spec["status"]
    assert received(sandbox, route) == 1
    assert processed(sandbox, route) == 0


async def test_write_429_retries_stop_at_max_retries(sandbox: Sandbox) -> None:
    route = "factures/completer"
    call = _completer(sandbox)
    sandbox.add_fault(Fault("status", route=route, status=429, retry_after=0.01))
    async with client_for(sandbox, max_retries=3) as client:
        with pytest.raises(FactPulseError) as info:
            await call(client)
    assert type(info.value).__name__ == "RateLimitError"
    assert received(sandbox, route) == 4  # the first attempt + 3 retries
    assert processed(sandbox, route) == 0


def _read_factures_consulter(sb: Sandbox) -> Call:
    invoice = sb.domain.seed_invoice(status="DEPOSEE")
    return lambda c: c.factures.consulter(invoice)


def _read_valideur_consulter(sb: Sandbox) -> Call:
    invoice = sb.domain.seed_invoice()
    return lambda c: c.valideur.consulter(invoice)


READS: dict[str, Callable[[Sandbox], Call]] = {
    "factures/consulter": _read_factures_consulter,
    "structures/consulter": lambda sb: lambda c: c.structures.consulter(COMMUNE),
    "structures/services": lambda sb: lambda c: c.structures.lister_services(COMMUNE),
    "factures/valideur/consulter": _read_valideur_consulter,
}
READ_FAULTS = {name: FAULTS[name][0] for name in ("status-503", "status-429", "reset")}
READ_FAULTS["drop_after"] = FAULTS["drop_after"][0]
READ_FAULTS["status-502"] = {"kind": "status", "status": 502}
READ_FAULTS["status-504"] = {"kind": "status", "status": 504}


@pytest.mark.parametrize("fault_name", list(READ_FAULTS))
@pytest.mark.parametrize("route", list(READS))
async def test_read_is_retried_and_succeeds(sandbox: Sandbox, route: str, fault_name: str) -> None:
    call = READS[route](sandbox)
    sandbox.add_fault(Fault(route=route, count=2, **READ_FAULTS[fault_name]))
    async with client_for(sandbox, max_retries=2) as client:
        result = await call(client)
    assert result.raw.status == 200
    assert received(sandbox, route) == 3


async def test_read_timeout_is_retried_for_reads(sandbox: Sandbox) -> None:
    route = "structures/consulter"
    sandbox.add_fault(Fault("latency", route=route, delay=LATENCY, count=1))
    async with client_for(sandbox, slow=True, max_retries=1) as client:
        result = await client.structures.consulter(COMMUNE)
    assert result.structure_id == COMMUNE
    await settle(sandbox, route, 2)
    assert received(sandbox, route) == 2


async def test_read_500_is_not_retried(sandbox: Sandbox) -> None:
    route = "structures/consulter"
    sandbox.add_fault(Fault("status", route=route, status=500, count=1))
    async with client_for(sandbox) as client:
        with pytest.raises(ServerError):
            await client.structures.consulter(COMMUNE)
    assert received(sandbox, route) == 1


async def test_read_gives_up_after_max_retries(sandbox: Sandbox) -> None:
    route = "structures/consulter"
    sandbox.add_fault(Fault("reset", route=route))
    async with client_for(sandbox, max_retries=2) as client:
        with pytest.raises(FactPulseError) as info:
            await client.structures.consulter(COMMUNE)
    assert not isinstance(info.value, OutcomeUnknownError)  # a read: nothing to worry about
    assert received(sandbox, route) == 3


async def test_write_timeout_with_retries_left_is_not_retried(sandbox: Sandbox) -> None:
    route = "factures/soumettre"
    sandbox.add_fault(Fault("latency", route=route, delay=LATENCY, count=1))
    async with client_for(sandbox, slow=True, max_retries=6) as client:
        with pytest.raises(OutcomeUnknownError) as info:
            await _soumettre(sandbox)(client)
    assert info.value.invoice_number is not None
    assert info.value.invoice_number in str(info.value)
    await settle(sandbox, route, 1)
    await asyncio.sleep(LATENCY)
    assert received(sandbox, route) == 1


async def refused_token_client(sb: Sandbox, max_retries: int) -> AsyncChorusClient:
    """A client on ``sb`` whose ready token is refused there (another sandbox signed it),
    with the demo login to fall back on."""
    async with Sandbox(seed=3) as other:
        foreign_token = other.issue_token()
    return AsyncChorusClient(
        base_url=sb.url,
        token=foreign_token,
        email="demo",
        password="demo",
        max_retries=max_retries,
        retry_policy=FAST,
    )


@pytest.mark.parametrize("route", list(WRITES))
async def test_401_relogin_replays_once_and_is_not_a_retry(route: str) -> None:
    """A refused token: one login, one replay, even with max_retries=0; processed once."""
    async with Sandbox(seed=11, record_requests=True) as sb:
        call = WRITES[route](sb)
        async with await refused_token_client(sb, max_retries=0) as client:
            result = await call(client)
        assert result.raw.status == 200
        stats = sb.stats()
        assert stats["requests"][route] == {"401": 1, "ok": 1}
        assert stats["logins"] == 1
        assert processed(sb, route) == 1


async def test_401_then_429_uses_the_retry_budget_only_for_the_429() -> None:
    async with Sandbox(seed=11, record_requests=True) as sb:
        route = "factures/soumettre"
        call = _soumettre(sb)
        sb.add_fault(Fault("status", route=route, status=429, retry_after=0.01, count=1))
        async with await refused_token_client(sb, max_retries=1) as client:
            await call(client)
        assert processed(sb, route) == 1
        assert sb.invoice_count() == len(sb.domain.invoice_ids())
