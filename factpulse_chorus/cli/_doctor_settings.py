"""The ``doctor`` checks that need no network: the variables, the base URL, the credentials.

Also what every check of :mod:`._doctor` reports into: :class:`Check` lines in a
:class:`Diagnosis`.
"""

from __future__ import annotations

import difflib
import ipaddress
import uuid
from collections.abc import Mapping
from typing import Literal, TypedDict
from urllib.parse import urlsplit

import attrs

from .._config import DEFAULT_BASE_URL, AuthConfig, ClientConfig
from .._exceptions import RequestValidationError
from .._redact import has_userinfo

Status = Literal["OK", "FAIL", "SKIP"]
VARIABLES = {
    "base_url": "FACTPULSE_BASE_URL",
    "email": "FACTPULSE_EMAIL",
    "password": "FACTPULSE_PASSWORD",
    "client_uid": "FACTPULSE_CLIENT_UID",
    "token": "FACTPULSE_TOKEN",
    "api_key": "FACTPULSE_API_KEY",
}
_CREDENTIALS = ("email", "password", "token", "api_key")
_OTHER_VARIABLES = ("FACTPULSE_LOG", "FACTPULSE_CHORUS_JSON")
_LOG_LEVELS = ("debug", "info", "warning")


@attrs.frozen
class Check:
    """One line of the diagnosis."""

    check: str
    status: Status
    detail: str
    fix: str = ""

    def line(self) -> str:
        """The line a person reads."""
        if self.status == "FAIL":
            return f"FAIL {self.check}: {self.detail} — {self.fix}"
        return f"{self.status} {self.check}: {self.detail}"


class Diagnosis:
    """The checks so far, in order, and whether a named one passed."""

    def __init__(self) -> None:
        self.checks: list[Check] = []

    def ok(self, check: str, detail: str) -> None:
        self.checks.append(Check(check, "OK", detail))

    def fail(self, check: str, detail: str, fix: str) -> None:
        self.checks.append(Check(check, "FAIL", detail, fix))

    def skip(self, check: str, needs: str) -> None:
        self.checks.append(Check(check, "SKIP", f"needs '{needs}' to pass first"))

    def passed(self, *names: str) -> bool:
        status = {c.check: c.status for c in self.checks}
        return all(status.get(name) == "OK" for name in names)

    def first_not_passed(self, *names: str) -> str:
        return next(name for name in names if not self.passed(name))


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address: where plain http sends nothing over a network."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# --- the settings ------------------------------------------------------------------------------


def check_variables(
    report: Diagnosis,
    flags: Mapping[str, str | None],
    env: Mapping[str, str],
    *,
    password_stdin: bool = False,
) -> None:
    """Which settings come from flags and which from ``FACTPULSE_*``; typos and bad values."""
    given = [f"--{name.replace('_', '-')}" for name, value in flags.items() if value is not None]
    if password_stdin:
        given = [("--password-stdin" if flag == "--password" else flag) for flag in given]
    ignored = set()
    if any(flags.get(name) is not None for name in _CREDENTIALS):
        # As in code: one credential flag makes every credential variable ignored.
        ignored = {VARIABLES[name] for name in _CREDENTIALS}
    used, unused, empty, unknown = [], [], [], []
    known = (*VARIABLES.values(), *_OTHER_VARIABLES)
    for name in sorted(n for n in env if n.startswith("FACTPULSE_")):
        if name not in known:
            unknown.append(name)
        elif not env[name]:
            empty.append(name)
        elif name in ignored or (name == VARIABLES["base_url"] and flags.get("base_url")):
            unused.append(name)
        else:
            used.append(name)
    level = env.get("FACTPULSE_LOG", "").strip().lower()
    if level and level not in _LOG_LEVELS:
        report.fail(
            "variables",
            f"FACTPULSE_LOG={level!r} is not a level",
            f"set it to one of {', '.join(_LOG_LEVELS)}, or unset it",
        )
        return
    for name in unknown:
        near = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
        if near:
            report.fail(
                "variables", f"{name} is not read by the SDK", f"did you mean {near[0]}? rename it"
            )
            return
    parts = [f"flags: {', '.join(given) or 'none'}", f"environment: {', '.join(used) or 'none'}"]
    if unused:
        parts.append(f"ignored because a flag is given: {', '.join(unused)}")
    if empty:
        parts.append(f"empty, so unset: {', '.join(empty)}")
    if unknown:
        parts.append(f"not read by the SDK: {', '.join(unknown)}")
    report.ok("variables", "; ".join(parts))


def check_base_url(report: Diagnosis, url: str, source: str) -> str | None:
    """The API root, or None when it cannot be used (the reason is in ``report``)."""
    fix = f"set {source} to https://factpulse.fr (or your FactPulse server's https:// URL)"
    split = split_url(url)
    if split is None:
        report.fail("base_url", f"{url!r} from {source} is not an http:// or https:// URL", fix)
        return None
    scheme, host = split
    if has_userinfo(url):
        report.fail(
            "base_url",
            f"the URL from {source} holds user:password@",
            "remove it: the API authenticates with e-mail/password, a token or an API key",
        )
        return None
    if scheme == "http" and not is_loopback(host):
        report.fail(
            "base_url",
            f"{url} ({source}) is plain http on a non-local host: the "
            "password and tokens would travel in clear",
            fix,
        )
        return None
    where = "a local server (loopback)" if is_loopback(host) else host
    report.ok("base_url", f"{url.rstrip('/')} from {source}: {where}")
    return url.rstrip("/")


def split_url(url: str) -> tuple[str, str] | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.scheme, parts.hostname


def check_credentials(
    report: Diagnosis, flags: Mapping[str, str | None], env: Mapping[str, str]
) -> AuthConfig | None:
    """The resolved credentials (by the client's own rules), or None with the reason."""
    source = "flags" if any(flags.get(n) is not None for n in _CREDENTIALS) else "environment"
    try:
        # The base URL is judged apart (check_base_url): a good one here isolates the auth.
        auth = ClientConfig.from_arguments(
            environ=env, base_url=DEFAULT_BASE_URL, **credential_arguments(flags)
        ).auth
    except RequestValidationError as exc:
        report.fail("credentials", exc.rule, _CREDENTIAL_FIX)
        return None
    if auth.mode == "password" and auth.token is not None:
        report.fail(
            "credentials",
            "both a token and e-mail/password are set (the token is used "
            "until it expires, then a login: perhaps as another account)",
            "unset FACTPULSE_TOKEN (or --token), or the e-mail and password",
        )
        return None
    if auth.client_uid is not None and not _is_uuid(auth.client_uid):
        report.fail(
            "credentials",
            f"client_uid {auth.client_uid!r} is not a UUID",
            "copy the client's UUID from the FactPulse dashboard",
        )
        return None
    described = {
        "password": "e-mail and password (a login at /api/token/, renewed when needed)",
        "token": "a ready access token (never renewed: it works until it expires)",
        "api_key": "an API key (X-API-Key header)",
    }[auth.mode]
    uid = f", client_uid {auth.client_uid}" if auth.client_uid else ""
    report.ok("credentials", f"{described}, from the {source}{uid}")
    return auth


_CREDENTIAL_FIX = (
    "set FACTPULSE_EMAIL and FACTPULSE_PASSWORD (or FACTPULSE_TOKEN, or FACTPULSE_API_KEY), "
    "only one kind, or pass --email/--password, --token or --api-key"
)


class CredentialArguments(TypedDict):
    """The client's credential arguments (None: read from the environment)."""

    email: str | None
    password: str | None
    client_uid: str | None
    token: str | None
    api_key: str | None


def credential_arguments(flags: Mapping[str, str | None]) -> CredentialArguments:
    """The client's credential arguments from the flags."""
    return CredentialArguments(
        email=flags.get("email"),
        password=flags.get("password"),
        client_uid=flags.get("client_uid"),
        token=flags.get("token"),
        api_key=flags.get("api_key"),
    )


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def secret_values(flags: Mapping[str, str | None], env: Mapping[str, str]) -> set[str]:
    names = ("password", "token", "api_key")
    values = {flags.get(name) for name in names} | {env.get(VARIABLES[name]) for name in names}
    return {v for v in values if v}
