"""Sending a request: the auth header, and the attempt loop (the session: :mod:`._session`;
the bytes of the bodies: :mod:`._body`).

:meth:`Transport.request` turns a resource's call into one frozen
:class:`~factpulse_chorus._types.PreparedRequest` (the client's defaults and the call's
options resolved, the body encoded) and hands it to the loop. The loop only sends and
reads; what may be retried and after how long is decided in :mod:`._retry`, which
exception an answer or a failure becomes in :mod:`._errors`. It is kept short and
allocation-light because every call goes through it.

Each attempt waits for a connection slot, then takes the token, then sends; the body is
read chunk by chunk up to ``max_response_size``, and a 2xx body handed to the request's
:class:`~factpulse_chorus._types.BodySink` when it has one. A cancellation that closing the client
caused (not the caller) becomes :class:`ClientClosedError`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final, NoReturn

import aiohttp
import attrs
from multidict import CIMultiDict

from ._auth import TokenManager, _cancelling, access_token, login_request
from ._body import attempt_payload, encode_body, read_body, stream_body
from ._config import CLOSED_MESSAGE, ClientConfig, check_headers, check_max_retries
from ._errors import (
    business_failure,
    decode_json,
    failure_error,
    failure_reason,
    outcome_unknown_after,
    outcome_unknown_unreadable,
    safe_error_body,
    status_failure,
)
from ._exceptions import (
    APITimeoutError,
    ClientClosedError,
    FactPulseError,
    OutcomeUnknownError,
    ResponseDecodeError,
)
from ._logging import logger
from ._redact import mask_request_headers, redact, request_secrets, scrub, scrub_error
from ._response import RawResponse
from ._retry import (
    backoff_delay,
    classify_failure,
    may_resend,
    retry_after_of,
    status_retry_delay,
)
from ._session import SharedState, Slots, client_timeout
from ._types import (
    DEFAULT_REQUEST_OPTIONS,
    BodySink,
    NotGiven,
    PreparedRequest,
    RequestInfo,
    RequestOptions,
    Timeout,
)
from ._upload import FileUpload
from ._version import __version__

__all__ = ["USER_AGENT", "SharedState", "Transport"]

USER_AGENT: Final = f"factpulse-chorus/{__version__}"


async def _call_hook(hook: Callable[..., Awaitable[None] | None], *args: Any) -> None:
    result = hook(*args)
    if inspect.isawaitable(result):
        await result


class Transport:
    """Sends requests for one client (or one ``with_options()`` view of it).

    The sub-clients are given :meth:`request`, bound once; everything else is internal.
    """

    def __init__(self, config: ClientConfig, shared: SharedState) -> None:
        self.config = config
        self.closed = False
        self._shared = shared
        self._policy = config.retry_policy
        self._timeout = client_timeout(config.timeout)  # most calls keep the client's
        self._on_request = config.on_request
        self._on_response = config.on_response
        self._on_error = config.on_error
        # A RequestInfo is built per attempt only when some hook will receive it.
        self._hooked = bool(config.on_request or config.on_response or config.on_error)
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
        sink: BodySink | None = None,
    ) -> RawResponse:
        """Send ``method path`` (path from the API root, e.g. ``/api/v1/chorus-pro/...``).

        ``json`` is the body (left out when ``None``): JSON data, or a :class:`FileUpload`
        (sent in parts, see :mod:`._upload`). ``idempotent`` says whether a resend
        is harmless (reads); ``operation`` names the call in logs and errors;
        ``invoice_number`` is carried by :class:`OutcomeUnknownError`; ``sink`` receives
        a 2xx body as it arrives (``json`` of the result: what its ``finish`` returns).

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
        extra_headers = None
        if options is not DEFAULT_REQUEST_OPTIONS:
            if options.extra_headers:
                extra_headers = check_headers("extra_headers", options.extra_headers)
            if not isinstance(options.timeout, NotGiven):
                timeout = Timeout.coerce(options.timeout)
            if not isinstance(options.max_retries, NotGiven):
                max_retries = check_max_retries(options.max_retries)
        prepared = PreparedRequest(
            method=method,
            path=path,
            url=config.base_url + path,
            data=None if json is None else encode_body(json),
            idempotent=idempotent,
            operation=operation,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            invoice_number=invoice_number,
            secrets=self._secrets
            + request_secrets(json.envelope if isinstance(json, FileUpload) else json),
            sink=sink,
        )
        try:
            return await self._send(prepared)
        except FactPulseError as error:
            # Whatever the server sent may be in it (a body, a header, a reason phrase):
            # one last pass over it and its chain, in every form a secret may be echoed.
            scrub_error(error, self._with_token(prepared.secrets))
            raise

    async def _login(self) -> str:
        """Log in and return the access token (called by the TokenManager)."""
        raw = await self._send(login_request(self.config, self._secrets))
        return access_token(raw)

    async def _send(self, request: PreparedRequest) -> RawResponse:
        """Send ``request`` until it is answered, fails for good, or runs out of retries.

        Each attempt first waits for a free connection slot, then takes the token: a
        token taken before a long wait in the pool could expire on the way.
        """
        shared = self._shared
        session = shared.session_in_loop() or await shared.open()
        timeout = (
            self._timeout
            if request.timeout is self.config.timeout
            else client_timeout(request.timeout)
        )
        tokens = None if request.login else shared.tokens
        # The login bypasses the slots: calls holding them may be waiting for it.
        slots = None if request.login else shared.slots
        method, data, sink = request.method, request.data, request.sink
        limit = self.config.max_response_size
        retries = attempt = 0
        info: RequestInfo | None = None
        replayed_after_401 = False
        while True:
            attempt += 1
            attempt_timeout = timeout
            if slots is not None and not slots.take():  # take(): a free slot, no await
                attempt_timeout = await self._wait_for_slot(slots, request, timeout)
            status = 0
            response: aiohttp.ClientResponse | None = None
            failure: Exception | None = None
            try:
                if shared.closed:
                    raise ClientClosedError(CLOSED_MESSAGE)
                token = None if tokens is None else (tokens.current() or await tokens.get())
                headers = self._headers(request, token, retries)
                if self._hooked:
                    info = RequestInfo(
                        method, request.url, request.operation, attempt, request.idempotent
                    )
                    if self._on_request is not None:
                        await _call_hook(self._on_request, info)
                started = time.perf_counter()
                try:
                    async with session.request(
                        method,
                        request.url,
                        data=attempt_payload(data),
                        headers=headers,
                        timeout=attempt_timeout,
                        allow_redirects=False,
                        raise_for_status=False,
                    ) as response:
                        status = response.status
                        if sink is not None and 200 <= status < 300:
                            body = await stream_body(response, limit, sink)
                        else:
                            body = await read_body(response, limit)
                except asyncio.CancelledError:
                    if _cancelling() or self._closed_reason(session) is None:
                        raise  # the caller's own cancellation
                    # Closing the client cancelled aiohttp's wait (for a pooled connection,
                    # say): the request never left, unless an answer had started.
                    if status and not request.idempotent:
                        raise _unknown_after_close(request) from None
                    raise ClientClosedError(CLOSED_MESSAGE) from None
                except Exception as exc:  # handled below, once the slot is free again
                    failure = exc
            finally:
                if slots is not None:
                    slots.release()

            if failure is not None:
                failed = failure  # named apart: mypy treats the except variable as deleted
                kind = classify_failure(failed)
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug("%s %s -> %s", method, request.path, self._reason(request, failed))
                closed = self._closed_reason(session)
                if self._on_error is not None and info is not None:
                    answered = response if status else None
                    seen = failure_error(failed, kind, request, answered, closed=closed)
                    scrub_error(seen, self._with_token(request.secrets))
                    await _call_hook(self._on_error, info, seen)
                if (
                    closed is None
                    and retries < request.max_retries
                    and may_resend(kind, idempotent=request.idempotent)
                ):
                    delay = backoff_delay(retries, self._policy)
                    await self._pause(request, self._reason(request, failed), delay, retries)
                    retries += 1
                    continue
                # `response` is this attempt's only when a status was received.
                answer = response if status else None
                error = failure_error(failed, kind, request, answer, closed=closed)
                mask_request_headers(failed)  # it is chained to ours: users print it
                if error.__cause__ is not None:
                    raise error  # failure_error chained it to a typed reason already
                raise error from failed

            assert response is not None
            elapsed = time.perf_counter() - started
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "%s %s -> %d in %.1f ms (attempt %d, request id %s)",
                    method,
                    request.path,
                    status,
                    elapsed * 1000.0,
                    attempt,
                    # The server's text: it may echo a secret.
                    scrub(response.headers.get("X-Request-ID"), self._with_token(request.secrets)),
                )
            if 200 <= status < 300:
                if sink is None and self._on_response is None:  # _success, nothing to await
                    secrets = self._with_token(request.secrets)
                    parsed = _parse(request, response, body, secrets)
                    raw = _raw_response(request, response, parsed, elapsed)
                    return _business_checked(request, raw, secrets)
                return await self._success(request, response, body, elapsed, info)

            safe_body = safe_error_body(body, self._with_token(request.secrets))
            raw = _raw_response(request, response, safe_body, elapsed, info)
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

    def _closed_reason(self, session: aiohttp.ClientSession) -> str | None:
        """The :class:`ClientClosedError` message if the client or its session was closed
        under a call (then nothing is retried), else ``None``."""
        if self._shared.closed:
            return CLOSED_MESSAGE
        if session.closed:
            return (
                "the aiohttp session used by the client is closed; create a new AsyncChorusClient"
            )
        return None

    async def _wait_for_slot(
        self, slots: Slots, request: PreparedRequest, timeout: aiohttp.ClientTimeout
    ) -> aiohttp.ClientTimeout:
        """Wait for a free connection slot within the attempt's total timeout; returns the
        timeout left for the attempt itself."""
        total = timeout.total
        if total is None:
            await slots.acquire()
            return timeout
        started = time.perf_counter()
        try:
            await asyncio.wait_for(slots.acquire(), total)
        except asyncio.TimeoutError:
            raise APITimeoutError(
                f"{request.method} {request.url} timed out after {total:g} s waiting for a free "
                "connection (connection_limit); it was not sent",
                method=request.method,
                url=request.url,
            ) from None
        left = max(total - (time.perf_counter() - started), 0.001)
        return aiohttp.ClientTimeout(
            total=left, sock_connect=timeout.sock_connect, sock_read=timeout.sock_read
        )

    async def _success(
        self,
        request: PreparedRequest,
        response: aiohttp.ClientResponse,
        body: bytes,
        elapsed: float,
        info: RequestInfo | None,
    ) -> RawResponse:
        """The :class:`RawResponse` of a 2xx answer, or the business error its body carries."""
        secrets = self._with_token(request.secrets)
        if request.sink is None:
            parsed = _parse(request, response, body, secrets)
        else:
            content_type = response.headers.get("Content-Type", "")
            try:
                parsed = await request.sink.finish(response.status, content_type, secrets)
            except ResponseDecodeError as exc:
                _unreadable(exc, request)
        raw = _raw_response(request, response, parsed, elapsed, info)
        if self._on_response is not None:
            # The hook never sees the access token.
            seen = attrs.evolve(raw, json=redact(parsed)) if request.login else raw
            await _call_hook(self._on_response, seen)
        return _business_checked(request, raw, secrets)

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

    def _reason(self, request: PreparedRequest, failed: Exception) -> str:
        """A failure for a log line: aiohttp may quote what the server sent (a bad status
        line, a header), which may echo a secret."""
        return str(scrub(failure_reason(failed), self._with_token(request.secrets)))

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


def _parse(
    request: PreparedRequest,
    response: aiohttp.ClientResponse,
    body: bytes,
    secrets: tuple[str, ...],
) -> Any:
    """The JSON value of a 2xx body read whole (see :func:`_unreadable` when it has none)."""
    try:
        return decode_json(
            body,
            response.status,
            response.headers.get("Content-Type", ""),
            show_body=not request.login,
            secrets=secrets,
        )
    except ResponseDecodeError as exc:
        _unreadable(exc, request)


def _unreadable(exc: ResponseDecodeError, request: PreparedRequest) -> NoReturn:
    """Raise ``exc``, or, for a write answered 2xx, the :class:`OutcomeUnknownError` it means."""
    unknown = outcome_unknown_unreadable(exc, request)
    if unknown is not None:
        raise unknown from exc
    raise exc


def _business_checked(
    request: PreparedRequest, raw: RawResponse, secrets: tuple[str, ...]
) -> RawResponse:
    """``raw``, or the business error its JSON carries (never looked for in the login's)."""
    if not request.login:
        business = business_failure(raw.json, secrets, raw.request_id)
        if business is not None:
            raise business
    return raw


def _unknown_after_close(request: PreparedRequest) -> OutcomeUnknownError:
    return OutcomeUnknownError(
        f"{request.operation}: the client was closed while the answer was arriving, so the "
        "server may have processed the request; it was not resent",
        method=request.method,
        url=request.url,
        operation=request.operation,
        invoice_number=request.invoice_number,
    )


def _raw_response(
    request: PreparedRequest,
    response: aiohttp.ClientResponse,
    json: Any,
    elapsed: float,
    info: RequestInfo | None = None,
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
        request=info,
    )
