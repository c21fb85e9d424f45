"""OpenTelemetry spans for a client's calls (the ``otel`` extra: ``factpulse-chorus[otel]``).

Imported only when a client is given ``tracer_provider=``, so the package never imports
OpenTelemetry otherwise. Each call is one INTERNAL span named after the operation
(``factures.consulter``), current while it runs, so the caller's span is its parent (the
blocking client runs the call in a copy of the caller's context). Each HTTP attempt is a
CLIENT child span named ``METHOD /path``, with the semantic-convention attributes
(``http.request.resend_count`` from the second attempt). The attempts are followed through
the client's own hooks, chained before the user's, keyed by the :class:`RequestInfo` that
the three hooks share.

Nothing the server or the caller wrote goes in a span but status codes and a request id
shaped like one: no header, no body, no exception message, no query value.
"""

from __future__ import annotations

import contextvars
import re
import urllib.parse
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final, cast

import attrs
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, StatusCode, Tracer

from ._exceptions import FactPulseError, OutcomeUnknownError
from ._redact import request_secrets
from ._response import RawResponse
from ._types import RequestInfo, TracerProvider
from ._upload import FileUpload
from ._version import __version__

if TYPE_CHECKING:
    from ._config import ClientConfig

__all__ = ["Tracing", "with_tracing"]

_REQUEST_ID: Final = re.compile(r"[A-Za-z0-9-]{1,64}\Z")
"""A request id is recorded only when shaped like one (a UUID, a hex or decimal id): a JWT,
a password or a sentence echoed in the header never is."""

_Hook = Callable[..., Awaitable[None] | None]


@attrs.define(eq=False)
class _Operation:
    """One call in flight: its span, its attempts, what its last answer said."""

    name: str
    span: Span
    attempts: int = 0
    open: list[RequestInfo] = attrs.field(factory=list)
    status: int = 0
    request_id: str | None = None
    secrets: tuple[str, ...] = ()
    """The client's secrets and this call's (zero-trust credentials in its body)."""


_CURRENT: contextvars.ContextVar[_Operation | None] = contextvars.ContextVar(
    "factpulse_chorus_operation", default=None
)


def _error_type(error: BaseException) -> str:
    cls = type(error)
    if isinstance(error, FactPulseError):
        return f"factpulse_chorus.{cls.__name__}"  # the public name, not the private module
    return f"{cls.__module__}.{cls.__qualname__}"


def safe_url(url: str) -> str:
    """``url`` without user info and with every query value replaced by ``REDACTED``."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    query = "&".join(
        f"{name}=REDACTED" if sep else name
        for name, sep, _ in (item.partition("=") for item in parts.query.split("&") if item)
    )
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, ""))


class Tracing:
    """The spans of one client and its views (built by :func:`with_tracing`)."""

    def __init__(self, provider: TracerProvider, config: ClientConfig) -> None:
        self._tracer = cast(Tracer, provider.get_tracer("factpulse_chorus", __version__))
        self._secrets = config.auth.secrets()
        self._base_url = config.base_url
        parts = urllib.parse.urlsplit(config.base_url)
        self._server: dict[str, Any] = {
            "server.address": parts.hostname or "",
            "server.port": parts.port or (443 if parts.scheme == "https" else 80),
        }
        # Open attempt spans; weak, so that an attempt abandoned without a hook call (a
        # cancelled login, say) takes its span with it.
        self._attempts: weakref.WeakKeyDictionary[RequestInfo, Span] = weakref.WeakKeyDictionary()

    @staticmethod
    def _request_id(value: str | None, secrets: tuple[str, ...]) -> str | None:
        """``value`` if shaped like an id and free of ``secrets`` (a server may echo one)."""
        if value is None or not _REQUEST_ID.match(value):
            return None
        folded = value.casefold()
        if any(secret.casefold() in folded for secret in secrets):
            return None
        return value

    # -- one span per call --------------------------------------------------------------

    def bind(self, send: Callable[..., Awaitable[RawResponse]]) -> Callable[..., Any]:
        """``send`` (the transport's ``request``) inside one span per call."""

        async def traced(method: str, path: str, *, operation: str, **kwargs: Any) -> RawResponse:
            attributes = {
                "factpulse.operation": operation,
                "http.request.method": method,
                "url.full": safe_url(self._base_url + path),
                **self._server,
            }
            span = self._tracer.start_span(operation, kind=SpanKind.INTERNAL, attributes=attributes)
            body = kwargs.get("json")
            body = body.envelope if isinstance(body, FileUpload) else body
            state = _Operation(operation, span, secrets=self._secrets + request_secrets(body))
            reset = _CURRENT.set(state)
            try:
                with trace.use_span(span, record_exception=False, set_status_on_exception=False):
                    raw = await send(method, path, operation=operation, **kwargs)
            except BaseException as error:
                self._finish(state, error)
                raise
            finally:
                _CURRENT.reset(reset)
            state.status = raw.status
            state.request_id = self._request_id(raw.request_id, state.secrets)
            self._finish(state, None)
            return raw

        return traced

    def _finish(self, state: _Operation, error: BaseException | None) -> None:
        span = state.span
        for info in state.open:  # attempts no hook closed (a 2xx body that did not decode)
            attempt = self._attempts.pop(info, None)
            if attempt is not None and error is not None:
                attempt.set_attribute("error.type", _error_type(error))
                attempt.set_status(StatusCode.ERROR)
            if attempt is not None:
                attempt.end()
        span.set_attribute("factpulse.attempts", state.attempts)
        span.set_attribute("factpulse.retries", max(state.attempts - 1, 0))
        if state.status:
            span.set_attribute("http.response.status_code", state.status)
        if state.request_id is not None:
            span.set_attribute("factpulse.request_id", state.request_id)
        if error is None:
            outcome = "success"
        elif isinstance(error, OutcomeUnknownError):
            outcome = "unknown"  # the server may have processed it
        elif isinstance(error, FactPulseError):
            outcome = "error"
        else:
            outcome = "cancelled"
        span.set_attribute("factpulse.outcome", outcome)
        if error is not None:
            span.set_attribute("error.type", _error_type(error))
            span.set_status(StatusCode.ERROR)
        span.end()

    # -- one span per attempt (the hooks) -----------------------------------------------

    def on_request(self, info: RequestInfo) -> None:
        state = _CURRENT.get()
        attributes: dict[str, Any] = {
            "factpulse.operation": info.operation,
            "factpulse.attempt": info.attempt,
            "http.request.method": info.method,
            "url.full": safe_url(info.url),
            **self._server,
        }
        if info.attempt > 1:
            attributes["http.request.resend_count"] = info.attempt - 1
        path = urllib.parse.urlsplit(info.url).path
        self._attempts[info] = self._tracer.start_span(
            f"{info.method} {path}", kind=SpanKind.CLIENT, attributes=attributes
        )
        # The login runs in a task copied from the call that needed it: not its attempt.
        if state is not None and state.name == info.operation:
            state.attempts += 1
            state.open.append(info)

    def on_response(self, raw: RawResponse) -> None:
        info = raw.request
        span = None if info is None else self._attempts.pop(info, None)
        if info is None or span is None:
            return
        span.set_attribute("http.response.status_code", raw.status)
        state = _CURRENT.get()
        secrets = self._secrets if state is None else state.secrets
        request_id = self._request_id(raw.request_id, secrets)
        if request_id is not None:
            span.set_attribute("factpulse.request_id", request_id)
        if raw.status >= 400:
            span.set_attribute("error.type", str(raw.status))
            span.set_status(StatusCode.ERROR)
        span.end()
        if state is not None and state.name == info.operation:
            state.status, state.request_id = raw.status, request_id

    def on_error(self, info: RequestInfo, error: FactPulseError) -> None:
        span = self._attempts.pop(info, None)
        if span is None:
            return
        span.set_attribute("error.type", _error_type(error))
        span.set_status(StatusCode.ERROR)
        span.end()


def _chain(first: _Hook, second: _Hook | None) -> _Hook:
    """``first`` (ours: plain, never raising) then the user's ``second``."""
    if second is None:
        return first

    def both(*args: Any) -> Awaitable[None] | None:
        first(*args)
        return second(*args)

    return both


def with_tracing(config: ClientConfig, provider: TracerProvider) -> ClientConfig:
    """``config`` with the spans of :class:`Tracing` for ``provider``."""
    tracing = Tracing(provider, config)
    return attrs.evolve(
        config,
        on_request=_chain(tracing.on_request, config.on_request),
        on_response=_chain(tracing.on_response, config.on_response),
        on_error=_chain(tracing.on_error, config.on_error),
        tracing=tracing,
    )
