"""The store on PostgreSQL, for several processes on several machines: the same tables, the
same rules (``_rows``) and the same SQL as SQLite where the two agree (``_schema``).

Claims take rows with ``FOR UPDATE SKIP LOCKED``: two workers never get one invoice and a
claim never waits for another worker's transaction. A reservation locks its ledger row (a
first one inserts it with ``ON CONFLICT DO NOTHING``, so two first reservations of one
number cannot both win). Transactions are READ COMMITTED, PostgreSQL's default: every
statement that decides something reads the row under its lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .._exceptions import RequestValidationError, StoreError
from . import _bucket as bucket
from . import _checks as check
from . import _rows as rows
from . import _schema as sql
from ._base import Store
from ._pg_connect import Connections, Target, statement
from ._records import CheckResult, Submission, TrackedInvoice

if TYPE_CHECKING:
    from psycopg import AsyncConnection

# No __all__: the package's export map (``factpulse_chorus.store._EXPORTS``) lists the names.


async def _rows(connection: AsyncConnection[Any], text: str, *parameters: Any) -> list[Any]:
    cursor = await connection.execute(statement(text), parameters)
    return await cursor.fetchall()


async def _one(connection: AsyncConnection[Any], text: str, *parameters: Any) -> Any:
    found = await _rows(connection, text, *parameters)
    return found[0] if found else None


class PostgresStore(Store):
    """Tracked invoices and the submission ledger in a PostgreSQL database, shared by any
    number of processes on any number of machines.

    ``url`` is a ``postgresql://`` URL (libpq's: ``?sslmode=``, ``connect_timeout=``...);
    the store's tables go in its current schema. Opened on first use, with at most
    ``connections`` connections per event loop; ``async with`` / ``with`` closes it.
    ``busy_timeout`` bounds a wait for a lock (PostgreSQL's ``lock_timeout``). Every method
    takes the caller's clock as ``now`` (POSIX seconds). Needs the ``postgres`` extra.
    """

    def __init__(self, url: str, *, busy_timeout: float = 30.0, connections: int = 4) -> None:
        if not isinstance(url, str) or not url.startswith(("postgresql://", "postgres://")):
            raise RequestValidationError("url", "must be a postgresql:// URL")
        if isinstance(connections, bool) or not isinstance(connections, int) or connections < 1:
            raise RequestValidationError("connections", "must be an integer >= 1")
        self._target = Target(url)
        self._connections = Connections(self._target, check.busy_timeout(busy_timeout), connections)

    def __repr__(self) -> str:
        return f"PostgresStore({self._target.shown!r})"

    @property
    def path(self) -> str:
        """The database's URL, its password masked (as in every :class:`StoreError`)."""
        return self._target.shown

    @property
    def schema_version(self) -> int:
        """The database's schema version (known once the store has been used)."""
        if self._connections.version is None:
            raise StoreError("the store is not open yet: call one of its methods", path=self.path)
        return self._connections.version

    # -- life cycle (``async with`` / ``with``: Store)

    def close(self) -> None:
        """Close the connections (idempotent); a call under way finishes, then closes its own."""
        self._connections.close()

    async def aclose(self) -> None:
        """Same as :meth:`close` (closing a connection does no network wait)."""
        self._connections.close()

    # -- tracked invoices (the arguments are checked by Store's public methods)

    async def _track(self, invoice_ids: list[int], *, now: float) -> int:
        async def track(connection: AsyncConnection[Any]) -> int:
            cursor = await connection.execute(statement(sql.PG_TRACK), (now, now, invoice_ids))
            return cursor.rowcount

        if not invoice_ids:
            return 0
        return await self._connections.run("track", track)

    async def _claim_due(
        self, *, now: float, limit: int, owner: str, lease: float
    ) -> list[TrackedInvoice]:
        async def claim(connection: AsyncConnection[Any]) -> list[TrackedInvoice]:
            found = await _rows(connection, sql.PG_CLAIM_DUE, now, now, limit, owner, now + lease)
            return [rows.invoice(row) for row in sorted(found, key=lambda row: (row[3], row[0]))]

        return await self._connections.run("claim_due", claim)

    async def _record(self, results: Sequence[CheckResult], *, owner: str, now: float) -> None:
        async def record(connection: AsyncConnection[Any]) -> None:
            async with connection.transaction():
                ids = sorted({result.invoice_id for result in results})
                held = {
                    invoice_id: status
                    for invoice_id, lease_owner, status in await _rows(
                        connection, sql.PG_LOCK_FOR_RECORD, ids
                    )
                    if lease_owner == owner
                }
                failures, successes, history = _record_batches(results, held)
                for text, batch, first in (
                    (sql.PG_RECORD_FAILURES, failures, ()),
                    (sql.PG_RECORD_SUCCESSES, successes, ()),
                    (sql.PG_APPEND_HISTORY, history, (now,)),
                ):
                    if batch:
                        columns = [list(column) for column in zip(*batch, strict=True)]
                        await connection.execute(statement(text), (*first, *columns))

        await self._connections.run("record", record)

    async def _release(self, owner: str) -> None:
        async def release(connection: AsyncConnection[Any]) -> None:
            await connection.execute(statement(sql.RELEASE), (owner,))

        await self._connections.run("release", release)

    async def _next_due(self) -> float | None:
        found = await self._value("next_due", sql.NEXT_DUE)
        return None if found is None else float(found)

    async def _get(self, invoice_id: int) -> TrackedInvoice | None:
        async def get(connection: AsyncConnection[Any]) -> TrackedInvoice | None:
            # REPEATABLE READ: the invoice and its history from one snapshot.
            async with connection.transaction():
                await connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                row = await _one(connection, sql.SELECT_INVOICE, invoice_id)
                if row is None:
                    return None
                seen = await _rows(connection, sql.SELECT_HISTORY, invoice_id)
            return rows.invoice(row, tuple(rows.status_seen(item) for item in seen))

        return await self._connections.run("get", get)

    async def _status_counts(self) -> dict[str | None, int]:
        async def counts(connection: AsyncConnection[Any]) -> dict[str | None, int]:
            return {
                status: int(count) for status, count in await _rows(connection, sql.STATUS_COUNTS)
            }

        return await self._connections.run("status_counts", counts)

    async def _due_count(self, *, now: float) -> int:
        return int(await self._value("due_count", sql.COUNT_DUE, now, now))

    async def _watched_count(self) -> int:
        return int(await self._value("watched_count", sql.WATCHED_COUNT))

    async def _check_integrity(self) -> str:
        async def integrity(connection: AsyncConnection[Any]) -> str:
            problems = []
            for description, text in sql.PG_INTEGRITY_CHECKS:
                count = (await _one(connection, text))[0]
                if count:
                    problems.append(f"{count} rows: {description}")
            return "\n".join(problems) or "ok"

        return await self._connections.run("check_integrity", integrity)

    async def _value(self, operation: str, text: str, *parameters: Any) -> Any:
        async def value(connection: AsyncConnection[Any]) -> Any:
            return (await _one(connection, text, *parameters))[0]

        return await self._connections.run(operation, value)

    # -- the submission ledger

    async def _reserve(
        self, supplier: str, invoice_number: str, *, owner: str, now: float, lease: float
    ) -> Submission:
        key = (supplier, invoice_number)

        async def reserve(connection: AsyncConnection[Any]) -> Submission:
            async with connection.transaction():
                found = await _one(connection, sql.PG_LOCK_SUBMISSION, *key)
                if found is None:
                    new = rows.reserved(None, *key, owner=owner, now=now, lease=lease)
                    cursor = await connection.execute(
                        statement(sql.PG_INSERT_SUBMISSION), rows.values(new)
                    )
                    if cursor.rowcount == 1:
                        return new
                    # Another process inserted it meanwhile: its row, now committed, decides.
                    found = await _one(connection, sql.PG_LOCK_SUBMISSION, *key)
                current = rows.submission(found)
                new = rows.reserved(current, *key, owner=owner, now=now, lease=lease)
                await _save(connection, new)
                return new

        return await self._connections.run("reserve", reserve)

    async def _mark(self, supplier: str, invoice_number: str, change: rows.Mark) -> Submission:
        async def mark(connection: AsyncConnection[Any]) -> Submission:
            async with connection.transaction():
                found = await _one(connection, sql.PG_LOCK_SUBMISSION, supplier, invoice_number)
                if found is None:
                    raise StoreError(f"mark: {invoice_number!r} was never reserved", path=self.path)
                new = rows.marked(rows.submission(found), change)
                await _save(connection, new)
                return new

        return await self._connections.run("mark", mark)

    async def _submission(self, supplier: str, invoice_number: str) -> Submission | None:
        async def get(connection: AsyncConnection[Any]) -> Submission | None:
            row = await _one(connection, sql.SELECT_SUBMISSION, supplier, invoice_number)
            return None if row is None else rows.submission(row)

        return await self._connections.run("submission", get)

    async def _submissions(self, states: tuple[str, ...] | None) -> list[Submission]:
        parameters: tuple[str, ...] = ()
        text = sql.SELECT_SUBMISSIONS
        if states is not None:
            parameters = states
            text = sql.SELECT_SUBMISSIONS_IN.format(marks=", ".join("?" * len(states)))

        async def select(connection: AsyncConnection[Any]) -> list[Submission]:
            return [rows.submission(row) for row in await _rows(connection, text, *parameters)]

        return await self._connections.run("submissions", select)

    # -- the fleet's rate budget (the row is locked, ``FOR UPDATE``, while it is read and
    # written: every machine takes from one bucket; a pause is one statement: atomic)

    async def _take_budget(
        self, name: str, *, now: float, per_second: float | None, burst: int, per_day: int | None
    ) -> float:
        async def take(connection: AsyncConnection[Any]) -> float:
            async with connection.transaction():
                await connection.execute(statement(sql.INSERT_BUDGET), (name, bucket.NO_DAY))
                row = bucket.Bucket(*await _one(connection, sql.PG_LOCK_BUDGET, name))
                wait, after = bucket.take(
                    row, now=now, per_second=per_second, burst=burst, per_day=per_day
                )
                if after is not None and after != row:
                    await connection.execute(statement(sql.UPDATE_BUDGET), (*after[:4], name))
                return wait

        return await self._connections.run("take_budget", take)

    async def _pause_budget(self, name: str, *, until: float) -> None:
        async def pause(connection: AsyncConnection[Any]) -> None:
            async with connection.transaction():
                await connection.execute(statement(sql.INSERT_BUDGET), (name, bucket.NO_DAY))
                await connection.execute(statement(sql.PAUSE_BUDGET), (until, until, name))

        await self._connections.run("pause_budget", pause)


def _record_batches(
    results: Sequence[CheckResult], held: dict[int, str | None]
) -> tuple[list[tuple[Any, ...]], ...]:
    """The rows of the failures, the successes and the new history entries among the
    results of invoices ``held`` (id -> last status) by the recording owner, in the columns'
    order of PG_RECORD_FAILURES, PG_RECORD_SUCCESSES and PG_APPEND_HISTORY."""
    failures, successes, history = [], [], []
    for result in results:
        if result.invoice_id not in held:
            continue  # taken over by another worker, never tracked, or recorded just above
        previous = held.pop(result.invoice_id)  # recording clears the lease: once only
        # Plain types: an array's elements must all be of one type.
        common = (
            result.error,
            float(result.next_check),
            int(result.final),
            int(result.gave_up),
            int(result.invoice_id),
        )
        if result.status is None:
            failures.append(common)
            continue
        date = rows.date_text(result.status_date)
        successes.append((*common, result.status, date))
        if result.status != previous:
            history.append((int(result.invoice_id), result.status, date))
    return failures, successes, history


async def _save(connection: AsyncConnection[Any], row: Submission) -> None:
    columns = rows.values(row)
    await connection.execute(statement(sql.UPDATE_SUBMISSION), (*columns[2:], *columns[:2]))
