"""Who is calling: the sandbox's FactPulse accounts, their tokens and API keys.

Knows no HTTP beyond header values: a refused caller raises :class:`AuthError`, which the
HTTP layer answers with a 401.
"""

from __future__ import annotations

import hmac
import secrets
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from . import _jwt

__all__ = ["DEMO_ACCOUNT", "Account", "AuthError", "Authenticator"]

REFRESH_LIFETIME: Final = 7 * 24 * 3600.0


@dataclass(frozen=True)
class Account:
    """A FactPulse account of the sandbox.

    ``client_uids=None`` accepts any (or no) ``client_uid`` at login; ``chorus_login`` is
    the stored Chorus Pro login used when a request carries no zero-trust credentials.
    """

    username: str
    password: str
    client_uids: frozenset[str] | Sequence[str] | None = None
    chorus_login: str = "omni"

    def __repr__(self) -> str:
        # Never show the password.
        return f"Account(username={self.username!r}, chorus_login={self.chorus_login!r})"


DEMO_ACCOUNT: Final = Account("demo", "demo")


class AuthError(Exception):
    """The caller is not authenticated: ``code`` and ``message`` go in the 401 body."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Authenticator:
    """Logs accounts in (JWT pairs signed with a per-sandbox secret) and recognises them."""

    def __init__(
        self, accounts: Iterable[Account], api_keys: Mapping[str, str], token_lifetime: float
    ) -> None:
        self.accounts = {a.username: a for a in accounts}
        self.api_keys = dict(api_keys)
        self.token_lifetime = float(token_lifetime)
        self.secret = secrets.token_bytes(32)
        self.logins = 0
        self.login_failures = 0
        # Verified access tokens -> (account, exp): skips HMAC + JSON on the hot path.
        self._verified: dict[str, tuple[Account, float]] = {}
        for username in self.api_keys.values():
            if username not in self.accounts:
                raise ValueError(f"api_keys refers to unknown account {username!r}")

    def issue_tokens(self, account: Account, client_uid: str | None) -> dict[str, str]:
        """A fresh ``{"access": ..., "refresh": ...}`` pair for ``account``."""
        now = time.time()

        def claims(token_type: str, lifetime: float) -> dict[str, Any]:
            # Whole lifetimes give the usual integer exp; fractional ones (fast expiry tests)
            # a float exp with millisecond precision (RFC 7519 NumericDate allows it).
            exp: float = (
                int(now) + int(lifetime) if lifetime.is_integer() else round(now + lifetime, 3)
            )
            return {
                "token_type": token_type,
                "exp": exp,
                "iat": int(now),
                "jti": uuid.uuid4().hex,
                "user": account.username,
                "client_uid": client_uid,
            }

        return {
            "access": _jwt.encode(claims("access", self.token_lifetime), self.secret),
            "refresh": _jwt.encode(claims("refresh", REFRESH_LIFETIME), self.secret),
        }

    def login(self, username: str, password: str, client_uid: str | None) -> dict[str, str]:
        """``POST /api/token/``: the token pair, or :class:`AuthError`."""
        account = self.accounts.get(username)
        # compare_digest on both branches keeps the timing independent of the username.
        expected = account.password if account is not None else secrets.token_hex(8)
        password_ok = hmac.compare_digest(password.encode("utf-8"), expected.encode("utf-8"))
        if account is None or not password_ok:
            self.login_failures += 1
            raise AuthError(
                "INVALID_CREDENTIALS", "No active account found with the given credentials"
            )
        if account.client_uids is not None and client_uid not in account.client_uids:
            self.login_failures += 1
            raise AuthError("INVALID_CLIENT_UID", "Unknown client_uid for this account")
        self.logins += 1
        return self.issue_tokens(account, client_uid)

    def authenticate(self, authorization: str | None, api_key: str | None) -> Account:
        """The account behind an ``Authorization`` or ``X-API-Key`` header value."""
        if authorization is not None:
            return self._bearer(authorization)
        if api_key is not None and self.api_keys:
            username = self.api_keys.get(api_key)
            if username is None:
                raise AuthError("INVALID_API_KEY", "Invalid API key")
            return self.accounts[username]
        raise AuthError("AUTHENTICATION_REQUIRED", "Not authenticated")

    def _bearer(self, authorization: str) -> Account:
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise AuthError("AUTHENTICATION_REQUIRED", "Expected 'Authorization: Bearer <token>'")
        cached = self._verified.get(token)
        if cached is not None:
            if time.time() < cached[1]:
                return cached[0]
            del self._verified[token]
        try:
            claims = _jwt.decode(token, self.secret)
        except _jwt.JWTError as exc:
            raise AuthError(exc.code, exc.message) from None
        user = claims.get("user")
        account = self.accounts.get(user) if isinstance(user, str) else None
        if account is None:
            raise AuthError("INVALID_TOKEN", "Token user does not exist")
        if len(self._verified) >= 1024:
            self._verified.clear()  # bounded; rebuilt from the tokens in use
        self._verified[token] = (account, float(claims["exp"]))
        return account
