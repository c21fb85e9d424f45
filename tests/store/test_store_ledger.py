"""The submission ledger: each row of reserve's table, mark's transitions and its owner rule."""

from __future__ import annotations

from typing import Any

import pytest

from factpulse_chorus import (
    DuplicateSubmissionError,
    FactPulseError,
    PostgresStore,
    SQLiteStore,
    StoreError,
    Submission,
    SubmissionState,
)

S = SubmissionState
Store = SQLiteStore | PostgresStore  # each test runs on both (the store fixture)
SUPPLIER = "TECH_1_123@cpro.fr"


async def reserve(store: Store, owner: str, now: float, number: str = "F-1") -> Submission:
    return await store.reserve(SUPPLIER, number, owner=owner, now=now, lease=60.0)


async def mark(store: Store, state: S, owner: str, now: float, **fields: Any) -> Submission:
    """F-1 marked ``state`` by ``owner``; ``fields``: ``invoice_id``, ``error``."""
    return await store.mark(SUPPLIER, "F-1", state, owner=owner, now=now, **fields)


async def settled(store: Store, state: SubmissionState, error: str) -> None:
    """F-1 reserved and sent by ``a``, then marked ``state``: released, ``sent_at`` kept."""
    await reserve(store, "a", 0.0)
    await mark(store, S.SENT, "a", 1.0)
    row = await mark(store, state, "a", 2.0, error=error)
    assert (row.state, row.owner, row.lease_until, row.sent_at) == (state, None, None, 1.0)
    assert row.last_error == error


async def refused(store: Store, owner: str, now: float) -> DuplicateSubmissionError:
    before = await store.submission(SUPPLIER, "F-1")
    with pytest.raises(DuplicateSubmissionError) as info:
        await reserve(store, owner, now)
    assert await store.submission(SUPPLIER, "F-1") == before  # a refusal changes nothing
    assert isinstance(info.value, FactPulseError)
    return info.value


async def test_no_row_is_reserved_for_the_caller(store: Store) -> None:
    row = await reserve(store, "a", 100.0)
    assert row == Submission(
        supplier=SUPPLIER,
        invoice_number="F-1",
        state=S.RESERVED,
        invoice_id=None,
        owner="a",
        lease_until=160.0,
        attempts=1,
        reserved_at=100.0,
        sent_at=None,
        updated_at=100.0,
        last_error=None,
    )
    assert await store.submission(SUPPLIER, "F-1") == row
    assert await store.submission("other supplier", "F-1") is None
    # The key is (supplier, number): another supplier's F-1 is another row.
    assert (await store.reserve("other", "F-1", owner="b", now=100.0, lease=1.0)).attempts == 1


async def test_created_is_refused_with_its_invoice_id(store: Store) -> None:
    await reserve(store, "a", 0.0)
    await mark(store, S.SENT, "a", 1.0)
    created = await mark(store, S.CREATED, "a", 2.0, invoice_id=7512345)
    assert (created.state, created.invoice_id, created.owner, created.lease_until) == (
        S.CREATED,
        7512345,
        None,
        None,
    )
    error = await refused(store, "b", 10_000.0)
    assert (error.state, error.invoice_id, error.invoice_number) == (S.CREATED, 7512345, "F-1")
    assert error.supplier == SUPPLIER
    assert "already created as invoice 7512345" in str(error)


@pytest.mark.parametrize("state", [S.RESERVED, S.SENT])
async def test_in_flight_with_a_live_lease_is_refused(store: Store, state: SubmissionState) -> None:
    await reserve(store, "a", 0.0)
    if state is S.SENT:
        await mark(store, S.SENT, "a", 1.0)
    error = await refused(store, "b", 59.9)
    assert error.state is state
    assert error.invoice_id is None
    assert "in flight in another process" in str(error)
    await refused(store, "a", 59.9)  # the holder itself too: one reservation at a time


async def test_absent_is_taken_as_a_new_attempt(store: Store) -> None:
    await settled(store, S.ABSENT, "ChorusProBusinessError: refused")
    row = await reserve(store, "b", 3.0)
    assert (row.state, row.owner, row.lease_until, row.attempts) == (S.RESERVED, "b", 63.0, 2)
    assert (row.reserved_at, row.sent_at, row.updated_at) == (3.0, None, 3.0)
    assert row.last_error == "ChorusProBusinessError: refused"


async def test_reserved_with_an_expired_lease_was_never_sent_and_is_taken(
    store: Store,
) -> None:
    await reserve(store, "a", 0.0)
    row = await reserve(store, "b", 60.0)
    assert (row.state, row.owner, row.attempts, row.lease_until) == (S.RESERVED, "b", 2, 120.0)
    # a lost it: its marks are refused now.
    with pytest.raises(DuplicateSubmissionError) as info:
        await mark(store, S.SENT, "a", 61.0)
    assert info.value.state is S.RESERVED


async def test_sent_with_an_expired_lease_is_taken_as_uncertain(store: Store) -> None:
    await reserve(store, "a", 0.0)
    await mark(store, S.SENT, "a", 1.0)
    row = await reserve(store, "b", 60.0)
    assert (row.state, row.owner, row.lease_until, row.attempts) == (S.UNCERTAIN, "b", 120.0, 1)
    assert row.sent_at == 1.0  # kept: reconciliation waits for the settle period from it
    # While b reconciles, nobody else takes it (see DEVIATIONS (store)).
    assert (await refused(store, "c", 100.0)).state is S.UNCERTAIN
    created = await mark(store, S.CREATED, "b", 101.0, invoice_id=9)
    assert created.state is S.CREATED
    assert created.owner is None


async def test_uncertain_without_a_lease_is_taken_as_uncertain(store: Store) -> None:
    await settled(store, S.UNCERTAIN, "OutcomeUnknownError: timeout")
    row = await reserve(store, "b", 3.0)
    assert (row.state, row.owner, row.lease_until) == (S.UNCERTAIN, "b", 63.0)
    assert row.last_error == "OutcomeUnknownError: timeout"
    absent = await mark(store, S.ABSENT, "b", 4.0)
    assert absent.last_error == "OutcomeUnknownError: timeout"  # no new error: kept
    assert (await reserve(store, "b", 5.0)).state is S.RESERVED


async def test_mark_by_a_non_owner_or_without_a_row_is_refused(store: Store) -> None:
    with pytest.raises(StoreError):
        await mark(store, S.SENT, "a", 0.0)
    await reserve(store, "a", 0.0)
    with pytest.raises(DuplicateSubmissionError) as info:
        await mark(store, S.CREATED, "b", 1.0, invoice_id=1)
    assert info.value.state is S.RESERVED
    await mark(store, S.ABSENT, "a", 2.0)
    with pytest.raises(DuplicateSubmissionError) as absent:
        await mark(store, S.SENT, "a", 3.0)  # released: a holds it no more
    assert absent.value.state is S.ABSENT
    assert "absent" in str(absent.value)
    row = await store.submission(SUPPLIER, "F-1")
    assert row is not None
    assert row.state is S.ABSENT
    assert row.updated_at == 2.0


async def test_sent_records_when_and_keeps_the_lease(store: Store) -> None:
    await reserve(store, "a", 0.0)
    sent = await mark(store, S.SENT, "a", 5.0)
    assert (sent.state, sent.owner, sent.lease_until, sent.sent_at, sent.updated_at) == (
        S.SENT,
        "a",
        60.0,
        5.0,
        5.0,
    )


async def test_submissions_lists_rows_by_state(store: Store) -> None:
    for number in ("F-3", "F-1", "F-2"):
        await reserve(store, "a", 0.0, number)
    await store.mark(SUPPLIER, "F-2", S.SENT, owner="a", now=1.0)
    await store.mark(SUPPLIER, "F-2", S.UNCERTAIN, owner="a", now=2.0)
    every = await store.submissions()
    assert [row.invoice_number for row in every] == ["F-1", "F-2", "F-3"]
    uncertain = await store.submissions(states=[S.UNCERTAIN])
    assert [row.invoice_number for row in uncertain] == ["F-2"]
    both = await store.submissions(states={S.UNCERTAIN, S.RESERVED})
    assert len(both) == 3
    assert await store.submissions(states=[]) == []
    assert await store.submissions(states=[S.CREATED]) == []
