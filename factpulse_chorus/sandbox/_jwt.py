"""Minimal HS256 JSON Web Tokens (RFC 7519) on the standard library.

Only what the sandbox needs: sign a claims dict, verify signature, type and expiry.
The secret lives in the sandbox instance; tokens from another sandbox never verify.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any

__all__ = ["JWTError", "decode", "encode"]

_HEADER = {"alg": "HS256", "typ": "JWT"}


class JWTError(Exception):
    """A token failed verification; ``code`` becomes the 401 ``errorCode``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    # JWT strips the padding; restore it before decoding.
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _json_segment(obj: Any) -> str:
    return _b64encode(json.dumps(obj, separators=(",", ":"), sort_keys=True).encode("utf-8"))


_HEADER_SEGMENT = _json_segment(_HEADER)


def _sign(signing_input: str, key: bytes) -> str:
    return _b64encode(hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest())


def encode(claims: dict[str, Any], key: bytes) -> str:
    """Sign ``claims`` with HMAC-SHA256 and return the compact JWT."""
    signing_input = f"{_HEADER_SEGMENT}.{_json_segment(claims)}"
    return f"{signing_input}.{_sign(signing_input, key)}"


def decode(
    token: str, key: bytes, *, token_type: str | None = "access", now: float | None = None
) -> dict[str, Any]:
    """Verify ``token`` and return its claims.

    Raises :class:`JWTError` with code ``INVALID_TOKEN`` (malformed, bad signature, wrong
    ``token_type``) or ``TOKEN_EXPIRED`` (``exp`` in the past; fractional ``exp`` allowed).
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise JWTError("INVALID_TOKEN", "Malformed JWT token")
    header_b64, claims_b64, signature = parts
    try:
        signing_input = f"{header_b64}.{claims_b64}"
        expected = _sign(signing_input, key)
    except UnicodeEncodeError:
        raise JWTError("INVALID_TOKEN", "Malformed JWT token") from None
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace")):
        raise JWTError("INVALID_TOKEN", "Invalid JWT signature")
    try:
        header = json.loads(_b64decode(header_b64))
        claims = json.loads(_b64decode(claims_b64))
    except (ValueError, binascii.Error):
        raise JWTError("INVALID_TOKEN", "Malformed JWT token") from None
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise JWTError("INVALID_TOKEN", "Unsupported JWT algorithm")
    if not isinstance(claims, dict):
        raise JWTError("INVALID_TOKEN", "Malformed JWT claims")
    if token_type is not None and claims.get("token_type") != token_type:
        raise JWTError("INVALID_TOKEN", f"Token has wrong type (expected {token_type})")
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        raise JWTError("INVALID_TOKEN", "Token has no valid exp claim")
    if (time.time() if now is None else now) >= exp:
        raise JWTError("TOKEN_EXPIRED", "Token is expired")
    return claims
