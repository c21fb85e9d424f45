"""``open_store``: the store a target names, a file path or a PostgreSQL URL."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._postgres import PostgresStore
    from ._sqlite import SQLiteStore

# No __all__: the package's export map (``factpulse_chorus.store._EXPORTS``) lists the names.

_URL_SCHEMES = ("postgresql://", "postgres://")


def open_store(
    target: str | os.PathLike[str], *, busy_timeout: float = 30.0
) -> SQLiteStore | PostgresStore:
    """The store at ``target``: a ``postgresql://`` (or ``postgres://``) URL gives a
    :class:`PostgresStore` (the ``postgres`` extra), anything else is an SQLite file path
    (:class:`SQLiteStore`). Opened on first use, like both."""
    if isinstance(target, str) and target.startswith(_URL_SCHEMES):
        from ._postgres import PostgresStore

        return PostgresStore(target, busy_timeout=busy_timeout)
    from ._sqlite import SQLiteStore

    return SQLiteStore(target, busy_timeout=busy_timeout)
