"""Sending a request: auth header, retries, timeouts and error mapping.

The module has two halves:

* **Decisions** (pure functions, no I/O): which failures may be retried for reads and
  for writes, how long to wait, how to read ``Retry-After``, which exception a status
  becomes, how a 200 body reveals a Chorus Pro business error.
* **The I/O loop** (:class:`Transport`): send with aiohttp, read the body, apply the
  decisions. It is kept short and allocation-light because every call goes through it.

Retry safety (REFERENCE.md §4.4). Reads (``idempotent=True``) are retried after a
connection error, a timeout, or HTTP 429/502/503/504. Writes are retried only when the
server certainly did not process them: the connection could not be opened (refused,
DNS, connect timeout) or HTTP 429. A write that timed out or lost its connection after
being sent raises :class:`OutcomeUnknownError` and is never resent. HTTP 500 is never
retried. A 401 leads to one new login and one replay, which does not count as a retry.
A body whose ``Content-Encoding`` cannot be undone is not retried either: the same bytes
would come back.

Secrets. Error bodies, decode-error snippets and business-error bodies are scrubbed of the
client's secrets, the current token and the zero-trust secrets of the request's own
``credentials`` (a server may echo what it was sent); the aiohttp error chained to ours has
its ``Authorization``/``X-API-Key`` headers masked.
"""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import functools
import inspect
import io
import json as _json
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

import aiohttp
from aiohttp import http_exceptions
from multidict import CIMultiDict, CIMultiDictProxy

from ._auth import TokenManager
from ._config import CLOSED_MESSAGE, LOGIN_PATH, ClientConfig, RetryPolicy, check_max_retries
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
    UnprocessableEntityError,
)
from ._logging import logger
from ._redact import redact, redact_headers, scrub
from ._types import DEFAULT_REQUEST_OPTIONS, NotGiven, RequestInfo, RequestOptions, Timeout
from ._version import __version__
from .models.common import RawResponse

__all__ = [
    "SharedState",
    "Transport",
    "backoff_delay",
    "business_code",
    "error_message",
    "parse_retry_after",
    "status_error",
]

USER_AGENT: Final = f"factpulse-chorus/{__version__}"

# ---------------------------------------------------------------------------------------
# Decisions
# ---------------------------------------------------------------------------------------

RETRY_STATUSES_READ: Final = frozenset({429, 502, 503, 504})
RETRY_STATUSES_WRITE: Final = frozenset({429})  # a rate-limited request was not processed


def backoff_delay(retry_index: int, policy: RetryPolicy) -> float:
    """Seconds to wait before retry number ``retry_index + 1`` (exponential, capped, jittered)."""
    delay = min(policy.max_delay, policy.base_delay * (2.0**retry_index))
    return delay * (1.0 - policy.jitter * random.random())


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` in seconds, from a number of seconds or an HTTP date; ``None`` if absent."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": HTTP dates are GMT anyway
        when = when.replace(tzinfo=datetime.timezone.utc)
    return _seconds_until(when.timestamp(), now)


def _seconds_until(timestamp: float, now: float | None) -> float:
    return max(0.0, timestamp - (time.time() if now is None else now))


def error_message(body: Any) -> str | None:
    """The server's message: ``errorMessage``, ``detail`` (str), ``detail.errorMessage``,
    ``detail.message``, then ``message`` (REFERENCE.md §2.4); 422 lists are joined."""
    if not isinstance(body, Mapping):
        return None
    value = body.get("errorMessage")
    if isinstance(value, str) and value:
        return value
    detail = body.get("detail")
    if isinstance(detail, str) and detail:
        return detail
    if isinstance(detail, Mapping):
        for key in ("errorMessage", "message"):
            value = detail.get(key)
            if isinstance(value, str) and value:
                return value
    if isinstance(detail, list):
        joined = _join_validation_errors(detail)
        if joined:
            return joined
    value = body.get("message")
    if isinstance(value, str) and value:
        return value
    value = body.get("libelle")
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


def business_error(body: Mapping[str, Any]) -> ChorusProBusinessError | None:
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
                code, text if isinstance(text, str) else "", body=dict(body)
            )
    return None


_STATUS_CLASSES: Final[dict[int, type[APIStatusError]]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
}


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
    """The exception for an error response (``body`` already redacted)."""
    if (
        400 <= status < 500
        and status not in (401, 422, 429)
        and isinstance(body, Mapping)
        and "codeRetour" in body
    ):
        business = business_error(body)
        if business is not None:
            return business
    text = error_message(body) or reason or "error"
    if 300 <= status < 400 and "Location" in headers:
        text = f"unexpected redirect to {headers['Location']} (check base_url)"
    message = f"HTTP {status}: {_short(text)}{note}"
    if request_id:
        message += f" [request id {request_id}]"
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


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def decode_json(
    body: bytes,
    status: int,
    content_type: str,
    *,
    show_body: bool = True,
    secrets: tuple[str, ...] = (),
) -> Any:
    """``json.loads`` of a success body, or :class:`ResponseDecodeError`.

    The snippet of the body put in the error has ``secrets`` masked: a misbehaving server
    (or proxy) may echo the request, zero-trust credentials included.
    """
    try:
        return _json.loads(body)
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


def call_secrets(secrets: tuple[str, ...], body: Any) -> tuple[str, ...]:
    """``secrets`` plus the zero-trust secrets carried by this request's ``credentials``.

    They are not known to the client config (they may be given per call), yet a server
    may echo them in an error message, which the SDK then logs or raises.
    """
    if type(body) is not dict:
        return secrets
    credentials = body.get("credentials")
    if type(credentials) is not dict:
        return secrets
    found = tuple(
        value
        for key in _CREDENTIAL_SECRETS
        if isinstance(value := credentials.get(key), str) and value
    )
    return (*secrets, *found) if found else secrets


# The two secrets, and the two identifiers REFERENCE §3.2 asks to redact as well.
_CREDENTIAL_SECRETS: Final = (
    "pisteClientSecret",
    "chorusProPassword",
    "pisteClientId",
    "chorusProLogin",
)


def lenient_body(body: bytes) -> Any:
    """An error body: its JSON when it is JSON, else its text, ``None`` when empty."""
    if not body:
        return None
    try:
        return _json.loads(body)
    except (ValueError, RecursionError):
        return body.decode("utf-8", "replace")


# How a failed attempt is treated. `sent`: the request may have reached the server.
_CONNECT, _CONNECT_TIMEOUT, _TIMEOUT, _TRUNCATED, _BROKEN, _FATAL_UNSENT, _FATAL = range(7)
_UNDECODABLE = 7


def _bad_content_encoding(exc: Exception) -> str | None:
    """aiohttp's message when the body's ``Content-Encoding`` cannot be undone, else None.

    The same bytes would come back on a retry, so this is not a transient failure. aiohttp
    raises ``ContentEncodingError`` for a corrupt gzip/deflate body, and a plain
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


def classify_failure(exc: Exception) -> tuple[int, bool, bool]:
    """``(kind, maybe_sent, retryable)`` for an exception raised while sending/reading."""
    if isinstance(exc, aiohttp.ClientSSLError):
        return _FATAL_UNSENT, False, False  # a certificate problem does not fix itself
    if isinstance(exc, aiohttp.ClientConnectorError):
        return _CONNECT, False, True
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return _CONNECT_TIMEOUT, False, True
    if isinstance(exc, asyncio.TimeoutError):
        return _TIMEOUT, True, True
    if isinstance(exc, (aiohttp.ClientPayloadError, aiohttp.ClientResponseError)):
        if _bad_content_encoding(exc) is not None:
            # A write may still have been processed: maybe_sent stays True.
            return _UNDECODABLE, True, False
        if isinstance(exc, aiohttp.ClientPayloadError):
            return _TRUNCATED, True, True
    if isinstance(exc, (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError)):
        return _FATAL_UNSENT, False, False
    if isinstance(exc, (aiohttp.ClientError, OSError)):
        # Includes ServerDisconnectedError on a reused keep-alive connection: the
        # request had been written, so the server may have acted on it.
        return _BROKEN, True, True
    return _FATAL, True, False


# ---------------------------------------------------------------------------------------
# Shared state and the I/O loop
# ---------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _client_timeout(timeout: Timeout) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(
        total=timeout.total, sock_connect=timeout.connect, sock_read=timeout.read
    )


# One encoder for every call: json.dumps() with options builds a new one each time.
_ENCODER: Final = _json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _encode(body: Any) -> bytes:
    try:
        return _ENCODER.encode(body).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise RequestValidationError("body", f"must be JSON-serialisable ({exc})") from exc


_MAYBE_PROCESSED_STATUSES: Final = frozenset({500, 502, 504})
"""Answers to a write after which the request may have been processed (503 and 4xx: not)."""

_LARGE_BODY: Final = 1024 * 1024
"""Bodies above this size (bytes) are streamed: uploads of up to 10 MiB."""


async def _call_hook(hook: Callable[[Any], Awaitable[None] | None], arg: Any) -> None:
    result = hook(arg)
    if inspect.isawaitable(result):
        await result


class SharedState:
    """What a client shares with its ``with_options()`` views: the session and the token.

    The aiohttp session is created on first use, inside the running event loop. A
    session passed by the user is used as is and never closed by us.
    """

    def __init__(self, config: ClientConfig, session: aiohttp.ClientSession | None) -> None:
        self.config = config
        self.owns_session = session is None
        self.closed = False
        self.tokens: TokenManager | None = None
        self._session = session

    @property
    def state(self) -> str:
        """``unopened``, ``open`` or ``closed``."""
        if self.closed:
            return "closed"
        return "unopened" if self._session is None else "open"

    @property
    def current_session(self) -> aiohttp.ClientSession | None:
        """The session in use, if any (``None`` before first use and after closing)."""
        return self._session

    def session(self) -> aiohttp.ClientSession:
        """The session, created on first use; :class:`ClientClosedError` once closed."""
        session = self._session
        if session is not None:
            return session
        if self.closed:
            raise ClientClosedError(CLOSED_MESSAGE)
        config = self.config
        connector = aiohttp.TCPConnector(
            limit=config.connection_limit, limit_per_host=config.connection_limit_per_host
        )
        session = aiohttp.ClientSession(
            connector=connector,
            # The API is token-based: skipping cookie handling saves work on every call.
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=_client_timeout(config.timeout),
        )
        self._session = session
        return session

    async def aclose(self) -> None:
        """Close the session (if ours) and cancel a login in flight. Idempotent."""
        if self.closed:
            return
        self.closed = True
        session, self._session = self._session, None
        try:
            if self.tokens is not None:
                await self.tokens.aclose()
        finally:
            # Even when closing is cancelled while a login unwinds, the session is closed:
            # a later aclose() returns at once and could not do it any more.
            if session is not None and self.owns_session:
                await session.close()


class Transport:
    """Sends requests for one client (or one ``with_options()`` view of it).

    Resources call :meth:`request`; everything else is internal.
    """

    def __init__(self, config: ClientConfig, shared: SharedState) -> None:
        self.config = config
        self.closed = False
        self._shared = shared
        self._base_url = config.base_url
        self._max_retries = config.max_retries
        self._timeout = _client_timeout(config.timeout)
        self._policy = config.retry_policy
        self._on_request = config.on_request
        self._on_response = config.on_response
        auth = config.auth
        self._secrets = auth.secrets()
        if shared.tokens is None and auth.mode != "api_key":
            shared.tokens = TokenManager(self._login if auth.can_login else None, token=auth.token)

        static: dict[str, str] = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if auth.api_key is not None:
            static["X-API-Key"] = auth.api_key
        static.update(config.default_headers)
        self._static_headers = static
        self._login_headers: CIMultiDict[str] = CIMultiDict(static)
        self._login_headers["Content-Type"] = "application/json"
        self._login_headers.popall("X-API-Key", None)
        # Headers are rebuilt only when the token changes (aiohttp copies what we pass).
        self._cached_token: str | None = None
        self._headers_no_body: CIMultiDict[str] = CIMultiDict()
        self._headers_body: CIMultiDict[str] = CIMultiDict()
        self._build_headers(None)

    # -- public ---------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        idempotent: bool,
        operation: str,
        options: RequestOptions = DEFAULT_REQUEST_OPTIONS,
        invoice_number: str | None = None,
    ) -> RawResponse:
        """Send ``method path`` (path from the API root, e.g. ``/api/v1/chorus-pro/...``).

        ``json`` is the body (left out when ``None``). ``idempotent`` says whether a resend
        is harmless (reads); ``operation`` names the call in logs and errors;
        ``invoice_number`` is carried by :class:`OutcomeUnknownError`.

        Returns the :class:`RawResponse` of a 2xx answer whose JSON carries no non-zero
        ``returnCode``/``codeRetour``. Raises :class:`ClientClosedError`,
        :class:`APIConnectionError` (and its :class:`APITimeoutError`,
        :class:`OutcomeUnknownError`), an :class:`APIStatusError` subclass,
        :class:`ChorusProBusinessError`, :class:`ResponseDecodeError`, or
        :class:`RequestValidationError` (bad options, body not JSON-serialisable).
        """
        if self.closed:
            raise ClientClosedError(CLOSED_MESSAGE)
        session = self._shared.session()
        data = None if json is None else _encode(json)
        secrets = call_secrets(self._secrets, json)
        if options is DEFAULT_REQUEST_OPTIONS:
            return await self._send(
                session,
                method,
                path,
                data,
                idempotent,
                operation,
                self._timeout,
                self._max_retries,
                None,
                invoice_number,
                False,
                secrets,
            )
        timeout = options.timeout
        max_retries = options.max_retries
        client_timeout = (
            self._timeout
            if isinstance(timeout, NotGiven)
            else _client_timeout(Timeout.coerce(timeout))
        )
        return await self._send(
            session,
            method,
            path,
            data,
            idempotent,
            operation,
            client_timeout,
            self._max_retries
            if isinstance(max_retries, NotGiven)
            else check_max_retries(max_retries),
            options.extra_headers or None,
            invoice_number,
            False,
            secrets,
        )

    # -- internals ------------------------------------------------------------------------

    async def _login(self) -> str:
        """POST /api/token/ and return the access token (called by the TokenManager)."""
        auth = self.config.auth
        body: dict[str, str] = {"username": auth.email or "", "password": auth.password or ""}
        if auth.client_uid is not None:
            body["client_uid"] = auth.client_uid
        raw = await self._send(
            self._shared.session(),
            "POST",
            LOGIN_PATH,
            _encode(body),
            True,
            "auth.login",
            self._timeout,
            self._max_retries,
            None,
            None,
            True,
            self._secrets,
        )
        access = raw.json.get("access") if isinstance(raw.json, dict) else None
        if not isinstance(access, str) or not access:
            raise ResponseDecodeError(
                "the login response has no 'access' token",
                status_code=raw.status,
                content_type=raw.headers.get("Content-Type", ""),
            )
        return access

    def _headers_for(self, token: str | None, has_body: bool) -> CIMultiDict[str]:
        if token is not self._cached_token:
            self._build_headers(token)
        return self._headers_body if has_body else self._headers_no_body

    def _build_headers(self, token: str | None) -> None:
        self._cached_token = token
        no_body: CIMultiDict[str] = CIMultiDict(self._static_headers)
        if token is not None:
            no_body["Authorization"] = f"Bearer {token}"
        with_body = no_body.copy()
        with_body["Content-Type"] = "application/json"
        self._headers_no_body, self._headers_body = no_body, with_body

    async def _send(
        self,
        session: aiohttp.ClientSession,
        method: str,
        path: str,
        data: bytes | None,
        idempotent: bool,
        operation: str,
        timeout: aiohttp.ClientTimeout,
        max_retries: int,
        extra_headers: Mapping[str, str] | None,
        invoice_number: str | None,
        login: bool,
        secrets: tuple[str, ...],
    ) -> RawResponse:
        url = self._base_url + path
        tokens = None if login else self._shared.tokens
        has_body = data is not None
        retries = 0
        attempt = 0
        replayed_after_401 = False
        while True:
            attempt += 1
            token: str | None = None
            if login:
                headers = self._login_headers
            else:
                if tokens is not None:
                    token = tokens.current()
                    if token is None:
                        token = await tokens.get()
                headers = self._headers_for(token, has_body)
            if retries or extra_headers:
                headers = CIMultiDict(headers)
                if extra_headers:
                    headers.update(extra_headers)
                if retries:
                    headers["X-Retry-Count"] = str(retries)
            if self._on_request is not None:
                await _call_hook(
                    self._on_request, RequestInfo(method, url, operation, attempt, idempotent)
                )

            started = time.perf_counter()
            status = 0
            try:
                async with session.request(
                    method,
                    url,
                    # aiohttp warns that a large raw-bytes body blocks the loop while it is
                    # written; a fresh BytesIO per attempt is streamed in chunks instead.
                    data=io.BytesIO(data) if data is not None and len(data) > _LARGE_BODY else data,
                    headers=headers,
                    timeout=timeout,
                    allow_redirects=False,
                    raise_for_status=False,
                ) as response:
                    status = response.status
                    body = await response.read()
            except Exception as exc:  # CancelledError is a BaseException: it propagates
                # `response` is this attempt's only when a status was received.
                content_type = response.headers.get("Content-Type", "") if status else ""
                error = self._failure(
                    exc,
                    session,
                    method,
                    url,
                    path,
                    status,
                    content_type,
                    idempotent,
                    operation,
                    invoice_number,
                )
                if error is None and retries < max_retries:
                    delay = backoff_delay(retries, self._policy)
                    reason = _failure_reason(exc)
                    self._warn_retry(method, path, reason, delay, retries, max_retries)
                    await asyncio.sleep(delay)
                    retries += 1
                    continue
                if error is None:
                    error = self._final_failure(exc, method, url, status, content_type)
                _mask_request_headers(exc)  # it is chained to ours: users print it
                raise error from exc

            elapsed = time.perf_counter() - started
            resp_headers = response.headers
            request_id = resp_headers.get("X-Request-ID")
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "%s %s -> %d in %.1f ms (attempt %d, request id %s)",
                    method,
                    path,
                    status,
                    elapsed * 1000.0,
                    attempt,
                    request_id,
                )

            if 200 <= status < 300:
                parsed = decode_json(
                    body,
                    status,
                    resp_headers.get("Content-Type", ""),
                    show_body=not login,
                    secrets=self._with_token(secrets),
                )
                raw = RawResponse(
                    status=status,
                    headers=resp_headers,
                    json=parsed,
                    request_id=request_id,
                    method=method,
                    url=url,
                    elapsed=elapsed,
                )
                if self._on_response is not None:
                    await _call_hook(self._on_response, raw if not login else _redacted(raw))
                if type(parsed) is dict and not login:
                    # Fast check first: most bodies carry returnCode 0 or no code at all.
                    code = parsed.get("returnCode")
                    other = parsed.get("codeRetour")
                    if (code is not None and code != 0) or (other is not None and other != 0):
                        # The message may echo what was sent: scrub before it is raised.
                        business = business_error(scrub(parsed, self._with_token(secrets)))
                        if business is not None:
                            raise business
                return raw

            # An error status.
            error_body = lenient_body(body)
            if self._on_response is not None:
                await _call_hook(
                    self._on_response,
                    RawResponse(
                        status=status,
                        headers=resp_headers,
                        json=scrub(redact(error_body), self._with_token(secrets)),
                        request_id=request_id,
                        method=method,
                        url=url,
                        elapsed=elapsed,
                    ),
                )
            if (
                status == 401
                and token is not None
                and tokens is not None
                and not replayed_after_401
                and tokens.invalidate(token)
            ):
                # The token was refused (expired early, revoked...): one new login, one
                # replay. The server rejected the request before acting on it, so a
                # replay is safe even for writes.
                replayed_after_401 = True
                logger.info("%s %s -> 401: logging in again and replaying once", method, path)
                continue

            retry_after: float | None = None
            if status == 429 or status == 503:
                retry_after = parse_retry_after(resp_headers.get("Retry-After"))
            retry_statuses = RETRY_STATUSES_READ if idempotent else RETRY_STATUSES_WRITE
            if status in retry_statuses and retries < max_retries:
                policy = self._policy
                if retry_after is None or retry_after <= policy.max_retry_after:
                    delay = backoff_delay(retries, policy) if retry_after is None else retry_after
                    self._warn_retry(method, path, f"HTTP {status}", delay, retries, max_retries)
                    await asyncio.sleep(delay)
                    retries += 1
                    continue
            error = self._status_error(
                status,
                error_body,
                resp_headers,
                request_id,
                response.reason,
                retry_after,
                login,
                replayed_after_401,
                secrets,
            )
            if not idempotent and not login and status in _MAYBE_PROCESSED_STATUSES:
                # A gateway or server error can come after Chorus Pro acted (FactPulse
                # timing out on its upstream, say): for a write that is an unknown outcome.
                unknown = self._unknown_after_status(error, method, url, operation, invoice_number)
                raise unknown from error
            raise error

    @staticmethod
    def _unknown_after_status(
        error: FactPulseError,
        method: str,
        url: str,
        operation: str,
        invoice_number: str | None,
    ) -> OutcomeUnknownError:
        message = (
            f"{operation}: {error.message}; the server may have processed the request "
            "before failing, so it was not resent"
        )
        if invoice_number:
            message += (
                f". Look invoice {invoice_number!r} up (factures.rechercher_fournisseur) "
                "before submitting it again"
            )
        return OutcomeUnknownError(
            message, method=method, url=url, operation=operation, invoice_number=invoice_number
        )

    def _with_token(self, secrets: tuple[str, ...]) -> tuple[str, ...]:
        token = self._cached_token
        return (*secrets, token) if token else secrets

    def _status_error(
        self,
        status: int,
        body: Any,
        headers: Mapping[str, str],
        request_id: str | None,
        reason: str | None,
        retry_after: float | None,
        login: bool,
        replayed: bool,
        secrets: tuple[str, ...],
    ) -> FactPulseError:
        safe_body = scrub(redact(body), self._with_token(secrets))
        note = ""
        if login and status in (401, 403):
            text = error_message(safe_body) or reason or "refused"
            message = f"FactPulse login refused (HTTP {status}): {_short(text)}"
            if request_id:
                message += f" [request id {request_id}]"
            return AuthenticationError(
                message,
                status_code=status,
                body=safe_body,
                headers=headers,
                request_id=request_id,
            )
        if status == 401:
            mode = self.config.auth.mode
            if mode == "api_key":
                note = " (the API key was refused)"
            elif mode == "token":
                note = " (the access token was refused and cannot be renewed: no email/password)"
            elif replayed:
                note = " (refused again after a new login)"
        return status_error(
            status,
            safe_body,
            headers,
            request_id,
            reason=reason,
            retry_after=retry_after,
            note=note,
        )

    def _failure(
        self,
        exc: Exception,
        session: aiohttp.ClientSession,
        method: str,
        url: str,
        path: str,
        status: int,
        content_type: str,
        idempotent: bool,
        operation: str,
        invoice_number: str | None,
    ) -> FactPulseError | None:
        """The error to raise at once for a failed attempt, or ``None`` if it may be retried."""
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s %s -> %s", method, path, _failure_reason(exc))
        if isinstance(exc, RuntimeError) and session.closed:
            return ClientClosedError(
                "the aiohttp session used by the client is closed; create a new AsyncChorusClient"
            )
        kind, maybe_sent, retryable = classify_failure(exc)
        if maybe_sent and not idempotent:
            if kind == _UNDECODABLE:
                message = (
                    f"{operation}: the response could not be decompressed, so whether the "
                    "server processed the request is unknown; it was not resent"
                )
            else:
                what = "timed out" if kind == _TIMEOUT else "broke"
                message = (
                    f"{operation}: the connection {what} after the request was sent, so the "
                    "server may have processed it; it was not resent"
                )
            if invoice_number:
                message += (
                    f". Look invoice {invoice_number!r} up (factures.rechercher_fournisseur) "
                    "before submitting it again"
                )
            return OutcomeUnknownError(
                message,
                method=method,
                url=url,
                operation=operation,
                invoice_number=invoice_number,
            )
        if not retryable:
            return self._final_failure(exc, method, url, status, content_type)
        return None

    @staticmethod
    def _final_failure(
        exc: Exception, method: str, url: str, status: int, content_type: str
    ) -> FactPulseError:
        kind, _, _ = classify_failure(exc)
        reason = _failure_reason(exc)
        if kind in (_TIMEOUT, _CONNECT_TIMEOUT):
            return APITimeoutError(f"{method} {url} timed out: {reason}", method=method, url=url)
        if kind == _UNDECODABLE:
            detail = _short(_bad_content_encoding(exc) or "", 200)
            if status:
                return ResponseDecodeError(
                    f"the body could not be decompressed ({detail})",
                    status_code=status,
                    content_type=content_type,
                )
            return APIConnectionError(
                f"{method} {url}: the response could not be decompressed ({detail})",
                method=method,
                url=url,
            )
        if kind == _TRUNCATED and status:
            return ResponseDecodeError(
                "the connection closed before the whole body arrived",
                status_code=status,
                content_type=content_type,
            )
        return APIConnectionError(f"{method} {url} failed: {reason}", method=method, url=url)

    @staticmethod
    def _warn_retry(
        method: str, path: str, reason: str, delay: float, retries: int, max_retries: int
    ) -> None:
        logger.warning(
            "%s %s: %s; retry %d of %d in %.2f s",
            method,
            path,
            reason,
            retries + 1,
            max_retries,
            delay,
        )


def _mask_request_headers(exc: Exception) -> None:
    """Mask ``Authorization``/``X-API-Key`` in the request headers an aiohttp error keeps.

    ``ClientResponseError`` (a malformed response, a body that cannot be decompressed)
    holds the request's headers in ``request_info`` and its ``args``, and shows them in its
    repr: the token or API key would reach any error reporter that prints the cause.
    """
    if not isinstance(exc, aiohttp.ClientResponseError):
        return
    info = exc.request_info
    headers = CIMultiDictProxy(CIMultiDict(redact_headers(info.headers)))
    masked = aiohttp.RequestInfo(info.url, info.method, headers, info.real_url)
    exc.request_info = masked
    exc.args = (masked, *exc.args[1:])


def _failure_reason(exc: BaseException) -> str:
    text = str(exc)
    name = type(exc).__name__
    return f"{name}: {_short(text, 200)}" if text else name


def _redacted(raw: RawResponse) -> RawResponse:
    return RawResponse(
        status=raw.status,
        headers=raw.headers,
        json=redact(raw.json),
        request_id=raw.request_id,
        method=raw.method,
        url=raw.url,
        elapsed=raw.elapsed,
    )
