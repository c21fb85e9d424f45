"""The proxy a client goes through: ``proxy=``, else ``HTTP(S)_PROXY``/``NO_PROXY``.

Resolved once, at construction, for the base URL: every request goes to that one host, so
the answer holds for the client's life. The variables are read in either case (the lower-case
one wins, as in ``urllib``); ``~/.netrc`` is never read (aiohttp's ``trust_env`` would, and
would hop to a thread on every request). A proxy URL may carry ``user:password@``: no
message here ever holds the URL, and :func:`display_proxy` masks it for printing.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Final

from ._exceptions import RequestValidationError

__all__ = ["check_proxy", "display_proxy", "resolve_proxy"]


_PROXY_RULE: Final = (
    "an http:// or https:// URL, http://host:port (user:password@ if the proxy asks for it)"
)


def check_proxy(field: str, value: object, *, source: str | None = None) -> str:
    """``value`` if it is a usable proxy URL, else :class:`RequestValidationError` naming
    ``field``. The message never holds the value: it may carry a password."""
    if not isinstance(value, str):
        raise RequestValidationError(field, f"{_PROXY_RULE} (got {type(value).__name__})")
    where = f"{source} is not {_PROXY_RULE}; fix it, or pass trust_env=False to ignore it"
    bad = RequestValidationError(field, where if source else _PROXY_RULE)
    if not value or any(c.isspace() or not c.isprintable() for c in value):
        raise bad
    try:
        parts = urllib.parse.urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise bad from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise bad
    return value


def display_proxy(url: str) -> str:
    """``url`` fit to print: any ``user:password@`` shown as ``***@``."""
    parts = urllib.parse.urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    userinfo = "***@" if "@" in parts.netloc else ""
    return f"{parts.scheme}://{userinfo}{host}"


def resolve_proxy(
    base_url: str, proxy: object, *, trust_env: object, env: Mapping[str, str]
) -> tuple[str | None, str | None]:
    """The proxy for ``base_url`` and where it came from (``"proxy"`` or a variable's name);
    ``(None, None)`` to connect directly. See the module doc for the variables."""
    if not isinstance(trust_env, bool):
        raise RequestValidationError("trust_env", f"True or False (got {type(trust_env).__name__})")
    if proxy is not None:
        return check_proxy("proxy", proxy), "proxy"
    if not trust_env:
        return None, None
    parts = urllib.parse.urlsplit(base_url)
    # httpoxy: in a CGI script HTTP_PROXY may come from a request header (as urllib does).
    found = _variable(env, f"{parts.scheme}_proxy", upper="REQUEST_METHOD" not in env)
    if found is None:
        return None, None
    no_proxy = _variable(env, "no_proxy")
    if no_proxy is not None and _bypassed(parts, no_proxy[1]):
        return None, None
    name, value = found
    return check_proxy("proxy", value, source=name), name


def _variable(env: Mapping[str, str], name: str, *, upper: bool = True) -> tuple[str, str] | None:
    """``(name, value)`` of ``name`` in lower case, else in upper case; empty: unset."""
    for candidate in (name, name.upper()) if upper else (name,):
        value = env.get(candidate)
        if value:
            return candidate, value
    return None


def _bypassed(url: urllib.parse.SplitResult, no_proxy: str) -> bool:
    """Whether ``NO_PROXY`` lists the URL's host: ``*``, the host (or ``host:port``), or a
    domain it is in (``example.com`` and ``.example.com`` both cover ``api.example.com``)."""
    host = (url.hostname or "").lower()
    with_port = f"{host}:{url.port or (443 if url.scheme == 'https' else 80)}"
    for entry in no_proxy.lower().split(","):
        entry = entry.strip()
        if entry == "*":
            return True
        name = entry.lstrip("*.")  # "*.example.com" and ".example.com" mean the domain
        if name and (name in (host, with_port) or host.endswith("." + name)):
            return True
    return False
