"""Authentication: login, token reuse and renewal, single flight, 401 handling, auth modes."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest
from aiohttp import web
from fake_server import (
    API_KEY,
    API_PATH,
    CLIENT_UID,
    EMAIL,
    PASSWORD,
    FakeFactPulse,
    fake_server,
    json_response,
    make_jwt,
)

from factpulse_chorus._auth import FALLBACK_LIFETIME, TokenManager, jwt_claims, token_lifetime
from factpulse_chorus._client import AsyncChorusClient
from factpulse_chorus._config import ClientConfig, RetryPolicy
from factpulse_chorus._exceptions import (
    AuthenticationError,
    RequestValidationError,
    ServerError,
)
from factpulse_chorus.models.common import RawResponse

FAST = RetryPolicy(base_delay=0.001, max_delay=0.005)


def password_client(url: str, **kwargs: Any) -> AsyncChorusClient:
    kwargs.setdefault("retry_policy", FAST)
    return AsyncChorusClient(base_url=url, email=EMAIL, password=PASSWORD, **kwargs)


async def call(client: AsyncChorusClient, *, idempotent: bool = True) -> RawResponse:
    return await client._transport.request(
        "POST", API_PATH, json={"chorusInvoiceId": 1}, idempotent=idempotent, operation="test"
    )


def bearer_of(fake: FakeFactPulse, index: int = -1) -> str:
    return str(fake.requests[index]["headers"].get("Authorization", ""))


# -- login --------------------------------------------------------------------------------


async def test_login_sends_credentials_then_bearer_token() -> None:
    async with fake_server() as (fake, url):
        async with password_client(url, client_uid=CLIENT_UID) as client:
            raw = await call(client)
        assert raw.status == 200
        assert fake.login_bodies == [
            {"username": EMAIL, "password": PASSWORD, "client_uid": CLIENT_UID}
        ]
        assert bearer_of(fake) == f"Bearer {fake.tokens_issued[0]}"


async def test_login_leaves_client_uid_out_when_not_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FACTPULSE_CLIENT_UID", raising=False)
    async with fake_server() as (fake, url):
        async with password_client(url) as client:
            await call(client)
        assert fake.login_bodies == [{"username": EMAIL, "password": PASSWORD}]


async def test_token_is_reused_across_calls() -> None:
    async with fake_server() as (fake, url):
        async with password_client(url) as client:
            for _ in range(5):
                await call(client)
            await asyncio.gather(*(call(client) for _ in range(20)))
        assert fake.logins == 1
        assert {bearer_of(fake, i) for i in range(25)} == {f"Bearer {fake.tokens_issued[0]}"}


async def test_token_is_renewed_shortly_before_it_expires() -> None:
    async with fake_server(token_lifetime=0.4) as (fake, url):
        async with password_client(url) as client:
            await call(client)
            await call(client)
            assert fake.logins == 1
            await asyncio.sleep(0.4)  # the margin is 5 % of 0.4 s: renewal at 0.38 s
            await call(client)
        assert fake.logins == 2
        assert bearer_of(fake) == f"Bearer {fake.tokens_issued[1]}"


async def test_single_flight_login_for_1000_concurrent_calls_without_token() -> None:
    async with fake_server(login_delay=0.05) as (fake, url):
        async with password_client(url) as client:
            results = await asyncio.gather(*(call(client) for _ in range(1000)))
        assert len(results) == 1000
        assert fake.logins == 1
        assert fake.hits["factures/consulter"] == 1000


async def test_single_flight_login_for_1000_concurrent_calls_with_expired_token() -> None:
    async with fake_server(login_delay=0.05) as (fake, url):
        async with password_client(url) as client:
            now = [1000.0]
            assert client._shared.tokens is not None
            # The client's clock, moved past the token's renewal time below: expiry is
            # decided there, and real time would also expire the token met mid-batch
            # (each call takes the token when it is sent, see test_transport_hardening).
            client._shared.tokens._clock = lambda: now[0]
            await call(client)
            now[0] += 3600.0
            await asyncio.gather(*(call(client) for _ in range(1000)))
        assert fake.logins == 2
        assert fake.hits["factures/consulter"] == 1001


async def test_wrong_password_is_one_login_for_many_callers_and_never_echoed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="factpulse_chorus")
    async with fake_server(login_delay=0.02) as (fake, url):
        client = AsyncChorusClient(base_url=url, email=EMAIL, password="wrong-" + PASSWORD)
        async with client:
            results = await asyncio.gather(
                *(call(client) for _ in range(50)), return_exceptions=True
            )
        assert fake.logins == 1
        assert all(isinstance(r, AuthenticationError) for r in results)
        error = results[0]
        assert isinstance(error, AuthenticationError)
        assert error.status_code == 401
        assert "login refused" in str(error)
        assert "No active account" in str(error)
        for text in (str(error), repr(error), repr(error.body), caplog.text, repr(client)):
            assert PASSWORD not in text
        assert fake.hits["factures/consulter"] == 0


async def test_login_server_error_maps_like_any_call() -> None:
    async with fake_server() as (fake, url):

        async def down(request: web.Request) -> web.StreamResponse:
            return json_response({"detail": "maintenance"}, status=500)

        fake.login_handler = down
        async with password_client(url) as client:
            with pytest.raises(ServerError) as info:
                await call(client)
        assert info.value.status_code == 500
        assert fake.logins == 1  # 500 is never retried


async def test_login_retried_on_503() -> None:
    async with fake_server() as (fake, url):

        async def flaky(request: web.Request) -> web.StreamResponse:
            if fake.logins == 1:
                return json_response({"detail": "busy"}, status=503)
            return json_response({"access": fake.issue_token(), "refresh": "r"})

        fake.login_handler = flaky
        async with password_client(url) as client:
            await call(client)
        assert fake.logins == 2


# -- 401 handling -------------------------------------------------------------------------


async def test_401_triggers_one_new_login_and_a_replay() -> None:
    async with fake_server() as (fake, url):
        async with password_client(url, max_retries=0) as client:
            await call(client)
            fake.revoke_all()
            raw = await call(client, idempotent=False)  # a write may be replayed after a 401
        assert raw.status == 200
        assert fake.logins == 2
        assert fake.hits["factures/consulter"] == 3
        assert bearer_of(fake) == f"Bearer {fake.tokens_issued[1]}"


async def test_concurrent_401s_on_the_same_token_lead_to_one_login() -> None:
    async with fake_server(login_delay=0.02) as (fake, url):
        async with password_client(url) as client:
            await call(client)
            fake.revoke_all()
            await asyncio.gather(*(call(client) for _ in range(200)))
        assert fake.logins == 2


async def test_second_401_raises_authentication_error() -> None:
    async with fake_server() as (fake, url):

        async def always_401(request: web.Request) -> web.StreamResponse:
            return json_response(
                {"errorCode": "AUTHENTICATION_REQUIRED", "errorMessage": "Invalid JWT"}, status=401
            )

        fake.handler = always_401
        async with password_client(url) as client:
            with pytest.raises(AuthenticationError) as info:
                await call(client)
        error = info.value
        assert error.status_code == 401
        assert error.request_id == "req-test-1"
        assert "Invalid JWT" in str(error)
        assert "after a new login" in str(error)
        assert fake.logins == 2
        assert fake.hits["factures/consulter"] == 2
        for token in fake.tokens_issued:
            assert token not in str(error)


# -- other modes --------------------------------------------------------------------------


async def test_ready_token_mode_never_logs_in() -> None:
    async with fake_server() as (fake, url):
        token = fake.issue_token()
        async with AsyncChorusClient(base_url=url, token=token) as client:
            assert client.auth_mode == "token"
            await call(client)
            assert bearer_of(fake) == f"Bearer {token}"
            fake.revoke_all()
            with pytest.raises(AuthenticationError) as info:
                await call(client)
        assert fake.logins == 0
        assert fake.hits["factures/consulter"] == 2
        assert "cannot be renewed" in str(info.value)
        assert token not in str(info.value)
        assert token not in repr(client)


async def test_ready_token_with_password_logs_in_when_the_token_is_refused() -> None:
    async with fake_server() as (fake, url):
        stale = make_jwt({"exp": time.time() + 3600})  # unknown to the server
        async with password_client(url, token=stale) as client:
            await call(client)
        assert fake.logins == 1
        assert fake.requests[0]["headers"]["Authorization"] == f"Bearer {stale}"
        assert bearer_of(fake) == f"Bearer {fake.tokens_issued[0]}"


async def test_api_key_mode_sends_x_api_key_and_no_authorization() -> None:
    async with fake_server() as (fake, url):
        async with AsyncChorusClient(base_url=url, api_key=API_KEY) as client:
            assert client.auth_mode == "api_key"
            await call(client)
            headers = fake.requests[-1]["headers"]
            assert headers["X-API-Key"] == API_KEY
            assert "Authorization" not in headers
        assert fake.logins == 0
        async with AsyncChorusClient(base_url=url, api_key="not-the-key") as client:
            with pytest.raises(AuthenticationError) as info:
                await call(client)
        assert "API key was refused" in str(info.value)
        assert "not-the-key" not in str(info.value)


# -- configuration ------------------------------------------------------------------------


def test_environment_variables_fill_the_gaps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTPULSE_BASE_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("FACTPULSE_EMAIL", EMAIL)
    monkeypatch.setenv("FACTPULSE_PASSWORD", PASSWORD)
    monkeypatch.setenv("FACTPULSE_CLIENT_UID", CLIENT_UID)
    config = ClientConfig.from_arguments()
    assert config.base_url == "http://127.0.0.1:9"
    assert config.auth.mode == "password"
    assert (config.auth.email, config.auth.password, config.auth.client_uid) == (
        EMAIL,
        PASSWORD,
        CLIENT_UID,
    )
    # Any explicit credential hides the FACTPULSE_* credentials entirely.
    explicit = ClientConfig.from_arguments(token="tok")
    assert explicit.auth.mode == "token"
    assert explicit.auth.email is None


def test_token_and_api_key_come_from_the_environment_too() -> None:
    env = {"FACTPULSE_TOKEN": "tok"}
    assert ClientConfig.from_arguments(environ=env).auth.mode == "token"
    env = {"FACTPULSE_API_KEY": "key"}
    assert ClientConfig.from_arguments(environ=env).auth.mode == "api_key"
    assert ClientConfig.from_arguments(environ={}, api_key="k").base_url == "https://factpulse.fr"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "email"),
        ({"email": EMAIL}, "password"),
        ({"password": PASSWORD}, "email"),
        ({"api_key": "k", "token": "t"}, "api_key"),
        ({"api_key": "k", "email": EMAIL, "password": PASSWORD}, "api_key"),
        ({"token": "t", "base_url": "ftp://x"}, "base_url"),
        ({"token": "t", "max_retries": -1}, "max_retries"),
        ({"token": "t", "timeout": -1.0}, "timeout.total"),
    ],
)
def test_bad_configuration_is_refused_at_construction(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(RequestValidationError) as info:
        ClientConfig.from_arguments(environ={}, **kwargs)
    assert info.value.field == field
    assert PASSWORD not in str(info.value)


# -- JWT decoding and the token manager ---------------------------------------------------


def test_jwt_claims_and_lifetime() -> None:
    token = make_jwt({"exp": 1000.0, "iat": 400.0})
    assert jwt_claims(token) == {"exp": 1000.0, "iat": 400.0}
    assert token_lifetime(token) == 600.0  # exp - iat: independent of the local clock
    assert token_lifetime(make_jwt({"exp": 1000.0}), now=900.0) == 100.0
    assert token_lifetime(make_jwt({"sub": "x"})) is None
    for garbage in ("", "abc", "a.b.c", "a.!!!.c", make_jwt({"exp": "soon"})):
        assert token_lifetime(garbage) is None


async def test_token_without_exp_is_kept_28_minutes() -> None:
    now = [0.0]

    async def login() -> str:
        return "opaque-token"

    manager = TokenManager(login, clock=lambda: now[0])
    assert await manager.get() == "opaque-token"
    now[0] = FALLBACK_LIFETIME - 1
    assert manager.current() == "opaque-token"
    now[0] = FALLBACK_LIFETIME + 1
    assert manager.current() is None


async def test_margin_is_60_seconds_for_long_tokens() -> None:
    now = [0.0]
    token = make_jwt({"iat": 0, "exp": 1800})
    manager = TokenManager(None, clock=lambda: now[0])
    assert manager.current() is None
    manager = TokenManager(_constant(token), clock=lambda: now[0])
    await manager.get()
    now[0] = 1739
    assert manager.current() == token
    now[0] = 1741
    assert manager.current() is None


def _constant(value: str) -> Any:
    async def login() -> str:
        return value

    return login


async def test_cancelled_waiter_does_not_cancel_the_shared_login() -> None:
    release = asyncio.Event()
    calls = 0

    async def login() -> str:
        nonlocal calls
        calls += 1
        await release.wait()
        return "tok"

    manager = TokenManager(login)
    first = asyncio.create_task(manager.get())
    second = asyncio.create_task(manager.get())
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.sleep(0)
    release.set()
    assert await second == "tok"
    with pytest.raises(asyncio.CancelledError):
        await first
    assert calls == 1
