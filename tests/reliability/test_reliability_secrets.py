"""Secrets never leak: not in DEBUG logs, reprs, results, exception messages, args or bodies.

Every endpoint runs with distinctive secrets (password, zero-trust credentials, a ready
token, an API key) while errors of every class are forced: a refused login, 422, 429/503,
business errors, undecodable bodies, a closed port, timeouts, OutcomeUnknownError, and a
hostile server that echoes what it was sent into its error bodies.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import payloads
import pytest
from aiohttp import web
from fake_server import catch_all, closed_port, serve

from factpulse_chorus import AsyncChorusClient
from factpulse_chorus._config import RetryPolicy
from factpulse_chorus._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ChorusProBusinessError,
    FactPulseError,
    OutcomeUnknownError,
    RateLimitError,
    ResponseDecodeError,
    ServerError,
    UnprocessableEntityError,
)
from factpulse_chorus._types import RequestInfo, Timeout
from factpulse_chorus.models.common import ChorusProCredentials, RawResponse
from factpulse_chorus.sandbox import Account, Fault, Sandbox

PASSWORD = "Pw-7f3a9c-SECRET-password"
WRONG_PASSWORD = "Pw-wrong-5d21e-SECRET"
PISTE_SECRET = "PisteSecret-8b0e44-SECRET"
CHORUS_PASSWORD = "ChorusPw-61c2d9-SECRET"
API_KEY = "ApiKey-c0ffee-SECRET-key"
FILE_CONTENT = b"%PDF-1.4 distinctive file content 0123456789 SECRETFILE"
FILE_B64 = base64.b64encode(FILE_CONTENT).decode("ascii")
FAST = RetryPolicy(base_delay=0.001, max_delay=0.005, max_retry_after=0.05)
COMMUNE = 25827464
COMMUNE_SIRET = "21999012400014"
VALIDATOR = 31207718
CREDENTIALS = ChorusProCredentials(
    piste_client_id="piste-client-id-public",
    piste_client_secret=PISTE_SECRET,
    chorus_pro_login="omni",
    chorus_pro_password=CHORUS_PASSWORD,
)

Call = Callable[[AsyncChorusClient], Awaitable[Any]]


class Evidence:
    """Everything a user could see or print; checked for the secrets at the end."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.errors: dict[str, int] = {}

    def add(self, *items: Any) -> None:
        for item in items:
            self.texts.append(item if isinstance(item, str) else repr(item))

    def error(self, exc: BaseException) -> None:
        assert isinstance(exc, FactPulseError), repr(exc)
        self.errors[type(exc).__name__] = self.errors.get(type(exc).__name__, 0) + 1
        self.add(str(exc), repr(exc), exc.args, vars(exc))
        cause = exc.__cause__
        if cause is not None and not isinstance(cause, FactPulseError):
            # An error reporter prints the chained aiohttp error too, repr and all.
            self.add(str(cause), repr(cause), cause.args)

    def check(
        self,
        secrets: list[str],
        caplog: pytest.LogCaptureFixture,
        log_only: tuple[str, ...] = (),
    ) -> int:
        """Assert no secret is in the evidence nor in the logs (``log_only``: in the logs)."""
        logs: list[str] = []
        for record in caplog.records:
            logs += [record.getMessage(), repr(record.args), record.exc_text or ""]
            if record.exc_info and record.exc_info[1] is not None:
                logs.append(str(record.exc_info[1]))
        text = "\n".join(self.texts + logs)
        for secret in secrets:
            assert secret not in text, f"secret {secret[:6]}... leaked"
        log_text = "\n".join(logs)
        for secret in log_only:
            assert secret not in log_text, f"{secret[:6]}... logged"
        return len(self.texts) + len(logs)


def everything(invoice: int, suspended: int, recycle: int, validate: int) -> dict[str, Call]:
    """The 16 endpoints, with arguments the sandbox accepts."""
    return {
        "structures.rechercher": lambda c: c.structures.rechercher(company_name="EXEMPLE"),
        "structures.consulter": lambda c: c.structures.consulter(COMMUNE),
        "structures.lister_services": lambda c: c.structures.lister_services(COMMUNE),
        "structures.obtenir_id_depuis_siret": lambda c: c.structures.obtenir_id_depuis_siret(
            COMMUNE_SIRET
        ),
        "factures.soumettre": lambda c: c.factures.soumettre(
            **payloads.invoice(f"SECRET-TEST-{id(c)}-{datetime.datetime.now().timestamp()}")
        ),
        "factures.consulter": lambda c: c.factures.consulter(invoice),
        "factures.rechercher_fournisseur": lambda c: c.factures.rechercher_fournisseur(),
        "factures.rechercher_destinataire": lambda c: c.factures.rechercher_destinataire(
            recipient_structure_id=COMMUNE
        ),
        "factures.telecharger_groupe": lambda c: c.factures.telecharger_groupe([invoice]),
        "factures.traiter_facture_recue": lambda c: c.factures.traiter_facture_recue(
            invoice, new_status="SUSPENDUE", reason="missing order"
        ),
        "factures.completer": lambda c: c.factures.completer(suspended, comment="done"),
        "factures.recycler": lambda c: c.factures.recycler(recycle, service_code="FIN-001"),
        "transverses.ajouter_fichier": lambda c: c.transverses.ajouter_fichier(
            FILE_CONTENT, name="facture.pdf"
        ),
        "valideur.rechercher": lambda c: c.valideur.rechercher(validator_structure_id=VALIDATOR),
        "valideur.consulter": lambda c: c.valideur.consulter(validate),
        "valideur.traiter": lambda c: c.valideur.traiter(validate, "VALIDATION"),
    }


def calls_for(sb: Sandbox) -> dict[str, Call]:
    seed = sb.domain.seed_invoice
    return everything(
        seed(status="MISE_A_DISPOSITION"),
        seed(status="SUSPENDUE"),
        seed(status="A_RECYCLER"),
        seed(status="A_VALIDER_1"),
    )


async def run(evidence: Evidence, client: AsyncChorusClient, call: Call) -> None:
    try:
        result = await call(client)
    except FactPulseError as exc:
        evidence.error(exc)
    else:
        # A 2xx body is the caller's data, handed over as is in ``raw.json`` (never logged,
        # never scrubbed); what the SDK prints of it must be clean.
        evidence.add(result, str(result), getattr(result, "raw", None))


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    accounts = [Account("demo", PASSWORD)]
    async with Sandbox(seed=5, strict=True, accounts=accounts, api_keys={API_KEY: "demo"}) as sb:
        yield sb


async def call_everything(url: str, evidence: Evidence, token: str) -> None:
    """The 16 endpoints (made-up ids) with zero-trust credentials, on an API key then on
    ``token``, everything seen going into ``evidence``."""
    for auth in ({"api_key": API_KEY}, {"token": token}):
        async with make_client(url, evidence, credentials=CREDENTIALS, **auth) as client:
            for call in everything(1, 2, 3, 4).values():
                await run(evidence, client, call)


def make_client(url: str, evidence: Evidence, **options: Any) -> AsyncChorusClient:
    def on_request(info: RequestInfo) -> None:
        evidence.add(info)

    def on_response(raw: RawResponse) -> None:
        evidence.add(raw, dict(raw.headers))
        if not 200 <= raw.status < 300:  # error bodies are redacted and scrubbed
            evidence.add(raw.json)

    options.setdefault("max_retries", 1)
    options.setdefault("timeout", 10.0)  # bounded, whatever happens
    client = AsyncChorusClient(
        base_url=url,
        retry_policy=FAST,
        on_request=on_request,
        on_response=on_response,
        **options,
    )
    evidence.add(client)
    return client


async def test_no_secret_anywhere_across_all_endpoints_and_error_classes(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="factpulse_chorus")
    evidence = Evidence()
    ready_token = sandbox.issue_token()
    secrets = [PASSWORD, WRONG_PASSWORD, PISTE_SECRET, CHORUS_PASSWORD, API_KEY, ready_token]
    secrets.append(FILE_B64)
    evidence.add(CREDENTIALS, str(CREDENTIALS))
    url = sandbox.url

    # 1. Every endpoint, in every auth mode, with zero-trust credentials (client default
    # for the password client, per call for the others).
    clients = [
        make_client(url, evidence, email="demo", password=PASSWORD, credentials=CREDENTIALS),
        make_client(url, evidence, token=ready_token),
        make_client(url, evidence, api_key=API_KEY),
    ]
    for client in clients:
        async with client:
            for call in calls_for(sandbox).values():
                await run(evidence, client, call)
            evidence.add(client)
            if client._shared.tokens is not None and client._shared.tokens._token:
                secrets.append(client._shared.tokens._token)  # the token from the login
    with_credentials = calls_for(sandbox)

    # 2. Errors of every class, each endpoint at least once with credentials in the body.
    async with make_client(url, evidence, email="demo", password=WRONG_PASSWORD) as client:
        for call in with_credentials.values():
            await run(evidence, client, call)  # AuthenticationError (login refused)

    async with make_client(
        url, evidence, email="demo", password=PASSWORD, credentials=CREDENTIALS
    ) as client:
        # 422 from the strict sandbox: an unknown key in the body.
        invoice = sandbox.domain.seed_invoice(status="MISE_A_DISPOSITION")
        await run(
            evidence,
            client,
            lambda c: c.factures.traiter_facture_recue(
                invoice, new_status="SUSPENDUE", reason="x", extra={"unknownKey": 1}
            ),
        )
        # Business errors.
        await run(evidence, client, lambda c: c.factures.consulter(999_999_999))
        await run(evidence, client, lambda c: c.factures.completer(invoice, comment="x"))
        # 429 and 503 past the retry budget, then decode errors, on every endpoint.
        for fault in (
            Fault("status", status=429, retry_after=0.001),
            Fault("status", status=503),
            Fault("status", status=503, html=True),
            Fault("malformed_json"),
            Fault("truncated_json"),
            Fault("html"),
            Fault("drop_after"),
            Fault("reset"),
        ):
            sandbox.clear_faults()
            sandbox.add_fault(fault)
            for call in calls_for(sandbox).values():
                await run(evidence, client, call)
        sandbox.clear_faults()
        # Timeouts: a read (APITimeoutError) and a write (OutcomeUnknownError).
        sandbox.add_fault(Fault("latency", delay=0.3, count=4))
        slow = client.with_options(timeout=Timeout(connect=1.0, read=0.05, total=2.0))
        await run(evidence, slow, lambda c: c.structures.consulter(COMMUNE))
        await run(evidence, slow, with_credentials["transverses.ajouter_fichier"])
        sandbox.clear_faults()
        assert client._shared.tokens is not None
        assert client._shared.tokens._token is not None
        secrets.append(client._shared.tokens._token)

    # A closed port: connection errors.
    async with make_client(
        f"http://127.0.0.1:{closed_port()}", evidence, api_key=API_KEY, credentials=CREDENTIALS
    ) as client:
        await run(evidence, client, with_credentials["factures.soumettre"])
        await run(evidence, client, with_credentials["structures.consulter"])

    count = evidence.check(secrets, caplog)
    kinds = set(evidence.errors)
    for cls in (
        AuthenticationError,
        UnprocessableEntityError,
        ChorusProBusinessError,
        RateLimitError,
        ServerError,
        ResponseDecodeError,
        OutcomeUnknownError,
        APITimeoutError,
        APIConnectionError,
    ):
        assert cls.__name__ in kinds, cls.__name__
    assert count > 500
    assert any(r.levelno == logging.DEBUG for r in caplog.records)


# --- a hostile server that echoes what it received --------------------------------------


class Echo:
    def __init__(self) -> None:
        self.mode = "422"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        text = raw.decode("utf-8", "replace")
        headers = "; ".join(f"{k}: {v}" for k, v in request.headers.items())
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        credentials = body.get("credentials") if isinstance(body, dict) else None
        if self.mode == "422":
            detail = [{"type": "extra_forbidden", "loc": ["body"], "msg": "bad", "input": body}]
            if isinstance(credentials, dict):
                detail += [
                    {"type": "string_too_long", "loc": ["body", "credentials", key], "input": v}
                    for key, v in credentials.items()
                ]
            return web.json_response({"detail": detail}, status=422)
        if self.mode == "400-text":
            return web.json_response({"errorMessage": f"bad request: {text} {headers}"}, status=400)
        if self.mode == "500-plain":
            return web.Response(text=f"crash while handling {text} {headers}", status=500)
        if self.mode == "401":
            return web.json_response({"detail": f"invalid {headers} {text}"}, status=401)
        if self.mode == "200-not-json":
            return web.Response(text=f"{text} {headers}", content_type="text/plain")
        if self.mode == "200-business":
            return web.json_response({"codeRetour": 12, "libelle": f"refused {text} {headers}"})
        return web.json_response({"unexpected": text, "headers": headers})


@pytest.mark.parametrize(
    "mode", ["422", "400-text", "500-plain", "401", "200-not-json", "200-business", "200-odd"]
)
async def test_server_echoing_the_request_never_leaks_a_secret(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="factpulse_chorus")
    echo = Echo()
    echo.mode = mode
    evidence = Evidence()
    async with serve(catch_all(echo.handle)) as url:
        await call_everything(url, evidence, "ReadyToken-77aa-SECRET")
    secrets = [PISTE_SECRET, CHORUS_PASSWORD, API_KEY, "ReadyToken-77aa-SECRET"]
    # The file is the caller's own data: echoed back into an error body it may show there,
    # but it is never logged.
    evidence.check(secrets, caplog, log_only=(FILE_B64,))
    assert sum(evidence.errors.values()) > 0
    if mode != "200-odd":
        assert all(issubclass_name(name) for name in evidence.errors), evidence.errors


def issubclass_name(name: str) -> bool:
    return name in {
        "RequestValidationError",  # refused before sending (the made-up ids)
        "UnprocessableEntityError",
        "BadRequestError",
        "ServerError",
        "AuthenticationError",
        "ResponseDecodeError",
        "ChorusProBusinessError",
        "StructureNotFoundError",
        "APIStatusError",
        "OutcomeUnknownError",  # a write answered 500/502/504: maybe processed
    }


def test_reprs_hide_secrets() -> None:
    client = AsyncChorusClient(
        base_url="http://127.0.0.1:9", email="a@b.fr", password=PASSWORD, credentials=CREDENTIALS
    )
    texts = [repr(client), str(client), repr(CREDENTIALS), str(CREDENTIALS)]
    texts += [repr(client._transport.config), repr(client._transport.config.auth)]
    for secret in (PASSWORD, PISTE_SECRET, CHORUS_PASSWORD):
        assert all(secret not in t for t in texts)
    assert APIStatusError  # the tree is imported for the checks above


async def test_malformed_http_response_errors_do_not_carry_the_auth_headers() -> None:
    """aiohttp's ClientResponseError keeps the request headers; the chained one is masked."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n{}")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    evidence = Evidence()
    token = "ReadyToken-99bb-SECRET"
    try:
        await call_everything(f"http://127.0.0.1:{port}", evidence, token)
    finally:
        server.close()
        await server.wait_closed()
    assert {"APIConnectionError", "OutcomeUnknownError"} <= set(evidence.errors)
    text = "\n".join(evidence.texts)
    assert "'X-API-Key': '***'" in text  # the cause is there, masked
    for secret in (API_KEY, token, PISTE_SECRET, CHORUS_PASSWORD):
        assert secret not in text


async def test_credential_identifiers_echoed_by_the_server_are_masked() -> None:
    from aiohttp import web

    from factpulse_chorus import AsyncChorusClient, ChorusProCredentials, FactPulseError

    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"errorMessage": await request.text()}, status=400)

    app = web.Application()
    app.router.add_post("/api/v1/chorus-pro/factures/consulter", echo)
    credentials = ChorusProCredentials(
        piste_client_id="PISTE-ID-7f3a",
        piste_client_secret="PISTE-SECRET-9c1d",
        chorus_pro_login="TECH_LOGIN_55e0",
        chorus_pro_password="CPRO-PASSWORD-2b8f",
    )
    async with (
        serve(app) as url,
        AsyncChorusClient(base_url=url, token="tok-ABCD", credentials=credentials) as client,
    ):
        with pytest.raises(FactPulseError) as info:
            await client.factures.consulter(1234567)
    text = f"{info.value} {info.value!r} {info.value.args} {vars(info.value)}"
    for value in (
        "PISTE-ID-7f3a",
        "PISTE-SECRET-9c1d",
        "TECH_LOGIN_55e0",
        "CPRO-PASSWORD-2b8f",
    ):
        assert value not in text
    assert "1234567" in text  # the rest of the message is kept
