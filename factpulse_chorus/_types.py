"""Small types shared by the client and its transport.

* :data:`NOT_GIVEN` tells "argument left out" apart from ``None`` (which, for a
  timeout, means "no timeout").
* :class:`Timeout` holds the three per-attempt limits.
* :class:`RequestOptions` carries per-call overrides, merged over the client's defaults.
* :class:`PreparedRequest` is one request as the transport sends it, options resolved.
* :class:`BodySink` receives a 2xx body chunk by chunk instead of the transport holding it.
* :class:`RequestInfo` is one attempt as the hooks see it (``on_request``, ``on_response``,
  ``on_error``).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping
from typing import (
    TYPE_CHECKING,
    Any,
    Final,
    Literal,
    Protocol,
    TypeAlias,
    TypeVar,
    runtime_checkable,
)

import attrs

from ._exceptions import FactPulseError, RequestValidationError

if TYPE_CHECKING:
    from ._response import RawResponse
    from ._upload import FileBody

__all__ = [
    "DEFAULT_REQUEST_OPTIONS",
    "NOT_GIVEN",
    "BodySink",
    "Headers",
    "NotGiven",
    "NotGivenOr",
    "OnError",
    "OnRequest",
    "OnResponse",
    "PreparedRequest",
    "RequestInfo",
    "RequestOptions",
    "Timeout",
    "TimeoutTypes",
    "TracerProvider",
]

_T = TypeVar("_T")


class NotGiven:
    """Sentinel for an argument that was left out, so that ``None`` keeps its own meaning.

    ``timeout=None`` means "no timeout"; leaving ``timeout`` out means "the client's default".
    """

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        # A singleton, so that identity checks (`x is NOT_GIVEN`) always hold.
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __reduce__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final[NotGiven] = NotGiven()
"""The one :class:`NotGiven` instance."""

NotGivenOr: TypeAlias = _T | NotGiven
"""``T`` or :data:`NOT_GIVEN`."""

Headers: TypeAlias = Mapping[str, str]
"""HTTP headers as given by the caller."""


def _check_seconds(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RequestValidationError(f"timeout.{name}", "a number of seconds or None")
    if not math.isfinite(value) or value <= 0:
        raise RequestValidationError(f"timeout.{name}", "a positive, finite number of seconds")
    return float(value)


@attrs.frozen
class Timeout:
    """Limits, in seconds, for one attempt of a request; ``None`` removes a limit.

    ``connect``: opening the TCP/TLS connection. ``read``: the longest wait for the next
    bytes of the response. ``total``: the whole attempt (waiting for a pooled connection,
    sending, reading the body). Retries each get the full limits again.
    """

    connect: float | None = attrs.field(default=10.0)
    read: float | None = attrs.field(default=60.0)
    total: float | None = attrs.field(default=120.0)

    def __attrs_post_init__(self) -> None:
        _check_seconds("connect", self.connect)
        _check_seconds("read", self.read)
        _check_seconds("total", self.total)

    @classmethod
    def coerce(cls, value: TimeoutTypes) -> Timeout:
        """Turn a user value into a :class:`Timeout`.

        A number is the total limit (connect and read then only bounded by it);
        ``None`` disables every limit.
        """
        if isinstance(value, Timeout):
            return value
        if value is None:
            return _NO_TIMEOUT
        total = _check_seconds("total", value)
        return cls(connect=None, read=None, total=total)


_NO_TIMEOUT: Final = Timeout(connect=None, read=None, total=None)

TimeoutTypes: TypeAlias = float | Timeout | None
"""What ``timeout=`` accepts: seconds (total), a :class:`Timeout`, or ``None`` (no limit)."""


@attrs.frozen
class RequestOptions:
    """Per-call overrides merged over the client's defaults.

    Fields left :data:`NOT_GIVEN` keep the client's value; ``timeout=None`` means no timeout.
    ``extra_headers`` are added to (and override) the headers the SDK sends.
    """

    timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN
    max_retries: NotGivenOr[int] = NOT_GIVEN
    extra_headers: Headers | None = None

    @classmethod
    def build(
        cls,
        *,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> RequestOptions:
        """Options for one call; returns the shared default instance when nothing is overridden."""
        if timeout is NOT_GIVEN and max_retries is NOT_GIVEN and not extra_headers:
            return DEFAULT_REQUEST_OPTIONS
        return cls(timeout=timeout, max_retries=max_retries, extra_headers=extra_headers)


DEFAULT_REQUEST_OPTIONS: Final = RequestOptions()
"""No overrides: the transport takes a fast path when it receives this very object."""


class BodySink(Protocol):
    """Where the transport puts a 2xx body as it arrives (a download decoded to a file).

    Each attempt answered 2xx calls :meth:`begin` (a retry starts again from zero), then
    :meth:`feed` per chunk (counted against ``max_response_size`` first), then, once the
    whole body has arrived, :meth:`finish` for its JSON value.
    """

    async def begin(self) -> None: ...

    async def feed(self, chunk: bytes) -> None: ...

    async def finish(self, status: int, content_type: str, secrets: tuple[str, ...]) -> Any:
        """The body's JSON value; ResponseDecodeError (``secrets`` masked) when it is not."""
        ...


@attrs.frozen
class PreparedRequest:
    """One request as the transport sends it: what to send, how, and what to say on failure.

    Built once per call from the caller's arguments and the client's defaults, then
    passed whole to the send loop and the error mapping.
    """

    method: str
    path: str
    """From the API root (``/api/v1/chorus-pro/...``); ``url`` is the full address."""
    url: str
    data: bytes | FileBody | None
    """The encoded JSON body (an upload's in parts: a :class:`FileBody`), ``None`` for none."""
    idempotent: bool
    """Whether a resend is harmless (reads); writes are resent only when surely unsent."""
    operation: str
    """The call's name in logs and errors (``factures.soumettre``)."""
    timeout: Timeout
    max_retries: int
    extra_headers: Headers | None = None
    invoice_number: str | None = None
    """Named by :class:`OutcomeUnknownError`, so that the caller can look the invoice up."""
    secrets: tuple[str, ...] = ()
    """Strings to mask in anything raised: the client's secrets and this call's credentials."""
    login: bool = False
    """The login request itself: no token, no business-error check, bodies kept out of errors."""
    sink: BodySink | None = attrs.field(default=None, eq=False)
    """Receives a 2xx body instead of the transport holding it whole (None: held)."""


@attrs.frozen(eq=False)
class RequestInfo:
    """One attempt, as the hooks see it (no headers, no body: no secrets).

    The very object ``on_request`` received is the ``request`` of the :class:`RawResponse`
    given to ``on_response``, and the first argument of ``on_error``: it compares and hashes
    by identity, so it can key a dict of spans or timers across concurrent calls.
    ``attempt`` counts from 1 (a 401 replay and each retry are attempts).
    """

    method: str
    url: str
    operation: str
    attempt: int
    idempotent: bool


OnRequest: TypeAlias = Callable[[RequestInfo], Awaitable[None] | None]
"""Hook called before each attempt; may be a plain function or a coroutine function."""

OnResponse: TypeAlias = Callable[["RawResponse"], Awaitable[None] | None]
"""Hook called with every HTTP response received (any status), before error mapping; its
``request`` is the :class:`RequestInfo` that ``on_request`` received."""


@runtime_checkable
class TracerProvider(Protocol):
    """What ``tracer_provider=`` takes: an OpenTelemetry ``TracerProvider`` (the SDK's, or
    ``opentelemetry.trace.get_tracer_provider()``); install ``factpulse-chorus[otel]``."""

    def get_tracer(self, name: str, version: str | None = None, /) -> Any: ...


OnError: TypeAlias = Callable[[RequestInfo, FactPulseError], Awaitable[None] | None]
"""Hook called when an attempt ends without a response (connection failure, timeout, size
limit), retried or not, with the error it maps to (secrets masked)."""
