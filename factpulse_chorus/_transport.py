"""Sending a request: the shared session, the auth header, and the attempt loop.

:meth:`Transport.request` turns a resource's call into one frozen
:class:`~factpulse_chorus._types.PreparedRequest` (the client's defaults and the call's
options resolved, the body encoded) and hands it to the loop. The loop only sends and
reads; what may be retried and after how long is decided in :mod:`._retry`, which
exception an answer or a failure becomes in :mod:`._errors`. It is kept short and
allocation-light because every call goes through it.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import io
import json as _json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

import aiohttp
import attrs
from multidict import CIMultiDict

from ._auth import TokenManager, access_token, login_request
from ._config import CLOSED_MESSAGE, ClientConfig, check_max_retries
from ._errors import (
    business_failure,
    decode_json,
    failure_error,
    failure_reason,
    outcome_unknown_after,
    safe_error_body,
    status_failure,
)
from ._exceptions import ClientClosedError, RequestValidationError
from ._logging import logger
from ._redact import mask_request_headers, redact, request_secrets
from ._response import RawResponse
from ._retry import backoff_delay, classify_failure, may_resend, retry_after_of, status_retry_delay
from ._types import (
    DEFAULT_REQUEST_OPTIONS,
    NotGiven,
    PreparedRequest,
    RequestInfo,
    RequestOptions,
    Timeout,
)
from ._version import __version__

__all__ = ["USER_AGENT", "SharedState", "Transport"]

USER_AGENT: Final = f"factpulse-chorus/{__version__}"

_LARGE_BODY: Final = 1024 * 1024
"""Bodies above this size (bytes) are streamed: uploads of up to 10 MiB."""

# One encoder for every call: json.dumps() with options builds a new one each time.
_ENCODER: Final = _json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _encode(body: Any) -> bytes:
    try:
        return _ENCODER.encode(body).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise RequestValidationError("body", f"must be JSON-serialisable ({exc})") from exc


@functools.lru_cache(maxsize=64)
def _client_timeout(timeout: Timeout) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(
        total=timeout.total, sock_connect=timeout.connect, sock_read=timeout.read
    )


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

    The sub-clients are given :meth:`request`, bound once; everything else is internal.
    """

    def __init__(self, config: ClientConfig, shared: SharedState) -> None:
        self.config = config
        self.closed = False
        self._shared = shared
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
        if self.closed or self._shared.closed:
            raise ClientClosedError(CLOSED_MESSAGE)
        config = self.config
        timeout, max_retries = config.timeout, config.max_retries
        if options is not DEFAULT_REQUEST_OPTIONS:
            if not isinstance(options.timeout, NotGiven):
                timeout = Timeout.coerce(options.timeout)
            if not isinstance(options.max_retries, NotGiven):
                max_retries = check_max_retries(options.max_retries)
        prepared = PreparedRequest(
            method=method,
            path=path,
            url=config.base_url + path,
            data=None if json is None else _encode(json),
            idempotent=idempotent,
            operation=operation,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=options.extra_headers or None,
            invoice_number=invoice_number,
            secrets=self._secrets + request_secrets(json),
        )
        return await self._send(prepared)

    async def _login(self) -> str:
        """Log in and return the access token (called by the TokenManager)."""
        raw = await self._send(login_request(self.config, self._secrets))
        return access_token(raw)

    async def _send(self, request: PreparedRequest) -> RawResponse:
        """Send ``request`` until it is answered, fails for good, or runs out of retries."""
        session = self._shared.session()
        timeout = _client_timeout(request.timeout)
        tokens = None if request.login else self._shared.tokens
        method, data = request.method, request.data
        retries = attempt = 0
        replayed_after_401 = False
        while True:
            attempt += 1
            token = None if tokens is None else (tokens.current() or await tokens.get())
            headers = self._headers(request, token, retries)
            if self._on_request is not None:
                info = RequestInfo(
                    method, request.url, request.operation, attempt, request.idempotent
                )
                await _call_hook(self._on_request, info)

            started = time.perf_counter()
            status = 0
            try:
                async with session.request(
                    method,
                    request.url,
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
                kind = classify_failure(exc)
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug("%s %s -> %s", method, request.path, failure_reason(exc))
                if retries < request.max_retries and may_resend(
                    kind, idempotent=request.idempotent
                ):
                    delay = backoff_delay(retries, self._policy)
                    await self._pause(request, failure_reason(exc), delay, retries)
                    retries += 1
                    continue
                # `response` is this attempt's only when a status was received.
                answer = response if status else None
                error = failure_error(exc, kind, request, answer, session_closed=session.closed)
                mask_request_headers(exc)  # it is chained to ours: users print it
                raise error from exc

            elapsed = time.perf_counter() - started
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "%s %s -> %d in %.1f ms (attempt %d, request id %s)",
                    method,
                    request.path,
                    status,
                    elapsed * 1000.0,
                    attempt,
                    response.headers.get("X-Request-ID"),
                )
            if 200 <= status < 300:
                return await self._success(request, response, body, elapsed)

            safe_body = safe_error_body(body, self._with_token(request.secrets))
            raw = _raw_response(request, response, safe_body, elapsed)
            if self._on_response is not None:
                await _call_hook(self._on_response, raw)
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
                logger.info(
                    "%s %s -> 401: logging in again and replaying once", method, request.path
                )
                continue

            retry_after = retry_after_of(status, response.headers)
            if retries < request.max_retries:
                wait = status_retry_delay(
                    status,
                    idempotent=request.idempotent,
                    retries=retries,
                    retry_after=retry_after,
                    policy=self._policy,
                )
                if wait is not None:
                    await self._pause(request, f"HTTP {status}", wait, retries)
                    retries += 1
                    continue
            error = status_failure(
                raw,
                request,
                reason=response.reason,
                retry_after=retry_after,
                auth_mode=self.config.auth.mode,
                replayed=replayed_after_401,
            )
            unknown = outcome_unknown_after(error, status, request)
            if unknown is not None:
                raise unknown from error
            raise error

    async def _success(
        self,
        request: PreparedRequest,
        response: aiohttp.ClientResponse,
        body: bytes,
        elapsed: float,
    ) -> RawResponse:
        """The :class:`RawResponse` of a 2xx answer, or the business error its body carries."""
        secrets = self._with_token(request.secrets)
        content_type = response.headers.get("Content-Type", "")
        parsed = decode_json(
            body, response.status, content_type, show_body=not request.login, secrets=secrets
        )
        raw = _raw_response(request, response, parsed, elapsed)
        if request.login:
            if self._on_response is not None:  # the hook never sees the access token
                await _call_hook(self._on_response, attrs.evolve(raw, json=redact(parsed)))
            return raw
        if self._on_response is not None:
            await _call_hook(self._on_response, raw)
        business = business_failure(parsed, secrets, raw.request_id)
        if business is not None:
            raise business
        return raw

    def _headers(
        self, request: PreparedRequest, token: str | None, retries: int
    ) -> CIMultiDict[str]:
        if request.login:
            headers = self._login_headers
        else:
            if token is not self._cached_token:
                self._build_headers(token)
            headers = self._headers_no_body if request.data is None else self._headers_body
        extra = request.extra_headers
        if retries or extra:
            headers = CIMultiDict(headers)
            if extra:
                headers.update(extra)
            if retries:
                headers["X-Retry-Count"] = str(retries)  # lets the server tell a retry
        return headers

    def _build_headers(self, token: str | None) -> None:
        self._cached_token = token
        no_body: CIMultiDict[str] = CIMultiDict(self._static_headers)
        if token is not None:
            no_body["Authorization"] = f"Bearer {token}"
        with_body = no_body.copy()
        with_body["Content-Type"] = "application/json"
        self._headers_no_body, self._headers_body = no_body, with_body

    def _with_token(self, secrets: tuple[str, ...]) -> tuple[str, ...]:
        token = self._cached_token
        return (*secrets, token) if token else secrets

    @staticmethod
    async def _pause(request: PreparedRequest, reason: str, delay: float, retries: int) -> None:
        logger.warning(
            "%s %s: %s; retry %d of %d in %.2f s",
            request.method,
            request.path,
            reason,
            retries + 1,
            request.max_retries,
            delay,
        )
        await asyncio.sleep(delay)


def _raw_response(
    request: PreparedRequest, response: aiohttp.ClientResponse, json: Any, elapsed: float
) -> RawResponse:
    headers = response.headers
    return RawResponse(
        status=response.status,
        headers=headers,
        json=json,
        request_id=headers.get("X-Request-ID"),
        method=request.method,
        url=request.url,
        elapsed=elapsed,
    )
