"""Client configuration: defaults, environment variables and argument checks.

Everything a client needs to know before its first request is resolved here, once,
into a frozen :class:`ClientConfig`; the transport only reads it.

Environment variables (used only for arguments left out):

========================  =====================================================
``FACTPULSE_BASE_URL``    API root, default ``https://factpulse.fr``
``FACTPULSE_EMAIL``       FactPulse account e-mail (login mode)
``FACTPULSE_PASSWORD``    FactPulse account password (login mode)
``FACTPULSE_CLIENT_UID``  optional client UUID sent at login
``FACTPULSE_TOKEN``       a ready access token (no login)
``FACTPULSE_API_KEY``     an API key, sent as ``X-API-Key``
``FACTPULSE_LOG``         ``debug``/``info``/``warning``: log to stderr (see ``_logging``)
``HTTPS_PROXY``           proxy for an ``https://`` base URL (unless ``trust_env=False``)
``HTTP_PROXY``            proxy for an ``http://`` base URL (idem)
``NO_PROXY``              hosts reached directly: names, ``.domain`` suffixes, ``*``
========================  =====================================================

An explicit ``proxy=`` wins over the proxy variables (see :mod:`._proxy`).

If any of ``email``, ``password``, ``token`` or ``api_key`` is passed explicitly, the
``FACTPULSE_EMAIL/PASSWORD/TOKEN/API_KEY`` variables are all ignored, so that a token
from the environment never gets mixed with credentials given in code.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Final, Literal, TypedDict

import attrs

from ._exceptions import RequestValidationError
from ._proxy import resolve_proxy
from ._redact import has_userinfo, proxy_secrets
from ._types import (
    NOT_GIVEN,
    NotGiven,
    NotGivenOr,
    OnError,
    OnRequest,
    OnResponse,
    Timeout,
    TimeoutTypes,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._otel import Tracing

__all__ = [
    "CLOSED_MESSAGE",
    "DEFAULT_BASE_URL",
    "DEFAULT_CONNECTION_LIMIT",
    "DEFAULT_CONNECTION_LIMIT_PER_HOST",
    "DEFAULT_MAX_RESPONSE_SIZE",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "SYNC_CLOSED_MESSAGE",
    "AuthConfig",
    "AuthMode",
    "ClientConfig",
    "RetryPolicy",
    "check_header_value",
    "check_headers",
]

DEFAULT_BASE_URL: Final = "https://factpulse.fr"
LOGIN_PATH: Final = "/api/token/"
CLOSED_MESSAGE: Final = "client is closed; create a new AsyncChorusClient"
"""What a closed :class:`AsyncChorusClient` (or ``with_options()`` view) raises with."""
SYNC_CLOSED_MESSAGE: Final = "client is closed; create a new ChorusClient"
"""What a closed blocking :class:`ChorusClient` raises with."""
DEFAULT_TIMEOUT: Final = Timeout(connect=10.0, read=60.0, total=120.0)
DEFAULT_MAX_RETRIES: Final = 2
DEFAULT_CONNECTION_LIMIT: Final = 100
DEFAULT_CONNECTION_LIMIT_PER_HOST: Final = 0  # 0: no per-host limit (only the total one)
DEFAULT_MAX_RESPONSE_SIZE: Final = 256 * 1024 * 1024
"""Bytes of (decompressed) body accepted per response: the largest answer, a group
download of up to 120 MB of invoices, is about 160 MB once base64-encoded in its JSON."""

ENV_BASE_URL: Final = "FACTPULSE_BASE_URL"
ENV_EMAIL: Final = "FACTPULSE_EMAIL"
ENV_PASSWORD: Final = "FACTPULSE_PASSWORD"
ENV_CLIENT_UID: Final = "FACTPULSE_CLIENT_UID"
ENV_TOKEN: Final = "FACTPULSE_TOKEN"
ENV_API_KEY: Final = "FACTPULSE_API_KEY"

AuthMode = Literal["password", "token", "api_key"]
"""``password``: log in with e-mail/password; ``token``: a ready access token;
``api_key``: ``X-API-Key`` header."""


@attrs.frozen
class RetryPolicy:
    """How long to wait between attempts.

    The n-th retry waits ``min(max_delay, base_delay * 2**n)`` minus up to ``jitter`` of it
    (random), or the server's ``Retry-After`` when it sent one. A ``Retry-After`` longer
    than ``max_retry_after`` is not waited for: the error is raised at once.
    """

    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    jitter: float = 0.25

    def __attrs_post_init__(self) -> None:
        for name in ("base_delay", "max_delay", "max_retry_after"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise RequestValidationError(f"retry_policy.{name}", "a number of seconds >= 0")
        if not 0 <= self.jitter <= 1:
            raise RequestValidationError("retry_policy.jitter", "a fraction between 0 and 1")


@attrs.frozen(repr=False)
class AuthConfig:
    """How requests are authenticated. Secrets never appear in the repr."""

    mode: AuthMode
    email: str | None = None
    password: str | None = None
    client_uid: str | None = None
    token: str | None = None
    api_key: str | None = None
    proxy_secrets: tuple[str, ...] = ()
    """The proxy URL's password (and its Basic credentials), scrubbed like the others."""

    @property
    def can_login(self) -> bool:
        """True when the SDK can (re)obtain a token by itself."""
        return self.mode == "password"

    def secrets(self) -> tuple[str, ...]:
        """The secret strings to scrub from anything we print or raise."""
        own = (self.password, self.token, self.api_key)
        return (*(s for s in own if s), *self.proxy_secrets)

    def __repr__(self) -> str:
        return f"AuthConfig(mode={self.mode!r})"


@attrs.frozen(repr=False)
class ClientConfig:
    """Everything a client resolved at construction (see :meth:`from_arguments`)."""

    base_url: str
    auth: AuthConfig
    timeout: Timeout = DEFAULT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    connection_limit: int = DEFAULT_CONNECTION_LIMIT
    connection_limit_per_host: int = DEFAULT_CONNECTION_LIMIT_PER_HOST
    default_headers: Mapping[str, str] = attrs.field(factory=dict)
    retry_policy: RetryPolicy = attrs.field(factory=RetryPolicy)
    on_request: OnRequest | None = None
    on_response: OnResponse | None = None
    on_error: OnError | None = None
    max_response_size: int | None = DEFAULT_MAX_RESPONSE_SIZE
    tracing: Tracing | None = None
    """The OpenTelemetry integration (``tracer_provider=``), whose hooks are chained first in
    the three above; ``None`` without one."""
    proxy: str | None = None
    """The proxy every request goes through (credentials included: never shown)."""
    proxy_source: str | None = None
    """Where ``proxy`` came from: ``"proxy"`` (the argument) or the variable's name."""

    def __repr__(self) -> str:
        return f"ClientConfig(base_url={self.base_url!r}, auth={self.auth.mode!r})"

    @classmethod
    def from_arguments(
        cls, *, environ: Mapping[str, str] | None = None, **arguments: Unpack[ClientArguments]
    ) -> ClientConfig:
        """Check the arguments, fill the gaps from the environment and the defaults."""
        env = os.environ if environ is None else environ

        def from_env(name: str) -> str | None:
            return env.get(name) or None  # an empty variable counts as unset

        base_url = _normalise_base_url(
            arguments.get("base_url") or from_env(ENV_BASE_URL) or DEFAULT_BASE_URL
        )
        auth = _resolve_auth(arguments, from_env)
        proxy, proxy_source = resolve_proxy(
            base_url, arguments.get("proxy"), trust_env=arguments.get("trust_env", True), env=env
        )
        if proxy is not None:
            auth = attrs.evolve(auth, proxy_secrets=proxy_secrets(proxy))
        timeout = arguments.get("timeout", NOT_GIVEN)
        limit_per_host = arguments.get(
            "connection_limit_per_host", DEFAULT_CONNECTION_LIMIT_PER_HOST
        )
        return cls(
            base_url=base_url,
            auth=auth,
            timeout=DEFAULT_TIMEOUT if isinstance(timeout, NotGiven) else Timeout.coerce(timeout),
            max_retries=check_max_retries(arguments.get("max_retries", DEFAULT_MAX_RETRIES)),
            connection_limit=_check_count(
                "connection_limit", arguments.get("connection_limit", DEFAULT_CONNECTION_LIMIT)
            ),
            connection_limit_per_host=_check_count("connection_limit_per_host", limit_per_host),
            default_headers=check_headers("default_headers", arguments.get("default_headers")),
            retry_policy=arguments.get("retry_policy") or RetryPolicy(),
            on_request=arguments.get("on_request"),
            on_response=arguments.get("on_response"),
            on_error=arguments.get("on_error"),
            max_response_size=_check_size(
                "max_response_size",
                arguments.get("max_response_size", DEFAULT_MAX_RESPONSE_SIZE),
            ),
            proxy=proxy,
            proxy_source=proxy_source,
        )


class ClientArguments(TypedDict, total=False):
    """What :meth:`ClientConfig.from_arguments` reads: the client's own keyword arguments
    (see :class:`AsyncChorusClient`) but ``credentials`` and ``session``."""

    base_url: str | None
    email: str | None
    password: str | None
    client_uid: str | None
    token: str | None
    api_key: str | None
    timeout: NotGivenOr[TimeoutTypes]
    max_retries: int
    connection_limit: int
    connection_limit_per_host: int
    default_headers: Mapping[str, str] | None
    retry_policy: RetryPolicy | None
    on_request: OnRequest | None
    on_response: OnResponse | None
    on_error: OnError | None
    max_response_size: int | None
    proxy: str | None
    trust_env: bool


def check_max_retries(value: object) -> int:
    """``max_retries`` must be an int >= 0 (0 disables retries)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RequestValidationError("max_retries", "an integer >= 0")
    return value


def _check_count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RequestValidationError(name, "an integer >= 0 (0: unlimited)")
    return value


def _check_size(name: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise RequestValidationError(name, "a number of bytes > 0, or None for no limit")
    return value


# RFC 9110: a field name is a token; a field value holds no control character but HTAB.
# aiohttp refuses only some of these, and only once the request is on its way.
_HEADER_NAME: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_HEADER_VALUE_BAD: Final = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def check_header_value(name: str, value: object) -> str:
    """``value`` if it can be sent as a header value: a str without CR, LF, NUL or other
    control characters; else :class:`RequestValidationError` naming ``name``
    (``default_headers.X-Trace`` for an entry of a mapping)."""
    if not isinstance(value, str):
        raise RequestValidationError(name, f"a str (got {type(value).__name__})")
    if _HEADER_VALUE_BAD.search(value):
        raise RequestValidationError(
            name, "must not contain CR, LF, NUL or other control characters"
        )
    return value


def check_headers(name: str, headers: object) -> dict[str, str]:
    """``headers`` as a dict, each name an HTTP token and each value safe to send
    (:func:`check_header_value`); else :class:`RequestValidationError` naming ``name``."""
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise RequestValidationError(
            name, f"a mapping of str to str (got {type(headers).__name__})"
        )
    out: dict[str, str] = {}
    for key, value in headers.items():
        if not isinstance(key, str) or not _HEADER_NAME.match(key):
            raise RequestValidationError(name, f"{key!r} is not a valid header name")
        out[key] = check_header_value(f"{name}.{key}", value)
    return out


def _normalise_base_url(url: str) -> str:
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise RequestValidationError("base_url", "an http:// or https:// URL")
    if has_userinfo(url):
        # Refused rather than masked: a password in the URL would reach every repr, log
        # line and connection error, and the API never reads it (it authenticates by
        # email/password, token or API key).
        raise RequestValidationError(
            "base_url", "no user:password@ in the URL (use email/password, token or api_key)"
        )
    return url.rstrip("/")


def _resolve_auth(arguments: ClientArguments, from_env: Callable[[str], str | None]) -> AuthConfig:
    email, password = arguments.get("email"), arguments.get("password")
    token, api_key = arguments.get("token"), arguments.get("api_key")
    client_uid = arguments.get("client_uid")
    if email is None and password is None and token is None and api_key is None:
        email = from_env(ENV_EMAIL)
        password = from_env(ENV_PASSWORD)
        token = from_env(ENV_TOKEN)
        api_key = from_env(ENV_API_KEY)
    if client_uid is None:
        client_uid = from_env(ENV_CLIENT_UID)
    for name, value in (
        ("email", email),
        ("password", password),
        ("client_uid", client_uid),
        ("token", token),
        ("api_key", api_key),
    ):
        if value is not None and not isinstance(value, str):
            raise RequestValidationError(name, f"a str (got {type(value).__name__})")
    # These two are sent as header values (X-API-Key, Authorization): refuse what would
    # break or inject a header here, not once a request is on its way.
    if api_key is not None:
        check_header_value("api_key", api_key)
    if token is not None:
        check_header_value("token", token)

    if (email is None) != (password is None):
        missing = "password" if password is None else "email"
        raise RequestValidationError(
            missing, "email and password go together (or set FACTPULSE_EMAIL/FACTPULSE_PASSWORD)"
        )
    if api_key is not None:
        if email is not None or token is not None:
            raise RequestValidationError(
                "api_key", "pass either api_key, or token, or email and password, not several"
            )
        return AuthConfig(mode="api_key", api_key=api_key)
    if email is not None:
        # A token given with e-mail/password is used until it expires, then we log in.
        return AuthConfig(
            mode="password", email=email, password=password, client_uid=client_uid, token=token
        )
    if token is not None:
        return AuthConfig(mode="token", token=token)
    raise RequestValidationError(
        "email",
        "no FactPulse credentials: pass email= and password= (or token=, or api_key=), "
        "or set FACTPULSE_EMAIL and FACTPULSE_PASSWORD",
    )
