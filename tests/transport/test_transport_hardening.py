"""Issue 13 (transport items): token at send time, header values, Retry-After, a cut-off
answer to a write, the response size cap. Real HTTP on 127.0.0.1 throughout."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
import tracemalloc
from typing import Any

import pytest
from aiohttp import web
from fake_server import (
    API_KEY,
    EMAIL,
    PASSWORD,
    fake_server,
    gzip_bomb,
    json_response,
    send,
    serve,
)
from payloads import invoice

from factpulse_chorus import (
    AsyncChorusClient,
    OutcomeUnknownError,
    RequestValidationError,
    ResponseDecodeError,
    ResponseTooLargeError,
)
from factpulse_chorus._config import RetryPolicy
from factpulse_chorus._retry import parse_retry_after
from factpulse_chorus._types import RequestOptions
from factpulse_chorus.sandbox import Fault, Sandbox

# -- item 4: the token is taken when the request is really sent ----------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_calls_queued_for_a_connection_take_the_token_when_sent() -> None:
    entered, release = asyncio.Event(), asyncio.Event()
    held = False

    async def hold_the_first(request: web.Request) -> web.StreamResponse:
        nonlocal held
        if not held:
            held = True
            entered.set()
            await release.wait()
        return json_response({"returnCode": 0})

    async with fake_server() as (fake, url):
        client = AsyncChorusClient(base_url=url, email=EMAIL, password=PASSWORD, connection_limit=1)
        clock = Clock()
        assert client._shared.tokens is not None
        client._shared.tokens._clock = clock
        async with client:
            await send(client)  # logged in, token fresh
            fake.handler = hold_the_first
            first = asyncio.create_task(send(client))
            await entered.wait()  # the only connection is busy
            queued = [asyncio.create_task(send(client, idempotent=i % 2 == 0)) for i in range(8)]
            for _ in range(50):  # let every queued call reach its wait for the connection
                await asyncio.sleep(0)
            # While they wait, the token expires: the client's clock passes its renewal
            # time and the server stops accepting it.
            clock.now += 3600.0
            fake.revoke_all()
            release.set()
            await asyncio.wait_for(asyncio.gather(first, *queued), 10)
        assert fake.refused == 0  # no queued call reached the server with the old token
        assert fake.logins == 2


# -- item 5: header values are checked before anything is sent -----------------------------

BAD_VALUES: list[Any] = ["a\r\nX-Injected: 1", "a\nb", "a\rb", "a\x00b", "a\x7fb", 12, None, b"x"]


@pytest.mark.parametrize("value", BAD_VALUES)
def test_bad_api_key_or_token_is_refused_at_construction(value: Any) -> None:
    if value is None:
        return  # None means "not given" for these
    with pytest.raises(RequestValidationError) as info:
        AsyncChorusClient(base_url="http://127.0.0.1:9", api_key=value)
    assert info.value.field == "api_key"
    with pytest.raises(RequestValidationError) as info:
        AsyncChorusClient(base_url="http://127.0.0.1:9", token=value)
    assert info.value.field == "token"


@pytest.mark.parametrize("value", BAD_VALUES)
def test_bad_default_header_is_refused_at_construction(value: Any) -> None:
    with pytest.raises(RequestValidationError) as info:
        AsyncChorusClient(base_url="http://127.0.0.1:9", token="t", default_headers={"X": value})
    assert info.value.field == "default_headers.X"


@pytest.mark.parametrize("headers", [{"Bad Name": "x"}, {"X:Y": "x"}, {"": "x"}, {1: "x"}, ["x"]])
def test_bad_header_names_or_mappings_are_refused(headers: Any) -> None:
    with pytest.raises(RequestValidationError) as info:
        AsyncChorusClient(base_url="http://127.0.0.1:9", token="t", default_headers=headers)
    assert info.value.field == "default_headers"
    client = AsyncChorusClient(base_url="http://127.0.0.1:9", token="t")
    with pytest.raises(RequestValidationError) as info:
        client.with_options(extra_headers=headers)
    assert info.value.field == "extra_headers"


@pytest.mark.parametrize("idempotent", [True, False])
@pytest.mark.parametrize("value", BAD_VALUES)
async def test_bad_extra_header_is_refused_before_sending(value: Any, idempotent: bool) -> None:
    async with fake_server() as (fake, url):
        async with AsyncChorusClient(base_url=url, api_key=API_KEY) as client:
            with pytest.raises(RequestValidationError) as info:
                await send(
                    client,
                    idempotent=idempotent,
                    options=RequestOptions(extra_headers={"X": value}),
                )
            assert info.value.field == "extra_headers.X"
            with pytest.raises(RequestValidationError) as info:
                await client.factures.consulter(1234, extra_headers={"X-Trace": value})
            assert info.value.field == "extra_headers.X-Trace"
        assert fake.hits["factures/consulter"] == 0


async def test_a_login_answer_with_an_unusable_token_is_a_decode_error() -> None:
    async def login(request: web.Request) -> web.StreamResponse:
        return json_response({"access": "abc\r\nX-Injected: 1", "refresh": "r"})

    async with fake_server() as (fake, url):
        fake.login_handler = login
        async with AsyncChorusClient(
            base_url=url, email=EMAIL, password=PASSWORD, max_retries=0
        ) as client:
            with pytest.raises(ResponseDecodeError, match="usable 'access' token"):
                await send(client, idempotent=False)
        assert fake.hits["factures/consulter"] == 0


# -- item 12: an unusable Retry-After falls back to the normal backoff -----------------------

UNUSABLE_RETRY_AFTER = ["-5", "-0.5", "garbage", "1_0", "nan", "inf", "+3", "٣", "0x10", "5 s"]


def past_http_date() -> str:
    return email.utils.formatdate(time.time() - 3600, usegmt=True)


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("value", [*UNUSABLE_RETRY_AFTER, "past-date"])
async def test_unusable_retry_after_uses_the_normal_backoff(
    status: int, value: str, caplog: pytest.LogCaptureFixture
) -> None:
    header = past_http_date() if value == "past-date" else value
    answers = iter([json_response({"detail": "busy"}, status=status, **{"Retry-After": header})])

    async def handler(request: web.Request) -> web.StreamResponse:
        return next(answers, None) or json_response({"returnCode": 0})

    policy = RetryPolicy(base_delay=0.02, max_delay=0.02, jitter=0.0)
    async with fake_server() as (fake, url):
        fake.handler = handler
        async with AsyncChorusClient(
            base_url=url, email=EMAIL, password=PASSWORD, retry_policy=policy
        ) as client:
            with caplog.at_level(logging.WARNING, logger="factpulse_chorus"):
                await send(client)
    delays = [r.args[-1] for r in caplog.records if "retry" in r.getMessage()]  # type: ignore[index]
    assert delays == [0.02]


def test_parse_retry_after_refuses_what_is_not_delay_seconds_or_a_future_date() -> None:
    for value in UNUSABLE_RETRY_AFTER:
        assert parse_retry_after(value) is None, value
    assert parse_retry_after(past_http_date()) is None
    assert parse_retry_after("0") == 0.0
    assert parse_retry_after(" 7 ") == 7.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after("99999999999") == 99999999999.0  # huge: the caller caps it
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    seconds = parse_retry_after(future)
    assert seconds is not None
    assert 25 <= seconds <= 31


# -- item 13: a write answered 2xx with a body cut off is an unknown outcome ----------------


def cut_off(kind: str) -> web.StreamResponse:
    body = b'{"returnCode": 0, "invoiceId": 12'
    if kind == "no-length":  # read until the server closes: aiohttp sees no error
        return web.Response(
            body=body, headers={"Connection": "close"}, content_type="application/json"
        )
    if kind == "empty":
        return web.Response(body=b"", content_type="application/json")
    return web.Response(body=b"<html>maintenance</html>", content_type="text/html")


@pytest.mark.parametrize("kind", ["no-length", "empty", "html"])
async def test_cut_off_or_unreadable_2xx_answer_to_a_write_is_outcome_unknown(kind: str) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return cut_off(kind)

    async with fake_server() as (fake, url):
        fake.handler = handler
        async with AsyncChorusClient(base_url=url, api_key=API_KEY) as client:
            with pytest.raises(OutcomeUnknownError) as info:
                await send(client, idempotent=False)
            assert info.value.invoice_number == "F-1"
            assert isinstance(info.value.__cause__, ResponseDecodeError)
            with pytest.raises(ResponseDecodeError):  # a read stays a decode error
                await send(client)
        assert fake.hits["factures/consulter"] == 2  # the write was not resent


@pytest.mark.parametrize("fault", ["truncated_json", "malformed_json"])
async def test_safe_retry_looks_a_cut_off_submission_up(fault: str) -> None:
    async with Sandbox(seed=5, record_requests=True, routing_delay=(0, 0)) as sandbox:
        sandbox.add_fault(Fault(fault, route="factures/soumettre", count=1))
        async with AsyncChorusClient(
            base_url=sandbox.url, email="demo", password="demo", max_retries=0
        ) as client:
            with pytest.raises(OutcomeUnknownError):
                await client.factures.soumettre(**invoice("CUT-1"))
            sandbox.add_fault(Fault(fault, route="factures/soumettre", count=1))
            result = await client.factures.soumettre(**invoice("CUT-2"), safe_retry=True)
        assert sandbox.invoice_count() == 2  # each created once, never twice
        assert len(sandbox.received("factures/soumettre")) == 2
        assert result.invoice_id is not None
        assert "already submitted" in result.message


# -- item 14: a maximum response size, counted as the decompressed bytes arrive -------------


def bomb_app(body: bytes, *, encoding: str | None = "gzip") -> web.Application:
    async def handler(request: web.Request) -> web.StreamResponse:
        headers = {"Content-Type": "application/json"}
        if encoding:
            headers["Content-Encoding"] = encoding
        return web.Response(body=body, headers=headers)

    app = web.Application()
    app.router.add_route("*", "/api/v1/chorus-pro/{tail:.*}", handler)
    return app


async def test_a_gzip_bomb_stops_at_max_response_size_with_bounded_memory() -> None:
    bomb = gzip_bomb(64 << 20)  # 64 MiB of zeros, about 64 KiB on the wire
    limit = 1 << 20
    async with (
        serve(bomb_app(bomb)) as url,
        AsyncChorusClient(
            base_url=url, token="t", max_response_size=limit, max_retries=2
        ) as client,
    ):
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLargeError) as info:
                await send(client)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert info.value.limit == limit
        assert info.value.status_code == 200
        assert peak < 16 << 20, peak  # far below the 64 MiB the body would take
        with pytest.raises(OutcomeUnknownError) as unknown:  # a write was answered
            await send(client, idempotent=False)
        assert isinstance(unknown.value.__cause__, ResponseTooLargeError)


async def test_max_response_size_counts_plain_bodies_and_can_be_lifted() -> None:
    body = b'{"returnCode": 0, "pad": "' + b"x" * 5000 + b'"}'
    async with serve(bomb_app(body, encoding=None)) as url:
        async with AsyncChorusClient(base_url=url, token="t", max_response_size=4096) as client:
            with pytest.raises(ResponseTooLargeError):
                await send(client)
        async with AsyncChorusClient(
            base_url=url, token="t", max_response_size=len(body)
        ) as client:
            assert (await send(client)).json["returnCode"] == 0
        async with AsyncChorusClient(base_url=url, token="t", max_response_size=None) as client:
            assert (await send(client)).json["returnCode"] == 0


@pytest.mark.parametrize("value", [0, -1, True, 1.5, "1"])
def test_max_response_size_is_checked(value: Any) -> None:
    with pytest.raises(RequestValidationError) as info:
        AsyncChorusClient(base_url="http://127.0.0.1:9", token="t", max_response_size=value)
    assert info.value.field == "max_response_size"


def test_default_max_response_size_fits_the_largest_answer() -> None:
    client = AsyncChorusClient(base_url="http://127.0.0.1:9", token="t")
    # A 120 MB group download is about 160 MB once base64-encoded in its JSON.
    assert client._config.max_response_size == 256 * 1024 * 1024


async def test_a_2xx_answer_to_a_write_of_the_wrong_shape_is_outcome_unknown() -> None:
    # Valid JSON, return code 0, but no invoice id: the invoice was created all the same.
    async def handler(request: web.Request) -> web.StreamResponse:
        return json_response({"returnCode": 0, "message": "ok"})

    async with fake_server() as (fake, url):
        fake.handler = handler
        async with AsyncChorusClient(base_url=url, api_key=API_KEY) as client:
            with pytest.raises(OutcomeUnknownError) as info:
                await client.factures.soumettre(**invoice("F-SHAPE-1"))
            assert info.value.invoice_number == "F-SHAPE-1"
            assert isinstance(info.value.__cause__, ResponseDecodeError)
            with pytest.raises(ResponseDecodeError):  # a read stays a decode error
                await client.factures.consulter(7)
        assert fake.hits["factures/soumettre"] == 1  # not resent
