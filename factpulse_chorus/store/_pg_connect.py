"""PostgreSQL connections for :class:`~factpulse_chorus.store.PostgresStore`: the driver
imported on first use, the URL with its password masked, opening and migrating, and the
store's few connections.

psycopg is imported only here and only when a store is made: ``import factpulse_chorus``
never needs it.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

from .._exceptions import StoreError
from . import _rows as rows
from . import _schema as sql

if TYPE_CHECKING:
    from psycopg import AsyncConnection

__all__ = ["Connections", "Target", "driver", "statement"]

T = TypeVar("T")
INSTALL = "pip install 'factpulse-chorus[postgres]'"
_PASSWORD_QUERY = re.compile(r"(?<![^&?])(password=)[^&]*")
_STATEMENTS: dict[str, str] = {}


def driver() -> ModuleType:
    """The psycopg module, or a StoreError saying how to install it."""
    try:
        import psycopg
    except ImportError as error:
        raise StoreError(
            f"open: the PostgreSQL driver is not installed: {INSTALL}", path="postgresql"
        ) from error
    return psycopg


def statement(text: str) -> str:
    """``text`` with psycopg's placeholders (the store's SQL has no ``?`` or ``%`` otherwise)."""
    found = _STATEMENTS.get(text)
    if found is None:
        found = _STATEMENTS[text] = text.replace("?", "%s")
    return found


class Target:
    """A ``postgresql://`` URL, and what may be shown of it: the password masked."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        secrets = set()
        netloc = parts.netloc
        if parts.password:
            secrets |= {parts.password, unquote(parts.password)}
            user, _, hosts = netloc.rpartition("@")
            netloc = f"{user.partition(':')[0]}:***@{hosts}"
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key == "password" and value:
                secrets.add(value)
        for value in re.findall(r"(?:^|&)password=([^&]*)", parts.query):
            if value:
                secrets.add(value)  # as written, percent-encoded
        self.url = url
        self._secrets = sorted(secrets, key=len, reverse=True)  # the longest first
        query = _PASSWORD_QUERY.sub(r"\1***", parts.query)
        self.shown = self.scrub(parts._replace(netloc=netloc, query=query).geturl())

    def scrub(self, text: str) -> str:
        """``text`` with the password masked wherever it appears."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


async def _version(connection: AsyncConnection[Any], target: Target) -> int:
    async def one(text: str) -> Any:
        cursor = await connection.execute(statement(text))
        row = await cursor.fetchone()
        assert row is not None
        return row

    tables, versioned = await one(sql.PG_TABLES)
    if versioned:
        version = int((await one(sql.READ_VERSION))[0] or 0)
    elif tables:
        raise StoreError(
            "open: not a factpulse-chorus store (its schema has other tables: give the "
            "store a database or a schema of its own)",
            path=target.shown,
        )
    else:
        version = 0
    return rows.known_version(version, target.shown)


async def _migrate(connection: AsyncConnection[Any], target: Target) -> int:
    """Each missing migration in a transaction of its own, under the advisory lock, so two
    processes opening a fresh database never both create the schema."""
    found = await _version(connection, target)  # read first: a newer schema is left as it is
    for version, statements in sql.MIGRATIONS:
        if version <= found:
            continue
        async with connection.transaction():
            await connection.execute(sql.PG_MIGRATION_LOCK)
            # Read again under the lock: another process may have just migrated.
            if await _version(connection, target) >= version:
                continue
            for text in statements:
                await connection.execute(statement(text))
            await connection.execute(sql.CLEAR_VERSION)
            await connection.execute(statement(sql.WRITE_VERSION), (version,))
    return await _version(connection, target)


class _Pool:
    """The connections made on one event loop (a psycopg connection waits on its loop)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, limit: int) -> None:
        self.loop = loop
        self.slots = asyncio.Semaphore(limit)
        self.idle: list[AsyncConnection[Any]] = []


class Connections:
    """At most ``limit`` connections per event loop, opened on demand, kept while idle.

    Used from another event loop (``asyncio.run`` twice, the blocking client's portal),
    the store drops the previous loop's idle connections and opens new ones.
    """

    def __init__(self, target: Target, busy_timeout: float, limit: int) -> None:
        self._psycopg = driver()
        self._target = target
        # PostgreSQL's lock_timeout: 0 would mean "wait forever", the opposite of SQLite's.
        self._lock_timeout = f"{max(1, round(busy_timeout * 1000))}ms"
        self._limit = limit
        self._lock = threading.Lock()
        self._pool: _Pool | None = None
        self.closed = False
        self.version: int | None = None

    async def run(self, operation: str, work: Callable[[AsyncConnection[Any]], Awaitable[T]]) -> T:
        """``work`` on a connection of this loop; a driver error becomes a StoreError."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self.closed:
                raise StoreError(f"{operation}: the store is closed", path=self._target.shown)
            pool, old = self._pool, None
            if pool is None or pool.loop is not loop:
                old, pool = pool, _Pool(loop, self._limit)
                self._pool = pool
        if old is not None:
            _finish(old.idle)
        try:
            async with pool.slots:
                connection = pool.idle.pop() if pool.idle else await self._open()
                try:
                    result = await work(connection)
                finally:
                    self._give_back(pool, connection)
        except self._psycopg.Error as error:
            message = self._target.scrub(f"{operation} failed: {error}")
            failure = StoreError(message, path=self._target.shown)
            if message != f"{operation} failed: {error}":
                raise failure from None  # the driver's own message shows the password
            raise failure from error
        return result

    async def _open(self) -> AsyncConnection[Any]:
        connection: AsyncConnection[Any] = await self._psycopg.AsyncConnection.connect(
            self._target.url, autocommit=True
        )
        try:
            await connection.execute(statement(sql.PG_LOCK_TIMEOUT), (self._lock_timeout,))
            if self.version is None:
                self.version = await _migrate(connection, self._target)
        except BaseException:
            await connection.close()
            raise
        return connection

    def _give_back(self, pool: _Pool, connection: AsyncConnection[Any]) -> None:
        # A cancelled call may leave a transaction or a query open: such a connection goes.
        idle = connection.info.transaction_status == self._psycopg.pq.TransactionStatus.IDLE
        with self._lock:
            keep = idle and not self.closed and self._pool is pool
            if keep:
                pool.idle.append(connection)
        if not keep:
            _finish([connection])

    def close(self) -> None:
        """Close the idle connections; one in use closes when its call ends."""
        with self._lock:
            self.closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            _finish(pool.idle)


def _finish(connections: list[AsyncConnection[Any]]) -> None:
    # AsyncConnection.close() does no I/O (it ends libpq's connection): done here
    # synchronously, so a connection of a loop that is gone closes too.
    while connections:
        connection = connections.pop()  # held until finished: its __del__ warns if open
        connection.pgconn.finish()
