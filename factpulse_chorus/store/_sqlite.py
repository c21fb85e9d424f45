"""The embedded store: one SQLite file, used through ``sqlite3`` on one worker thread.

Every call hands one function to the store's own thread, so the event loop never waits on
the disk and the connection is only ever touched by the thread that opened it. Writes that
must not interleave between processes (claims, records, reservations) run under
``BEGIN IMMEDIATE``: SQLite's write lock is taken before anything is read, so two processes
on one file never claim the same invoice or reserve the same number.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from .._exceptions import StoreError
from . import _bucket as bucket
from . import _checks as check
from . import _rows as rows
from . import _schema as sql
from ._base import Store
from ._migrate import Work, connect, in_transaction, write
from ._records import CheckResult, Submission, TrackedInvoice

# No __all__: the package's export map (``factpulse_chorus.store._EXPORTS``) lists the names.

T = TypeVar("T")


def _read(work: Work[T]) -> Work[T]:
    return lambda connection: in_transaction(sql.SQLITE_BEGIN_READ, connection, work)


def _relaxed(work: Work[T]) -> Work[T]:
    """``write(work)`` at ``synchronous = NORMAL``: for what a crash only makes re-read."""

    def run(connection: sqlite3.Connection) -> T:
        connection.execute(sql.SQLITE_SYNC_RELAXED)
        try:
            return write(work)(connection)
        finally:
            connection.execute(sql.SQLITE_SYNC_FULL)

    return run


def _one(statement: str, *parameters: Any) -> Work[Any]:
    return lambda connection: connection.execute(statement, parameters).fetchone()[0]


class SQLiteStore(Store):
    """Tracked invoices and the submission ledger in one SQLite file (WAL mode), safe to
    share between processes.

    Opened on first use; ``async with`` / ``with`` closes it. Every method takes the
    caller's clock as ``now`` (POSIX seconds): the store never reads the time itself.
    """

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 30.0) -> None:
        self._path = check.path(path)
        self._busy_timeout = check.busy_timeout(busy_timeout)
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._closed = False
        self._connection: sqlite3.Connection | None = None  # the worker thread's only
        self._version: int | None = None

    def __repr__(self) -> str:
        return f"SQLiteStore({self._path!r})"

    @property
    def path(self) -> str:
        """The database file."""
        return self._path

    @property
    def schema_version(self) -> int:
        """The file's schema version (known once the store has been used)."""
        if self._version is None:
            raise StoreError("the store is not open yet: call one of its methods", path=self._path)
        return self._version

    # -- life cycle (``async with`` / ``with``: Store)

    def _stop(self) -> ThreadPoolExecutor | None:
        with self._lock:
            executor, self._executor = self._executor, None
            self._closed = True
        return executor

    def close(self) -> None:
        """Close the file and stop the worker thread (waits for a call under way)."""
        executor = self._stop()
        if executor is not None:
            executor.submit(self._disconnect)
            executor.shutdown(wait=True)

    async def aclose(self) -> None:
        """Close the file and stop the worker thread, without blocking the event loop."""
        executor = self._stop()
        if executor is not None:
            await asyncio.wrap_future(executor.submit(self._disconnect))
            executor.shutdown(wait=True)  # the thread is idle: this returns at once

    def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    # -- the worker thread

    async def _run(self, operation: str, work: Work[T]) -> T:
        with self._lock:
            if self._closed:
                raise StoreError(f"{operation}: the store is closed", path=self._path)
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="factpulse-store")
            future = self._executor.submit(self._call, operation, work)
        return await asyncio.wrap_future(future)

    def _call(self, operation: str, work: Work[T]) -> T:
        try:
            if self._connection is None:
                self._connection, self._version = connect(self._path, self._busy_timeout)
            return work(self._connection)
        except (sqlite3.Error, OverflowError) as error:  # OverflowError: an int past 64 bits
            raise StoreError(f"{operation} failed: {error}", path=self._path) from error

    # -- tracked invoices (the arguments are checked by Store's public methods)

    async def _track(self, invoice_ids: list[int], *, now: float) -> int:
        new = [(invoice_id, now, now) for invoice_id in invoice_ids]

        def track(connection: sqlite3.Connection) -> int:
            return connection.executemany(sql.TRACK, new).rowcount

        return await self._run("track", write(track))

    async def _claim_due(
        self, *, now: float, limit: int, owner: str, lease: float
    ) -> list[TrackedInvoice]:
        def claim(connection: sqlite3.Connection) -> list[TrackedInvoice]:
            found = connection.execute(sql.SELECT_DUE, (now, now, limit)).fetchall()
            until = now + lease
            for start in range(0, len(found), sql.RECORD_CHUNK):  # one statement per chunk
                chunk = [row[0] for row in found[start : start + sql.RECORD_CHUNK]]
                text = sql.SET_LEASE_IN.format(marks=", ".join("?" * len(chunk)))
                connection.execute(text, (owner, until, *chunk))
            return [rows.invoice(row) for row in found]

        return await self._run("claim_due", _relaxed(claim))

    async def _record(self, results: Sequence[CheckResult], *, owner: str, now: float) -> None:
        def record(connection: sqlite3.Connection) -> None:
            ids = list({result.invoice_id: None for result in results})
            held = {}  # id -> last status, of the invoices ``owner`` still holds
            for start in range(0, len(ids), sql.RECORD_CHUNK):
                chunk = ids[start : start + sql.RECORD_CHUNK]
                text = sql.SELECT_FOR_RECORD_IN.format(marks=", ".join("?" * len(chunk)))
                for invoice_id, lease_owner, status in connection.execute(text, chunk):
                    if lease_owner == owner:  # else taken over by another worker
                        held[invoice_id] = status
            failures, successes, history = _record_rows(results, held, now)
            connection.executemany(sql.RECORD_FAILURE, failures)
            connection.executemany(sql.RECORD_SUCCESS, successes)
            connection.executemany(sql.APPEND_HISTORY, history)

        await self._run("record", _relaxed(record))

    async def _release(self, owner: str) -> None:
        def release(connection: sqlite3.Connection) -> None:
            connection.execute(sql.RELEASE, (owner,))

        await self._run("release", _relaxed(release))

    async def _next_due(self) -> float | None:
        found = await self._run("next_due", _one(sql.NEXT_DUE))
        return None if found is None else float(found)

    async def _get(self, invoice_id: int) -> TrackedInvoice | None:
        def get(connection: sqlite3.Connection) -> TrackedInvoice | None:
            row = connection.execute(sql.SELECT_INVOICE, (invoice_id,)).fetchone()
            if row is None:
                return None
            seen = connection.execute(sql.SELECT_HISTORY, (invoice_id,))
            history = tuple(rows.status_seen(item) for item in seen)
            return rows.invoice(row, history)

        return await self._run("get", _read(get))

    async def _status_counts(self) -> dict[str | None, int]:
        def counts(connection: sqlite3.Connection) -> dict[str | None, int]:
            return dict(connection.execute(sql.STATUS_COUNTS).fetchall())

        return await self._run("status_counts", counts)

    async def _due_count(self, *, now: float) -> int:
        return int(await self._run("due_count", _one(sql.COUNT_DUE, now, now)))

    async def _watched_count(self) -> int:
        return int(await self._run("watched_count", _one(sql.WATCHED_COUNT)))

    async def _check_integrity(self) -> str:
        def integrity(connection: sqlite3.Connection) -> str:
            rows = connection.execute(sql.SQLITE_INTEGRITY_CHECK).fetchall()
            return "\n".join(str(row[0]) for row in rows)

        return await self._run("check_integrity", integrity)

    # -- the submission ledger

    async def _reserve(
        self, supplier: str, invoice_number: str, *, owner: str, now: float, lease: float
    ) -> Submission:
        def reserve(connection: sqlite3.Connection) -> Submission:
            key = (supplier, invoice_number)
            found = connection.execute(sql.SELECT_SUBMISSION, key).fetchone()
            current = None if found is None else rows.submission(found)
            new = rows.reserved(current, *key, owner=owner, now=now, lease=lease)
            if current is None:
                connection.execute(sql.INSERT_SUBMISSION, rows.values(new))
            else:
                _save(connection, new)
            return new

        return await self._run("reserve", write(reserve))

    async def _mark(self, supplier: str, invoice_number: str, change: rows.Mark) -> Submission:
        def mark(connection: sqlite3.Connection) -> Submission:
            found = connection.execute(sql.SELECT_SUBMISSION, (supplier, invoice_number)).fetchone()
            if found is None:
                raise StoreError(f"mark: {invoice_number!r} was never reserved", path=self._path)
            new = rows.marked(rows.submission(found), change)
            _save(connection, new)
            return new

        return await self._run("mark", write(mark))

    async def _submission(self, supplier: str, invoice_number: str) -> Submission | None:
        def get(connection: sqlite3.Connection) -> Submission | None:
            row = connection.execute(sql.SELECT_SUBMISSION, (supplier, invoice_number)).fetchone()
            return None if row is None else rows.submission(row)

        return await self._run("submission", get)

    async def _submissions(self, states: tuple[str, ...] | None) -> list[Submission]:
        parameters: tuple[str, ...] = ()
        statement = sql.SELECT_SUBMISSIONS
        if states is not None:
            parameters = states
            statement = sql.SELECT_SUBMISSIONS_IN.format(marks=", ".join("?" * len(states)))

        def select(connection: sqlite3.Connection) -> list[Submission]:
            return [rows.submission(row) for row in connection.execute(statement, parameters)]

        return await self._run("submissions", select)

    # -- the fleet's rate budget (under the write lock: processes sharing the file take
    # from one bucket)

    async def _take_budget(
        self, name: str, *, now: float, per_second: float | None, burst: int, per_day: int | None
    ) -> float:
        def take(connection: sqlite3.Connection) -> float:
            connection.execute(sql.INSERT_BUDGET, (name, bucket.NO_DAY))
            row = bucket.Bucket(*connection.execute(sql.SELECT_BUDGET, (name,)).fetchone())
            wait, after = bucket.take(
                row, now=now, per_second=per_second, burst=burst, per_day=per_day
            )
            if after is not None and after != row:
                connection.execute(sql.UPDATE_BUDGET, (*after[:4], name))
            return wait

        return await self._run("take_budget", _relaxed(take))

    async def _pause_budget(self, name: str, *, until: float) -> None:
        def pause(connection: sqlite3.Connection) -> None:
            connection.execute(sql.INSERT_BUDGET, (name, bucket.NO_DAY))
            connection.execute(sql.PAUSE_BUDGET, (until, until, name))

        await self._run("pause_budget", write(pause))


def _record_rows(
    results: Sequence[CheckResult], held: dict[int, str | None], now: float
) -> tuple[list[tuple[Any, ...]], ...]:
    """The parameters of RECORD_FAILURE, RECORD_SUCCESS and APPEND_HISTORY for the results
    of the invoices ``held`` (id -> last status): the first result of an invoice only (it
    clears the lease, so a second one would have been ignored)."""
    failures, successes, history = [], [], []
    for result in results:
        if result.invoice_id not in held:
            continue  # taken over, never tracked, or recorded just above
        previous = held.pop(result.invoice_id)
        final, gave_up = int(result.final), int(result.gave_up)
        common = (result.error, result.next_check, final, gave_up, result.invoice_id)
        if result.status is None:
            failures.append(common)
            continue
        date = rows.date_text(result.status_date)
        successes.append((result.status, date, *common))
        if result.status != previous:
            history.append((result.invoice_id, result.status, date, now, result.invoice_id))
    return failures, successes, history


def _save(connection: sqlite3.Connection, row: Submission) -> None:
    columns = rows.values(row)
    connection.execute(sql.UPDATE_SUBMISSION, (*columns[2:], *columns[:2]))
