"""Retry decisions: what may be sent again, and after how long. Pure: no session, no I/O.

Retry safety. Reads (``idempotent=True``) are retried after a connection error, a timeout,
or HTTP 429/502/503/504. Writes are retried only when the server certainly did not process
them: the connection could not be opened (refused, DNS, connect timeout, the proxy refused
or could not open the tunnel) or HTTP 429. Through an ``http://`` base URL a proxy's answer
is a plain HTTP status, read as the server's. A write that timed out or lost its connection
after being sent, or was answered 500/502/504, is an unknown outcome and is never resent. A
401 leads to one new login and one replay (in the transport), which is not a retry. A body
whose ``Content-Encoding`` cannot be undone, or that is larger than ``max_response_size``,
is not retried either: the same bytes would come back.

A ``Retry-After`` is used only when it is a plain number of seconds (``0`` or more) or an
HTTP date in the future; anything else (negative, garbage, a date in the past) is ignored
and the normal backoff applies, so that a broken header never means "resend at once".
"""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import enum
import math
import random
import re
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

import aiohttp
from aiohttp import http_exceptions

if TYPE_CHECKING:
    from ._config import RetryPolicy

__all__ = [
    "MAYBE_PROCESSED_STATUSES",
    "BodyTooLarge",
    "FailureKind",
    "backoff_delay",
    "bad_content_encoding",
    "classify_failure",
    "may_resend",
    "parse_retry_after",
    "retry_after_of",
    "status_retry_delay",
]

RETRY_STATUSES_READ: Final = frozenset({429, 502, 503, 504})
RETRY_STATUSES_WRITE: Final = frozenset({429})  # a rate-limited request was not processed
MAYBE_PROCESSED_STATUSES: Final = frozenset({500, 502, 504})
"""Answers to a write after which the request may have been processed (503 and 4xx: not)."""


class FailureKind(enum.Enum):
    """How an attempt failed: whether the request may have reached the server
    (``maybe_sent``) and whether the same attempt may succeed later (``transient``)."""

    CONNECT = ("connect", False, True)
    CONNECT_TIMEOUT = ("connect timeout", False, True)
    TIMEOUT = ("timeout", True, True)
    TRUNCATED = ("truncated body", True, True)
    BROKEN = ("broken connection", True, True)
    UNDECODABLE = ("undecodable body", True, False)
    TOO_LARGE = ("body too large", True, False)
    FATAL_UNSENT = ("fatal, unsent", False, False)
    FATAL = ("fatal", True, False)

    def __init__(self, label: str, maybe_sent: bool, transient: bool) -> None:
        self.label = label
        self.maybe_sent = maybe_sent
        self.transient = transient


class BodyTooLarge(Exception):
    """Raised inside the transport when a body passes ``max_response_size`` (internal)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the response body is larger than {limit} bytes")
        self.limit = limit


def classify_failure(exc: Exception) -> FailureKind:
    """The kind of an exception raised while sending a request or reading its answer."""
    if isinstance(exc, BodyTooLarge):
        return FailureKind.TOO_LARGE
    if isinstance(exc, aiohttp.ClientSSLError):
        return FailureKind.FATAL_UNSENT  # a certificate problem does not fix itself
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        # The proxy refused to open the tunnel (CONNECT): nothing reached the server. A
        # gateway status may pass (the proxy's upstream); a 407 or 403 will not.
        if exc.status in (502, 503, 504):
            return FailureKind.CONNECT
        return FailureKind.FATAL_UNSENT
    if isinstance(exc, aiohttp.ClientConnectorError):
        return FailureKind.CONNECT
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return FailureKind.CONNECT_TIMEOUT
    if isinstance(exc, asyncio.TimeoutError):
        return FailureKind.TIMEOUT
    if isinstance(exc, (aiohttp.ClientPayloadError, aiohttp.ClientResponseError)):
        if bad_content_encoding(exc) is not None:
            return FailureKind.UNDECODABLE  # a write may still have been processed
        if isinstance(exc, aiohttp.ClientPayloadError):
            return FailureKind.TRUNCATED
    if isinstance(exc, (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError)):
        return FailureKind.FATAL_UNSENT
    if isinstance(exc, (aiohttp.ClientError, OSError)):
        # Includes ServerDisconnectedError on a reused keep-alive connection: the
        # request had been written, so the server may have acted on it.
        return FailureKind.BROKEN
    if isinstance(exc, (RuntimeError, TypeError, ValueError)):
        # aiohttp raises these (closed session or event loop, a value it cannot encode)
        # while building the request, before a byte is written; every failure after the
        # write is a ClientError or an OSError.
        return FailureKind.FATAL_UNSENT
    return FailureKind.FATAL


def may_resend(kind: FailureKind, *, idempotent: bool) -> bool:
    """Whether an attempt that failed this way may be sent again."""
    # A write is resent only when it certainly never reached the server.
    return kind.transient and (idempotent or not kind.maybe_sent)


def bad_content_encoding(exc: Exception) -> str | None:
    """aiohttp's message when the body's ``Content-Encoding`` cannot be undone, else None.

    aiohttp raises ``ContentEncodingError`` for a corrupt gzip/deflate body, and a plain
    ``HttpProcessingError`` when the decoder (Brotli, zstd) is not installed.
    """
    cause = exc.__cause__
    if not isinstance(cause, http_exceptions.HttpProcessingError):
        return None
    message = cause.message or ""
    lowered = message.lower()
    if (
        isinstance(cause, http_exceptions.ContentEncodingError)
        or "content-encoding" in lowered
        # A corrupt deflate body found at the end of the stream: the message is the name.
        or lowered.strip() in _ENCODING_NAMES
    ):
        return message if "content-encoding" in lowered else f"bad Content-Encoding {message!r}"
    return None


_ENCODING_NAMES: Final = frozenset({"gzip", "deflate", "br", "zstd"})


def status_retry_delay(
    status: int, *, idempotent: bool, retries: int, retry_after: float | None, policy: RetryPolicy
) -> float | None:
    """Seconds to wait before resending a request answered ``status``; ``None``: do not."""
    if status not in (RETRY_STATUSES_READ if idempotent else RETRY_STATUSES_WRITE):
        return None
    if retry_after is None:
        return backoff_delay(retries, policy)
    # A server asking for a longer pause than the bound: fail now rather than hang.
    return retry_after if retry_after <= policy.max_retry_after else None


def backoff_delay(retry_index: int, policy: RetryPolicy) -> float:
    """Seconds to wait before retry number ``retry_index + 1`` (exponential, capped, jittered)."""
    delay = min(policy.max_delay, policy.base_delay * (2.0**retry_index))
    return delay * (1.0 - policy.jitter * random.random())


def retry_after_of(status: int, headers: Mapping[str, str]) -> float | None:
    """The ``Retry-After`` of a 429 or 503 answer (the statuses that carry one), in seconds."""
    if status == 429 or status == 503:
        return parse_retry_after(headers.get("Retry-After"))
    return None


_SECONDS: Final = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,6})?\Z")
"""delay-seconds (RFC 9110: digits; a decimal part tolerated). ASCII only: ``float()``
would also take ``-5``, ``1_0``, ``nan`` or non-ASCII digits."""


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` in seconds, from a number of seconds or an HTTP date in the future.

    ``None`` when absent or unusable (negative, not a number nor a date, a date in the
    past): the caller then uses its normal backoff.
    """
    if not value:
        return None
    value = value.strip()
    if _SECONDS.match(value):
        return float(value)
    if not value[:1].isalpha():  # an HTTP date starts with the day's name
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": HTTP dates are GMT anyway
        when = when.replace(tzinfo=datetime.timezone.utc)
    try:
        seconds = when.timestamp() - (time.time() if now is None else now)
    except (OverflowError, OSError, ValueError):
        return None
    return seconds if math.isfinite(seconds) and seconds > 0 else None
