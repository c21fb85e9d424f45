"""``factures.soumettre(safe_retry=True)``: an unknown outcome never yields a second invoice."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from dual_client import dual_client
from payloads import invoice

from factpulse_chorus import ChorusClient, OutcomeUnknownError, SafeRetry
from factpulse_chorus._config import RetryPolicy
from factpulse_chorus.sandbox import Fault, Sandbox, sandbox_in_thread

ROUTE = "factures/soumettre"
FAST = RetryPolicy(base_delay=0.001, max_delay=0.01)
# Short settle periods: these tests resend, and would otherwise wait the default 30 s.
FAST_SAFE = SafeRetry(settle=0.2, lookups=2)


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(seed=5, record_requests=True, routing_delay=(0, 0)) as sb:
        yield sb


def client_for(sandbox: Sandbox, kind: str) -> contextlib.AbstractAsyncContextManager[Any]:
    return dual_client(kind, base_url=sandbox.url, email="demo", password="demo", retry_policy=FAST)


def numbers_in_domain(sandbox: Sandbox) -> list[str]:
    snapshots = [sandbox.domain.invoice_snapshot(i) for i in sandbox.domain.invoice_ids()]
    return [s["invoice_number"] for s in snapshots if s is not None]


async def test_without_safe_retry_a_dropped_response_is_outcome_unknown(
    sandbox: Sandbox, kind: str
) -> None:
    sandbox.add_fault(Fault("drop_after", route=ROUTE, count=1))
    async with client_for(sandbox, kind) as client:
        with pytest.raises(OutcomeUnknownError) as info:
            await client.factures.soumettre(**invoice("SAFE-0"))
    assert info.value.invoice_number == "SAFE-0"
    assert info.value.operation == "factures.soumettre"
    assert sandbox.invoice_count() == 1  # processed, but the caller could not know
    assert len(sandbox.received(ROUTE)) == 1  # and it was not resent


async def test_processed_then_dropped_returns_the_existing_invoice(
    sandbox: Sandbox, kind: str
) -> None:
    sandbox.add_fault(Fault("drop_after", route=ROUTE, count=1))
    async with client_for(sandbox, kind) as client:
        result = await client.factures.soumettre(**invoice("SAFE-1"), safe_retry=True)
    assert sandbox.invoice_count() == 1
    assert len(sandbox.received(ROUTE)) == 1  # looked up, not resent
    [invoice_id] = sandbox.domain.invoice_ids()
    assert result.invoice_id == invoice_id
    assert result.return_code == 0
    assert "already submitted" in result.message
    assert result.deposit_flow_number
    assert len(sandbox.received("factures/rechercher-fournisseur")) == 1


async def test_reset_before_processing_is_resent_once(sandbox: Sandbox, kind: str) -> None:
    sandbox.add_fault(Fault("reset", route=ROUTE, count=1))
    async with client_for(sandbox, kind) as client:
        result = await client.factures.soumettre(**invoice("SAFE-2"), safe_retry=FAST_SAFE)
    assert result.message == "Invoice submitted to Chorus Pro"
    assert numbers_in_domain(sandbox) == ["SAFE-2"]
    assert len(sandbox.received(ROUTE)) == 1  # the reset request never reached the domain


async def test_timeout_before_processing_is_resent_once(sandbox: Sandbox, kind: str) -> None:
    sandbox.add_fault(Fault("latency", route=ROUTE, delay=1.0, count=1))
    async with client_for(sandbox, kind) as client:
        result = await client.factures.soumettre(
            **invoice("SAFE-3"), safe_retry=FAST_SAFE, timeout=0.3
        )
    assert isinstance(result.invoice_id, int)
    assert numbers_in_domain(sandbox) == ["SAFE-3"]


async def test_repeated_unknown_outcomes_still_create_one_invoice(
    sandbox: Sandbox, kind: str
) -> None:
    sandbox.add_fault(Fault("drop_after", route=ROUTE, count=3))
    sandbox.add_fault(Fault("reset", route="factures/rechercher-fournisseur", count=1))
    async with client_for(sandbox, kind) as client:
        result = await client.factures.soumettre(**invoice("SAFE-4"), safe_retry=True)
    assert numbers_in_domain(sandbox) == ["SAFE-4"]
    assert result.invoice_id == sandbox.domain.invoice_ids()[0]


def test_safe_retry_on_the_blocking_client() -> None:
    with sandbox_in_thread(seed=5, routing_delay=(0, 0)) as sandbox:
        sandbox.add_fault(Fault("drop_after", route=ROUTE, count=1))
        with ChorusClient(base_url=sandbox.url, email="demo", password="demo") as client:
            result = client.factures.soumettre(**invoice("SAFE-5"), safe_retry=True)
        assert sandbox.invoice_count() == 1
        assert result.invoice_id == sandbox.domain.invoice_ids()[0]


async def test_a_failed_look_up_keeps_the_outcome_unknown(sandbox: Sandbox, kind: str) -> None:
    sandbox.add_fault(Fault("drop_after", route=ROUTE, count=1))
    sandbox.add_fault(Fault("status", status=503, route="factures/rechercher-fournisseur"))
    async with client_for(sandbox, kind) as client:
        with pytest.raises(OutcomeUnknownError) as info:
            await client.factures.soumettre(**invoice("SAFE-6"), safe_retry=True, max_retries=0)
    assert info.value.invoice_number == "SAFE-6"
    assert sandbox.invoice_count() == 1  # it was created: "not submitted" would be wrong
    assert len(sandbox.received(ROUTE)) == 1
