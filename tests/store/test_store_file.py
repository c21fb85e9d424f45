"""The SQLite store file: opening, migrations, files it must refuse untouched, errors, closing
(PostgreSQL's own in test_store_postgres.py)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from store_v1 import write_v1

from factpulse_chorus import (
    RequestValidationError,
    SQLiteStore,
    StoreError,
    SubmissionState,
    open_store,
)
from factpulse_chorus.store import _schema


async def test_a_version_1_store_is_opened_and_read(store_target: str) -> None:
    write_v1(store_target)  # each backend
    async with open_store(store_target) as store:
        invoice = await store.get(7512345)
        assert store.schema_version == _schema.SCHEMA_VERSION
        assert invoice is not None
        assert invoice.status == "DEPOSEE"
        assert [seen.status for seen in invoice.history] == ["DEPOSEE"]
        row = await store.submission("", "F-1")
        assert row is not None
        assert row.state is SubmissionState.CREATED
        assert await store.claim_due(now=50.0, limit=5, owner="a", lease=1.0) != []
        assert await store.check_integrity() == "ok"


async def test_an_older_file_is_upgraded_one_transaction_per_migration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_v1(str(tmp_path / "v1.db"))
    # A migration after the code's last one (version 1 -> ... -> current -> future): the
    # ones before it commit each in its own transaction, the broken one leaves nothing.
    current, future = _schema.SCHEMA_VERSION, _schema.SCHEMA_VERSION + 1
    broken = (
        *_schema.MIGRATIONS,
        (future, ("ALTER TABLE tracked_invoice ADD note TEXT", "NONSENSE")),
    )
    monkeypatch.setattr(_schema, "MIGRATIONS", broken)
    monkeypatch.setattr(_schema, "SCHEMA_VERSION", future)
    async with SQLiteStore(tmp_path / "v1.db") as store:
        with pytest.raises(StoreError, match="syntax error"):
            await store.get(7512345)
    connection = sqlite3.connect(tmp_path / "v1.db")
    columns = [row[1] for row in connection.execute("PRAGMA table_info(tracked_invoice)")]
    assert "note" not in columns  # the failed migration left nothing behind
    assert connection.execute("SELECT version FROM schema_version").fetchall() == [(current,)]
    connection.close()

    fixed = (*_schema.MIGRATIONS[:-1], (future, ("ALTER TABLE tracked_invoice ADD note TEXT",)))
    monkeypatch.setattr(_schema, "MIGRATIONS", fixed)
    async with SQLiteStore(tmp_path / "v1.db") as store:
        assert (await store.get(7512345)) is not None
        assert store.schema_version == future
    connection = sqlite3.connect(tmp_path / "v1.db")
    assert connection.execute("SELECT note FROM tracked_invoice").fetchall() == [(None,)]
    assert connection.execute("SELECT version FROM schema_version").fetchall() == [(future,)]
    connection.close()


async def test_a_file_newer_than_the_code_is_refused_and_left_byte_identical(
    tmp_path: Path,
) -> None:
    path = tmp_path / "future.db"
    write_v1(str(path), version=_schema.SCHEMA_VERSION + 1)
    before = path.read_bytes()
    async with SQLiteStore(path) as store:
        with pytest.raises(StoreError, match="newer") as info:
            await store.track([1], now=0.0)
    assert info.value.path == str(path)
    assert str(path) in str(info.value)
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "content",
    [b"this is not a database, just some text\n" * 50, b"SQLite format 3\x00" + b"\xff" * 4080],
)
async def test_a_file_that_is_not_a_database_is_a_store_error(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    async with SQLiteStore(path) as store:
        with pytest.raises(StoreError) as info:
            await store.watched_count()
    assert isinstance(info.value.__cause__, sqlite3.DatabaseError)
    assert "watched_count" in str(info.value)
    assert str(path) in str(info.value)
    assert path.read_bytes() == content


async def test_another_applications_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE customers (name TEXT)")
    connection.close()
    before = path.read_bytes()
    async with SQLiteStore(path) as store:
        with pytest.raises(StoreError, match="not a factpulse-chorus store"):
            await store.next_due()
    assert path.read_bytes() == before


async def test_a_locked_file_is_a_store_error_naming_the_operation(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    async with SQLiteStore(path) as store:
        await store.track([1], now=0.0)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        async with SQLiteStore(path, busy_timeout=0.0) as store:
            with pytest.raises(StoreError, match="claim_due failed: database is locked"):
                await store.claim_due(now=0.0, limit=1, owner="a", lease=1.0)
            assert await store.watched_count() == 1  # WAL: reading goes on meanwhile
    finally:
        holder.execute("ROLLBACK")
        holder.close()


async def test_a_file_in_a_missing_folder_is_a_store_error(tmp_path: Path) -> None:
    async with SQLiteStore(tmp_path / "missing" / "store.db") as store:
        with pytest.raises(StoreError, match="unable to open"):
            await store.track([1], now=0.0)


def test_memory_and_bad_arguments_are_refused() -> None:
    for path in (":memory:", "", "file:x?mode=memory"):
        with pytest.raises(RequestValidationError) as info:
            SQLiteStore(path)
        assert info.value.field == "path"
    with pytest.raises(RequestValidationError):
        SQLiteStore("x.db", busy_timeout=-1)


def test_the_store_opens_lazily_and_closes_in_blocking_code(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with SQLiteStore(path) as store:
        assert not path.exists()
        with pytest.raises(StoreError, match="not open yet"):
            _ = store.schema_version
        # Each call is handed to the store's own thread: any event loop will do.
        assert asyncio.run(store.track([1, 2], now=0.0)) == 2
        assert asyncio.run(store.watched_count()) == 2
        assert store.schema_version == _schema.SCHEMA_VERSION
    assert path.exists()
    store.close()  # idempotent
    with pytest.raises(StoreError, match="closed"):
        asyncio.run(store.watched_count())
    assert "store.db" in repr(store)


async def test_aclose_is_idempotent_and_a_closed_store_refuses_calls(store_target: str) -> None:
    store = open_store(store_target)  # each backend
    await store.aclose()  # never opened: nothing to stop
    with pytest.raises(StoreError, match="track: the store is closed"):
        await store.track([1], now=0.0)
    other = open_store(store_target)
    calls = [other.track([n], now=0.0) for n in range(1, 21)]
    assert sum(await asyncio.gather(*calls)) == 20  # in order on SQLite's one thread
    await other.aclose()
    await other.aclose()
    other.close()


async def test_the_connection_lives_on_one_thread_and_in_wal_mode(
    sqlite_store: SQLiteStore,
) -> None:
    store = sqlite_store
    await store.track([1], now=0.0)
    connection = sqlite3.connect(store.path)
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    connection.close()
    assert await store.check_integrity() == "ok"


async def test_the_event_loop_runs_on_while_the_store_waits_for_a_lock(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    async with SQLiteStore(path, busy_timeout=60.0) as store:
        await store.track([1], now=0.0)
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        claim = asyncio.ensure_future(store.claim_due(now=0.0, limit=1, owner="a", lease=1.0))
        for _ in range(200):
            await asyncio.sleep(0)  # the loop keeps turning while the worker thread waits
        assert not claim.done()
        holder.execute("ROLLBACK")
        holder.close()
        assert [invoice.invoice_id for invoice in await claim] == [1]
