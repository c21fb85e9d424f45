"""factpulse-chorus: an async-first, typed SDK for the Chorus Pro endpoints of the FactPulse API.

Quick start::

    async with AsyncChorusClient(email=..., password=..., client_uid=...) as client:
        invoice = await client.factures.consulter(7412589)
        print(invoice.current_status.code)

or, from blocking code, ``with ChorusClient(...) as client:`` and the same calls without
``await``.

Public names are imported lazily, so ``import factpulse_chorus`` costs almost nothing
until the client is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from ._client import AsyncChorusClient
    from ._exceptions import (
        APIConnectionError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        ChorusProBusinessError,
        ClientClosedError,
        FactPulseError,
        NotFoundError,
        OutcomeUnknownError,
        PermissionDeniedError,
        RateLimitError,
        RequestValidationError,
        ResponseDecodeError,
        ServerError,
        StructureNotFoundError,
        SyncInAsyncContextError,
        UnprocessableEntityError,
    )
    from ._polling import (
        FinalStatus,
        InvoicePoller,
        PollError,
        PollEvent,
        PollFinished,
        PollSummary,
        StatusChanged,
    )
    from ._sync_generated import ChorusClient
    from ._types import NOT_GIVEN, NotGiven, Timeout
    from .models.common import ChorusProCredentials, InvoiceStatusCode, RawResponse

_EXCEPTIONS = (
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ChorusProBusinessError",
    "ClientClosedError",
    "FactPulseError",
    "NotFoundError",
    "OutcomeUnknownError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestValidationError",
    "ResponseDecodeError",
    "ServerError",
    "StructureNotFoundError",
    "SyncInAsyncContextError",
    "UnprocessableEntityError",
)

# name -> module that defines it (relative to this package)
_LAZY: dict[str, str] = {
    "AsyncChorusClient": "._client",
    "ChorusClient": "._sync_generated",
    "NOT_GIVEN": "._types",
    "NotGiven": "._types",
    "Timeout": "._types",
    "ChorusProCredentials": ".models.common",
    "InvoicePoller": "._polling",
    **dict.fromkeys(
        ("FinalStatus", "PollError", "PollEvent", "PollFinished", "PollSummary", "StatusChanged"),
        "._polling",
    ),
    "InvoiceStatusCode": ".models.common",
    "RawResponse": ".models.common",
    **dict.fromkeys(_EXCEPTIONS, "._exceptions"),
}

__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncChorusClient",
    "AuthenticationError",
    "BadRequestError",
    "ChorusClient",
    "ChorusProBusinessError",
    "ChorusProCredentials",
    "ClientClosedError",
    "FactPulseError",
    "FinalStatus",
    "InvoicePoller",
    "InvoiceStatusCode",
    "NotFoundError",
    "NotGiven",
    "OutcomeUnknownError",
    "PermissionDeniedError",
    "PollError",
    "PollEvent",
    "PollFinished",
    "PollSummary",
    "RateLimitError",
    "RawResponse",
    "RequestValidationError",
    "ResponseDecodeError",
    "ServerError",
    "StatusChanged",
    "StructureNotFoundError",
    "SyncInAsyncContextError",
    "Timeout",
    "UnprocessableEntityError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
