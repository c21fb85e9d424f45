"""Retries: what is retried for reads and for writes, and what never is."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from aiohttp import web
from fake_server import (
    API_KEY,
    EMAIL,
    PASSWORD,
    FakeFactPulse,
    closed_port,
    fake_server,
    json_response,
)

from factpulse_chorus._client import AsyncChorusClient
from factpulse_chorus._config import RetryPolicy
from factpulse_chorus._exceptions import (
    APIConnectionError,
    APITimeoutError,
    OutcomeUnknownError,
    RateLimitError,
    ResponseDecodeError,
    ServerError,
)
from factpulse_chorus._retry import backoff_delay
from factpulse_chorus._types import RequestOptions, Timeout
from factpulse_chorus.models.common import RawResponse

FAST = RetryPolicy(base_delay=0.001, max_delay=0.005)
HITS = "factures/soumettre"
PATH = "/api/v1/chorus-pro/factures/soumettre"


def client_for(url: str, **kwargs: Any) -> AsyncChorusClient:
    kwargs.setdefault("retry_policy", FAST)
    return AsyncChorusClient(base_url=url, api_key=API_KEY, **kwargs)


async def send(
    client: AsyncChorusClient,
    *,
    idempotent: bool,
    options: RequestOptions | None = None,
    invoice_number: str | None = None,
) -> RawResponse:
    return await client._transport.request(
        "POST",
        PATH,
        json={"invoiceNumber": "F-2025-001"},
        idempotent=idempotent,
        operation="factures.soumettre" if not idempotent else "factures.consulter",
        options=options or RequestOptions(),
        invoice_number=invoice_number,
    )


def fail_first(fake: FakeFactPulse, times: int, failure: Any) -> None:
    """The first ``times`` calls get ``failure(request)``, then a normal success."""

    async def handler(request: web.Request) -> web.StreamResponse:
        if fake.hits[HITS] <= times:
            result: web.StreamResponse = await failure(request)
            return result
        return json_response({"returnCode": 0, "message": "ok"})

    fake.handler = handler


def status(code: int, **headers: str) -> Any:
    async def make(request: web.Request) -> web.StreamResponse:
        return json_response({"errorMessage": f"status {code}"}, status=code, **headers)

    return make


async def drop(request: web.Request) -> web.StreamResponse:
    """Read the request, then close the connection without answering."""
    await request.read()
    assert request.transport is not None
    request.transport.close()
    return web.Response()


async def sleep_long(request: web.Request) -> web.StreamResponse:
    await asyncio.sleep(5)
    return json_response({})


# -- connection refused: never reached the server, safe for everyone ----------------------


@pytest.mark.parametrize("idempotent", [True, False])
async def test_connection_refused_is_retried_then_api_connection_error(
    idempotent: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="factpulse_chorus")
    url = f"http://127.0.0.1:{closed_port()}"
    async with client_for(url, max_retries=2) as client:
        with pytest.raises(APIConnectionError) as info:
            await send(client, idempotent=idempotent)
    assert type(info.value) is APIConnectionError
    assert info.value.method == "POST"
    assert info.value.url == url + PATH
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "ClientConnectorError" in warnings[0].getMessage()


# -- timeouts ------------------------------------------------------------------------------


async def test_read_timeout_is_retried_for_reads() -> None:
    async with fake_server() as (fake, url):
        fake.handler = sleep_long
        async with client_for(url, timeout=Timeout(connect=1, read=0.1, total=2)) as client:
            with pytest.raises(APITimeoutError):
                await send(client, idempotent=True)
        assert fake.hits[HITS] == 3


async def test_read_timeout_on_a_write_is_outcome_unknown_and_never_resent() -> None:
    async with fake_server() as (fake, url):
        fake.handler = sleep_long
        async with client_for(url, timeout=0.2) as client:
            with pytest.raises(OutcomeUnknownError) as info:
                await send(client, idempotent=False, invoice_number="F-2025-001")
        assert fake.hits[HITS] == 1
    error = info.value
    assert error.operation == "factures.soumettre"
    assert error.invoice_number == "F-2025-001"
    assert "timed out" in str(error)
    assert "F-2025-001" in str(error)


async def test_per_call_timeout_override() -> None:
    async with fake_server() as (fake, url):
        fake.handler = sleep_long
        async with client_for(url) as client:
            options = RequestOptions(timeout=0.1, max_retries=0)
            with pytest.raises(APITimeoutError):
                await send(client, idempotent=True, options=options)
        assert fake.hits[HITS] == 1


# -- connection dropped after the request was read -----------------------------------------


async def test_dropped_connection_is_retried_for_reads() -> None:
    async with fake_server() as (fake, url):
        fail_first(fake, 2, drop)
        async with client_for(url) as client:
            raw = await send(client, idempotent=True)
        assert raw.status == 200
        assert fake.hits[HITS] == 3
        assert [r["headers"].get("X-Retry-Count") for r in fake.requests] == [None, "1", "2"]


async def test_dropped_connection_on_a_write_is_outcome_unknown() -> None:
    async with fake_server() as (fake, url):
        fail_first(fake, 1, drop)
        async with client_for(url) as client:
            with pytest.raises(OutcomeUnknownError) as info:
                await send(client, idempotent=False)
        assert fake.hits[HITS] == 1
    assert "broke" in str(info.value)


async def test_body_cut_short_reads_retried_writes_outcome_unknown() -> None:
    async def cut(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            status=200, headers={"Content-Type": "application/json", "Content-Length": "100"}
        )
        await response.prepare(request)
        await response.write(b'{"returnCode": 0')
        assert request.transport is not None
        request.transport.close()
        return response

    async with fake_server() as (fake, url):
        fake.handler = cut
        async with client_for(url, max_retries=1) as client:
            with pytest.raises(ResponseDecodeError) as info:
                await send(client, idempotent=True)
            assert fake.hits[HITS] == 2
            assert info.value.status_code == 200
            assert info.value.content_type == "application/json"
            fake.hits.clear()
            with pytest.raises(OutcomeUnknownError):
                await send(client, idempotent=False)
            assert fake.hits[HITS] == 1


# -- statuses ------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [502, 503, 504])
async def test_gateway_errors_are_retried_for_reads(code: int) -> None:
    async with fake_server() as (fake, url):
        fail_first(fake, 2, status(code))
        async with client_for(url) as client:
            raw = await send(client, idempotent=True)
        assert raw.status == 200
        assert fake.hits[HITS] == 3


async def test_gateway_errors_exhaust_retries_for_reads() -> None:
    async with fake_server() as (fake, url):
        fake.handler = status(503)
        async with client_for(url, max_retries=3) as client:
            with pytest.raises(ServerError) as info:
                await send(client, idempotent=True)
        assert info.value.status_code == 503
        assert fake.hits[HITS] == 4


@pytest.mark.parametrize(
    ("code", "expected"),
    [(502, OutcomeUnknownError), (503, ServerError), (504, OutcomeUnknownError)],
)
async def test_gateway_errors_are_not_retried_for_writes(
    code: int, expected: type[Exception]
) -> None:
    """A 503 says the service was unavailable; after a 502/504 the write may have happened."""
    async with fake_server() as (fake, url):
        fail_first(fake, 1, status(code))
        async with client_for(url) as client:
            with pytest.raises(expected) as info:
                await send(client, idempotent=False)
        assert fake.hits[HITS] == 1
    if expected is OutcomeUnknownError:
        assert isinstance(info.value.__cause__, ServerError)


@pytest.mark.parametrize("idempotent", [True, False])
async def test_500_is_never_retried(idempotent: bool) -> None:
    async with fake_server() as (fake, url):
        fail_first(fake, 1, status(500))
        async with client_for(url) as client:
            with pytest.raises(ServerError if idempotent else OutcomeUnknownError):
                await send(client, idempotent=idempotent)
        assert fake.hits[HITS] == 1


@pytest.mark.parametrize("idempotent", [True, False])
async def test_429_is_retried_for_reads_and_writes(idempotent: bool) -> None:
    async with fake_server() as (fake, url):
        fail_first(fake, 2, status(429, **{"Retry-After": "0.01"}))
        async with client_for(url) as client:
            raw = await send(client, idempotent=idempotent)
        assert raw.status == 200
        assert fake.hits[HITS] == 3


async def test_retry_after_beyond_the_bound_is_raised_at_once() -> None:
    policy = RetryPolicy(base_delay=0.001, max_retry_after=1.0)
    async with fake_server() as (fake, url):
        fake.handler = status(429, **{"Retry-After": "120"})
        async with client_for(url, retry_policy=policy) as client:
            with pytest.raises(RateLimitError) as info:
                await send(client, idempotent=True)
        assert info.value.retry_after == 120.0
        assert fake.hits[HITS] == 1


async def test_retry_after_is_waited_for() -> None:
    async with fake_server() as (fake, url):
        fail_first(fake, 1, status(503, **{"Retry-After": "0.3"}))
        loop = asyncio.get_running_loop()
        async with client_for(url) as client:
            started = loop.time()
            await send(client, idempotent=True)
            assert loop.time() - started >= 0.28


# -- max_retries ---------------------------------------------------------------------------


async def test_max_retries_zero_disables_retries() -> None:
    async with fake_server() as (fake, url):
        fake.handler = status(503)
        async with client_for(url, max_retries=0) as client:
            with pytest.raises(ServerError):
                await send(client, idempotent=True)
            assert fake.hits[HITS] == 1
            fake.hits.clear()
            with pytest.raises(ServerError):
                await send(client, idempotent=True, options=RequestOptions(max_retries=4))
            assert fake.hits[HITS] == 5
            fake.hits.clear()
            with pytest.raises(ServerError):
                await send(client.with_options(max_retries=1), idempotent=True)
            assert fake.hits[HITS] == 2


async def test_relogin_after_401_does_not_count_as_a_retry() -> None:
    async with fake_server() as (fake, url):
        async with AsyncChorusClient(
            base_url=url, email=EMAIL, password=PASSWORD, max_retries=0
        ) as client:
            await send(client, idempotent=False)
            fake.revoke_all()
            raw = await send(client, idempotent=False)
        assert raw.status == 200
        assert fake.logins == 2


# -- backoff -------------------------------------------------------------------------------


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=8.0, jitter=0.25)
    for attempt, nominal in enumerate([0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]):
        for _ in range(20):
            delay = backoff_delay(attempt, policy)
            assert nominal * 0.75 <= delay <= nominal
    assert backoff_delay(3, RetryPolicy(jitter=0.0)) == 4.0
