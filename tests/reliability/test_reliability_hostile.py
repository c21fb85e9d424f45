"""Hostile responses: whatever a server (or a proxy in front of it) sends back, a call ends
with a result or a FactPulseError, never another exception, and the client keeps working.

A purpose-built aiohttp.web app on 127.0.0.1 answers with the status, content type, headers
and body that hypothesis draws: random bytes, cut JSON, fields of the wrong type, missing
fields, JSON that is not an object, HTML with 200, a body of a few MB, odd Retry-After and
Location headers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from aiohttp import web
from fake_server import catch_all, serve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from payloads import example, invoice

from factpulse_chorus import AsyncChorusClient
from factpulse_chorus._config import RetryPolicy
from factpulse_chorus._exceptions import FactPulseError, OutcomeUnknownError, ResponseDecodeError

FAST = RetryPolicy(base_delay=0.001, max_delay=0.005, max_retry_after=0.05)
COMMUNE = 25827464

Call = Callable[[AsyncChorusClient], Awaitable[Any]]

CALLS: dict[str, Call] = {
    "factures-consulter": lambda c: c.factures.consulter(7),
    "structures-consulter": lambda c: c.structures.consulter(COMMUNE),
    "structures-services": lambda c: c.structures.lister_services(COMMUNE),
    "structures-obtenir-id-depuis-siret": lambda c: c.structures.obtenir_id_depuis_siret(
        "21999012400014"
    ),
    "factures-rechercher-fournisseur": lambda c: c.factures.rechercher_fournisseur(
        invoice_number="F-1"
    ),
    "factures-soumettre": lambda c: c.factures.soumettre(**invoice("F-2")),
    "transverses-ajouter-fichier": lambda c: c.transverses.ajouter_fichier(b"%PDF", name="a.pdf"),
    "valideur-consulter": lambda c: c.valideur.consulter(7),
    "factures-traiter-facture-recue": lambda c: c.factures.traiter_facture_recue(
        7, new_status="SUSPENDUE", reason="x"
    ),
}
# endpoint name -> the example 200 body its call expects (tests/data/examples/)
VALID = {name: example(f"{name}.response") for name in CALLS}


class Hostile:
    """The server: answers every request with ``self.reply`` (then a sane reply)."""

    def __init__(self) -> None:
        self.reply: tuple[int, str | None, bytes, dict[str, str]] | None = None
        self.good: Any = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        if self.reply is None:
            return web.json_response(self.good)
        status, content_type, body, headers = self.reply
        response = web.Response(status=status, body=body, headers=headers)
        if content_type is not None:
            response.content_type = content_type
        return response


class Harness:
    """One loop, one server, one client for all the examples (the client must survive)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = Hostile()
        self.resources = contextlib.AsyncExitStack()
        self.client: AsyncChorusClient | None = None
        self.outcomes: dict[str, int] = {}

    def start(self) -> None:
        async def start() -> None:
            app = catch_all(self.server.handle, client_max_size=16 * 1024 * 1024)
            url = await self.resources.enter_async_context(serve(app))
            self.client = AsyncChorusClient(
                base_url=url,
                api_key="hostile-test-key",
                max_retries=1,
                retry_policy=FAST,
                timeout=5.0,
            )
            self.resources.push_async_callback(self.client.aclose)

        self.loop.run_until_complete(start())

    def stop(self) -> None:
        self.loop.run_until_complete(self.resources.aclose())
        self.loop.close()

    def run(self, name: str, reply: tuple[int, str | None, bytes, dict[str, str]]) -> None:
        assert self.client is not None
        client = self.client
        call = CALLS[name]

        async def go() -> None:
            self.server.reply = reply
            try:
                result = await call(client)
            except FactPulseError as exc:
                outcome = type(exc).__name__
                rendered = (str(exc), repr(exc))  # rendering an error never fails
            else:
                rendered = ("result", "result")
                outcome = "result"
                assert result is not None
            assert all(rendered)
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
            # Still usable: a sane answer now gives a result.
            self.server.reply = None
            self.server.good = VALID["structures-consulter"]
            after = await client.structures.consulter(COMMUNE)
            assert after.raw.status == 200

        # Anything but a FactPulseError propagates out of here and fails the example.
        self.loop.run_until_complete(asyncio.wait_for(go(), 30))


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    h = Harness()
    h.start()
    try:
        yield h
    finally:
        h.stop()
        print(f"\nhostile outcomes: {h.outcomes}")


# --- strategies -------------------------------------------------------------------------

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def mutated(draw: st.DrawFn, valid: Any) -> Any:
    """The valid body with keys removed and values of the wrong type, at any depth."""

    def walk(value: Any, depth: int) -> Any:
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                action = draw(st.sampled_from(["keep", "keep", "drop", "swap", "descend"]))
                if action == "drop":
                    continue
                if action == "swap":
                    out[key] = draw(JSON_VALUES)
                else:
                    out[key] = walk(item, depth + 1) if action == "descend" else item
            return out
        if isinstance(value, list) and value and depth < 4:
            return [walk(item, depth + 1) for item in value]
        return value

    return walk(valid, 0)


def encode(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


@st.composite
def bodies(draw: st.DrawFn, valid: Any) -> tuple[str | None, bytes]:
    kind = draw(
        st.sampled_from(
            [
                "random",
                "truncated",
                "mutated",
                "mutated",
                "toplevel",
                "html",
                "wrong-type",
                "huge",
                "empty",
                "valid",
                "business",
                "deep",
            ]
        )
    )
    json_type = draw(st.sampled_from(["application/json", "application/json; charset=utf-8"]))
    if kind == "random":
        return draw(st.sampled_from([json_type, "application/octet-stream", None])), draw(
            st.binary(max_size=300)
        )
    if kind == "truncated":
        full = encode(valid)
        return json_type, full[: draw(st.integers(0, max(0, len(full) - 1)))]
    if kind == "mutated":
        return json_type, encode(draw(mutated(valid)))
    if kind == "toplevel":
        value = draw(
            st.one_of(
                st.lists(JSON_VALUES, max_size=3),
                st.none(),
                st.integers(),
                st.floats(allow_nan=False),
                st.text(max_size=10),
                st.booleans(),
            )
        )
        return json_type, encode(value)
    if kind == "html":
        return "text/html", b"<html><body><h1>Maintenance</h1>\xc3\xa9</body></html>"
    if kind == "wrong-type":
        return draw(st.sampled_from(["text/plain", "text/html", "application/xml"])), encode(valid)
    if kind == "huge":
        size = draw(st.sampled_from([1, 3]))
        if draw(st.booleans()):
            return json_type, b'{"returnCode": 0, "message": "' + b"x" * (size << 20) + b'"}'
        return json_type, b"[" + b"1," * (size << 19) + b"1]"
    if kind == "empty":
        return draw(st.sampled_from([json_type, None])), b""
    if kind == "business":
        code = draw(st.one_of(st.integers(-5, 99999), st.text(max_size=5), JSON_SCALARS))
        key = draw(st.sampled_from(["returnCode", "codeRetour"]))
        text = draw(st.one_of(st.text(max_size=20), JSON_SCALARS))
        return json_type, encode({key: code, "message": text, "libelle": text})
    if kind == "deep":
        depth = draw(st.sampled_from([50, 5000]))
        return json_type, b"[" * depth + b"]" * depth
    return json_type, encode(valid)


_STATUS_CODES = (200, 200, 200, 200, 201, 204, 301, 302, 400, 401, 403, 404, 409, 418, 422)
STATUSES = st.sampled_from([*_STATUS_CODES, 429, 500, 502, 503, 504, 599])
RETRY_AFTER = st.sampled_from(
    ["1", "0.01", "-5", "abc", "Wed, 21 Oct 2015 07:28:00 GMT", "1e309", "nan", "99999999999"]
)


@st.composite
def replies(draw: st.DrawFn, name: str) -> tuple[int, str | None, bytes, dict[str, str]]:
    status = draw(STATUSES)
    content_type, body = draw(bodies(VALID[name]))
    if status == 204:
        body = b""
    headers: dict[str, str] = {}
    if status in (429, 503) and draw(st.booleans()):
        headers["Retry-After"] = draw(RETRY_AFTER)
    if status in (301, 302) and draw(st.booleans()):
        headers["Location"] = draw(st.sampled_from(["/elsewhere", "https://evil.example/x", "::"]))
    if body and draw(st.integers(0, 9)) == 0:  # a body that does not decompress
        headers["Content-Encoding"] = draw(st.sampled_from(["gzip", "deflate", "br", "zstd"]))
    if draw(st.booleans()):
        headers["X-Request-ID"] = draw(st.sampled_from(["req-1", "é" * 3, "x" * 500]))
    return status, content_type, body, headers


HOSTILE = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


@pytest.mark.parametrize("name", list(CALLS))
def test_any_response_gives_a_result_or_a_factpulse_error(harness: Harness, name: str) -> None:
    @HOSTILE
    @given(reply=replies(name))
    def check(reply: tuple[int, str | None, bytes, dict[str, str]]) -> None:
        harness.run(name, reply)

    check()


def test_the_examples_themselves_are_results(harness: Harness) -> None:
    """Sanity: each endpoint's valid example body gives a result (so the above means something)."""
    for name in CALLS:
        harness.server.reply = None
        harness.server.good = VALID[name]

        async def call(name: str = name) -> Any:
            assert harness.client is not None
            return await CALLS[name](harness.client)

        result = harness.loop.run_until_complete(call())
        assert result is not None, name


def test_hostile_login_response_is_a_factpulse_error() -> None:
    """The login answer is hostile too: still a FactPulseError, and the password never shows."""
    rng = random.Random(5)
    password = "hostile-Pa55word-zz"
    bodies_to_try: list[tuple[int, bytes]] = [
        (200, b""),
        (200, b"null"),
        (200, b"[1, 2]"),
        (200, b'{"access": 5}'),
        (200, b'{"access": ""}'),
        (200, b'{"refresh": "x"}'),
        (200, b"<html>login</html>"),
        (200, bytes(rng.randrange(256) for _ in range(64))),
        (500, b'{"detail": {"errorMessage": 3}}'),
        (401, json.dumps({"detail": f"bad password {password}"}).encode()),
        (403, b"\xff\xfe"),
    ]

    async def scenario() -> None:
        server = Hostile()
        async with (
            serve(catch_all(server.handle)) as url,
            AsyncChorusClient(
                base_url=url,
                email="someone@example.com",
                password=password,
                max_retries=0,
                retry_policy=FAST,
                timeout=5.0,
            ) as client,
        ):
            for status, body in bodies_to_try:
                server.reply = (status, "application/json", body, {})
                with pytest.raises(FactPulseError) as info:
                    await client.structures.consulter(COMMUNE)
                assert password not in str(info.value)
                assert password not in repr(info.value.args)

    asyncio.run(scenario())


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
def test_undecodable_content_encoding_is_not_retried(encoding: str) -> None:
    """A body whose Content-Encoding cannot be undone fails the same way every time: it is
    not retried, a read says so plainly, and a write is still never resent."""
    hits: list[str] = []

    async def handle(request: web.Request) -> web.StreamResponse:
        await request.read()
        hits.append(request.path)
        return web.Response(
            body=b'{"not": "compressed"}',
            content_type="application/json",
            headers={"Content-Encoding": encoding},
        )

    async def scenario() -> None:
        async with (
            serve(catch_all(handle)) as url,
            AsyncChorusClient(
                base_url=url,
                api_key="k",
                max_retries=3,
                retry_policy=FAST,
                timeout=5.0,
            ) as client,
        ):
            with pytest.raises(FactPulseError) as read_error:
                await client.structures.consulter(COMMUNE)
            assert len(hits) == 1
            assert "decompress" in str(read_error.value)
            if encoding == "gzip":  # found while reading the body, after the status
                assert isinstance(read_error.value, ResponseDecodeError)
                assert read_error.value.status_code == 200
                assert read_error.value.content_type.startswith("application/json")
            with pytest.raises(OutcomeUnknownError):
                await CALLS["factures-soumettre"](client)
            assert len(hits) == 2

    asyncio.run(scenario())
