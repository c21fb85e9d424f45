"""Which exception each answer or failure becomes: every such decision lives here.

* an error status: an :class:`APIStatusError` subclass (:func:`status_failure`), or a
  :class:`ChorusProBusinessError` for a 4xx carrying ``codeRetour``; a write answered
  500/502/504 becomes :class:`OutcomeUnknownError` (:func:`outcome_unknown_after`);
* a 2xx body with a non-zero ``returnCode``/``codeRetour``: :func:`business_failure`;
* a 2xx body that is not JSON: :class:`ResponseDecodeError` (:func:`decode_json`), but
  :class:`OutcomeUnknownError` for a write (:func:`outcome_unknown_unreadable`): the
  server accepted it, so it was processed, with a result we could not read;
* an attempt that failed (connection, timeout, undecodable or oversized body, closed
  client): :func:`failure_error`.

Secrets. Error bodies, decode-error snippets and business-error bodies are scrubbed of the
client's secrets, the current token and the zero-trust secrets of the request's own
``credentials`` (a server may echo what it was sent). The scrubbing itself is in
:mod:`._redact`, which also masks the headers kept by the aiohttp error chained to ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import aiohttp

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
    ResponseDecodeError,
    ResponseTooLargeError,
    ServerError,
    UnprocessableEntityError,
)
from ._json import loads
from ._redact import redact_scrub, scrub
from ._response import RawResponse
from ._retry import MAYBE_PROCESSED_STATUSES, BodyTooLarge, FailureKind, bad_content_encoding
from ._types import PreparedRequest

__all__ = [
    "business_code",
    "business_error",
    "business_failure",
    "decode_json",
    "error_message",
    "failure_error",
    "failure_reason",
    "outcome_unknown_after",
    "outcome_unknown_unreadable",
    "safe_error_body",
    "status_error",
    "status_failure",
]

# -- error statuses -------------------------------------------------------------------------

_STATUS_CLASSES: Final[dict[int, type[APIStatusError]]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
}


def status_failure(
    response: RawResponse,
    request: PreparedRequest,
    *,
    reason: str | None,
    retry_after: float | None,
    auth_mode: str,
    replayed: bool,
) -> FactPulseError:
    """The exception for an error answer (``response.json`` already made safe)."""
    status, body, request_id = response.status, response.json, response.request_id
    if request.login and status in (401, 403):
        text = error_message(body) or reason or "refused"
        return AuthenticationError(
            _with_id(f"FactPulse login refused (HTTP {status}): {_short(text)}", request_id),
            status_code=status,
            body=body,
            headers=response.headers,
            request_id=request_id,
        )
    note = ""
    if status == 401:
        if auth_mode == "api_key":
            note = " (the API key was refused)"
        elif auth_mode == "token":
            note = " (the access token was refused and cannot be renewed: no email/password)"
        elif replayed:
            note = " (refused again after a new login)"
    elif status == 407:
        note = _PROXY_REFUSED
    return status_error(
        status,
        body,
        response.headers,
        request_id,
        reason=reason,
        retry_after=retry_after,
        note=note,
    )


def status_error(
    status: int,
    body: Any,
    headers: Mapping[str, str],
    request_id: str | None,
    *,
    reason: str | None = None,
    retry_after: float | None = None,
    note: str = "",
) -> FactPulseError:
    """The exception for an error status (``body`` already redacted)."""
    if 400 <= status < 500 and status not in (401, 422, 429) and isinstance(body, Mapping):
        business = business_error(body, request_id) if "codeRetour" in body else None
        if business is not None:
            return business
    text = error_message(body) or reason or "error"
    if 300 <= status < 400 and "Location" in headers:
        text = f"unexpected redirect to {headers['Location']} (check base_url)"
    message = _with_id(f"HTTP {status}: {_short(text)}{note}", request_id)
    kwargs: dict[str, Any] = {
        "status_code": status,
        "body": body,
        "headers": headers,
        "request_id": request_id,
    }
    if status == 422:
        detail = body.get("detail") if isinstance(body, Mapping) else None
        errors = [e for e in detail if isinstance(e, Mapping)] if isinstance(detail, list) else []
        return UnprocessableEntityError(message, errors=errors, **kwargs)
    if status == 429:
        return RateLimitError(message, retry_after=retry_after, **kwargs)
    if status >= 500:
        return ServerError(message, **kwargs)
    return _STATUS_CLASSES.get(status, APIStatusError)(message, **kwargs)


def outcome_unknown_after(
    error: FactPulseError, status: int, request: PreparedRequest
) -> OutcomeUnknownError | None:
    """For a write answered 500/502/504: the unknown outcome to raise instead of ``error``."""
    # A gateway or server error can come after Chorus Pro acted (FactPulse timing out on
    # its upstream, say). 503 and 4xx say the request was not processed.
    if request.idempotent or request.login or status not in MAYBE_PROCESSED_STATUSES:
        return None
    what = f"{error.message}; the server may have processed the request before failing"
    return _outcome_unknown(request, f"{what}, so it was not resent")


def outcome_unknown_unreadable(
    error: ResponseDecodeError, request: PreparedRequest
) -> OutcomeUnknownError | None:
    """For a write answered 2xx with a body that cannot be read (cut off, not JSON): the
    unknown outcome to raise instead of ``error``; ``None`` for reads and the login."""
    if request.idempotent or request.login:
        return None
    what = (
        f"the server answered HTTP {error.status_code}, so it processed the request, but "
        f"its answer could not be read ({error.message}); it was not resent"
    )
    return _outcome_unknown(request, what)


def error_message(body: Any) -> str | None:
    """The server's message: ``errorMessage``, ``detail`` (str), ``detail.errorMessage``,
    ``detail.message``, then ``message``, as FactPulse's error bodies vary; 422 lists are joined."""
    if not isinstance(body, Mapping):
        return None
    detail = body.get("detail")
    nested = detail if isinstance(detail, Mapping) else {}
    joined = _join_validation_errors(detail) if isinstance(detail, list) else None
    for value in (
        body.get("errorMessage"),
        detail,
        nested.get("errorMessage"),
        nested.get("message"),
        joined,
        body.get("message"),
        body.get("libelle"),
    ):
        if isinstance(value, str) and value:
            return value
    return None


def _join_validation_errors(items: list[Any]) -> str:
    parts = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        loc = item.get("loc")
        where = str(loc[-1]) if isinstance(loc, list) and loc else "body"
        parts.append(f"{where}: {item.get('msg', 'invalid')}")
    return "; ".join(parts)


def safe_error_body(body: bytes, secrets: tuple[str, ...]) -> Any:
    """An error body fit to show: its JSON (else its text, ``None`` when empty), masked."""
    if not body:
        return None
    try:
        parsed = loads(body)
    except (ValueError, RecursionError):
        parsed = body.decode("utf-8", "replace")
    # Parsed, yet too deep to walk: the part too deep is masked (never a RecursionError).
    return redact_scrub(parsed, secrets)


# -- business errors in a 2xx body ----------------------------------------------------------


def business_failure(
    parsed: Any, secrets: tuple[str, ...], request_id: str | None = None
) -> ChorusProBusinessError | None:
    """The business error a decoded 2xx body carries, scrubbed of ``secrets``; else None."""
    if type(parsed) is not dict:
        return None
    # Fast check first: most bodies carry returnCode 0 or no code at all.
    code, other = parsed.get("returnCode"), parsed.get("codeRetour")
    if (code is None or code == 0) and (other is None or other == 0):
        return None
    # The message may echo what was sent: scrub before it is raised.
    return business_error(scrub(parsed, secrets), request_id)


def business_error(
    body: Mapping[str, Any], request_id: str | None = None
) -> ChorusProBusinessError | None:
    """The error carried by a body with a non-zero ``returnCode`` or ``codeRetour``, if any."""
    for code_key, text_key, other_key in (
        ("returnCode", "message", "libelle"),
        ("codeRetour", "libelle", "message"),
    ):
        code = business_code(body.get(code_key))
        if code:
            text = body.get(text_key)
            if not isinstance(text, str):
                text = body.get(other_key)
            return ChorusProBusinessError(
                code, text if isinstance(text, str) else "", body=dict(body), request_id=request_id
            )
    return None


def business_code(value: Any) -> int | None:
    """A ``returnCode``/``codeRetour`` as an int (numeric strings accepted), else ``None``.

    Values that are not numbers at all are ignored: we cannot tell success from failure.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


# -- bodies that do not decode --------------------------------------------------------------


def decode_json(
    body: bytes,
    status: int,
    content_type: str,
    *,
    show_body: bool = True,
    secrets: tuple[str, ...] = (),
) -> Any:
    """The JSON value of a success body (:func:`._json.loads`), or :class:`ResponseDecodeError`.

    The snippet of the body put in the error has ``secrets`` masked: a misbehaving server
    (or proxy) may echo the request, zero-trust credentials included.
    """
    try:
        return loads(body)
    except (ValueError, RecursionError) as exc:
        if not body:
            reason = "the body is empty"
        elif "json" not in content_type.lower():
            reason = "the body is not JSON"
        else:
            reason = f"invalid JSON ({exc})"
        snippet = ""
        if show_body:
            # Scrub before cutting, so that a secret across the cut is masked too.
            snippet = scrub(body[:_SNIPPET_WINDOW].decode("utf-8", "replace"), secrets)[:200]
        raise ResponseDecodeError(
            reason, status_code=status, content_type=content_type, snippet=snippet
        ) from exc


_SNIPPET_WINDOW: Final = 200 + 1024
_PROXY_REFUSED: Final = (
    " (the proxy wants credentials: give, or check, user:password@ in proxy= or HTTP(S)_PROXY)"
)


# -- failed attempts ------------------------------------------------------------------------


def failure_error(
    exc: Exception,
    kind: FailureKind,
    request: PreparedRequest,
    answer: aiohttp.ClientResponse | None,
    *,
    closed: str | None,
) -> FactPulseError:
    """The exception for an attempt that raised ``exc`` and is not (or no more) retried.

    ``answer`` is the response whose reading failed, when a status was received.
    ``closed`` is the :class:`ClientClosedError` message when the client (or the user's
    session) was closed under the attempt, else ``None``.
    """
    status = 0 if answer is None else answer.status
    content_type = "" if answer is None else answer.headers.get("Content-Type", "")
    method, url = request.method, request.url
    write_maybe_sent = kind.maybe_sent and not request.idempotent
    if closed is not None and not write_maybe_sent:
        return ClientClosedError(closed)
    if write_maybe_sent and kind is FailureKind.TOO_LARGE and isinstance(exc, BodyTooLarge):
        too_large = ResponseTooLargeError(
            limit=exc.limit, status_code=status, content_type=content_type
        )
        too_large.__cause__ = exc
        what = "its answer passed max_response_size, so whether the server processed "
        unknown = _outcome_unknown(request, what + "the request is unknown; it was not resent")
        unknown.__cause__ = too_large  # kept by the transport: the typed reason, chained
        return unknown
    if write_maybe_sent:
        if kind is FailureKind.UNDECODABLE or kind is FailureKind.TOO_LARGE:
            problem = "decompressed" if kind is FailureKind.UNDECODABLE else "read in full"
            what = f"the response could not be {problem}, so whether the server processed "
            return _outcome_unknown(request, what + "the request is unknown; it was not resent")
        broke = "timed out" if kind is FailureKind.TIMEOUT else "broke"
        what = f"the connection {broke} after the request was sent, so the server may have "
        return _outcome_unknown(request, what + "processed it; it was not resent")
    if kind is FailureKind.TOO_LARGE and isinstance(exc, BodyTooLarge):
        return ResponseTooLargeError(limit=exc.limit, status_code=status, content_type=content_type)
    if kind is FailureKind.TIMEOUT or kind is FailureKind.CONNECT_TIMEOUT:
        reason = failure_reason(exc)
        return APITimeoutError(f"{method} {url} timed out: {reason}", method=method, url=url)
    if kind is FailureKind.UNDECODABLE:
        detail = _short(bad_content_encoding(exc) or "", 200)
        if status:
            return ResponseDecodeError(
                f"the body could not be decompressed ({detail})",
                status_code=status,
                content_type=content_type,
            )
        message = f"{method} {url}: the response could not be decompressed ({detail})"
        return APIConnectionError(message, method=method, url=url)
    if kind is FailureKind.TRUNCATED and status:
        return ResponseDecodeError(
            "the connection closed before the whole body arrived",
            status_code=status,
            content_type=content_type,
        )
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        # The proxy's own answer to CONNECT: the same typed error as when it answers a
        # plain http:// request, with nothing sent to the server.
        note = _PROXY_REFUSED if exc.status == 407 else ""
        return status_error(
            exc.status,
            None,
            exc.headers or {},
            None,
            reason=exc.message,
            note=f"{note} (from the proxy, which did not open a connection to the server)",
        )
    what = "failed before the request was sent" if not kind.maybe_sent else "failed"
    message = f"{method} {url} {what}: {failure_reason(exc)}"
    return APIConnectionError(message, method=method, url=url)


def _outcome_unknown(request: PreparedRequest, message: str) -> OutcomeUnknownError:
    operation, invoice_number = request.operation, request.invoice_number
    message = f"{operation}: {message}"
    if invoice_number:
        message += (
            f". Look invoice {invoice_number!r} up (factures.rechercher_fournisseur) "
            "before submitting it again"
        )
    return OutcomeUnknownError(
        message,
        method=request.method,
        url=request.url,
        operation=operation,
        invoice_number=invoice_number,
    )


def failure_reason(exc: BaseException) -> str:
    """``ExceptionName: message`` of a failure, short enough for a log line or an error."""
    text = str(exc)
    name = type(exc).__name__
    return f"{name}: {_short(text, 200)}" if text else name


def _with_id(message: str, request_id: str | None) -> str:
    return f"{message} [request id {request_id}]" if request_id else message


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"
