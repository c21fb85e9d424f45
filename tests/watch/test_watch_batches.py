"""The watcher's store traffic: claims and records in batches (one transaction for many
reads), and a cron tick that knows how long each status has lasted (``status_seen_at``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from watch_support import seed, sim_time

from factpulse_chorus import (
    AsyncChorusClient,
    CheckResult,
    SQLiteStore,
    StatusChanged,
    WatchPolicy,
)
from factpulse_chorus.sandbox import ThreadedSandbox
from factpulse_chorus.store._records import TrackedInvoice

HOUR, DAY = 3600.0, 86_400.0


class CountingStore(SQLiteStore):
    """A SQLiteStore whose claims and records are logged (sizes, in order)."""

    log: list[tuple[str, int]]

    async def claim_due(
        self, *, now: float, limit: int, owner: str, lease: float
    ) -> list[TrackedInvoice]:
        claimed = await super().claim_due(now=now, limit=limit, owner=owner, lease=lease)
        self.log.append(("claim", len(claimed)))
        return claimed

    async def record(self, results: Sequence[CheckResult], *, owner: str, now: float) -> None:
        await super().record(results, owner=owner, now=now)
        self.log.append(("record", len(results)))


async def test_claims_and_records_take_many_reads_each(
    life_sandbox: ThreadedSandbox, life_client: AsyncChorusClient, db_path: Path
) -> None:
    sandbox = life_sandbox
    ids = seed(sandbox, 300)
    async with CountingStore(db_path) as store:
        store.log = []
        await _watch_in_batches(sandbox, life_client, store, ids)


async def _watch_in_batches(
    sandbox: ThreadedSandbox, client: AsyncChorusClient, store: CountingStore, ids: list[int]
) -> None:
    watcher = client.factures.watch(store, concurrency=8, **sim_time(sandbox))
    await watcher.track(ids)
    changed: list[int] = []
    async with watcher.run(once=True) as run:
        async for event in run:
            if isinstance(event, StatusChanged):
                # An event comes once its result is in the store.
                tracked = await store.get(event.invoice_id)
                assert tracked is not None
                assert tracked.status == event.current.value
                changed.append(event.invoice_id)
    assert sorted(changed) == sorted(ids)
    # 256 at a time (max(256, 4 × 8)), not a window's worth: 300 in two claims.
    assert [size for what, size in store.log if what == "claim"] == [256, 44]
    recorded = [size for what, size in store.log if what == "record"]
    assert sum(recorded) == 300
    assert max(recorded) <= 256
    assert await store.due_count(now=sandbox.clock.timestamp()) == 0  # no lease left over


async def test_a_cron_tick_knows_how_long_the_status_has_lasted(
    chorus_sandbox_factory: Callable[..., ThreadedSandbox], store: SQLiteStore
) -> None:
    sandbox = chorus_sandbox_factory(seed=4, clock_speed=0.0)  # nothing moves by itself
    invoice_id = sandbox.domain.seed_invoice(status="MISE_A_DISPOSITION", invoice_number="C-1")
    policy = WatchPolicy(jitter=0.0, patience={"MISE_A_DISPOSITION": DAY})
    async with AsyncChorusClient(
        base_url=sandbox.url, email="demo", password="demo", max_retries=0
    ) as client:

        async def tick() -> TrackedInvoice:
            # A new watcher each tick, as cron starts a new process: no memory but the store.
            watcher = client.factures.watch(store, policy=policy, **sim_time(sandbox))
            await watcher.track([invoice_id])
            await watcher.run_once()
            tracked = await store.get(invoice_id)
            assert tracked is not None
            return tracked

        first_seen = sandbox.clock.timestamp()
        first = await tick()
        assert first.status_seen_at == first_seen
        assert first.next_check == first_seen + 4 * HOUR  # within its patience: the base
        sandbox.clock.advance(2 * DAY)
        claimed = await store.claim_due(
            now=sandbox.clock.timestamp(), limit=5, owner="peek", lease=1.0
        )
        assert [invoice.status_seen_at for invoice in claimed] == [first_seen]
        await store.release("peek")
        now = sandbox.clock.timestamp()
        later = await tick()
        # Two days in the status, one past the patience: 4 h + 0.5 × 1 day, to the second
        # (the day-only status date would say less: it counts as the end of its day).
        assert later.next_check == now + 4 * HOUR + 0.5 * DAY
        assert later.status_seen_at == first_seen
        assert [seen.status for seen in later.history] == ["MISE_A_DISPOSITION"]
