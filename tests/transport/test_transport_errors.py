"""Transport: what is sent, what comes back, and which exception each answer becomes."""

from __future__ import annotations

import email.utils
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from fake_server import API_PATH, EMAIL, PASSWORD, FakeFactPulse, fake_server, json_response

from factpulse_chorus._client import AsyncChorusClient
from factpulse_chorus._config import RetryPolicy
from factpulse_chorus._errors import business_code, error_message
from factpulse_chorus._exceptions import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ChorusProBusinessError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestValidationError,
    ResponseDecodeError,
    ServerError,
    UnprocessableEntityError,
)
from factpulse_chorus._retry import parse_retry_after
from factpulse_chorus._types import RequestInfo, RequestOptions
from factpulse_chorus.models.common import RawResponse

FAST = RetryPolicy(base_delay=0.001, max_delay=0.005)
NO_RETRY = RequestOptions(max_retries=0)


def client_for(url: str, **kwargs: Any) -> AsyncChorusClient:
    kwargs.setdefault("retry_policy", FAST)
    return AsyncChorusClient(base_url=url, email=EMAIL, password=PASSWORD, **kwargs)


async def send(
    client: AsyncChorusClient,
    *,
    method: str = "POST",
    path: str = API_PATH,
    body: Any = None,
    options: RequestOptions = NO_RETRY,
    idempotent: bool = True,
) -> RawResponse:
    if body is None and method == "POST":
        body = {"chorusInvoiceId": 1}
    return await client._transport.request(
        method, path, json=body, idempotent=idempotent, operation="test", options=options
    )


def respond(fake: FakeFactPulse, make: Callable[[], web.StreamResponse]) -> None:
    """Answer every API call with a fresh response from ``make``."""

    async def handler(request: web.Request) -> web.StreamResponse:
        return make()

    fake.handler = handler


# -- what is sent --------------------------------------------------------------------------


async def test_headers_sent_on_post_and_get() -> None:
    async with fake_server() as (fake, url):
        async with client_for(url, default_headers={"X-Tenant": "t1"}) as client:
            raw = await send(client)
            await send(client, method="GET", path="/api/v1/chorus-pro/structures/25827464/services")
            await send(client, options=RequestOptions(extra_headers={"X-Tenant": "t2"}))
        post, get, extra = (r["headers"] for r in fake.requests)
        assert post["Accept"] == "application/json"
        assert post["Content-Type"] == "application/json"
        assert post["User-Agent"].startswith("factpulse-chorus/")
        assert post["X-Tenant"] == "t1"
        assert "X-Retry-Count" not in post
        assert "Content-Type" not in get
        assert fake.requests[1]["method"] == "GET"
        assert extra["X-Tenant"] == "t2"
        assert raw.json["echo"] == {"chorusInvoiceId": 1}


async def test_success_gives_a_raw_response() -> None:
    async with fake_server() as (_fake, url):
        async with client_for(url) as client:
            raw = await send(client)
        assert raw.status == 200
        assert raw.request_id == "req-test-1"
        assert raw.method == "POST"
        assert raw.url == url + API_PATH
        assert raw.headers["content-type"].startswith("application/json")
        assert raw.elapsed > 0
        assert raw.json["returnCode"] == 0


async def test_body_that_is_not_json_serialisable_is_refused_before_sending() -> None:
    async with fake_server() as (fake, url):
        async with client_for(url) as client:
            with pytest.raises(RequestValidationError):
                await send(client, body={"when": object()})
        assert fake.hits["factures/consulter"] == 0


# -- status codes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "cls", "message"),
    [
        (400, {"errorCode": "BAD", "errorMessage": "bad thing"}, BadRequestError, "bad thing"),
        (403, {"detail": "forbidden here"}, PermissionDeniedError, "forbidden here"),
        (404, {"detail": {"error": "NF", "message": "no such invoice"}}, NotFoundError, "no such"),
        (409, {"message": "conflict"}, APIStatusError, "conflict"),
        (413, "too large", APIStatusError, "Request Entity Too Large"),
        (500, {"detail": {"errorMessage": "boom"}}, ServerError, "boom"),
        (502, "<html>bad gateway</html>", ServerError, "Bad Gateway"),
        (503, {"errorMessage": "Chorus Pro unavailable"}, ServerError, "unavailable"),
        (504, {}, ServerError, "Gateway Timeout"),
    ],
)
async def test_status_maps_to_its_exception(
    status: int, body: Any, cls: type[APIStatusError], message: str
) -> None:
    async with fake_server() as (fake, url):

        def make() -> web.StreamResponse:
            if isinstance(body, str):
                return web.Response(
                    text=body,
                    status=status,
                    content_type="text/html",
                    headers={"X-Request-ID": "r9"},
                )
            return json_response(body, status=status, **{"X-Request-ID": "r9"})

        respond(fake, make)
        async with client_for(url) as client:
            with pytest.raises(cls) as info:
                await send(client)
        error = info.value
        assert type(error) is cls
        assert error.status_code == status
        assert error.body == body
        assert error.request_id == "r9"
        assert error.headers["X-Request-ID"] == "r9"
        assert message in str(error)
        assert f"HTTP {status}" in str(error)
        assert fake.hits["factures/consulter"] == 1


async def test_401_is_an_authentication_error_with_body_and_request_id() -> None:
    async with fake_server() as (fake, url):
        fake.accept_any_token = False
        respond(
            fake,
            lambda: json_response(
                {"errorCode": "AUTH", "errorMessage": "Invalid or expired"}, status=401
            ),
        )
        async with client_for(url) as client:
            with pytest.raises(AuthenticationError) as info:
                await send(client)
        assert info.value.body == {"errorCode": "AUTH", "errorMessage": "Invalid or expired"}
        assert info.value.request_id == "req-test-1"


async def test_422_carries_the_error_list_and_hides_secrets() -> None:
    detail = [
        {"loc": ["body", "invoiceDate"], "msg": "Field required", "type": "missing"},
        {
            "loc": ["body", "credentials", "pisteClientSecret"],
            "msg": "Field required",
            "type": "missing",
            "input": {"pisteClientId": "piste-id-123456", "chorusProPassword": "cpro-pass-999"},
        },
    ]
    async with fake_server() as (fake, url):
        respond(fake, lambda: json_response({"detail": detail}, status=422))
        async with client_for(url) as client:
            with pytest.raises(UnprocessableEntityError) as info:
                await send(client)
    error = info.value
    assert "invoiceDate: Field required; pisteClientSecret: Field required" in str(error)
    assert [e["loc"] for e in error.errors] == [d["loc"] for d in detail]
    assert error.errors[0]["type"] == "missing"
    for text in (str(error), repr(error.body), repr(error.errors)):
        assert "cpro-pass-999" not in text
        assert "piste-id-123456" not in text


async def test_429_retry_after_in_seconds_and_as_http_date() -> None:
    async with fake_server() as (fake, url), client_for(url) as client:
        respond(fake, lambda: json_response({}, status=429, **{"Retry-After": "7"}))
        with pytest.raises(RateLimitError) as info:
            await send(client)
        assert info.value.retry_after == 7.0
        when = email.utils.formatdate(time.time() + 30, usegmt=True)
        respond(fake, lambda: json_response({}, status=429, **{"Retry-After": when}))
        with pytest.raises(RateLimitError) as info:
            await send(client)
        assert info.value.retry_after is not None
        assert 27 <= info.value.retry_after <= 31
        respond(fake, lambda: json_response({}, status=429))
        with pytest.raises(RateLimitError) as info:
            await send(client)
        assert info.value.retry_after is None


async def test_4xx_with_native_codes_is_a_business_error() -> None:
    async with fake_server() as (fake, url):
        native = {"codeRetour": 20001, "libelle": "GDP_MSG_11.005"}
        respond(fake, lambda: json_response(native, status=400))
        async with client_for(url) as client:
            with pytest.raises(ChorusProBusinessError) as info:
                await send(client)
    assert info.value.return_code == 20001
    assert info.value.server_message == "GDP_MSG_11.005"


async def test_redirect_is_not_followed() -> None:
    async with fake_server() as (fake, url):
        respond(
            fake, lambda: web.Response(status=301, headers={"Location": "https://elsewhere.test/"})
        )
        async with client_for(url) as client:
            with pytest.raises(APIStatusError, match="unexpected redirect") as info:
                await send(client)
    assert info.value.status_code == 301


# -- business errors inside 200 ------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ({"returnCode": 1, "message": "Facture inconnue"}, 1, "Facture inconnue"),
        ({"returnCode": "42", "message": "numeric string"}, 42, "numeric string"),
        ({"codeRetour": 20002, "libelle": "GDP_MSG_11.033"}, 20002, "GDP_MSG_11.033"),
        ({"codeRetour": 20000, "message": "only a message"}, 20000, "only a message"),
        ({"returnCode": 0, "codeRetour": 20003}, 20003, ""),
    ],
)
async def test_200_with_a_non_zero_code_is_a_business_error(
    body: dict[str, Any], code: int, message: str
) -> None:
    async with fake_server() as (fake, url):
        respond(fake, lambda: json_response(body))
        async with client_for(url) as client:
            with pytest.raises(ChorusProBusinessError) as info:
                await send(client)
    assert info.value.return_code == code
    assert info.value.server_message == message
    assert info.value.body == body


@pytest.mark.parametrize(
    "body",
    [
        {"returnCode": 0, "message": "ok"},
        {"codeRetour": "0", "libelle": "TRA_MSG_00.000"},
        {"structureId": 0, "message": "not found"},  # obtenir-id: the resource decides
        {"returnCode": None},
        [1, 2, 3],
    ],
)
async def test_200_without_a_non_zero_code_is_success(body: Any) -> None:
    async with fake_server() as (fake, url):
        respond(fake, lambda: json_response(body))
        async with client_for(url) as client:
            raw = await send(client)
    assert raw.json == body


# -- bodies that are not JSON --------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "content_type", "reason"),
    [
        (b'{"returnCode": 0, "mess', "application/json", "invalid JSON"),
        (b"<html><body>Maintenance</body></html>", "text/html", "not JSON"),
        (b"OK", "text/plain", "not JSON"),
        (b"", "application/json", "empty"),
    ],
)
async def test_2xx_body_that_is_not_json_is_a_decode_error(
    payload: bytes, content_type: str, reason: str
) -> None:
    async with fake_server() as (fake, url):
        respond(fake, lambda: web.Response(body=payload, status=200, content_type=content_type))
        async with client_for(url) as client:
            with pytest.raises(ResponseDecodeError) as info:
                await send(client)
    error = info.value
    assert error.status_code == 200
    assert error.content_type.startswith(content_type)
    assert reason in str(error)
    assert error.snippet == payload.decode()[:120]


async def test_json_body_with_a_wrong_content_type_is_accepted() -> None:
    async with fake_server() as (fake, url):
        respond(fake, lambda: web.Response(text='{"returnCode": 0}', content_type="text/plain"))
        async with client_for(url) as client:
            raw = await send(client)
    assert raw.json == {"returnCode": 0}


# -- hooks and logs ------------------------------------------------------------------------


async def test_hooks_see_every_attempt_and_response() -> None:
    infos: list[RequestInfo] = []
    statuses: list[int] = []

    def on_request(info: RequestInfo) -> None:
        infos.append(info)

    async def on_response(raw: RawResponse) -> None:
        statuses.append(raw.status)
        assert "access" not in json.dumps(raw.json) or raw.json["access"] == "***"

    hooks = {"on_request": on_request, "on_response": on_response}
    async with fake_server() as (fake, url), client_for(url, **hooks) as client:
        await send(client)
        respond(fake, lambda: json_response({"detail": "no"}, status=404))
        with pytest.raises(NotFoundError):
            await send(client)
    assert [i.operation for i in infos] == ["auth.login", "test", "test"]
    assert statuses == [200, 200, 404]


async def test_debug_log_has_one_line_per_attempt_and_no_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="factpulse_chorus")
    async with fake_server() as (fake, url):
        async with client_for(url, on_request=lambda i: None, on_response=lambda r: None) as client:
            await send(client)
            await send(client)
            respond(fake, lambda: json_response({"detail": "down"}, status=503))
            with pytest.raises(ServerError):
                await send(client, options=RequestOptions(max_retries=1))
        lines = [r.getMessage() for r in caplog.records if r.name == "factpulse_chorus"]
        attempts = [line for line in lines if "->" in line]
        assert len(attempts) == 5  # login + 2 calls + 503 twice
        assert any("POST /api/token/ -> 200" in line for line in attempts)
        assert any("-> 503" in line and "attempt 2" in line for line in attempts)
        assert any("retry 1 of 1" in line for line in lines)
        for secret in (PASSWORD, *fake.tokens_issued):
            assert secret not in caplog.text


# -- pure decisions ------------------------------------------------------------------------


def test_error_message_order() -> None:
    assert error_message({"errorMessage": "a", "detail": "b", "message": "c"}) == "a"
    assert error_message({"detail": "b", "message": "c"}) == "b"
    assert error_message({"detail": {"errorMessage": "d", "message": "e"}}) == "d"
    assert error_message({"detail": {"message": "e"}, "message": "c"}) == "e"
    assert error_message({"message": "c"}) == "c"
    assert error_message({"detail": [{"loc": ["body", "x"], "msg": "bad"}]}) == "x: bad"
    assert error_message("text") is None
    assert error_message({}) is None


def test_business_code_parsing() -> None:
    assert business_code(0) == 0
    assert business_code(" 12 ") == 12
    assert business_code(3.0) == 3
    assert business_code("abc") is None
    assert business_code(True) is None
    assert business_code(None) is None


def test_parse_retry_after() -> None:
    assert parse_retry_after(None) is None
    assert parse_retry_after("") is None
    assert parse_retry_after("2.5") == 2.5
    assert parse_retry_after("-3") is None  # unusable: the normal backoff applies
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 -0000", now=1445412480.0) is None
