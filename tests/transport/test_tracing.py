"""The hooks share one object per attempt: ``on_response``'s ``raw.request`` and
``on_error``'s first argument are the very :class:`RequestInfo` ``on_request`` received."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from dual_client import ClientFactory
from fake_server import EMAIL, PASSWORD, fake_server, json_response

from factpulse_chorus import AsyncChorusClient, RetryPolicy
from factpulse_chorus._exceptions import FactPulseError
from factpulse_chorus._response import RawResponse
from factpulse_chorus._types import RequestInfo
from factpulse_chorus.sandbox import ThreadedSandbox

FAST = RetryPolicy(base_delay=0.001, max_delay=0.005)


class Matcher:
    """Hooks building a dict keyed by the shared object, as a tracer would."""

    def __init__(self) -> None:
        self.open: dict[RequestInfo, str] = {}
        self.closed: list[tuple[RequestInfo, int | str]] = []
        self.unmatched = 0

    def on_request(self, info: RequestInfo) -> None:
        assert info not in self.open
        self.open[info] = info.operation

    async def on_response(self, raw: RawResponse) -> None:
        await asyncio.sleep(0)  # an async hook: other calls run meanwhile
        if raw.request is None or self.open.pop(raw.request, None) is None:
            self.unmatched += 1
        else:
            self.closed.append((raw.request, raw.status))

    def on_error(self, info: RequestInfo, error: FactPulseError) -> None:
        if self.open.pop(info, None) is None:
            self.unmatched += 1
        else:
            self.closed.append((info, type(error).__name__))

    def hooks(self) -> dict[str, Any]:
        return {"on_request": self.on_request, "on_response": self.on_response}


async def test_on_response_carries_the_very_request_info_of_on_request(
    client_factory: ClientFactory, chorus_sandbox: ThreadedSandbox
) -> None:
    invoice_id = chorus_sandbox.domain.seed_invoice(invoice_number="TRACE-1")
    seen: list[RawResponse] = []
    started: list[RequestInfo] = []

    async with client_factory(
        chorus_sandbox.url, on_request=started.append, on_response=seen.append
    ) as client:
        result = await client.factures.consulter(invoice_id)

    assert [info.operation for info in started] == ["auth.login", "factures.consulter"]
    assert [raw.request for raw in seen] == started  # identity: RequestInfo has no value eq
    assert all(raw.request is info for raw, info in zip(seen, started, strict=True))
    assert result.raw.request is started[1]  # the result's raw is the hook's
    assert result.raw.request_id
    assert result.raw.request_id == seen[1].request_id
    assert started[1].attempt == 1


async def test_twenty_concurrent_calls_are_all_matched_by_their_request_info(
    client_factory: ClientFactory, chorus_sandbox: ThreadedSandbox
) -> None:
    ids = [chorus_sandbox.domain.seed_invoice(invoice_number=f"TRACE-C{n}") for n in range(20)]
    matcher = Matcher()
    async with client_factory(chorus_sandbox.url, **matcher.hooks()) as client:
        results = await asyncio.gather(*(client.factures.consulter(i) for i in ids))

    assert matcher.unmatched == 0
    assert not matcher.open
    calls = [(info, status) for info, status in matcher.closed if info.operation != "auth.login"]
    assert len(calls) == 20
    assert all(status == 200 for _, status in calls)
    assert len({id(info) for info, _ in calls}) == 20
    # Each result's raw is the response its own on_request was matched to.
    assert {id(r.raw.request) for r in results} == {id(info) for info, _ in calls}


async def test_on_error_hears_of_an_attempt_without_a_response_then_the_retry() -> None:
    answers = iter(["drop"])

    async def handler(request: web.Request) -> web.StreamResponse:
        await request.read()
        if next(answers, None) == "drop":
            assert request.transport is not None
            request.transport.close()  # no answer at all: the read is safely resent
        return json_response({"returnCode": 0})

    matcher = Matcher()
    async with (
        fake_server(handler) as (_fake, url),
        AsyncChorusClient(
            base_url=url,
            email=EMAIL,
            password=PASSWORD,
            retry_policy=FAST,
            on_error=matcher.on_error,
            **matcher.hooks(),
        ) as client,
    ):
        raw = await client._transport.request(
            "POST", "/api/v1/chorus-pro/x", json={}, idempotent=True, operation="test"
        )

    assert matcher.unmatched == 0
    assert not matcher.open
    attempts = [(i.attempt, outcome) for i, outcome in matcher.closed if i.operation == "test"]
    assert attempts == [(1, "APIConnectionError"), (2, 200)]
    assert raw.request is not None
    assert raw.request.attempt == 2


async def test_without_hooks_no_request_info_is_built(
    client_factory: ClientFactory, chorus_sandbox: ThreadedSandbox
) -> None:
    invoice_id = chorus_sandbox.domain.seed_invoice(invoice_number="TRACE-NONE")
    async with client_factory(chorus_sandbox.url) as client:
        result = await client.factures.consulter(invoice_id)
    assert result.raw.request is None


def test_request_info_compares_by_identity() -> None:
    first = RequestInfo("POST", "http://h/x", "test", 1, True)
    twin = RequestInfo("POST", "http://h/x", "test", 1, True)
    assert first != twin
    assert len({first, twin}) == 2
    assert "attempt=1" in repr(first)
