"""factpulse-chorus: an async-first, typed SDK for the Chorus Pro endpoints of the FactPulse API.

Quick start::

    async with AsyncChorusClient(email=..., password=..., client_uid=...) as client:
        invoice = await client.factures.consulter(7412589)
        print(invoice.status.code)

or, from blocking code, ``with ChorusClient(...) as client:`` and the same calls without
``await``.

Public names are imported lazily, so ``import factpulse_chorus`` costs almost nothing
until the client is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports
from ._version import __version__

if TYPE_CHECKING:
    from ._budget import RateBudget as RateBudget
    from ._client import AsyncChorusClient as AsyncChorusClient
    from ._config import RetryPolicy as RetryPolicy
    from ._exceptions import APIConnectionError as APIConnectionError
    from ._exceptions import APIStatusError as APIStatusError
    from ._exceptions import APITimeoutError as APITimeoutError
    from ._exceptions import ArchiveTooLargeError as ArchiveTooLargeError
    from ._exceptions import AuthenticationError as AuthenticationError
    from ._exceptions import BadRequestError as BadRequestError
    from ._exceptions import ChorusProBusinessError as ChorusProBusinessError
    from ._exceptions import ClientClosedError as ClientClosedError
    from ._exceptions import DuplicateSubmissionError as DuplicateSubmissionError
    from ._exceptions import FactPulseError as FactPulseError
    from ._exceptions import FileWriteError as FileWriteError
    from ._exceptions import NotFoundError as NotFoundError
    from ._exceptions import OutcomeUnknownError as OutcomeUnknownError
    from ._exceptions import PermissionDeniedError as PermissionDeniedError
    from ._exceptions import RateLimitError as RateLimitError
    from ._exceptions import RequestValidationError as RequestValidationError
    from ._exceptions import ResponseDecodeError as ResponseDecodeError
    from ._exceptions import ResponseTooLargeError as ResponseTooLargeError
    from ._exceptions import ServerError as ServerError
    from ._exceptions import StoreError as StoreError
    from ._exceptions import StructureNotFoundError as StructureNotFoundError
    from ._exceptions import SyncInAsyncContextError as SyncInAsyncContextError
    from ._exceptions import UnprocessableEntityError as UnprocessableEntityError
    from ._poll_events import FinalStatus as FinalStatus
    from ._poll_events import PollError as PollError
    from ._poll_events import PollEvent as PollEvent
    from ._poll_events import PollFinished as PollFinished
    from ._poll_events import PollSummary as PollSummary
    from ._poll_events import StatusChanged as StatusChanged
    from ._polling import InvoicePoller as InvoicePoller
    from ._sync_generated import BlockingWatchRun as BlockingWatchRun
    from ._sync_generated import ChorusClient as ChorusClient
    from ._sync_generated import InvoiceWatcher as InvoiceWatcher
    from ._types import NOT_GIVEN as NOT_GIVEN
    from ._types import NotGiven as NotGiven
    from ._types import RequestInfo as RequestInfo
    from ._types import Timeout as Timeout
    from ._watch_policy import WatchPolicy as WatchPolicy
    from ._watch_run import WatchRun as WatchRun
    from ._watcher import AsyncInvoiceWatcher as AsyncInvoiceWatcher
    from .models.common import ChorusProCredentials as ChorusProCredentials
    from .models.common import InvoiceStatusCode as InvoiceStatusCode
    from .models.common import RawResponse as RawResponse
    from .resources._factures_submit import SafeRetry as SafeRetry
    from .store._base import Store as Store
    from .store._open import open_store as open_store
    from .store._postgres import PostgresStore as PostgresStore
    from .store._records import CheckResult as CheckResult
    from .store._records import StatusSeen as StatusSeen
    from .store._records import Submission as Submission
    from .store._records import SubmissionState as SubmissionState
    from .store._records import TrackedInvoice as TrackedInvoice
    from .store._sqlite import SQLiteStore as SQLiteStore

# The public names, each written once here: module -> names. __all__ and the lazy
# look-up are derived from it; the imports above repeat it for type checkers, and
# tests/client/test_exports.py checks that the two agree.
_EXPORTS: dict[str, tuple[str, ...]] = {
    "._budget": ("RateBudget",),
    "._client": ("AsyncChorusClient",),
    "._config": ("RetryPolicy",),
    "._exceptions": (
        "APIConnectionError",
        "APIStatusError",
        "APITimeoutError",
        "ArchiveTooLargeError",
        "AuthenticationError",
        "BadRequestError",
        "ChorusProBusinessError",
        "ClientClosedError",
        "DuplicateSubmissionError",
        "FactPulseError",
        "FileWriteError",
        "NotFoundError",
        "OutcomeUnknownError",
        "PermissionDeniedError",
        "RateLimitError",
        "RequestValidationError",
        "ResponseDecodeError",
        "ResponseTooLargeError",
        "ServerError",
        "StoreError",
        "StructureNotFoundError",
        "SyncInAsyncContextError",
        "UnprocessableEntityError",
    ),
    "._poll_events": (
        "FinalStatus",
        "PollError",
        "PollEvent",
        "PollFinished",
        "PollSummary",
        "StatusChanged",
    ),
    "._polling": ("InvoicePoller",),
    "._sync_generated": ("BlockingWatchRun", "ChorusClient", "InvoiceWatcher"),
    "._types": (
        "NOT_GIVEN",
        "NotGiven",
        "RequestInfo",
        "Timeout",
    ),
    "._watch_policy": ("WatchPolicy",),
    "._watch_run": ("WatchRun",),
    "._watcher": ("AsyncInvoiceWatcher",),
    ".models.common": (
        "ChorusProCredentials",
        "InvoiceStatusCode",
        "RawResponse",
    ),
    ".resources._factures_submit": ("SafeRetry",),
    ".store._records": (
        "CheckResult",
        "StatusSeen",
        "Submission",
        "SubmissionState",
        "TrackedInvoice",
    ),
    ".store._base": ("Store",),
    ".store._sqlite": ("SQLiteStore",),
    ".store._open": ("open_store",),
    ".store._postgres": ("PostgresStore",),
}
_LAZY, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = ["__version__", *sorted(_LAZY)]
