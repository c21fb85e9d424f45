"""Masking of secrets before anything is logged, printed or put in an exception.

Keys are matched case-insensitively, at any depth of dicts and lists:

* secrets are replaced by ``"***"``: ``Authorization``, ``X-API-Key``, ``password``,
  ``token``, ``access``, ``refresh``, ``pisteClientSecret``, ``chorusProPassword``, ...
* identifiers keep their first and last two characters: ``pisteClientId``,
  ``chorusProLogin``, ``username``, ``email``;
* file contents are replaced by their length: ``pieceJointeFichier``, ``fichierBase64``.

Text we do not control (a server message that may echo what we sent) is :func:`scrub`-bed
of the secret strings instead, in every form a server may echo them (JSON-escaped,
percent-encoded, ...): the client's, and those of a request's own ``credentials``
(:func:`request_secrets`). :func:`scrub_error` does it to a raised error and its chain.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import urllib.parse
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Final

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy

from ._redact_forms import MASK, Scrubber

__all__ = [
    "has_userinfo",
    "mask",
    "mask_request_headers",
    "proxy_secrets",
    "redact",
    "redact_headers",
    "redact_scrub",
    "request_secrets",
    "scrub",
    "scrub_error",
]

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


# Exact types a walk returns as they are: they hold no key, and a number no secret. Exact
# types only: a subclass (of str too) may also be a Mapping, and takes the general path.
_INERT: Final = frozenset({int, float, bool, type(None), Decimal})
_REDACT_LEAVES: Final = _INERT | {str}
_MASKED_KEYS: Final = _SECRET_KEYS | _PARTIAL_KEYS | _LENGTH_ONLY_KEYS


def redact(value: Any) -> Any:
    """Return a copy of ``value`` (dicts, lists, tuples nested) with secret keys masked.

    A part nested too deep to walk is masked whole (``"***"``): this never raises.
    """
    # A value too deep to walk (a hostile body nested just under what the JSON reader
    # takes, walked from deeper in the stack) has that part masked: a RecursionError
    # must not leave the SDK, nor the part unmasked.
    try:
        # Exact dicts and lists first: an isinstance check against an ABC per element is what
        # made a few-MB error body cost a second.
        kind = type(value)
        if kind is dict:
            out = {}
            for k, v in value.items():
                if type(k) is str and k.lower() not in _MASKED_KEYS:
                    out[k] = v if type(v) in _REDACT_LEAVES else redact(v)
                else:
                    out[k] = _redact_value(k, v) if isinstance(k, str) else redact(v)
            return out
        if kind is list or kind is tuple:
            return [v if type(v) in _REDACT_LEAVES else redact(v) for v in value]
        if kind in _REDACT_LEAVES:
            return value
        if isinstance(value, Mapping):
            return {
                k: _redact_value(k, v) if isinstance(k, str) else redact(v)
                for k, v in value.items()
            }
        if isinstance(value, (list, tuple)):
            return [redact(v) for v in value]
        return value
    except RecursionError:
        return MASK


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers with ``Authorization``, ``X-API-Key`` and cookies masked."""
    return {k: (MASK if k.lower() in _SECRET_KEYS else v) for k, v in headers.items()}


_MIN_NEEDLE = 4


def scrub(value: Any, secrets: Iterable[str]) -> Any:
    """Replace every occurrence of the given secret strings, at any depth, by ``"***"``.

    For text we do not control (a server message that might echo what we sent). A secret
    is found in every form a server or proxy may echo it: as it is, JSON-escaped (with or
    without ``ensure_ascii``, ``\\/`` included, escaped twice or more), percent-encoded
    (``+`` for a space, encoded twice), as HTML entities, as Python escapes, as its UTF-8
    bytes read as Latin-1, or with a non-ASCII character lost to U+FFFD; each character in
    any of its forms. Dict keys are scrubbed as well as values.
    """
    # A value of one to three characters cannot be told apart from ordinary text: masking
    # it everywhere would garble every message and protect nothing.
    needles = tuple(sorted({s for s in secrets if isinstance(s, str) and len(s) >= _MIN_NEEDLE}))
    if not needles:
        return value
    return _scrub(value, _pattern(needles))


def _scrub(value: Any, pattern: Scrubber) -> Any:
    return _walk(value, pattern, redacting=False)


def redact_scrub(value: Any, secrets: Iterable[str]) -> Any:
    """``scrub(redact(value), secrets)`` in one walk over ``value``."""
    needles = tuple(sorted({s for s in secrets if isinstance(s, str) and len(s) >= _MIN_NEEDLE}))
    if not needles:
        return redact(value)
    return _walk(value, _pattern(needles), redacting=True)


def _walk(value: Any, pattern: Scrubber, redacting: bool) -> Any:
    """``_scrub(value)``, of ``redact(value)`` when ``redacting``, in one walk."""
    try:  # too deep: masked, as in redact
        kind = type(value)  # exact types first, as in redact
        if kind is dict:
            # An exact dict has each key once: masking a value, then scrubbing it and its key,
            # gives what the two walks give, key collisions after scrubbing included. A loop,
            # not a comprehension: one frame a level.
            out = {}
            for k, v in value.items():
                if not isinstance(k, str):
                    out[k] = _walk(v, pattern, redacting)
                elif redacting and (type(k) is not str or k.lower() in _MASKED_KEYS):
                    out[pattern.sub(k)] = _walk(_redact_value(k, v), pattern, False)
                else:
                    out[pattern.sub(k)] = v if type(v) in _INERT else _walk(v, pattern, redacting)
            return out
        if kind is list or kind is tuple:
            return [
                v
                if type(v) in _INERT
                else pattern.sub(v)
                if type(v) is str
                else _walk(v, pattern, redacting)
                for v in value
            ]
        if kind is str:
            return pattern.sub(value)
        if kind in _INERT:
            return value
        if redacting:  # any other type: the two walks, as they were
            return _walk(redact(value), pattern, False)
        if isinstance(value, str):
            return pattern.sub(value)
        if isinstance(value, Mapping):
            return {
                (_scrub(k, pattern) if isinstance(k, str) else k): _scrub(v, pattern)
                for k, v in value.items()
            }
        if isinstance(value, (list, tuple)):
            return [_scrub(v, pattern) for v in value]
        return value
    except RecursionError:
        return MASK


@functools.lru_cache(maxsize=64)
def _pattern(needles: tuple[str, ...]) -> Scrubber:
    return Scrubber(needles)


def scrub_error(error: BaseException, secrets: Iterable[str]) -> None:
    """Scrub ``secrets`` in place from ``error`` and the errors chained to it.

    Their ``args`` and text attributes (``message``, ``body``, ``headers``, ``snippet``,
    ``request_id``, ...) are what ``str``, ``repr``, tracebacks and error reporters show;
    any of them may hold text the server sent (its body, a header, a reason phrase).
    """
    needles = tuple(sorted({s for s in secrets if isinstance(s, str) and len(s) >= _MIN_NEEDLE}))
    if not needles:
        return
    pattern = _pattern(needles)
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        _scrub_exception(current, pattern)
        current = current.__cause__ or current.__context__


def _scrub_exception(error: BaseException, pattern: Scrubber) -> None:
    # An exception that refuses new args or attributes keeps its own.
    with contextlib.suppress(AttributeError, TypeError):
        error.args = tuple(
            (tuple(_scrub(a, pattern)) if type(a) is tuple else _scrub(a, pattern))
            if _is_data(a)
            else a
            for a in error.args
        )
    for name, value in list(getattr(error, "__dict__", {}).items()):
        if _is_data(value):
            scrubbed = _scrub(value, pattern)
            if type(value) is tuple:
                scrubbed = tuple(scrubbed)
            with contextlib.suppress(AttributeError, TypeError):
                setattr(error, name, scrubbed)


def _is_data(value: Any) -> bool:
    # Plain containers only: a named tuple or a multidict keeps its type untouched.
    return type(value) in (str, dict, list, tuple)


def has_userinfo(url: str) -> bool:
    """True when ``url`` carries ``user[:password]@`` before its host."""
    try:
        netloc = urllib.parse.urlsplit(url).netloc
    except ValueError:
        return "@" in url
    return "@" in netloc


def proxy_secrets(url: str) -> tuple[str, ...]:
    """The secrets of a proxy URL's ``user:password@``: the password (the user name when
    there is none), as given and decoded, and the Basic credentials the proxy is sent (a
    proxy's error page may echo its request headers)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return ()
    if parts.username is None:
        return ()
    raw_user, _, raw_password = parts.netloc.rpartition("@")[0].partition(":")
    user, password = urllib.parse.unquote(raw_user), urllib.parse.unquote(raw_password)
    pair = f"{user}:{password}"
    try:
        encoded = pair.encode("latin-1")  # what aiohttp's BasicAuth encodes with
    except UnicodeEncodeError:
        encoded = pair.encode("utf-8")
    secret, raw = (password, raw_password) if password else (user, raw_user)
    return tuple(dict.fromkeys(s for s in (secret, raw, base64.b64encode(encoded).decode()) if s))


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
    """Mask ``Authorization``/``X-API-Key`` in the request headers an aiohttp error keeps,
    and any ``user:password@`` in its URLs.

    ``ClientResponseError`` (a malformed response, a body that cannot be decompressed)
    holds the request's headers in ``request_info`` and its ``args``, and shows them in its
    repr: the token or API key would reach any error reporter that prints the cause.
    """
    if not isinstance(exc, aiohttp.ClientResponseError):
        return
    info = exc.request_info
    headers = CIMultiDictProxy(CIMultiDict(redact_headers(info.headers)))
    # A proxy's refusal (ClientHttpProxyError) keeps the proxy URL, user:password@
    # included, as real_url, and shows it in its str.
    url, real_url = info.url.with_user(None), info.real_url.with_user(None)
    masked = aiohttp.RequestInfo(url, info.method, headers, real_url)
    exc.request_info = masked
    exc.args = (masked, *exc.args[1:])
