"""``factpulse-chorus doctor`` against the sandbox, each failure provoked; run in this
process (``cli_support.run_cli``) as ``python -m factpulse_chorus.cli doctor`` would run.

Every run also checks that no secret of its settings (password, token, API key) is in what
the command printed, in any form a server or a formatter could turn it into.
"""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from cli_support import environment, run_cli
from forward_proxy import dead_port, forward_proxy

from factpulse_chorus._config import AuthConfig
from factpulse_chorus.sandbox import Account, Fault, ThreadedSandbox, sandbox_in_thread

pytest.importorskip("click")
pytest.importorskip("rich")

EMAIL = "doctor@example.test"
PASSWORD = "Pa55-w0rd-of-the-Doctor"
API_KEY = "fp-key-7d1e0c2b9a"
CHECKS = [
    "variables", "base_url", "credentials", "tcp", "http",
    "login", "token", "chorus_pro_environment", "read",
]  # fmt: skip
EXIT_FAILED = 4


@pytest.fixture(scope="module")
def sandbox() -> Iterator[ThreadedSandbox]:
    with sandbox_in_thread(
        seed=3, routing_delay=(0, 0), accounts=[Account(EMAIL, PASSWORD)], api_keys={API_KEY: EMAIL}
    ) as sb:
        yield sb


@pytest.fixture(scope="module")
def expired_token() -> Iterator[str]:
    """An access token the sandbox signed, expired an hour ago."""
    with sandbox_in_thread(token_lifetime=-3600, accounts=[Account(EMAIL, PASSWORD)]) as sb:
        yield sb.issue_token(EMAIL)


def secret_forms(secret: str) -> set[str]:
    """``secret`` as it is and as it could be echoed: escaped, encoded, or a JWT's parts."""
    raw = secret.encode()
    forms = {
        secret,
        json.dumps(secret)[1:-1],
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        raw.hex(),
    }
    forms.update(part for part in secret.split(".") if len(part) >= 8)  # header, claims, signature
    return forms


def doctor(
    env: dict[str, str], *args: str, secrets: tuple[str, ...] = (), stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``doctor`` with only ``env``'s FACTPULSE_* variables; assert no secret leaked."""
    done = run_cli(["doctor", *args], env={**environment(None), **env}, input=stdin)
    assert "Traceback" not in done.stderr
    printed = done.stdout + done.stderr
    for secret in (*secrets, *(v for k, v in env.items() if k.endswith(("PASSWORD", "TOKEN")))):
        for form in secret_forms(secret):
            assert form not in printed, f"a form of a secret was printed: {form!r}"
    return done


def lines(done: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """check name -> its whole line; the checks are all there, in order."""
    found = {line.split(" ", 2)[1].rstrip(":"): line for line in done.stdout.splitlines()}
    assert list(found) == CHECKS, done.stdout
    return found


def statuses(done: subprocess.CompletedProcess[str]) -> dict[str, str]:
    return {name: line.split(" ", 1)[0] for name, line in lines(done).items()}


def as_json(done: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    checks = json.loads(done.stdout)
    assert [c["check"] for c in checks] == CHECKS
    for check in checks:
        assert set(check) == {"check", "status", "detail", "fix"}
        assert check["status"] in {"OK", "FAIL", "SKIP"}
        assert bool(check["fix"]) == (check["status"] == "FAIL")  # every failure says how to fix
    return checks  # type: ignore[no-any-return]


def login_env(sandbox: ThreadedSandbox, password: str = PASSWORD) -> dict[str, str]:
    return {
        "FACTPULSE_BASE_URL": sandbox.url,
        "FACTPULSE_EMAIL": EMAIL,
        "FACTPULSE_PASSWORD": password,
    }


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


# --- all well ------------------------------------------------------------------------------------


def test_all_checks_pass_with_email_and_password(sandbox: ThreadedSandbox) -> None:
    done = doctor(login_env(sandbox))
    assert done.returncode == 0, done.stdout
    found = lines(done)
    assert all(line.startswith("OK ") for line in found.values())
    assert "FACTPULSE_EMAIL, FACTPULSE_PASSWORD" in found["variables"]
    assert "e-mail and password" in found["credentials"]
    assert "logged in (HTTP 200" in found["login"]
    assert "in 30 min" in found["token"]
    assert "renewed by the SDK" in found["token"]
    assert "neither Chorus Pro qualification nor production" in found["chorus_pro_environment"]
    assert "1 of 1 structures" in found["read"]
    checks = as_json(doctor(login_env(sandbox), "--json"))
    assert {c["status"] for c in checks} == {"OK"}


def test_all_checks_pass_with_an_api_key_and_with_a_ready_token(sandbox: ThreadedSandbox) -> None:
    done = doctor({"FACTPULSE_BASE_URL": sandbox.url, "FACTPULSE_API_KEY": API_KEY})
    assert done.returncode == 0, done.stdout
    assert "not needed" in lines(done)["login"]
    token = sandbox.issue_token(EMAIL)
    done = doctor({"FACTPULSE_BASE_URL": sandbox.url}, "--token", token, "--json", secrets=(token,))
    assert done.returncode == 0, done.stdout
    checks = {c["check"]: c for c in as_json(done)}
    assert "cannot be renewed" in checks["token"]["detail"]
    assert "--token" in checks["variables"]["detail"]


def test_the_password_can_come_from_stdin(sandbox: ThreadedSandbox) -> None:
    env = {"FACTPULSE_BASE_URL": sandbox.url}
    done = doctor(env, "--email", EMAIL, "--password-stdin", stdin=PASSWORD, secrets=(PASSWORD,))
    assert done.returncode == 0, done.stdout
    assert "--password-stdin" in lines(done)["variables"]


# --- the settings --------------------------------------------------------------------------------


def test_no_credentials_fails_and_skips_what_needs_them(sandbox: ThreadedSandbox) -> None:
    done = doctor({"FACTPULSE_BASE_URL": sandbox.url})
    assert done.returncode == EXIT_FAILED
    assert statuses(done) == {
        **dict.fromkeys(CHECKS, "OK"),
        "credentials": "FAIL",
        **dict.fromkeys(("login", "token", "chorus_pro_environment", "read"), "SKIP"),
    }
    line = lines(done)["credentials"]
    assert "no FactPulse credentials" in line
    assert " — set FACTPULSE_EMAIL and FACTPULSE_PASSWORD" in line
    assert "needs 'credentials'" in lines(done)["read"]
    checks = {c["check"]: c for c in as_json(doctor({"FACTPULSE_BASE_URL": sandbox.url}, "--json"))}
    assert checks["credentials"]["status"] == "FAIL"
    assert "FACTPULSE_API_KEY" in checks["credentials"]["fix"]


def test_a_token_with_email_and_password_is_a_conflict(sandbox: ThreadedSandbox) -> None:
    token = sandbox.issue_token(EMAIL)
    done = doctor({**login_env(sandbox), "FACTPULSE_TOKEN": token})
    assert done.returncode == EXIT_FAILED
    line = lines(done)["credentials"]
    assert line.startswith("FAIL credentials: both a token and e-mail/password")
    assert "unset FACTPULSE_TOKEN" in line
    assert statuses(done)["read"] == "SKIP"


def test_an_api_key_with_a_password_is_refused_as_in_code(sandbox: ThreadedSandbox) -> None:
    done = doctor({**login_env(sandbox), "FACTPULSE_API_KEY": API_KEY}, secrets=(API_KEY,))
    assert done.returncode == EXIT_FAILED
    assert "either api_key, or token, or email and password" in lines(done)["credentials"]


def test_a_credential_flag_makes_the_variables_ignored(sandbox: ThreadedSandbox) -> None:
    env = {**login_env(sandbox, "not-the-one-used"), "FACTPULSE_API_KEY": API_KEY}
    done = doctor(env, "--email", EMAIL, "--password", PASSWORD, secrets=(PASSWORD, API_KEY))
    assert done.returncode == 0, done.stdout
    line = lines(done)["variables"]
    assert "ignored because a flag is given: FACTPULSE_API_KEY, FACTPULSE_EMAIL" in line


def test_plain_http_outside_loopback_a_typo_and_a_bad_client_uid_fail() -> None:
    done = doctor(
        {
            "FACTPULSE_BASE_URL": "http://factpulse.example",
            "FACTPULSE_EMAIL": EMAIL,
            "FACTPULSE_PASSWORD": PASSWORD,
            "FACTPULSE_CLIENT_UID": "not-a-uuid",
            "FACTPULSE_PASSWROD": "typo",
        }
    )
    assert done.returncode == EXIT_FAILED
    found = lines(done)
    assert "did you mean FACTPULSE_PASSWORD?" in found["variables"]
    assert "plain http on a non-local host" in found["base_url"]
    assert "https://" in found["base_url"].split(" — ")[1]
    assert "is not a UUID" in found["credentials"]
    # Nothing is sent to a base URL that would carry the password in clear.
    assert {statuses(done)[name] for name in CHECKS[3:]} == {"SKIP"}


# --- the server, the login, the token, the read --------------------------------------------------


def test_an_unreachable_server_fails_tcp(sandbox: ThreadedSandbox) -> None:
    env = {**login_env(sandbox), "FACTPULSE_BASE_URL": f"http://127.0.0.1:{closed_port()}"}
    done = doctor(env)
    assert done.returncode == EXIT_FAILED
    line = lines(done)["tcp"]
    assert line.startswith("FAIL tcp: cannot connect to 127.0.0.1:")
    assert "refused" in line.lower()
    assert "FACTPULSE_BASE_URL" in line.split(" — ")[1]
    assert list(statuses(done).values())[4:] == ["SKIP"] * 5
    checks = {c["check"]: c for c in as_json(doctor(env, "--json"))}
    assert checks["http"] == {
        "check": "http", "status": "SKIP", "detail": "needs 'tcp' to pass first", "fix": ""
    }  # fmt: skip


def test_a_wrong_password_fails_the_login(sandbox: ThreadedSandbox) -> None:
    wrong = "Wr0ng-Pa55-for-sure"
    done = doctor(login_env(sandbox, wrong))
    assert done.returncode == EXIT_FAILED
    line = lines(done)["login"]
    assert line.startswith("FAIL login: AuthenticationError")
    assert "check FACTPULSE_EMAIL/FACTPULSE_PASSWORD" in line
    assert statuses(done)["token"] == statuses(done)["read"] == "SKIP"


def test_an_expired_token_fails_the_token_and_the_read(
    sandbox: ThreadedSandbox, expired_token: str
) -> None:
    done = doctor({"FACTPULSE_BASE_URL": sandbox.url, "FACTPULSE_TOKEN": expired_token})
    assert done.returncode == EXIT_FAILED
    found = lines(done)
    assert found["token"].startswith("FAIL token: expired 60 min ago")
    assert "get a new access token" in found["token"]
    # The server has the last word (the decoding is not verified): it refuses the token too.
    assert found["read"].startswith("FAIL read: structures.rechercher: AuthenticationError")


def test_a_garbled_token_is_not_a_jwt(sandbox: ThreadedSandbox) -> None:
    garbled = "eyJhbGciOiJIUzI1NiJ9.not-base64-json!.signature-part"
    done = doctor({"FACTPULSE_BASE_URL": sandbox.url, "FACTPULSE_TOKEN": garbled}, "--json")
    assert done.returncode == EXIT_FAILED
    checks = {c["check"]: c for c in as_json(done)}
    assert checks["token"]["status"] == "FAIL"
    assert "not a JWT" in checks["token"]["detail"]
    assert checks["read"]["status"] == "FAIL"


def test_a_5xx_on_the_read_fails_only_the_read(sandbox: ThreadedSandbox) -> None:
    sandbox.add_fault(Fault(kind="status", status=503, route="structures/rechercher", count=1))
    try:
        done = doctor(login_env(sandbox))
    finally:
        sandbox.clear_faults()
    assert done.returncode == EXIT_FAILED
    assert statuses(done) == {**dict.fromkeys(CHECKS, "OK"), "read": "FAIL"}
    line = lines(done)["read"]
    assert "ServerError" in line
    assert "503" in line
    assert "try again later" in line


# --- qualification or production (no network: what the checks conclude from what they read) ----


@pytest.mark.parametrize(
    ("auth", "claims", "told"),
    [
        (AuthConfig(mode="token", token="t"), {"iat": 0, "exp": 86_400}, "dashboard test token"),
        (AuthConfig(mode="token", token="t"), {"iat": 0, "exp": 7 * 86_400}, "production token"),
        (AuthConfig(mode="token", token="t"), {"iat": 0, "exp": 1800}, "not reported by the API"),
        (
            AuthConfig(mode="password", email="e", password="p", client_uid="c-1"),
            {"iat": 0, "exp": 86_400},
            "stored for client c-1",
        ),
    ],
)
def test_the_chorus_pro_environment_is_told_only_from_what_is_reliable(
    auth: AuthConfig, claims: dict[str, Any], told: str
) -> None:
    # Imported here: the module needs click, which the importorskip above may find missing.
    from factpulse_chorus.cli._doctor import check_chorus_pro_environment
    from factpulse_chorus.cli._doctor_settings import Diagnosis

    report = Diagnosis()
    check_chorus_pro_environment(report, "https://factpulse.fr", auth, claims)
    [check] = report.checks
    assert check.status == "OK"
    assert told in check.detail


# --- behind a proxy: resolved as the client does, named without its credentials ----------------

PROXY_USER, PROXY_PASSWORD = "proxyuser", "pr0xy-s3cret-pw"
PROXY_SECRETS = (
    PROXY_PASSWORD,
    base64.b64encode(f"{PROXY_USER}:{PROXY_PASSWORD}".encode()).decode(),
)
NO_PROXY_VARIABLES = dict.fromkeys(
    ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"), ""
)  # the machine's own, blanked (an empty variable counts as unset)


def test_every_check_goes_through_the_proxy(sandbox: ThreadedSandbox) -> None:
    with forward_proxy(auth=(PROXY_USER, PROXY_PASSWORD)) as proxy:
        env = {
            **NO_PROXY_VARIABLES,
            **login_env(sandbox),
            "HTTP_PROXY": proxy.url_with(PROXY_USER, PROXY_PASSWORD),
        }
        done = doctor(env, secrets=PROXY_SECRETS)
    assert done.returncode == 0, done.stdout
    found = lines(done)
    port = proxy.url.rsplit(":", 1)[1]
    assert (
        f"OK tcp: the proxy http://***@127.0.0.1:{port} (HTTP_PROXY) at 127.0.0.1:{port}"
        in (found["tcp"])
    )
    assert "through the proxy (HTTP_PROXY)" in found["http"]
    # GET /, the login and the read: all through the proxy
    assert [line.split(" ", 1)[0] for line in proxy.seen] == ["GET", "POST", "POST"]
    assert proxy.forwarded == 3


def test_a_dead_proxy_fails_tcp_naming_the_variable(sandbox: ThreadedSandbox) -> None:
    with dead_port() as nowhere:
        proxy = nowhere.replace("http://", f"http://{PROXY_USER}:{PROXY_PASSWORD}@")
        done = doctor(
            {**NO_PROXY_VARIABLES, **login_env(sandbox), "http_proxy": proxy}, secrets=PROXY_SECRETS
        )
    assert done.returncode == EXIT_FAILED
    line = lines(done)["tcp"]
    assert line.startswith("FAIL tcp: cannot connect to the proxy http://***@127.0.0.1:")
    assert "http_proxy and NO_PROXY" in line.split(" — ")[1]
    assert list(statuses(done).values())[4:] == ["SKIP"] * 5


def test_no_proxy_makes_it_direct(sandbox: ThreadedSandbox) -> None:
    with dead_port() as nowhere:
        env = {
            **NO_PROXY_VARIABLES,
            **login_env(sandbox),
            "HTTP_PROXY": nowhere,
            "NO_PROXY": "127.0.0.1",
        }
        done = doctor(env)
    assert done.returncode == 0, done.stdout
    assert "proxy" not in lines(done)["tcp"]


def test_a_bad_proxy_variable_fails_tcp(sandbox: ThreadedSandbox) -> None:
    proxy = f"socks5://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:1080"
    done = doctor(
        {**NO_PROXY_VARIABLES, **login_env(sandbox), "HTTP_PROXY": proxy}, secrets=PROXY_SECRETS
    )
    assert done.returncode == EXIT_FAILED
    line = lines(done)["tcp"]
    assert line.startswith("FAIL tcp: HTTP_PROXY is not an http:// or https:// URL")
    assert statuses(done)["http"] == "SKIP"
