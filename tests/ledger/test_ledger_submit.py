"""``factures.soumettre(store=...)`` and ``factures.reconcile``: exactly-once through the ledger.

Against the sandbox over HTTP, with a real SQLiteStore on a file; each test runs on the async
client and on the blocking one (``kind``).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from ledger_support import LOOKUP, ROUTE, client_for, ledger_row, numbers_in_domain
from payloads import invoice

from factpulse_chorus import (
    ChorusProBusinessError,
    DuplicateSubmissionError,
    OutcomeUnknownError,
    RequestValidationError,
    SafeRetry,
    SQLiteStore,
    StoreError,
    SubmissionState,
)
from factpulse_chorus.sandbox import Fault, Sandbox

# Short settle periods: the defaults would wait 30 s.
FAST_SAFE = SafeRetry(settle=0.2, lookups=2)
LONG_AGO = time.time() - 86_400.0  # a crashed process's clock, a day back


async def test_a_first_submission_is_created_and_a_second_sends_nothing(
    sandbox: Sandbox, store: SQLiteStore, kind: str
) -> None:
    async with client_for(sandbox, kind) as client:
        result = await client.factures.soumettre(**invoice("LED-1"), store=store)
        row = await ledger_row(store, "LED-1")
        assert row.state is SubmissionState.CREATED
        assert row.invoice_id == result.invoice_id
        assert row.owner is None
        assert row.sent_at is not None
        with pytest.raises(DuplicateSubmissionError) as info:
            await client.factures.soumettre(**invoice("LED-1"), store=store)
    assert info.value.state == SubmissionState.CREATED
    assert info.value.invoice_id == result.invoice_id
    assert info.value.invoice_number == "LED-1"
    assert f"already created as invoice {result.invoice_id}" in str(info.value)
    assert len(sandbox.received(ROUTE)) == 1  # the duplicate never went on the wire
    assert sandbox.received(LOOKUP) == []
    assert numbers_in_domain(sandbox) == {"LED-1": [result.invoice_id]}


async def test_a_dropped_connection_is_uncertain_until_reconciled(
    sandbox: Sandbox, store: SQLiteStore, kind: str
) -> None:
    sandbox.add_fault(Fault("drop_after", route=ROUTE, count=1))
    async with client_for(sandbox, kind) as client:
        with pytest.raises(OutcomeUnknownError) as info:
            await client.factures.soumettre(**invoice("LED-3"), store=store)
        assert info.value.invoice_number == "LED-3"
        row = await ledger_row(store, "LED-3")
        assert row.state is SubmissionState.UNCERTAIN
        assert row.owner is None
        assert row.last_error is not None
        assert row.last_error.startswith("OutcomeUnknownError: ")
        [created] = sandbox.domain.invoice_ids()  # processed, but the caller could not know

        [settled] = await client.factures.reconcile(store, settle=0.2)
        assert settled.state is SubmissionState.CREATED
        assert settled.invoice_id == created
        assert await store.submissions(states=[SubmissionState.UNCERTAIN]) == []

        with pytest.raises(DuplicateSubmissionError) as again:
            await client.factures.soumettre(**invoice("LED-3"), store=store)
    assert again.value.invoice_id == created
    assert len(sandbox.received(ROUTE)) == 1
    assert numbers_in_domain(sandbox) == {"LED-3": [created]}


async def test_safe_retry_settles_an_unknown_outcome_as_created(
    sandbox: Sandbox, store: SQLiteStore, kind: str
) -> None:
    sandbox.add_fault(Fault("drop_after", route=ROUTE, count=1))
    async with client_for(sandbox, kind) as client:
        result = await client.factures.soumettre(
            **invoice("LED-4"), store=store, safe_retry=FAST_SAFE
        )
    [created] = sandbox.domain.invoice_ids()
    assert result.invoice_id == created
    row = await ledger_row(store, "LED-4")
    assert (row.state, row.invoice_id) == (SubmissionState.CREATED, created)
    assert len(sandbox.received(ROUTE)) == 1


async def crashed_after_sending(store: SQLiteStore, number: str, supplier: str = "") -> None:
    """The row a process leaves when it dies between SENT and the answer: its lease, taken
    a day ago, long run out."""
    await store.reserve(supplier, number, owner="dead-process", now=LONG_AGO, lease=600.0)
    await store.mark(supplier, number, SubmissionState.SENT, owner="dead-process", now=LONG_AGO)


async def landed_then_crashed(client: Any, store: SQLiteStore, number: str) -> int:
    """``number`` created on the server by a process that died before recording it."""
    landed = await client.factures.soumettre(**invoice(number))
    await crashed_after_sending(store, number)
    return int(landed.invoice_id)


async def test_a_crash_after_sending_is_reconciled_by_a_fresh_client(
    sandbox: Sandbox, store: SQLiteStore, kind: str
) -> None:
    async with client_for(sandbox, kind) as client:
        # LED-5 reached the server before the crash; LED-6 never did.
        landed = await landed_then_crashed(client, store, "LED-5")
    await crashed_after_sending(store, "LED-6")
    async with client_for(sandbox, kind) as fresh:
        settled = await fresh.factures.reconcile(store, settle=0.2)
        by_number = {row.invoice_number: row for row in settled}
        assert by_number["LED-5"].state is SubmissionState.CREATED
        assert by_number["LED-5"].invoice_id == landed
        assert by_number["LED-6"].state is SubmissionState.ABSENT
        assert by_number["LED-6"].invoice_id is None
        # ABSENT: known not created, so it goes through now, once.
        sent = await fresh.factures.soumettre(**invoice("LED-6"), store=store)
        with pytest.raises(DuplicateSubmissionError):
            await fresh.factures.soumettre(**invoice("LED-5"), store=store)
    row = await ledger_row(store, "LED-6")
    assert (row.state, row.invoice_id, row.attempts) == (
        SubmissionState.CREATED,
        sent.invoice_id,
        2,
    )
    assert sorted(numbers_in_domain(sandbox)) == ["LED-5", "LED-6"]
    assert len(sandbox.received(ROUTE)) == 2  # LED-5 before the "crash", LED-6 after


async def test_a_submission_after_a_crash_looks_the_number_up_first(
    sandbox: Sandbox, store: SQLiteStore, kind: str
) -> None:
    async with client_for(sandbox, kind) as client:
        landed = await landed_then_crashed(client, store, "LED-7")
        with pytest.raises(DuplicateSubmissionError) as info:
            await client.factures.soumettre(**invoice("LED-7"), store=store)
    assert info.value.state == SubmissionState.CREATED
    assert info.value.invoice_id == landed
    row = await ledger_row(store, "LED-7")
    assert (row.state, row.invoice_id) == (SubmissionState.CREATED, landed)
    assert len(sandbox.received(ROUTE)) == 1  # found by its number, not resent
    assert len(sandbox.received(LOOKUP)) == 1


async def test_a_crashed_number_that_never_landed_is_sent_again(
    sandbox: Sandbox, store: SQLiteStore, kind: str
) -> None:
    await crashed_after_sending(store, "LED-12")
    async with client_for(sandbox, kind) as client:
        sent = await client.factures.soumettre(**invoice("LED-12"), store=store)
    row = await ledger_row(store, "LED-12")
    assert (row.state, row.invoice_id, row.attempts) == (
        SubmissionState.CREATED,
        sent.invoice_id,
        2,
    )
    # Looked up first (settled long ago and not found), then sent once.
    assert len(sandbox.received(LOOKUP)) == 1
    assert numbers_in_domain(sandbox) == {"LED-12": [sent.invoice_id]}


async def test_a_refusal_is_absent_and_a_corrected_submission_goes_through(
    sandbox: Sandbox, store: SQLiteStore, kind: str
) -> None:
    async with client_for(sandbox, kind) as client:
        # Refused by the server (the commune requires FIN-001), not by the client's checks.
        with pytest.raises(ChorusProBusinessError):
            await client.factures.soumettre(**invoice("LED-8", service_code="NOPE-1"), store=store)
        refused = await ledger_row(store, "LED-8")
        assert refused.state is SubmissionState.ABSENT
        assert refused.owner is None
        assert refused.last_error is not None
        assert refused.last_error.startswith("ChorusProBusinessError: ")
        corrected = await client.factures.soumettre(**invoice("LED-8"), store=store)
    row = await ledger_row(store, "LED-8")
    assert (row.state, row.invoice_id) == (SubmissionState.CREATED, corrected.invoice_id)
    assert len(sandbox.received(ROUTE)) == 2
    assert numbers_in_domain(sandbox) == {"LED-8": [corrected.invoice_id]}


async def test_a_store_error_before_sending_sends_nothing(
    sandbox: Sandbox, store: SQLiteStore, kind: str
) -> None:
    await store.aclose()
    async with client_for(sandbox, kind) as client:
        with pytest.raises(StoreError):
            await client.factures.soumettre(**invoice("LED-9"), store=store)
    assert sandbox.received() == []


async def test_reconcile_leaves_rows_in_flight_and_of_other_suppliers_alone(
    sandbox: Sandbox, store: SQLiteStore, kind: str
) -> None:
    now = time.time()
    await store.reserve("", "LED-10", owner="live-process", now=now, lease=600.0)
    await store.mark("", "LED-10", SubmissionState.SENT, owner="live-process", now=now)
    await crashed_after_sending(store, "LED-11", supplier="other-login")
    async with client_for(sandbox, kind) as client:
        [in_flight] = await client.factures.reconcile(store, settle=0.2)
    assert (in_flight.invoice_number, in_flight.state) == ("LED-10", SubmissionState.SENT)
    assert in_flight.owner == "live-process"
    other = await ledger_row(store, "LED-11", "other-login")
    assert other.state is SubmissionState.SENT
    assert sandbox.received(LOOKUP) == []


@pytest.mark.parametrize("settle", [-1.0, float("inf"), float("nan")])
async def test_reconcile_refuses_a_bad_settle(
    sandbox: Sandbox, store: SQLiteStore, kind: str, settle: float
) -> None:
    async with client_for(sandbox, kind) as client:
        with pytest.raises(RequestValidationError) as info:
            await client.factures.reconcile(store, settle=settle)
    assert info.value.field == "settle"
