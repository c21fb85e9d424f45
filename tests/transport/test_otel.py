"""OpenTelemetry spans (``tracer_provider=``), read back from the SDK's in-memory exporter.

One INTERNAL span per call, named after the operation; one CLIENT child span per HTTP
attempt; the caller's current span is the parent, on the blocking client too; and no
secret, no body, in any span, in any encoding.
"""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web
from dual_client import ClientFactory
from fake_server import EMAIL, PASSWORD, fake_server, json_response
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from opentelemetry.trace import SpanKind, StatusCode

from factpulse_chorus import (
    AsyncChorusClient,
    ChorusClient,
    FactPulseError,
    NotFoundError,
    RetryPolicy,
)
from factpulse_chorus._otel import safe_url
from factpulse_chorus.models.common import ChorusProCredentials
from factpulse_chorus.sandbox import ThreadedSandbox

FAST = RetryPolicy(base_delay=0.001, max_delay=0.005)
CONSULTER = "/api/v1/chorus-pro/factures/consulter"


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> Iterator[TracerProvider]:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider
    provider.shutdown()


def by_name(spans: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name == name]


def children(spans: tuple[ReadableSpan, ...], parent: ReadableSpan) -> list[ReadableSpan]:
    assert parent.context is not None
    return [s for s in spans if s.parent is not None and s.parent.span_id == parent.context.span_id]


async def test_a_call_is_one_span_with_one_child_span_per_attempt(
    client_factory: ClientFactory,
    chorus_sandbox: ThreadedSandbox,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    invoice_id = chorus_sandbox.domain.seed_invoice(invoice_number="OTEL-1")
    async with client_factory(chorus_sandbox.url, tracer_provider=provider) as client:
        result = await client.factures.consulter(invoice_id)
    spans = exporter.get_finished_spans()

    (call,) = by_name(spans, "factures.consulter")
    host, port = chorus_sandbox.url.removeprefix("http://").split(":")
    assert call.kind is SpanKind.INTERNAL
    assert call.status.status_code is StatusCode.UNSET
    assert dict(call.attributes or {}) == {
        "factpulse.operation": "factures.consulter",
        "http.request.method": "POST",
        "url.full": chorus_sandbox.url + CONSULTER,
        "server.address": host,
        "server.port": int(port),
        "factpulse.attempts": 1,
        "factpulse.retries": 0,
        "http.response.status_code": 200,
        "factpulse.request_id": result.raw.request_id,
        "factpulse.outcome": "success",
    }
    login, attempt = sorted(children(spans, call), key=lambda s: s.start_time or 0)
    assert login.name == "POST /api/token/"  # the login the call needed, under it
    assert (login.attributes or {})["factpulse.operation"] == "auth.login"
    assert attempt.name == f"POST {CONSULTER}"
    assert attempt.kind is SpanKind.CLIENT
    attributes = dict(attempt.attributes or {})
    assert attributes["http.response.status_code"] == 200
    assert attributes["factpulse.attempt"] == 1
    assert "http.request.resend_count" not in attributes
    assert attributes["factpulse.request_id"] == result.raw.request_id
    assert len(spans) == 3


async def test_retries_are_attempt_spans_with_a_resend_count(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    answers = iter([json_response({"detail": "busy"}, status=503)])

    async def handler(request: web.Request) -> web.StreamResponse:
        return next(answers, None) or json_response({"returnCode": 0}, **{"X-Request-ID": "r-2"})

    async with fake_server(handler) as (_fake, url), traced(url, provider) as client:
        await client._transport.request(  # below the resources: through the bound one
            "POST", CONSULTER, json={}, idempotent=True, operation="x"
        )
        await client.factures._request(
            "POST", CONSULTER, json={}, idempotent=True, operation="factures.consulter"
        )
    spans = exporter.get_finished_spans()
    assert not by_name(spans, "x")  # the transport alone makes no call span

    (call,) = by_name(spans, "factures.consulter")
    assert (call.attributes or {})["factpulse.attempts"] == 1
    first, second = (s for s in spans if s.name == f"POST {CONSULTER}" and s.parent is None)
    assert (first.attributes or {})["error.type"] == "503"
    assert first.status.status_code is StatusCode.ERROR
    assert (second.attributes or {})["http.request.resend_count"] == 1


async def test_a_retried_call_counts_its_attempts_and_says_how_it_ended(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    replies = iter([json_response({"detail": "busy"}, status=503)])

    async def handler(request: web.Request) -> web.StreamResponse:
        return next(replies, None) or json_response({"detail": "gone"}, status=404)

    async with fake_server(handler) as (_fake, url), traced(url, provider) as client:
        with pytest.raises(NotFoundError):
            await client.factures.consulter(1)
    spans = exporter.get_finished_spans()

    (call,) = by_name(spans, "factures.consulter")
    attributes = dict(call.attributes or {})
    assert attributes["factpulse.attempts"] == 2
    assert attributes["factpulse.retries"] == 1
    assert attributes["error.type"] == "factpulse_chorus.NotFoundError"
    assert attributes["factpulse.outcome"] == "error"
    assert attributes["http.response.status_code"] == 404
    assert call.status.status_code is StatusCode.ERROR
    assert not call.events
    attempts = [s for s in children(spans, call) if s.name == f"POST {CONSULTER}"]
    assert [(s.attributes or {}).get("http.request.resend_count") for s in attempts] == [None, 1]
    assert [(s.attributes or {})["error.type"] for s in attempts] == ["503", "404"]


async def test_twenty_concurrent_calls_each_get_their_own_attempt_span(
    client_factory: ClientFactory,
    chorus_sandbox: ThreadedSandbox,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    ids = [chorus_sandbox.domain.seed_invoice(invoice_number=f"OTEL-C{n}") for n in range(20)]
    async with client_factory(chorus_sandbox.url, tracer_provider=provider) as client:
        results = await asyncio.gather(*(client.factures.consulter(i) for i in ids))
    spans = exporter.get_finished_spans()

    calls = by_name(spans, "factures.consulter")
    assert len(calls) == 20
    for call in calls:
        (attempt,) = [s for s in children(spans, call) if s.name == f"POST {CONSULTER}"]
        ids_seen = {(call.attributes or {})["factpulse.request_id"]}
        ids_seen.add((attempt.attributes or {})["factpulse.request_id"])
        assert len(ids_seen) == 1
    assert {(c.attributes or {})["factpulse.request_id"] for c in calls} == {
        r.raw.request_id for r in results
    }


def test_the_blocking_client_puts_its_spans_under_the_callers_span(
    chorus_sandbox: ThreadedSandbox, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    invoice_id = chorus_sandbox.domain.seed_invoice(invoice_number="OTEL-SYNC")
    tracer = provider.get_tracer("test")
    with ChorusClient(
        base_url=chorus_sandbox.url, email="demo", password="demo", tracer_provider=provider
    ) as client:
        with tracer.start_as_current_span("caller"):
            client.factures.consulter(invoice_id)
        client.factures.consulter(invoice_id)  # no current span: a root
    spans = exporter.get_finished_spans()

    (caller,) = by_name(spans, "caller")
    under, root = by_name(spans, "factures.consulter")
    assert children(spans, caller) == [under]
    assert root.parent is None
    assert under.context is not None
    assert caller.context is not None
    assert under.context.trace_id == caller.context.trace_id


async def test_the_async_client_puts_its_spans_under_the_callers_span(
    chorus_sandbox: ThreadedSandbox, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    invoice_id = chorus_sandbox.domain.seed_invoice(invoice_number="OTEL-ASYNC")
    tracer = provider.get_tracer("test")
    async with AsyncChorusClient(
        base_url=chorus_sandbox.url, email="demo", password="demo", tracer_provider=provider
    ) as client:
        with tracer.start_as_current_span("caller"):
            await asyncio.gather(*(client.factures.consulter(invoice_id) for _ in range(3)))
    spans = exporter.get_finished_spans()
    (caller,) = by_name(spans, "caller")
    assert len(children(spans, caller)) == 3


# -- secrets ------------------------------------------------------------------------------

PISTE_SECRET = "PisteSecret0TRACEs3cr3t"
CHORUS_PASSWORD = "ChorusPw0TRACEpw9"


def encodings(secret: str) -> set[str]:
    """``secret`` as it could show up in an attribute."""
    raw = secret.encode()
    return {
        secret,
        secret.lower(),
        urllib.parse.quote(secret),
        urllib.parse.quote_plus(secret),
        json.dumps(secret)[1:-1],
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        raw.hex(),
    }


def span_text(span: ReadableSpan) -> str:
    parts: list[Any] = [span.name, span.status.description, dict(span.attributes or {})]
    parts += [(e.name, dict(e.attributes or {})) for e in span.events]
    parts += [dict(link.attributes or {}) for link in span.links]
    return repr(parts)


async def test_no_span_holds_a_secret_or_a_body_in_any_encoding(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    echoed: list[str] = []

    async def hostile(request: web.Request) -> web.StreamResponse:
        """Echoes secrets (request id, body) in a 200, a 400, a 500 and a 401, then drops."""
        body = await request.text()
        echoed.append(body)
        token = request.headers["Authorization"].removeprefix("Bearer ")
        hits = len(echoed)
        if hits == 1:
            return json_response({"returnCode": 0, "echo": body}, **{"X-Request-ID": token})
        if hits == 2:
            return json_response({"errorMessage": body}, status=400, **{"X-Request-ID": PASSWORD})
        if hits == 3:  # shaped like a request id: only knowing the call's secrets catches it
            return json_response({"detail": body}, status=500, **{"X-Request-ID": CHORUS_PASSWORD})
        if hits == 4:
            return json_response({"detail": PISTE_SECRET}, status=401)
        assert request.transport is not None
        request.transport.close()
        return web.Response()

    credentials = ChorusProCredentials(
        piste_client_id="piste-id",
        piste_client_secret=PISTE_SECRET,
        chorus_pro_login="login",
        chorus_pro_password=CHORUS_PASSWORD,
    )
    outcomes = []
    async with (
        fake_server(hostile) as (fake, url),
        traced(url, provider, credentials=credentials, max_retries=0) as client,
    ):
        for _ in range(4):
            try:
                await client.factures.consulter(1)
                outcomes.append("ok")
            except FactPulseError as error:
                outcomes.append(type(error).__name__)
    # The first answer is 2xx but no consulter document: the attempt ends with no hook call.
    assert outcomes == [
        "ResponseDecodeError",
        "BadRequestError",
        "ServerError",
        "APIConnectionError",
    ]
    spans = exporter.get_finished_spans()
    assert len(by_name(spans, "factures.consulter")) == 4
    text = "\n".join(span_text(span) for span in spans)
    secrets = [PASSWORD, PISTE_SECRET, CHORUS_PASSWORD, *fake.tokens_issued]
    assert fake.tokens_issued  # a real login happened
    for secret in secrets:
        for form in encodings(secret):
            assert form not in text, secret
    assert "invoiceId" not in text
    assert "idFacture" not in text
    assert EMAIL not in text


def test_query_values_and_user_info_never_reach_url_full() -> None:
    assert safe_url("https://u:p@h:8443/a/b?token=s3cret&flag#frag") == (
        "https://h:8443/a/b?token=REDACTED&flag"
    )
    assert safe_url("http://127.0.0.1:1/x") == "http://127.0.0.1:1/x"


def test_importing_the_package_does_not_import_opentelemetry() -> None:
    code = (
        "import sys, factpulse_chorus as f\n"
        "c = f.AsyncChorusClient(base_url='http://127.0.0.1:1', api_key='k')\n"
        "c.factures\n"
        "assert not [m for m in sys.modules if m.startswith('opentelemetry')], 'imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_a_tracer_provider_of_the_wrong_type_is_refused() -> None:
    from factpulse_chorus import RequestValidationError

    with pytest.raises(RequestValidationError, match="tracer_provider"):
        AsyncChorusClient(base_url="http://127.0.0.1:1", api_key="k", tracer_provider="x")  # type: ignore[arg-type]


def traced(url: str, provider: TracerProvider, **options: Any) -> AsyncChorusClient:
    options.setdefault("retry_policy", FAST)
    return AsyncChorusClient(
        base_url=url, email=EMAIL, password=PASSWORD, tracer_provider=provider, **options
    )
