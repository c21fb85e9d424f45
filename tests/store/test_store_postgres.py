"""What only the PostgreSQL store has: its database (migrations, refusals), the password kept
out of every message, row locks that claims pass over, and the lazy driver."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from urllib.parse import urlsplit

import psycopg
import pytest
from store_v1 import write_v1

from factpulse_chorus import (
    DuplicateSubmissionError,
    PostgresStore,
    RequestValidationError,
    SQLiteStore,
    StoreError,
    SubmissionState,
    open_store,
)
from factpulse_chorus.store import _schema


def execute(url: str, text: str) -> list[tuple[object, ...]]:
    """``text`` (one or more statements) on its own connection; the last one's rows."""
    with psycopg.connect(url, autocommit=True) as connection:
        cursor = connection.execute(text.encode())  # bytes: several statements at once
        return cursor.fetchall() if cursor.description else []


def tables(url: str) -> list[str]:
    found = execute(url, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    return sorted(str(row[0]) for row in found)


async def test_an_older_database_is_upgraded_one_transaction_per_migration(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_v1(postgres_url)
    # After the code's last migration: those before commit, the broken one leaves nothing.
    current, future = _schema.SCHEMA_VERSION, _schema.SCHEMA_VERSION + 1
    broken = (
        *_schema.MIGRATIONS,
        (future, ("ALTER TABLE tracked_invoice ADD note TEXT", "NONSENSE")),
    )
    monkeypatch.setattr(_schema, "MIGRATIONS", broken)
    monkeypatch.setattr(_schema, "SCHEMA_VERSION", future)
    async with PostgresStore(postgres_url) as store:
        with pytest.raises(StoreError, match="syntax error"):
            await store.get(7512345)
    columns = (
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'tracked_invoice'"
    )
    assert ("note",) not in execute(postgres_url, columns)  # the failed migration left nothing
    assert execute(postgres_url, "SELECT version FROM schema_version") == [(current,)]

    fixed = (*_schema.MIGRATIONS[:-1], (future, ("ALTER TABLE tracked_invoice ADD note TEXT",)))
    monkeypatch.setattr(_schema, "MIGRATIONS", fixed)
    async with PostgresStore(postgres_url) as store:
        assert (await store.get(7512345)) is not None
        assert store.schema_version == future
    assert execute(postgres_url, "SELECT note FROM tracked_invoice") == [(None,)]
    assert execute(postgres_url, "SELECT version FROM schema_version") == [(future,)]


async def test_a_newer_schema_is_refused_and_left_as_it_was(postgres_url: str) -> None:
    newer = _schema.SCHEMA_VERSION + 1
    write_v1(postgres_url, newer)
    before = (tables(postgres_url), execute(postgres_url, "SELECT * FROM tracked_invoice"))
    async with PostgresStore(postgres_url) as store:
        with pytest.raises(StoreError, match="newer") as info:
            await store.track([1], now=0.0)
    assert info.value.path == store.path
    after = (tables(postgres_url), execute(postgres_url, "SELECT * FROM tracked_invoice"))
    assert after == before
    assert execute(postgres_url, "SELECT version FROM schema_version") == [(newer,)]


async def test_another_applications_schema_is_refused(postgres_url: str) -> None:
    execute(postgres_url, "CREATE TABLE customers (name TEXT)")
    async with PostgresStore(postgres_url) as store:
        with pytest.raises(StoreError, match="not a factpulse-chorus store"):
            await store.next_due()
    assert tables(postgres_url) == ["customers"]


async def test_concurrent_opens_of_a_fresh_database_migrate_once(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A second migration that cannot run twice: CREATE TABLE fails the second time.
    future = _schema.SCHEMA_VERSION + 1
    once = (future, ("CREATE TABLE migrated (n INTEGER)", "INSERT INTO migrated VALUES (1)"))
    monkeypatch.setattr(_schema, "MIGRATIONS", (*_schema.MIGRATIONS, once))
    monkeypatch.setattr(_schema, "SCHEMA_VERSION", future)
    stores = [PostgresStore(postgres_url) for _ in range(8)]  # a connection each
    try:
        assert await asyncio.gather(*(store.watched_count() for store in stores)) == [0] * 8
        assert {store.schema_version for store in stores} == {future}
    finally:
        for store in stores:
            store.close()
    assert execute(postgres_url, "SELECT n FROM migrated") == [(1,)]
    assert execute(postgres_url, "SELECT version FROM schema_version") == [(future,)]


async def test_a_claim_passes_over_rows_another_transaction_holds(postgres_url: str) -> None:
    # busy_timeout=0: a claim that waited for a lock would fail at once.
    async with PostgresStore(postgres_url, busy_timeout=0.0) as store:
        await store.track([1, 2, 3], now=0.0)
        holder = await psycopg.AsyncConnection.connect(postgres_url)
        try:
            await holder.execute("SELECT * FROM tracked_invoice WHERE invoice_id = 1 FOR UPDATE")
            claimed = await store.claim_due(now=0.0, limit=5, owner="a", lease=60.0)
            assert [invoice.invoice_id for invoice in claimed] == [2, 3]
            assert await store.claim_due(now=0.0, limit=5, owner="b", lease=60.0) == []
            await holder.rollback()
            again = await store.claim_due(now=0.0, limit=5, owner="b", lease=60.0)
            assert [invoice.invoice_id for invoice in again] == [1]
        finally:
            await holder.close()


async def test_a_lock_held_past_busy_timeout_is_a_store_error(postgres_url: str) -> None:
    async with PostgresStore(postgres_url, busy_timeout=0.0) as store:
        await store.track([1], now=0.0)
        holder = await psycopg.AsyncConnection.connect(postgres_url)
        try:
            await holder.execute("LOCK TABLE tracked_invoice IN ACCESS EXCLUSIVE MODE")
            with pytest.raises(StoreError, match=r"claim_due failed: .*lock timeout") as info:
                await store.claim_due(now=0.0, limit=1, owner="a", lease=1.0)
            assert isinstance(info.value.__cause__, psycopg.errors.LockNotAvailable)
            await holder.rollback()  # the lock is gone once this returns (a close is not waited)
        finally:
            await holder.close()
        assert await store.watched_count() == 1  # the store goes on once the lock is gone


async def test_first_reservations_of_one_number_at_once_get_it_once(postgres_url: str) -> None:
    stores = [PostgresStore(postgres_url) for _ in range(6)]
    try:
        await asyncio.gather(*(store.watched_count() for store in stores))  # all opened

        async def reserve(store: PostgresStore, owner: str) -> str:
            try:
                await store.reserve("", "F-1", owner=owner, now=0.0, lease=60.0)
            except DuplicateSubmissionError:
                return "refused"
            return owner

        got = await asyncio.gather(*(reserve(s, f"p{n}") for n, s in enumerate(stores)))
        winners = [owner for owner in got if owner != "refused"]
        assert len(winners) == 1
        row = await stores[0].submission("", "F-1")
        assert row is not None
        assert (row.owner, row.attempts, row.state) == (winners[0], 1, SubmissionState.RESERVED)
    finally:
        for store in stores:
            store.close()


async def test_the_password_is_in_no_message_and_no_repr(postgres_server: str) -> None:
    parts = urlsplit(postgres_server)
    user, host = parts.username or "postgres", parts.netloc.rpartition("@")[2]
    good, wrong = parts.password or "Th3-S3cret-pw", "Wr0ng-S3cret-Passw0rd"
    # A database name that repeats the password: the driver's own message shows it then.
    cases = [
        (wrong, f"postgresql://{user}:{wrong}@{host}/{wrong}_db"),
        (good, f"postgresql://{user}:{good}@{host}/{good}_missing"),
        (good, f"postgresql://{user}@{host}/missing?password={good}&sslmode=disable"),
    ]
    for secret, url in cases:
        store = PostgresStore(url)
        assert secret not in repr(store)
        assert secret not in store.path
        assert "***" in store.path
        with pytest.raises(StoreError) as info:
            await store.track([1], now=0.0)
        await store.aclose()
        shown = f"{info.value} {info.value!r} {info.value.path}"
        assert "track failed" in shown
        assert secret not in shown
        assert info.value.__cause__ is None or secret not in str(info.value.__cause__)


def test_open_store_picks_the_backend_and_bad_arguments_are_refused(postgres_url: str) -> None:
    assert isinstance(open_store(postgres_url), PostgresStore)
    short = postgres_url.replace("postgresql://", "postgres://")
    with open_store(short) as store:
        assert isinstance(store, PostgresStore)
        assert asyncio.run(store.watched_count()) == 0
    assert isinstance(open_store("store.db"), SQLiteStore)
    for url in ("store.db", "mysql://x/y", "host=localhost dbname=x"):
        with pytest.raises(RequestValidationError) as info:
            PostgresStore(url)
        assert info.value.field == "url"
    with pytest.raises(RequestValidationError):
        PostgresStore(postgres_url, busy_timeout=-1)
    with pytest.raises(RequestValidationError):
        PostgresStore(postgres_url, connections=0)


def test_blocking_code_uses_it_from_any_event_loop(postgres_url: str) -> None:
    with PostgresStore(postgres_url) as store:
        with pytest.raises(StoreError, match="not open yet"):
            _ = store.schema_version
        # Each asyncio.run is a new loop: the store opens a connection on each.
        assert asyncio.run(store.track([1, 2], now=0.0)) == 2
        assert asyncio.run(store.watched_count()) == 2
        assert store.schema_version == _schema.SCHEMA_VERSION
    store.close()  # idempotent
    with pytest.raises(StoreError, match="closed"):
        asyncio.run(store.watched_count())


async def test_check_integrity_reports_rows_that_break_the_stores_rules(
    postgres_url: str,
) -> None:
    async with PostgresStore(postgres_url) as store:
        assert await store.check_integrity() == "ok"
        execute(postgres_url, "INSERT INTO status_history VALUES (9, 1, 'DEPOSEE', NULL, 0.0)")
        assert (
            await store.check_integrity()
            == "1 rows: status history of an invoice that is not tracked"
        )


# Run without the driver: importing the package never needs it, making a store says what to do.
NO_DRIVER = """
import sys
sys.modules["psycopg"] = None  # as if not installed
import factpulse_chorus, factpulse_chorus.store
from factpulse_chorus import PostgresStore, StoreError
try:
    PostgresStore("postgresql://user:pw@localhost/db")
except StoreError as error:
    print(error)
"""


def test_without_the_driver_a_store_error_says_what_to_install() -> None:
    done = subprocess.run(
        [sys.executable, "-c", NO_DRIVER], capture_output=True, text=True, timeout=60, check=True
    )
    assert "pip install 'factpulse-chorus[postgres]'" in done.stdout
    imported = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, factpulse_chorus, factpulse_chorus.store; "
            "factpulse_chorus.PostgresStore, factpulse_chorus.open_store; "
            "print('psycopg' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert imported.stdout.strip() == "False"
