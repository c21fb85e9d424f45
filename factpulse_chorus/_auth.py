"""The FactPulse access token: when to log in, and logging in only once at a time.

:class:`TokenManager` keeps the current access token and the moment it should be
renewed. The renewal moment comes from the JWT's ``exp`` claim (read without checking
the signature: the server checks it, we only want to know when it ends), minus a safety
margin of 60 s or 5 % of the token's lifetime, whichever is smaller (so that tokens
living a few seconds, as in tests, still get used). Without ``exp`` a token is kept
28 minutes (FactPulse access tokens live 30).

Single flight: however many requests find the token missing or stale at the same time,
one login request is made; the others wait for it and share its result (or its error).
After a 401, :meth:`TokenManager.invalidate` drops the token only if it is still the
one that failed, so concurrent 401s on the same token also lead to a single login.

What the login request looks like (:func:`login_request`) and how its answer is read
(:func:`access_token`) live here too; the transport only sends it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

from ._config import CLOSED_MESSAGE, LOGIN_PATH, ClientConfig
from ._exceptions import ClientClosedError, ResponseDecodeError
from ._response import RawResponse
from ._types import PreparedRequest

__all__ = ["TokenManager", "access_token", "jwt_claims", "login_request", "token_lifetime"]

FALLBACK_LIFETIME: Final = 28 * 60.0
MAX_MARGIN: Final = 60.0
MARGIN_RATIO: Final = 0.05
_HEADER_SAFE: Final = re.compile(r"[\x21-\x7e]+\Z")
"""What an access token may hold: visible ASCII (a JWT is base64url and dots)."""


def jwt_claims(token: str) -> dict[str, Any] | None:
    """The payload of a JWT, decoded but NOT verified; ``None`` when it is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):
        return None
    return claims if isinstance(claims, dict) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def token_lifetime(token: str, *, now: float | None = None) -> float | None:
    """Seconds the token stays valid from the moment it was issued to us, if it says so.

    ``exp - iat`` when both claims are there (immune to a skewed local clock),
    otherwise ``exp - now``. ``None`` when the token carries no ``exp``.
    """
    claims = jwt_claims(token)
    if claims is None:
        return None
    exp = _number(claims.get("exp"))
    if exp is None:
        return None
    iat = _number(claims.get("iat"))
    if iat is not None and iat <= exp:
        return exp - iat
    return exp - (time.time() if now is None else now)


class TokenManager:
    """Holds the access token and renews it through ``login`` (single flight).

    ``login`` is an async callable returning a new access token; ``None`` means the
    token cannot be renewed (a ready token given by the user).
    """

    def __init__(
        self,
        login: Callable[[], Awaitable[str]] | None,
        *,
        token: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._login = login
        self._clock = clock
        self._token: str | None = None
        self._renew_at = 0.0
        self._task: asyncio.Task[str] | None = None
        self._closed = False
        self.logins = 0
        """Successful logins so far (for tests and metrics)."""
        if token is not None:
            self._store(token)

    @property
    def can_login(self) -> bool:
        """Whether a refused or expired token can be replaced."""
        return self._login is not None

    def current(self) -> str | None:
        """The token if it can be used now without a login (no await: the hot path)."""
        token = self._token
        if token is not None and (self._login is None or self._clock() < self._renew_at):
            return token
        return None

    async def get(self) -> str:
        """A usable token, logging in first if needed (at most one login in flight)."""
        token = self.current()
        if token is not None:
            return token
        if self._login is None:
            # A ready token: nothing else to offer; the server will judge it.
            if self._token is None:
                raise RuntimeError("no access token and no way to log in")
            return self._token
        # No await between the check above and joining/starting the task: no race.
        task = self._task
        if task is None:
            task = asyncio.get_running_loop().create_task(self._run_login())
            task.add_done_callback(_consume_outcome)
            self._task = task
        try:
            # shield: a caller that is cancelled must not cancel the login the others wait for.
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if self._closed and task.cancelled() and not _cancelling():
                # The login was cancelled by aclose(), not this caller.
                raise ClientClosedError(CLOSED_MESSAGE) from None
            raise

    def invalidate(self, failed_token: str) -> bool:
        """Forget ``failed_token`` (refused with a 401) if it is still current.

        Returns whether a new token can be obtained (so the request may be replayed).
        """
        if self._login is None:
            return False
        if self._token == failed_token:
            self._token = None
        return True

    def forget_loop(self) -> None:
        """Drop the login task of an event loop that is gone (the client moved to a new
        loop): it can never finish, and waiting on it from another loop would fail."""
        self._task = None

    async def aclose(self) -> None:
        """Cancel a login in flight (when the client closes)."""
        self._closed = True
        task = self._task
        self._task = None
        if task is not None and not task.done() and not task.get_loop().is_closed():
            task.cancel()
            # wait() neither raises the task's outcome nor swallows our own cancellation.
            await asyncio.wait([task])

    async def _run_login(self) -> str:
        assert self._login is not None
        try:
            token = await self._login()
            self._store(token)
            self.logins += 1
            return token
        finally:
            if self._task is asyncio.current_task():
                self._task = None

    def _store(self, token: str) -> None:
        lifetime = token_lifetime(token)
        if lifetime is None:
            usable = FALLBACK_LIFETIME  # already 2 minutes short of the documented 30
        else:
            usable = lifetime - min(MAX_MARGIN, MARGIN_RATIO * max(lifetime, 0.0))
        self._token = token
        self._renew_at = self._clock() + usable


def login_request(config: ClientConfig, secrets: tuple[str, ...]) -> PreparedRequest:
    """``POST /api/token/`` with the account's e-mail and password (a read: safe to resend)."""
    auth = config.auth
    body: dict[str, str] = {"username": auth.email or "", "password": auth.password or ""}
    if auth.client_uid is not None:
        body["client_uid"] = auth.client_uid
    return PreparedRequest(
        method="POST",
        path=LOGIN_PATH,
        url=config.base_url + LOGIN_PATH,
        data=json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8"),
        idempotent=True,
        operation="auth.login",
        timeout=config.timeout,
        max_retries=config.max_retries,
        secrets=secrets,
        login=True,
    )


def access_token(raw: RawResponse) -> str:
    """The ``access`` token of a login answer, or :class:`ResponseDecodeError`.

    The token is sent back as a header value, so one holding a control character (CR/LF
    would inject a header) is refused here rather than by aiohttp once a request is sent.
    """
    access = raw.json.get("access") if isinstance(raw.json, dict) else None
    if not isinstance(access, str) or not access or not _HEADER_SAFE.match(access):
        raise ResponseDecodeError(
            "the login response has no usable 'access' token",
            status_code=raw.status,
            content_type=raw.headers.get("Content-Type", ""),
        )
    return access


def _cancelling() -> bool:
    # Task.cancelling() exists from Python 3.11; on 3.10 assume nobody cancelled us.
    task = asyncio.current_task()
    cancelling = getattr(task, "cancelling", None)
    return bool(cancelling()) if cancelling is not None else False


def _consume_outcome(task: asyncio.Task[str]) -> None:
    # If every waiter was cancelled, nobody reads the login's error: read it here so
    # asyncio does not report "Task exception was never retrieved".
    if not task.cancelled():
        task.exception()
