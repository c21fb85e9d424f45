"""Masking of secrets before anything is logged, printed or put in an exception.

Keys are matched case-insensitively, at any depth of dicts and lists:

* secrets are replaced by ``"***"``: ``Authorization``, ``X-API-Key``, ``password``,
  ``token``, ``access``, ``refresh``, ``pisteClientSecret``, ``chorusProPassword``, ...
* identifiers keep their first and last two characters: ``pisteClientId``,
  ``chorusProLogin``, ``username``, ``email``;
* file contents are replaced by their length: ``pieceJointeFichier``, ``fichierBase64``.

Text we do not control (a server message that may echo what we sent) is :func:`scrub`-bed
of the exact secret strings instead: the client's, and those of a request's own
``credentials`` (:func:`request_secrets`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy

__all__ = [
    "mask",
    "mask_request_headers",
    "redact",
    "redact_headers",
    "request_secrets",
    "scrub",
]

MASK: Final = "***"

_SECRET_KEYS: Final = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api_key",
        "apikey",
        "password",
        "token",
        "access",
        "refresh",
        "access_token",
        "refresh_token",
        "client_secret",
        "pisteclientsecret",
        "choruspropassword",
        "choruspassword",
        "secret",
        "cookie",
        "set-cookie",
    }
)
_PARTIAL_KEYS: Final = frozenset(
    {"pisteclientid", "chorusprologin", "choruslogin", "username", "email", "client_uid"}
)
_LENGTH_ONLY_KEYS: Final = frozenset({"piecejointefichier", "fichierbase64", "fichier"})


def mask(value: str) -> str:
    """Keep the first and last two characters of an identifier (``"TE…om"``)."""
    if len(value) < 8:
        return MASK
    return f"{value[:2]}…{value[-2:]}"


def _redact_value(key: str, value: Any) -> Any:
    lowered = key.lower()
    if lowered in _SECRET_KEYS:
        return MASK if value is not None else None
    if lowered in _PARTIAL_KEYS:
        return mask(value) if isinstance(value, str) else (MASK if value is not None else None)
    if lowered in _LENGTH_ONLY_KEYS:
        if isinstance(value, (str, bytes)):
            return f"<{len(value)} characters>"
        return MASK if value is not None else None
    return redact(value)


def redact(value: Any) -> Any:
    """Return a copy of ``value`` (dicts, lists, tuples nested) with secret keys masked."""
    if isinstance(value, Mapping):
        return {
            k: _redact_value(k, v) if isinstance(k, str) else redact(v) for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    return value


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers with ``Authorization``, ``X-API-Key`` and cookies masked."""
    return {k: (MASK if k.lower() in _SECRET_KEYS else v) for k, v in headers.items()}


_MIN_NEEDLE = 4


def scrub(value: Any, secrets: Iterable[str]) -> Any:
    """Replace every occurrence of the given secret strings, at any depth, by ``"***"``.

    For text we do not control (a server message that might echo what we sent).
    """
    # A value of one to three characters cannot be told apart from ordinary text: masking
    # it everywhere would garble every message and protect nothing.
    needles = [s for s in secrets if len(s) >= _MIN_NEEDLE]
    if not needles:
        return value
    return _scrub(value, needles)


def _scrub(value: Any, needles: list[str]) -> Any:
    if isinstance(value, str):
        for needle in needles:
            if needle in value:
                value = value.replace(needle, MASK)
        return value
    if isinstance(value, Mapping):
        return {k: _scrub(v, needles) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v, needles) for v in value]
    return value


def request_secrets(body: Any) -> tuple[str, ...]:
    """The zero-trust secrets carried by a request body's ``credentials``, if any.

    They are not known to the client config (they may be given per call), yet a server
    may echo them in an error message, which the SDK then logs or raises.
    """
    if type(body) is not dict:
        return ()
    credentials = body.get("credentials")
    if type(credentials) is not dict:
        return ()
    return tuple(
        value
        for key in _CREDENTIAL_SECRETS
        if isinstance(value := credentials.get(key), str) and value
    )


# The two secrets, and the two identifiers REFERENCE §3.2 asks to redact as well.
_CREDENTIAL_SECRETS: Final = (
    "pisteClientSecret",
    "chorusProPassword",
    "pisteClientId",
    "chorusProLogin",
)


def mask_request_headers(exc: Exception) -> None:
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
