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
import re
import urllib.parse
import weakref
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Final

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy

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


# Exact types a walk returns as they are: they hold no key, and a number no secret. Exact
# types only: a subclass (of str too) may also be a Mapping, and takes the general path.
_INERT: Final = frozenset({int, float, bool, type(None), Decimal})
_REDACT_LEAVES: Final = _INERT | {str}
_MASKED_KEYS: Final = _SECRET_KEYS | _PARTIAL_KEYS | _LENGTH_ONLY_KEYS


def redact(value: Any) -> Any:
    """Return a copy of ``value`` (dicts, lists, tuples nested) with secret keys masked."""
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


def _scrub(value: Any, pattern: re.Pattern[str]) -> Any:
    return _walk(value, pattern, redacting=False)


def redact_scrub(value: Any, secrets: Iterable[str]) -> Any:
    """``scrub(redact(value), secrets)`` in one walk over ``value``."""
    needles = tuple(sorted({s for s in secrets if isinstance(s, str) and len(s) >= _MIN_NEEDLE}))
    if not needles:
        return redact(value)
    return _walk(value, _pattern(needles), redacting=True)


def _walk(value: Any, pattern: re.Pattern[str], redacting: bool) -> Any:
    """``_scrub(value)``, of ``redact(value)`` when ``redacting``, in one walk."""
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
                out[pattern.sub(MASK, k)] = _walk(_redact_value(k, v), pattern, False)
            else:
                out[pattern.sub(MASK, k)] = v if type(v) in _INERT else _walk(v, pattern, redacting)
        return out
    if kind is list or kind is tuple:
        return [
            v
            if type(v) in _INERT
            else pattern.sub(MASK, v)
            if type(v) is str
            else _walk(v, pattern, redacting)
            for v in value
        ]
    if kind is str:
        return _sub(pattern, value)
    if kind in _INERT:
        return value
    if redacting:  # any other type: the two walks, as they were
        return _walk(redact(value), pattern, False)
    if isinstance(value, str):
        return pattern.sub(MASK, value)
    if isinstance(value, Mapping):
        return {
            (_scrub(k, pattern) if isinstance(k, str) else k): _scrub(v, pattern)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_scrub(v, pattern) for v in value]
    return value


_LONG_TEXT: Final = 4096
# For each pattern, the characters a match can start with (see _first_chars).
_STARTS: weakref.WeakKeyDictionary[re.Pattern[str], re.Pattern[str]] = weakref.WeakKeyDictionary()


def _sub(pattern: re.Pattern[str], text: str) -> str:
    # The pattern has no literal prefix the regex engine can skip to: it tries it at each
    # character (0.1 s a MB). A long text without any character a match starts with is
    # left as it is, found in one fast scan.
    if len(text) > _LONG_TEXT:
        starts = _STARTS.get(pattern)
        if starts is not None and starts.search(text) is None:
            return text
    return pattern.sub(MASK, text)


@functools.lru_cache(maxsize=64)
def _pattern(needles: tuple[str, ...]) -> re.Pattern[str]:
    # Longest first: a secret containing another one is masked whole.
    ordered = sorted(needles, key=len, reverse=True)
    pattern = re.compile("|".join("".join(_char_forms(c) for c in s) for s in ordered))
    firsts = sorted(set().union(*(_first_chars(s[0]) for s in needles)))
    _STARTS[pattern] = re.compile(f"[{''.join(re.escape(c) for c in firsts)}]")
    return pattern


def _first_chars(char: str) -> set[str]:
    """The characters a match of :func:`_char_forms` (``char``) can start with."""
    code = ord(char)
    # itself; a backslash escape; percent-encoding; an HTML entity
    firsts = {char, "\\", "%", "&"}
    if char == " ":
        firsts.add("+")
    if code > 0xFF:
        firsts.add("?")
    if code > 0x7F:  # its first UTF-8 byte read as Latin-1, or U+FFFD
        firsts.update((chr(char.encode("utf-8", "surrogatepass")[0]), "\ufffd"))
    return firsts


def _hex(number: int, width: int) -> str:
    """``number`` in hexadecimal, either case (``[eE]9``)."""
    digits = f"{number:0{width}x}"
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in digits)


_SHORT_ESCAPES: Final = {'"': '"', "\\": "\\", "/": "/", "\b": "b", "\f": "f"}
_SHORT_ESCAPES_MORE: Final = {"\n": "n", "\r": "r", "\t": "t", "'": "'"}
_ENTITIES: Final = {'"': "quot", "&": "amp", "<": "lt", ">": "gt", "'": "apos"}


def _ascii_forms(char: str) -> str:
    """An ASCII character as it is, percent-encoded (once or more) or as an HTML entity."""
    code = ord(char)
    forms = [
        re.escape(char),
        f"%(?:25)*{_hex(code, 2)}",
        f"&#0*{code};",
        f"&#[xX]0*{_hex(code, 0)};",
    ]
    if char in _ENTITIES:
        forms.append(f"&{_ENTITIES[char]};")
    return f"(?:{'|'.join(forms)})"


# One or more backslashes (an escape, escaped again), each maybe encoded itself.
_BS: Final = f"(?:{_ascii_forms(chr(92))})+"


def _code_point_forms(code: int) -> list[str]:
    """Regex forms of one code point, but its UTF-8 bytes (see :func:`_char_forms`)."""
    # A form that starts with a new character must add it to _first_chars, or long texts
    # holding only that form would go unscrubbed.
    char = chr(code)
    forms = [re.escape(char)]
    escapes = {**_SHORT_ESCAPES, **_SHORT_ESCAPES_MORE}
    if char in escapes:
        # \" \\ \/ \n, escaped once or more, the escaped character maybe encoded too
        escaped = escapes[char]
        forms.append(_BS + _ascii_forms(escaped))
    if code <= 0xFFFF:
        forms.append(_BS + r"u" + _hex(code, 4))
    else:  # a JSON surrogate pair, or Python's \U0001xxxx
        high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
        forms.append(rf"{_BS}u{_hex(high, 4)}{_BS}u{_hex(low, 4)}")
        forms.append(_BS + r"U" + _hex(code, 8))
    if code <= 0xFF:
        forms.append(_BS + r"x" + _hex(code, 2))
    forms.append(rf"&#0*{code};|&#[xX]0*{_hex(code, 1) if code < 16 else _hex(code, 0)};")
    if char in _ENTITIES:
        forms.append(f"&{_ENTITIES[char]};")
    if char == " ":
        forms.append(r"\+")  # form encoding
    if code > 0xFF:
        forms.append(r"\?")  # lost when re-encoded to Latin-1 with errors="replace"
    return forms


def _char_forms(char: str) -> str:
    """A regex matching ``char`` in any of the forms :func:`scrub` lists."""
    code = ord(char)
    forms = _code_point_forms(code)
    utf8 = char.encode("utf-8", "surrogatepass")
    # Percent-encoding of the UTF-8 bytes, also encoded twice (%25C3%25A9).
    forms.append("".join(f"%(?:25)*{_hex(b, 2)}" for b in utf8))
    if code > 0x7F:
        # The UTF-8 bytes read as Latin-1 (mojibake), each byte in any of its forms; and
        # a character lost to the replacement character when decoding failed.
        forms.append("".join(f"(?:{'|'.join(_code_point_forms(b))})" for b in utf8))
        forms.append("\ufffd")
    return f"(?:{'|'.join(forms)})"


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


def _scrub_exception(error: BaseException, pattern: re.Pattern[str]) -> None:
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
