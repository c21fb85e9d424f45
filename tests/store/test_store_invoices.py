"""Tracked invoices on both backends: track, claim with leases, record (history on change)."""

from __future__ import annotations

from datetime import datetime, timezone

from factpulse_chorus import CheckResult, PostgresStore, SQLiteStore, StatusSeen

Store = SQLiteStore | PostgresStore  # each test runs on both (the store fixture)

DATE = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


def ok(
    invoice_id: int,
    status: str,
    next_check: float,
    *,
    final: bool = False,
    status_date: datetime | None = None,
) -> CheckResult:
    """A successful read."""
    return CheckResult(
        invoice_id=invoice_id,
        status=status,
        next_check=next_check,
        final=final,
        status_date=status_date,
    )


async def test_track_adds_new_ids_only_and_leaves_tracked_ones_as_they_are(
    store: Store,
) -> None:
    assert await store.track([1, 2, 3], now=10.0) == 3
    await store.claim_due(now=10.0, limit=1, owner="a", lease=5.0)
    await store.record([ok(1, "DEPOSEE", 500.0)], owner="a", now=11.0)
    assert await store.track([3, 1, 4], now=20.0) == 1
    first = await store.get(1)
    assert first is not None
    assert (first.status, first.next_check, first.tracked_at, first.checks) == (
        "DEPOSEE",
        500,
        10,
        1,
    )
    fourth = await store.get(4)
    assert fourth is not None
    assert (fourth.status, fourth.next_check, fourth.tracked_at, fourth.errors) == (None, 20, 20, 0)
    assert not fourth.final
    assert not fourth.gave_up
    assert fourth.history == ()
    assert await store.get(99) is None
    assert await store.watched_count() == 4


async def test_claim_due_orders_by_next_check_then_id_and_leases_what_it_returns(
    store: Store,
) -> None:
    await store.track([30, 10, 20], now=5.0)
    await store.track([5], now=1.0)
    await store.track([7], now=50.0)  # not due yet at 10
    claimed = await store.claim_due(now=10.0, limit=3, owner="a", lease=60.0)
    assert [invoice.invoice_id for invoice in claimed] == [5, 10, 20]
    assert claimed[0].history == ()
    # Leased: another owner gets only what is left, the same owner too.
    assert [i.invoice_id for i in await store.claim_due(now=10, limit=9, owner="b", lease=60)] == [
        30
    ]
    assert await store.claim_due(now=10.0, limit=9, owner="a", lease=60.0) == []
    assert await store.due_count(now=10.0) == 0
    assert await store.claim_due(now=10.0, limit=0, owner="a", lease=60.0) == []


async def test_an_expired_lease_is_claimed_again_and_the_old_owners_result_is_ignored(
    store: Store,
) -> None:
    await store.track([1], now=0.0)
    assert len(await store.claim_due(now=0.0, limit=5, owner="a", lease=30.0)) == 1
    assert await store.claim_due(now=29.9, limit=5, owner="b", lease=30.0) == []
    assert await store.due_count(now=29.9) == 0
    assert await store.due_count(now=30.0) == 1
    assert len(await store.claim_due(now=30.0, limit=5, owner="b", lease=30.0)) == 1
    # a comes back late: its result is dropped, b's lease stands.
    await store.record([ok(1, "DEPOSEE", 100.0)], owner="a", now=31.0)
    invoice = await store.get(1)
    assert invoice is not None
    assert invoice.status is None
    assert invoice.checks == 0
    assert await store.claim_due(now=40.0, limit=5, owner="c", lease=30.0) == []
    await store.record([ok(1, "REJETEE", 100.0, final=True)], owner="b", now=41.0)
    invoice = await store.get(1)
    assert invoice is not None
    assert invoice.status == "REJETEE"
    assert invoice.final
    # Recorded results drop the lease; a result after b's record is ignored too.
    await store.record([ok(1, "DEPOSEE", 100.0)], owner="b", now=42.0)
    assert (await store.get(1)).status == "REJETEE"  # type: ignore[union-attr]


async def test_record_appends_history_only_when_the_status_changes(store: Store) -> None:
    await store.track([1], now=0.0)
    statuses = ["DEPOSEE", "DEPOSEE", "MISE_A_DISPOSITION", "MISE_A_DISPOSITION", "DEPOSEE"]
    for step, status in enumerate(statuses):
        now = 10.0 * (step + 1)
        await store.claim_due(now=now, limit=1, owner="a", lease=5.0)
        await store.record([ok(1, status, now, status_date=DATE)], owner="a", now=now)
    invoice = await store.get(1)
    assert invoice is not None
    assert invoice.history == (
        StatusSeen(status="DEPOSEE", status_date=DATE, seen_at=10.0),
        StatusSeen(status="MISE_A_DISPOSITION", status_date=DATE, seen_at=30.0),
        StatusSeen(status="DEPOSEE", status_date=DATE, seen_at=50.0),
    )
    assert invoice.checks == 5
    assert invoice.status_date == DATE


async def test_a_failed_read_counts_errors_until_a_success_resets_them(store: Store) -> None:
    await store.track([1, 2], now=0.0)
    await store.claim_due(now=0.0, limit=2, owner="a", lease=5.0)
    failure = CheckResult(invoice_id=1, next_check=20.0, error="ServerError: 503")
    await store.record([failure, ok(2, "DEPOSEE", 30.0)], owner="a", now=1.0)
    await store.claim_due(now=20.0, limit=2, owner="a", lease=5.0)
    gave_up = CheckResult(invoice_id=1, next_check=40.0, error="ServerError: 502", gave_up=True)
    await store.record([gave_up], owner="a", now=21.0)
    first = await store.get(1)
    assert first is not None
    assert (first.errors, first.checks, first.last_error, first.gave_up) == (
        2,
        0,
        "ServerError: 502",
        True,
    )
    assert first.status is None
    assert first.history == ()
    assert await store.watched_count() == 1
    # A given-up invoice is never claimed again.
    assert [i.invoice_id for i in await store.claim_due(now=99, limit=5, owner="a", lease=5)] == [2]
    await store.record([ok(2, "DEPOSEE", 100.0)], owner="a", now=99.0)
    second = await store.get(2)
    assert second is not None
    assert second.errors == 0
    assert second.last_error is None


async def test_release_next_due_and_counts(store: Store) -> None:
    assert await store.next_due() is None
    assert await store.status_counts() == {}
    await store.track([1, 2, 3], now=100.0)
    await store.track([4], now=200.0)
    assert await store.next_due() == 100.0
    await store.claim_due(now=150.0, limit=3, owner="a", lease=1000.0)
    # Leased invoices are due again when the lease ends, not before.
    assert await store.next_due() == 200.0
    await store.record([ok(1, "MANDATEE", 0.0, final=True)], owner="a", now=151.0)
    await store.release("a")
    assert await store.next_due() == 100.0
    assert await store.due_count(now=150.0) == 2
    assert [i.invoice_id for i in await store.claim_due(now=150, limit=9, owner="b", lease=5)] == [
        2,
        3,
    ]
    await store.record([ok(2, "DEPOSEE", 300.0)], owner="b", now=151.0)
    assert await store.status_counts() == {"MANDATEE": 1, "DEPOSEE": 1, None: 2}
    assert await store.watched_count() == 3
    await store.release("nobody")  # holds nothing: a no-op
