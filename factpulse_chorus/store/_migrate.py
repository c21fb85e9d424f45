"""Opening an SQLite store file: its schema version checked before anything is written,
the connection's pragmas, then each missing migration in a transaction of its own."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

from .._exceptions import StoreError
from . import _rows as rows
from . import _schema as sql

__all__ = ["Work", "connect", "in_transaction", "write"]

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], T]


def in_transaction(begin: str, connection: sqlite3.Connection, work: Work[T]) -> T:
    """``work`` between ``begin`` and COMMIT, rolled back if it raises."""
    connection.execute(begin)
    try:
        result = work(connection)
    except BaseException:
        if connection.in_transaction:
            connection.rollback()
        raise
    connection.execute("COMMIT")
    return result


def write(work: Work[T]) -> Work[T]:
    """``work`` in a transaction that holds the write lock from its start."""
    return lambda connection: in_transaction(sql.SQLITE_BEGIN_WRITE, connection, work)


def connect(path: str, busy_timeout: float) -> tuple[sqlite3.Connection, int]:
    """An autocommit connection to ``path``, migrated to the current schema, and its version.

    A file newer than this code, or another application's database, raises
    :class:`StoreError` and is left as it was.
    """
    connection = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
    try:
        milliseconds = int(busy_timeout * 1000)
        connection.execute(sql.SQLITE_BUSY_TIMEOUT.format(milliseconds=milliseconds))
        # Read the version before anything writes (WAL mode changes the file's header).
        found = _version(connection, path)
        deadline = time.monotonic() + busy_timeout
        for pragma in sql.SQLITE_PRAGMAS:
            _pragma(connection, pragma, deadline)
        for version, statements in sql.MIGRATIONS:
            if version > found:
                write(_migration(path, version, statements))(connection)
        return connection, _version(connection, path)
    except BaseException:
        connection.close()
        raise


def _pragma(connection: sqlite3.Connection, pragma: str, deadline: float) -> None:
    # Switching to WAL takes an exclusive lock without calling the busy handler: two
    # processes opening a new file at once would see "database is locked" at once.
    pause = 0.001
    while True:
        try:
            connection.execute(pragma)
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)  # on the store's own thread, never on the event loop
        pause = min(pause * 2, 0.05)


def _version(connection: sqlite3.Connection, path: str) -> int:
    tables, versioned = connection.execute(sql.SQLITE_TABLES).fetchone()
    if versioned:
        version = int(connection.execute(sql.READ_VERSION).fetchone()[0] or 0)
    elif tables:
        raise StoreError("open: not a factpulse-chorus store (it has other tables)", path=path)
    else:
        version = 0
    return rows.known_version(version, path)


def _migration(path: str, version: int, statements: tuple[str, ...]) -> Work[None]:
    def migrate(connection: sqlite3.Connection) -> None:
        # Checked again under the write lock: another process may have just migrated.
        if _version(connection, path) >= version:
            return
        for statement in statements:
            connection.execute(statement)
        connection.execute(sql.CLEAR_VERSION)
        connection.execute(sql.WRITE_VERSION, (version,))

    return migrate
