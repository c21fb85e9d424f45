"""Proxies: ``proxy=``, ``HTTP(S)_PROXY``/``NO_PROXY``, ``trust_env``, proxy credentials, and
the typed errors of a proxy that refuses, fails or is not there (both clients).

Every request goes through a real forwarding proxy on 127.0.0.1 (:mod:`forward_proxy`) to
the sandbox; the proxy's counts say what passed through it.
"""

from __future__ import annotations

import base64
import logging
import traceback
from typing import Any

import pytest
from dual_client import ClientFactory
from forward_proxy import dead_port, forward_proxy
from payloads import invoice

from factpulse_chorus import (
    APIConnectionError,
    APIStatusError,
    OutcomeUnknownError,
    RequestValidationError,
    RetryPolicy,
    ServerError,
)
from factpulse_chorus._config import ClientConfig
from factpulse_chorus._proxy import display_proxy
from factpulse_chorus._types import RequestInfo
from factpulse_chorus.sandbox import ThreadedSandbox

pytestmark = pytest.mark.chorus_sandbox(api_keys={"sandbox-key-0001": "demo"})

RECIPIENT_SIRET = "21999012400014"
API_KEY = "sandbox-key-0001"
NO_DELAY = RetryPolicy(base_delay=0.0, max_delay=0.0, jitter=0.0)
PROXY_USER, PROXY_PASSWORD = "proxyuser", "pr0xy-s3cret-pw"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy variable of the machine running the tests (workers are processes)."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


async def read_and_write(client: Any, number: str) -> None:
    """One read and one write, both answered by the sandbox."""
    found = await client.structures.rechercher(
        structure_identifier=RECIPIENT_SIRET, structure_identifier_type="SIRET"
    )
    assert found.total == 1
    submitted = await client.factures.soumettre(**invoice(number))
    assert submitted.return_code == 0


def api_requests(sandbox: ThreadedSandbox) -> int:
    """Requests the sandbox answered, the login included."""
    return sum(sum(outcomes.values()) for outcomes in sandbox.stats()["requests"].values())


def everything_shown(error: BaseException) -> str:
    """What a user, a log or an error reporter may see of ``error``: its str, repr, its
    attributes, its chain and its traceback."""
    parts = traceback.format_exception(type(error), error, error.__traceback__)
    current: BaseException | None = error
    while current is not None:
        parts += [str(current), repr(current), repr(vars(current)), repr(current.args)]
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


def assert_hidden(text: str, password: str, user: str = PROXY_USER) -> None:
    basic = base64.b64encode(f"{user}:{password}".encode()).decode()
    assert password not in text
    assert basic not in text


# -- the traffic goes through the proxy ------------------------------------------------------


async def test_proxy_argument_carries_every_request(
    client_factory: ClientFactory, chorus_sandbox: ThreadedSandbox
) -> None:
    with forward_proxy() as proxy:
        async with client_factory(chorus_sandbox.url, proxy=proxy.url) as client:
            await read_and_write(client, "PX-ARG-1")
    # login, rechercher, soumettre: each in absolute form to the sandbox, each forwarded
    assert proxy.forwarded == api_requests(chorus_sandbox) == 3
    assert all(line.startswith(f"POST {chorus_sandbox.url}/api/") for line in proxy.seen)


async def test_http_proxy_variable_is_honoured_by_default(
    client_factory: ClientFactory, chorus_sandbox: ThreadedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with forward_proxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # not for an http:// base URL
        async with client_factory(chorus_sandbox.url) as client:
            await read_and_write(client, "PX-ENV-1")
    assert proxy.forwarded == api_requests(chorus_sandbox) == 3


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "localhost, 127.0.0.1", "*"])
async def test_no_proxy_lists_the_host(
    client_factory: ClientFactory,
    chorus_sandbox: ThreadedSandbox,
    monkeypatch: pytest.MonkeyPatch,
    no_proxy: str,
) -> None:
    with forward_proxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", no_proxy)
        async with client_factory(chorus_sandbox.url) as client:
            await read_and_write(client, "PX-NO-1")
    assert proxy.seen == []
    assert api_requests(chorus_sandbox) == 3


async def test_trust_env_false_ignores_the_variables(
    client_factory: ClientFactory, chorus_sandbox: ThreadedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with forward_proxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("http_proxy", proxy.url)
        async with client_factory(chorus_sandbox.url, trust_env=False) as client:
            await read_and_write(client, "PX-TRUST-1")
    assert proxy.seen == []


async def test_proxy_argument_wins_over_the_variables(
    client_factory: ClientFactory, chorus_sandbox: ThreadedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with forward_proxy() as proxy, dead_port() as nowhere:
        monkeypatch.setenv("HTTP_PROXY", nowhere)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # the argument is not subject to it
        async with client_factory(chorus_sandbox.url, proxy=proxy.url) as client:
            await read_and_write(client, "PX-WIN-1")
    assert proxy.forwarded == 3


# -- proxy credentials -------------------------------------------------------------------------


async def test_proxy_asking_for_credentials(
    client_factory: ClientFactory,
    chorus_sandbox: ThreadedSandbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="factpulse_chorus")
    with forward_proxy(auth=(PROXY_USER, PROXY_PASSWORD)) as proxy:
        # Without credentials: the proxy's 407, typed, and nothing reached the sandbox.
        async with client_factory(chorus_sandbox.url, proxy=proxy.url) as client:
            with pytest.raises(APIStatusError) as refused:
                await client.structures.rechercher(structure_identifier=RECIPIENT_SIRET)
        assert refused.value.status_code == 407
        assert "proxy" in str(refused.value)
        assert "user:password@" in str(refused.value)
        # Wrong ones: refused too; the proxy's page echoes them, the error never does.
        wrong = "wr0ng-s3cret-pw"
        async with client_factory(chorus_sandbox.url, proxy=proxy.url_with(PROXY_USER, wrong)) as c:
            with pytest.raises(APIStatusError) as echoed:
                await c.structures.rechercher(structure_identifier=RECIPIENT_SIRET)
            assert_hidden(repr(c), wrong)
        assert echoed.value.status_code == 407
        assert "proxy authentication required (got Basic ***)" in str(echoed.value.body)
        assert_hidden(everything_shown(echoed.value), wrong)
        assert api_requests(chorus_sandbox) == 0
        # The right ones, in the URL: every request goes through.
        url = proxy.url_with(PROXY_USER, PROXY_PASSWORD)
        async with client_factory(chorus_sandbox.url, proxy=url) as client:
            await read_and_write(client, "PX-AUTH-1")
            assert_hidden(repr(client), PROXY_PASSWORD)
        assert proxy.forwarded == api_requests(chorus_sandbox) == 3
    assert_hidden(caplog.text, wrong)
    assert_hidden(caplog.text, PROXY_PASSWORD)


async def test_https_proxy_refusing_the_tunnel(
    client_factory: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """An https:// base URL goes through CONNECT: a 407 there is the same typed error, with
    the proxy URL (and its password) masked in everything aiohttp's error keeps."""
    caplog.set_level(logging.DEBUG, logger="factpulse_chorus")
    with forward_proxy(connect_status=407) as proxy:
        url = proxy.url_with(PROXY_USER, PROXY_PASSWORD)
        options = {"api_key": API_KEY, "proxy": url, "retry_policy": NO_DELAY}
        async with client_factory("https://127.0.0.1:9", **options) as client:
            with pytest.raises(APIStatusError) as refused:
                await client.factures.soumettre(**invoice("PX-TLS-1"))
    assert refused.value.status_code == 407
    assert "did not open a connection to the server" in str(refused.value)
    assert proxy.seen == ["CONNECT 127.0.0.1:9"]  # refused for good: not retried
    assert_hidden(everything_shown(refused.value), PROXY_PASSWORD)
    assert_hidden(caplog.text, PROXY_PASSWORD)


# -- a proxy that fails, or is not there: the write-retry rules hold -------------------------


def attempts_counter() -> tuple[list[RequestInfo], Any]:
    seen: list[RequestInfo] = []
    return seen, seen.append


@pytest.mark.parametrize("idempotent", [True, False], ids=["read", "write"])
async def test_dead_proxy_is_a_connect_failure(
    client_factory: ClientFactory, idempotent: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing listens on the proxy's port: certainly not sent, so a write is retried too."""
    caplog.set_level(logging.DEBUG, logger="factpulse_chorus")
    attempts, on_request = attempts_counter()
    with dead_port() as nowhere:
        proxy = nowhere.replace("http://", f"http://{PROXY_USER}:{PROXY_PASSWORD}@")
        options = {
            "api_key": API_KEY,
            "proxy": proxy,
            "max_retries": 2,
            "retry_policy": NO_DELAY,
            "on_request": on_request,
        }
        async with client_factory("http://127.0.0.1:9", **options) as client:
            call = (
                client.structures.rechercher(structure_identifier=RECIPIENT_SIRET)
                if idempotent
                else client.factures.soumettre(**invoice("PX-DEAD-1"))
            )
            with pytest.raises(APIConnectionError) as failed:
                await call
    assert not isinstance(failed.value, OutcomeUnknownError)
    assert "before the request was sent" in str(failed.value)
    assert len(attempts) == 3
    assert_hidden(everything_shown(failed.value), PROXY_PASSWORD)
    assert_hidden(caplog.text, PROXY_PASSWORD)


@pytest.mark.parametrize("idempotent", [True, False], ids=["read", "write"])
async def test_proxy_answering_502(
    client_factory: ClientFactory, chorus_sandbox: ThreadedSandbox, idempotent: bool
) -> None:
    """Through an http:// base URL the proxy's 502 is the server's for the rules: a read is
    retried, a write may have been processed upstream and is never resent."""
    with forward_proxy(answer=502) as proxy:
        options = {"api_key": API_KEY, "proxy": proxy.url, "retry_policy": NO_DELAY}
        async with client_factory(chorus_sandbox.url, max_retries=2, **options) as client:
            if idempotent:
                with pytest.raises(ServerError) as failed:
                    await client.structures.rechercher(structure_identifier=RECIPIENT_SIRET)
                assert failed.value.status_code == 502
            else:
                with pytest.raises(OutcomeUnknownError):
                    await client.factures.soumettre(**invoice("PX-502-1"))
    assert len(proxy.seen) == (3 if idempotent else 1)
    assert api_requests(chorus_sandbox) == 0


async def test_connect_answered_502_is_retried_even_for_a_write(
    client_factory: ClientFactory,
) -> None:
    """A tunnel the proxy could not open carried nothing: the write is resent, then typed."""
    with forward_proxy(connect_status=502) as proxy:
        options = {"api_key": API_KEY, "proxy": proxy.url, "retry_policy": NO_DELAY}
        async with client_factory("https://127.0.0.1:9", max_retries=2, **options) as client:
            with pytest.raises(ServerError) as failed:
                await client.factures.soumettre(**invoice("PX-TUN-1"))
    assert failed.value.status_code == 502
    assert proxy.seen == ["CONNECT 127.0.0.1:9"] * 3


# -- checked before anything is sent -----------------------------------------------------------


@pytest.mark.parametrize(
    "proxy",
    [
        "socks5://user:s3cret-value@127.0.0.1:1080",
        "127.0.0.1:3128",
        "http://user:s3cret-value@",
        "http://user:s3cret-value@127.0.0.1:port",
        "http://user:s3cret-value@127.0.0.1:3128/path",
        "http://user:s3cret-value@127.0.0.1:3128?q=1",
        "http://user:s3cret-value@127.0.0.1:3128 ",
        "",
    ],
)
async def test_bad_proxy_is_refused_at_construction(
    client_factory: ClientFactory, chorus_sandbox: ThreadedSandbox, proxy: str
) -> None:
    with pytest.raises(RequestValidationError) as refused:
        async with client_factory(chorus_sandbox.url, proxy=proxy):
            pass
    assert refused.value.field == "proxy"
    assert "http:// or https:// URL" in str(refused.value)
    assert "s3cret-value" not in everything_shown(refused.value)
    assert api_requests(chorus_sandbox) == 0


async def test_bad_proxy_variable_is_refused_naming_it(
    client_factory: ClientFactory, chorus_sandbox: ThreadedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("http_proxy", "socks5://user:s3cret-value@127.0.0.1:1080")
    with pytest.raises(RequestValidationError) as refused:
        async with client_factory(chorus_sandbox.url):
            pass
    assert refused.value.field == "proxy"
    assert "http_proxy is not" in str(refused.value)
    assert "trust_env=False" in str(refused.value)
    assert "s3cret-value" not in everything_shown(refused.value)
    async with client_factory(chorus_sandbox.url, trust_env=False) as client:
        await client.structures.rechercher(structure_identifier=RECIPIENT_SIRET)


@pytest.mark.parametrize("value", ["yes", 1, None])
async def test_trust_env_must_be_a_bool(client_factory: ClientFactory, value: object) -> None:
    with pytest.raises(RequestValidationError) as refused:
        async with client_factory("http://127.0.0.1:9", trust_env=value):
            pass
    assert refused.value.field == "trust_env"


# -- which variable applies (no network) -------------------------------------------------------


def resolved(base_url: str, **environ: str) -> tuple[str | None, str | None]:
    config = ClientConfig.from_arguments(base_url=base_url, token="t0ken", environ=environ)
    return config.proxy, config.proxy_source


def test_the_base_urls_scheme_picks_the_variable() -> None:
    env = {"HTTP_PROXY": "http://plain:3128", "HTTPS_PROXY": "http://tls:3128"}
    assert resolved("https://api.example.com", **env) == ("http://tls:3128", "HTTPS_PROXY")
    assert resolved("http://api.example.com", **env) == ("http://plain:3128", "HTTP_PROXY")
    assert resolved("https://api.example.com", HTTP_PROXY="http://plain:3128") == (None, None)


def test_lower_case_wins_and_empty_counts_as_unset() -> None:
    both = {"https_proxy": "http://lower:1", "HTTPS_PROXY": "http://upper:1"}
    assert resolved("https://api.example.com", **both) == ("http://lower:1", "https_proxy")
    empty = {"https_proxy": "", "HTTPS_PROXY": "http://upper:1"}
    assert resolved("https://api.example.com", **empty) == ("http://upper:1", "HTTPS_PROXY")


def test_http_proxy_from_a_cgi_request_is_ignored() -> None:
    # httpoxy: a request's "Proxy:" header becomes HTTP_PROXY in a CGI script.
    env = {"HTTP_PROXY": "http://attacker:1", "REQUEST_METHOD": "GET"}
    assert resolved("http://api.example.com", **env) == (None, None)
    env = {"http_proxy": "http://mine:1", "REQUEST_METHOD": "GET"}
    assert resolved("http://api.example.com", **env) == ("http://mine:1", "http_proxy")


@pytest.mark.parametrize(
    ("no_proxy", "bypassed"),
    [
        ("example.com", True),
        (".example.com", True),
        ("*.example.com", True),
        ("api.example.com:443", True),
        ("api.example.com:8443", False),
        ("other.com, example.com", True),
        ("ample.com", False),
        ("*", True),
        ("", False),
    ],
)
def test_no_proxy_entries(no_proxy: str, bypassed: bool) -> None:
    env = {"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": no_proxy}
    proxy, _ = resolved("https://api.example.com", **env)
    assert (proxy is None) is bypassed


def test_proxy_credentials_are_secrets_and_never_displayed() -> None:
    config = ClientConfig.from_arguments(
        base_url="https://api.example.com", token="t0ken", proxy="http://us%40r:p%3Ass-w0rd@p:1"
    )
    secrets = config.auth.secrets()
    assert "p:ss-w0rd" in secrets
    assert "p%3Ass-w0rd" in secrets
    assert base64.b64encode(b"us@r:p:ss-w0rd").decode() in secrets
    assert "w0rd" not in repr(config) + repr(config.auth)
    assert display_proxy("http://us%40r:p%3Ass-w0rd@p:1") == "http://***@p:1"
    assert display_proxy("https://proxy.example:3128") == "https://proxy.example:3128"
