"""The durable store: tracked invoices (for the watcher) and the submission ledger.

:class:`SQLiteStore` keeps both in one SQLite file that several processes can share,
:class:`PostgresStore` in a PostgreSQL database that processes on several machines share
(the ``postgres`` extra); :func:`open_store` picks one from a path or a URL.
Names are imported lazily, like the package root's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from ._base import Store as Store
    from ._open import open_store as open_store
    from ._postgres import PostgresStore as PostgresStore
    from ._records import CheckResult as CheckResult
    from ._records import StatusSeen as StatusSeen
    from ._records import Submission as Submission
    from ._records import SubmissionState as SubmissionState
    from ._records import TrackedInvoice as TrackedInvoice
    from ._sqlite import SQLiteStore as SQLiteStore

# The public names, each written once here: module -> names (see factpulse_chorus/__init__.py).
_EXPORTS: dict[str, tuple[str, ...]] = {
    "._records": ("CheckResult", "StatusSeen", "Submission", "SubmissionState", "TrackedInvoice"),
    "._base": ("Store",),
    "._sqlite": ("SQLiteStore",),
    "._open": ("open_store",),
    "._postgres": ("PostgresStore",),
}
_LAZY, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(_LAZY)
