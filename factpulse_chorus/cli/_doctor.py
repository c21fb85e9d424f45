"""``factpulse-chorus doctor``: check the settings, the server, the login and one read.

Each check prints one line, ``OK check: detail``, ``FAIL check: what is wrong — how to fix
it`` or ``SKIP check: why`` (a check that needs an earlier one to pass); ``--json`` prints one
JSON list of ``{check, status, detail, fix}``. Exit code 0 when every check passed,
:data:`EXIT_DOCTOR_FAILED` (4) when one failed. Nothing printed holds a password, token or
API key: every line is scrubbed of them, in every form a server may echo them.

The checks use the client the other commands use (same settings, same rules), with no
retries (a diagnosis reports what one attempt gets) and a short timeout; the connection
checks use a plain socket and one ``GET /`` to tell "nothing listens" from "TLS refused".
Through a proxy (``HTTP(S)_PROXY``/``NO_PROXY``, resolved as the client does), ``tcp``
reaches the proxy and ``http`` goes through it; the proxy is named without its credentials.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import attrs
import click

from .._auth import jwt_claims
from .._client import AsyncChorusClient
from .._config import DEFAULT_BASE_URL, LOGIN_PATH, AuthConfig
from .._exceptions import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    ChorusProBusinessError,
    FactPulseError,
    RequestValidationError,
)
from .._proxy import display_proxy, resolve_proxy
from .._redact import proxy_secrets, scrub
from .._response import RawResponse
from ._base import _CONNECTION_OPTIONS, CONTEXT, _password_from_stdin, guarded, json_option
from ._doctor_settings import (
    VARIABLES,
    Check,
    Diagnosis,
    check_base_url,
    check_credentials,
    check_variables,
    credential_arguments,
    is_loopback,
    secret_values,
    split_url,
)
from ._output import Output

__all__ = ["EXIT_DOCTOR_FAILED", "doctor"]

_PROXY_VARIABLES = frozenset({"http_proxy", "https_proxy", "no_proxy", "request_method"})
"""Read besides ``FACTPULSE_*``: the client's proxy settings (REQUEST_METHOD: httpoxy)."""

EXIT_DOCTOR_FAILED = 4
"""A check failed (apart from 1 API error, 2 bad flags and 3 a poll's deadline)."""

PROBE_SIRET = "21999012400014"
"""The SIRET the harmless read searches for (the sandbox's commune; elsewhere 0 matches is
still a successful read)."""
_DAY = 86_400.0
# FactPulse's documentation: dashboard tokens live 24 h (test) or 7 days (production).
_DASHBOARD_LIFETIMES = (
    (_DAY, "a FactPulse dashboard test token (24 h)"),
    (7 * _DAY, "a FactPulse dashboard production token (7 days)"),
)


# --- the server --------------------------------------------------------------------------------


async def check_server(
    report: Diagnosis,
    url: str,
    timeout: float,
    *,
    proxy: str | None = None,
    proxy_source: str | None = None,
) -> None:
    """``tcp``: something listens (the proxy, if any); ``http``: it answers HTTP (TLS
    included), through the proxy if any."""
    parts = urlsplit(proxy or url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    via = f"the proxy {display_proxy(proxy)} ({proxy_source}) at " if proxy else ""
    started = time.perf_counter()
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, asyncio.TimeoutError) as exc:
        reason = "no answer in time" if isinstance(exc, asyncio.TimeoutError) else _os_error(exc)
        fix = (
            f"check that the proxy runs, or {proxy_source} and NO_PROXY"
            if proxy
            else "check that the server runs and FACTPULSE_BASE_URL (or --base-url), "
            "the network, a firewall or a proxy (HTTPS_PROXY/HTTP_PROXY)"
        )
        report.fail("tcp", f"cannot connect to {via}{host}:{port}: {reason}", fix)
        report.skip("http", "tcp")
        return
    writer.close()
    report.ok("tcp", f"{via}{host}:{port} accepts connections ({_ms(started)})")
    started = time.perf_counter()
    try:
        session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout), proxy=proxy)
        async with session, session.get(url + "/", allow_redirects=False) as response:
            status = response.status
    except aiohttp.ClientSSLError as exc:
        report.fail(
            "http",
            f"TLS failed: {exc}",
            "check the server's certificate, the system's CA store, or SSL_CERT_FILE",
        )
        return
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        reason = "no answer in time" if isinstance(exc, asyncio.TimeoutError) else str(exc)
        report.fail(
            "http",
            f"no HTTP answer from {url}: {reason or type(exc).__name__}",
            "is this an HTTP server? check the scheme (http/https) and the port",
        )
        return
    through = f" through the proxy ({proxy_source})" if proxy else ""
    report.ok("http", f"GET {url}/ answered HTTP {status}{through} ({_ms(started)})")


def _os_error(exc: OSError) -> str:
    # asyncio puts "Connect call failed (...)" where the reason goes; the errno says it.
    if exc.errno:
        return os.strerror(exc.errno)
    return str(exc) or type(exc).__name__


def _ms(started: float) -> str:
    return f"{(time.perf_counter() - started) * 1000:.0f} ms"


# --- login, token, the read --------------------------------------------------------------------


class _Seen:
    """What the client's ``on_response`` hook saw of the login (its status, not its token)."""

    def __init__(self) -> None:
        self.login_status: int | None = None
        self.login_elapsed = 0.0

    def on_response(self, raw: RawResponse) -> None:
        if raw.url.endswith(LOGIN_PATH):  # the hook never sees the token itself
            self.login_status, self.login_elapsed = raw.status, raw.elapsed


async def check_session(
    report: Diagnosis,
    base_url: str,
    flags: Mapping[str, str | None],
    auth: AuthConfig,
    *,
    timeout: float,
    siret: str,
    proxy: str | None = None,
) -> None:
    """``login``, ``token``, ``chorus_pro_environment`` and ``read``, through the client."""
    seen = _Seen()
    async with AsyncChorusClient(
        base_url=base_url,
        **credential_arguments(flags),
        proxy=proxy,  # resolved from the same variables as the server checks'
        trust_env=False,
        max_retries=0,
        timeout=timeout,
        on_response=seen.on_response,
    ) as client:
        failure: FactPulseError | None = None
        try:
            found = await client.structures.rechercher(
                structure_identifier=siret, structure_identifier_type="SIRET"
            )
        except FactPulseError as exc:
            failure = exc
        login_ok = seen.login_status is not None and 200 <= seen.login_status < 300
        if auth.mode != "password":
            how = "the API key is sent" if auth.mode == "api_key" else "the token is sent as is"
            report.ok("login", f"not needed: {how}")
        elif login_ok:
            report.ok(
                "login", f"logged in (HTTP {seen.login_status}, {seen.login_elapsed * 1000:.0f} ms)"
            )
        else:
            what, fix = _explain(failure, "login") if failure else ("no login was made", "")
            report.fail("login", what, fix or "report it: the read was answered without one")
            for name in ("token", "chorus_pro_environment", "read"):
                report.skip(name, "login")
            return
        token = auth.token if auth.mode == "token" else _session_token(client)
        claims = check_token(report, auth, token)
        check_chorus_pro_environment(report, client.base_url, auth, claims)
    if failure is not None:
        what, fix = _explain(failure, auth.mode)
        report.fail("read", f"structures.rechercher: {what}", fix)
        return
    request_id = f", request id {found.raw.request_id}" if found.raw.request_id else ""
    report.ok(
        "read",
        f"structures.rechercher for SIRET {siret}: "
        f"{len(found.structures)} of {found.total} structures{request_id}",
    )


def _session_token(client: AsyncChorusClient) -> str | None:
    # No public accessor exists, on purpose (the token is a secret): the doctor only reads
    # its claims, and never prints it.
    tokens = client._shared.tokens
    return tokens.current() if tokens is not None else None


def check_token(report: Diagnosis, auth: AuthConfig, token: str | None) -> dict[str, Any] | None:
    """The token's claims (decoded, NOT verified: only the server can), and its expiry."""
    if auth.mode == "api_key":
        report.ok("token", "none: an API key has no expiry the SDK can read")
        return None
    login = "use FACTPULSE_EMAIL/FACTPULSE_PASSWORD so that the SDK logs in by itself"
    renew = f"get a new access token (FACTPULSE_TOKEN), or {login}"
    if token is None:  # a login answered, but its token is already past its renewal time
        report.fail(
            "token",
            "the token from the login is already expired by this clock",
            "check this machine's clock (the SDK renews tokens by their exp)",
        )
        return None
    claims = jwt_claims(token)
    if claims is None:
        report.fail(
            "token",
            "the token is not a JWT (three base64url parts joined by dots)",
            f"copy the whole access token, or {login}",
        )
        return None
    if claims.get("token_type") == "refresh":
        report.fail(
            "token",
            "this is a refresh token, not an access token",
            "use the 'access' token of the login answer",
        )
        return None
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        report.fail("token", "the token has no exp claim: its expiry cannot be read", renew)
        return None
    left = exp - time.time()
    when = datetime.fromtimestamp(exp, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    if left <= 0:
        report.fail("token", f"expired {_duration(-left)} ago ({when})", renew)
        return None
    renewal = "renewed by the SDK before then" if auth.can_login else "cannot be renewed"
    report.ok("token", f"expires {when}, in {_duration(left)} ({renewal})")
    return claims


def check_chorus_pro_environment(
    report: Diagnosis, base_url: str, auth: AuthConfig, claims: dict[str, Any] | None
) -> None:
    """Qualification or production: what can be told, and from what.

    The API does not say it. Only zero-trust credentials carry it (their ``sandbox``
    flag), and the command line sends none: FactPulse uses the credentials stored for the
    client. The base URL is the same for both; dashboard tokens have telling lifetimes.
    """
    host = split_url(base_url)
    if host is not None and is_loopback(host[1]):
        report.ok(
            "chorus_pro_environment",
            "a local server (e.g. the sandbox): neither Chorus Pro qualification nor production",
        )
        return
    if claims is not None and auth.mode == "token":
        lifetime = _lifetime(claims)
        for expected, kind in _DASHBOARD_LIFETIMES:
            if lifetime is not None and abs(lifetime - expected) <= 0.1 * expected:
                report.ok("chorus_pro_environment", f"{kind}, by its lifetime")
                return
    uid = f"client {auth.client_uid}" if auth.client_uid else "the account's default client"
    report.ok(
        "chorus_pro_environment",
        f"not reported by the API: FactPulse uses the Chorus "
        f"Pro credentials stored for {uid}; the FactPulse dashboard says whether they "
        "are qualification or production (in code, ChorusProCredentials(sandbox=True) "
        "is qualification, ChorusProCredentials.production(...) production)",
    )


def _lifetime(claims: dict[str, Any]) -> float | None:
    exp, iat = claims.get("exp"), claims.get("iat")
    if isinstance(exp, (int, float)) and isinstance(iat, (int, float)):
        return float(exp - iat)
    return None


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * _DAY:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / _DAY:.1f} days"


def _explain(error: FactPulseError, mode: str) -> tuple[str, str]:
    """What went wrong (the SDK's message) and how to fix it."""
    what = f"{type(error).__name__}: {error}"
    if isinstance(error, AuthenticationError):
        fix = {
            "login": "check FACTPULSE_EMAIL/FACTPULSE_PASSWORD (or --email/--password) and "
            "client_uid; an account made with Google/GitHub must set a password on FactPulse",
            "token": "the token was refused: get a new access token, or use e-mail/password",
            "api_key": "the API key was refused: check FACTPULSE_API_KEY (or --api-key)",
        }.get(mode, "the credentials were refused: check them")
    elif isinstance(error, APIStatusError) and error.status_code >= 500:
        fix = "the server failed: try again later; if it lasts, report it with the request id"
    elif isinstance(error, APIStatusError):
        fix = "the server refused the request: check the account's rights and the base URL"
    elif isinstance(error, ChorusProBusinessError):
        fix = "Chorus Pro refused: check the Chorus Pro credentials stored on FactPulse"
    elif isinstance(error, RequestValidationError):
        fix = "refused before sending: check --siret"
    elif isinstance(error, APIConnectionError):
        fix = "check the network, a proxy, or raise --timeout"
    else:
        fix = "check the base URL: the answer is not the FactPulse API's"
    return what, fix


# --- the command -------------------------------------------------------------------------------


async def diagnose(
    flags: Mapping[str, str | None],
    env: Mapping[str, str],
    *,
    timeout: float = 10.0,
    siret: str = PROBE_SIRET,
    password_stdin: bool = False,
) -> list[Check]:
    """Every check, in order; ``flags`` are the connection flags (None: left out), the
    password among them when ``password_stdin`` (it was read from stdin)."""
    report = Diagnosis()
    check_variables(report, flags, env, password_stdin=password_stdin)
    source = "--base-url" if flags.get("base_url") else VARIABLES["base_url"]
    url = flags.get("base_url") or env.get(source) or None
    if url is None:
        url, source = DEFAULT_BASE_URL, "the default"
    base_url = check_base_url(report, url, source)
    auth = check_credentials(report, flags, env)
    proxy: str | None = None
    if base_url is None:
        for name in ("tcp", "http"):
            report.skip(name, "base_url")
    else:
        try:
            proxy, proxy_source = resolve_proxy(base_url, None, trust_env=True, env=env)
        except RequestValidationError as exc:
            report.fail("tcp", exc.rule, "fix the proxy variable, or unset it")
            report.skip("http", "tcp")
        else:
            await check_server(report, base_url, timeout, proxy=proxy, proxy_source=proxy_source)
    needed = ("base_url", "credentials", "http")
    if base_url is None or auth is None or not report.passed(*needed):
        for name in ("login", "token", "chorus_pro_environment", "read"):
            report.skip(name, report.first_not_passed(*needed))
    else:
        await check_session(
            report, base_url, flags, auth, timeout=timeout, siret=siret, proxy=proxy
        )
    # Last line of defence: whatever the server echoed, no secret leaves in any form
    # (those of variables a flag made ignored included).
    secrets = secret_values(flags, env)
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        secrets.update(proxy_secrets(env.get(name) or ""))
    return [
        attrs.evolve(c, detail=scrub(c.detail, secrets), fix=scrub(c.fix, secrets))
        for c in report.checks
    ]


def _connection_options(function: Callable[..., None]) -> Callable[..., None]:
    """The other commands' ``--base-url``, ``--email``, ... (see ``_base``)."""
    for option in reversed(_CONNECTION_OPTIONS):
        function = option(function)
    return function


@click.command(context_settings=CONTEXT)
@click.option(
    "--siret",
    default=PROBE_SIRET,
    show_default=True,
    metavar="SIRET",
    help="The SIRET the harmless read (structures.rechercher) searches for.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="Per check that waits on the network.",
)
@json_option("Print one JSON list of {check, status, detail, fix}.")
@_connection_options
def doctor(siret: str, timeout: float, as_json: bool, **flags: Any) -> None:
    """Check the settings, reach the server, log in, read the token's expiry, one read.

    One line per check: `OK check: detail`, `FAIL check: what is wrong — how to fix it`,
    or `SKIP check: ...` when an earlier check failed. Exit code 0 when all passed, 4 when
    one failed. Never prints a password, token or API key.
    """
    out = Output(as_json=as_json)
    settings: dict[str, Any] = {name: flags.get(name) for name in VARIABLES}
    stdin = bool(flags.get("password_stdin"))
    if stdin:  # as for the other commands: a usage error (2) if it conflicts or is empty
        _password_from_stdin(out, settings)
    env = {
        name: value
        for name, value in os.environ.items()
        if name.startswith("FACTPULSE_") or name.lower() in _PROXY_VARIABLES
    }
    checks = guarded(
        out,
        lambda: asyncio.run(
            diagnose(settings, env, timeout=timeout, siret=siret, password_stdin=stdin)
        ),
    )
    if as_json:
        out.json([attrs.asdict(check) for check in checks])
    else:
        sys.stdout.write("".join(check.line() + "\n" for check in checks))
    failed = any(check.status == "FAIL" for check in checks)
    raise click.exceptions.Exit(EXIT_DOCTOR_FAILED if failed else 0)
