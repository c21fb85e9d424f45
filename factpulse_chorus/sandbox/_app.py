"""The sandbox's HTTP layer: aiohttp.web routes, auth, 422 validation, faults, runners.

Request path for one Chorus Pro call (kept lean: no middleware, one route lookup)::

    fault pick -> [latency] -> [pre-processing fault: status/html/reset, not processed]
    -> read + json.loads (422 json_invalid) -> auth (401) -> validation (422)
    -> strip credentials -> Domain call -> JSON reply
    -> [post-processing fault: drop_after/truncated_json/malformed_json/slow_body]

A fault picked for a request always applies to it (also to a 401/422 reply).

The Domain never sees HTTP, tokens or ``credentials``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hmac
import itertools
import json
import logging
import math
import secrets
import socket
import struct
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

from aiohttp import web

from . import _jwt
from ._domain import Domain, SimClock
from ._faults import API_ROUTES, PRE_PROCESSING_KINDS, Fault, FaultInjector
from ._schema import MISSING as _MISSING_BODY
from ._schema import (
    TOKEN_REQUEST,
    TYPED_MODELS,
    UNTYPED_MODELS,
    Model,
    credentials_login,
    parse_json,
    parse_path_int,
    typed_payload,
    validate_body,
)

__all__ = ["Account", "Sandbox", "ThreadedSandbox", "sandbox_in_thread"]

logger = logging.getLogger("factpulse_chorus.sandbox")

API_PREFIX: Final = "/api/v1/chorus-pro/"
TOKEN_PATH: Final = "/api/token/"
REFRESH_LIFETIME: Final = 7 * 24 * 3600.0
MAX_BODY: Final = 64 * 1024 * 1024  # base64 of a 10 MB attachment is ~13.3 MB

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
DomainCall = Callable[[str, dict[str, Any]], dict[str, Any]]

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass(frozen=True)
class Account:
    """A FactPulse account of the sandbox.

    ``client_uids=None`` accepts any (or no) ``client_uid`` at login; ``chorus_login`` is
    the stored Chorus Pro login used when a request carries no zero-trust credentials.
    """

    username: str
    password: str
    client_uids: frozenset[str] | Sequence[str] | None = None
    chorus_login: str = "omni"

    def __repr__(self) -> str:
        # Never show the password.
        return f"Account(username={self.username!r}, chorus_login={self.chorus_login!r})"


DEMO_ACCOUNT: Final = Account("demo", "demo")


# --- Responses -------------------------------------------------------------------------------


def _json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=_dumps(data).encode("utf-8"),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def _api_error(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    return _json_response({"errorCode": code, "errorMessage": message}, status, headers)


class _Reply(Exception):
    """A JSON reply (status, body, stats outcome); raised to short-cut 401/422."""

    def __init__(
        self,
        status: int,
        data: Any,
        outcome: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status)
        self.status = status
        self.data = data
        self.outcome = outcome
        self.headers = headers


def _unauthorized(code: str, message: str) -> _Reply:
    return _Reply(
        401, {"errorCode": code, "errorMessage": message}, "401", {"WWW-Authenticate": "Bearer"}
    )


def _validation_error(errors: list[dict[str, Any]]) -> web.Response:
    return _json_response({"detail": errors}, 422)


_STATUS_ERRORS: Final = {
    429: ("RATE_LIMITED", "Too many requests, retry later"),
    500: ("INTERNAL_ERROR", "Internal server error"),
    502: ("BAD_GATEWAY", "Chorus Pro gateway error"),
    503: ("SERVICE_UNAVAILABLE", "Chorus Pro is temporarily unavailable"),
    504: ("GATEWAY_TIMEOUT", "Chorus Pro did not answer in time"),
}

_HTML_PAGE: Final = (
    "<!DOCTYPE html>\n<html><head><title>{title}</title></head>"
    "<body><h1>{title}</h1><p>{text}</p><hr><address>nginx</address></body></html>\n"
)


def _format_seconds(seconds: float) -> str:
    # Retry-After is delta-seconds; keep fractions for fast tests (clients may round up).
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


def _status_fault(fault: Fault) -> web.Response:
    status = fault.status
    headers = {"Retry-After": _format_seconds(fault.retry_after)} if status == 429 else {}
    code, message = _STATUS_ERRORS[status]
    if fault.html:
        title = f"{status} {code.replace('_', ' ').title()}"
        return web.Response(
            text=_HTML_PAGE.format(title=title, text=message),
            status=status,
            content_type="text/html",
            headers=headers,
        )
    return _api_error(status, code, message, headers)


def _html_fault() -> web.Response:
    page = _HTML_PAGE.format(title="Maintenance", text="FactPulse is under maintenance.")
    return web.Response(text=page, status=200, content_type="text/html")


def _hang_up(request: web.Request, *, reset: bool) -> web.Response:
    """Close the connection without a response.

    ``reset``: SO_LINGER 0 makes the kernel send a TCP RST, so aiohttp clients raise
    ``ClientOSError`` (ECONNRESET) whatever was buffered. Otherwise a plain close (FIN) after
    the body was read: aiohttp clients raise ``ServerDisconnectedError``. The response
    returned here is never written: aiohttp sees the closed transport and drops it quietly.
    """
    transport = request.transport
    if transport is not None:
        if reset:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return web.Response(status=500)


async def _post_fault(
    request: web.Request, fault: Fault, data: Any, status: int = 200
) -> web.StreamResponse:
    """Deliver an already processed reply through a post-processing fault."""
    kind = fault.kind
    if kind == "drop_after":
        return _hang_up(request, reset=False)
    body = _dumps(data).encode("utf-8")
    if kind == "truncated_json":
        return web.Response(
            body=body[: max(1, len(body) // 2)], status=status, content_type="application/json"
        )
    if kind == "malformed_json":
        # A classic server bug: the Python repr of the dict instead of JSON.
        text = repr(data)
        if text == _dumps(data):
            text += ","
        return web.Response(text=text, status=status, content_type="application/json")
    # slow_body
    response = web.StreamResponse(status=status, headers={"Content-Type": "application/json"})
    response.content_length = len(body)
    step = max(1, math.ceil(len(body) / fault.chunks))
    try:
        await response.prepare(request)
        for start in range(0, len(body), step):
            if start:
                await asyncio.sleep(fault.delay)
            await response.write(body[start : start + step])
        await response.write_eof()
    except ConnectionError:
        pass  # the client went away mid-body; nothing more to do
    return response


async def _read(request: web.Request) -> bytes | None:
    """The request body, or ``None`` when the client went away (e.g. its timeout fired)."""
    try:
        return await request.read()
    except ConnectionError:
        return None


def _gone() -> web.Response:
    # What a handler returns once the client is gone: aiohttp finds the transport closed
    # and drops it quietly (raising instead would log "Error handling request").
    return web.Response(status=499)


# --- Server state and handlers ---------------------------------------------------------------


_SECRET_KEYS = ("pisteClientSecret", "chorusProPassword")


def _masked(body: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of ``body`` whose zero-trust secrets are replaced by ``"***"``."""
    copy: dict[str, Any] = json.loads(json.dumps(body))
    credentials = copy.get("credentials")
    if isinstance(credentials, dict):
        for key in _SECRET_KEYS:
            if key in credentials:
                credentials[key] = "***"
    return copy


def _is_business_error(route: str, data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    if data.get("returnCode") or data.get("codeRetour"):
        return True
    return route == "structures/obtenir-id-depuis-siret" and data.get("structureId") == 0


class _State:
    """Everything the handlers share. Lives on the server's event loop."""

    def __init__(
        self,
        *,
        domain: Domain,
        clock: SimClock,
        accounts: Iterable[Account],
        api_keys: Mapping[str, str],
        faults: Iterable[Fault],
        seed: int,
        strict: bool,
        token_lifetime: float,
        record_requests: bool = False,
    ) -> None:
        self.domain = domain
        # Opt-in journal of accepted request bodies, for tests that assert what was sent.
        # Zero-trust secrets are masked before anything is kept.
        self.journal: collections.deque[dict[str, Any]] | None = (
            collections.deque(maxlen=10_000) if record_requests else None
        )
        self.clock = clock
        self.accounts = {a.username: a for a in accounts}
        self.api_keys = dict(api_keys)
        self.injector = FaultInjector(faults, seed=seed)
        self.strict = strict
        self.token_lifetime = float(token_lifetime)
        self.secret = secrets.token_bytes(32)
        self.requests: dict[str, dict[str, int]] = {name: {} for name in (*API_ROUTES, "token")}
        self.logins = 0
        self.login_failures = 0
        self.known_paths: frozenset[str] = frozenset()
        # Verified access tokens -> (account, exp): skips HMAC + JSON on the hot path.
        self._verified: dict[str, tuple[Account, float]] = {}
        # Request ids: a random per-sandbox prefix + a counter (uuid4 costs a syscall).
        self._request_prefix = secrets.token_hex(10)
        self._request_ids = itertools.count(1)
        for username in self.api_keys.values():
            if username not in self.accounts:
                raise ValueError(f"api_keys refers to unknown account {username!r}")

    # -- bookkeeping

    async def add_request_id(self, request: web.Request, response: web.StreamResponse) -> None:
        """``on_response_prepare`` hook: every response carries an ``X-Request-ID``."""
        response.headers["X-Request-ID"] = f"{self._request_prefix}{next(self._request_ids):012x}"

    def count(self, route: str, outcome: str) -> None:
        counts = self.requests[route]
        counts[outcome] = counts.get(outcome, 0) + 1

    def stats(self) -> dict[str, Any]:
        counters = self.domain.counters
        return {
            "requests": {route: dict(c) for route, c in self.requests.items() if c},
            "invoices_created": counters.get("invoices_created", 0),
            "attachments_created": counters.get("attachments_created", 0),
            "logins": self.logins,
            "login_failures": self.login_failures,
        }

    # -- auth

    def issue_tokens(self, account: Account, client_uid: str | None) -> dict[str, str]:
        now = time.time()

        def claims(token_type: str, lifetime: float) -> dict[str, Any]:
            # Whole lifetimes give the usual integer exp; fractional ones (fast expiry tests)
            # a float exp with millisecond precision (RFC 7519 NumericDate allows it).
            exp: float = (
                int(now) + int(lifetime) if lifetime.is_integer() else round(now + lifetime, 3)
            )
            return {
                "token_type": token_type,
                "exp": exp,
                "iat": int(now),
                "jti": uuid.uuid4().hex,
                "user": account.username,
                "client_uid": client_uid,
            }

        return {
            "access": _jwt.encode(claims("access", self.token_lifetime), self.secret),
            "refresh": _jwt.encode(claims("refresh", REFRESH_LIFETIME), self.secret),
        }

    def authenticate(self, request: web.Request) -> Account:
        """The calling account; raises the 401 :class:`_Reply` otherwise."""
        authorization = request.headers.get("Authorization")
        if authorization is not None:
            scheme, _, token = authorization.strip().partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not token:
                raise _unauthorized(
                    "AUTHENTICATION_REQUIRED", "Expected 'Authorization: Bearer <token>'"
                )
            cached = self._verified.get(token)
            if cached is not None:
                if time.time() < cached[1]:
                    return cached[0]
                del self._verified[token]
            try:
                claims = _jwt.decode(token, self.secret)
            except _jwt.JWTError as exc:
                raise _unauthorized(exc.code, exc.message) from None
            user = claims.get("user")
            account = self.accounts.get(user) if isinstance(user, str) else None
            if account is None:
                raise _unauthorized("INVALID_TOKEN", "Token user does not exist")
            if len(self._verified) >= 1024:
                self._verified.clear()  # bounded; rebuilt from the tokens in use
            self._verified[token] = (account, float(claims["exp"]))
            return account
        api_key = request.headers.get("X-API-Key")
        if api_key is not None and self.api_keys:
            username = self.api_keys.get(api_key)
            if username is None:
                raise _unauthorized("INVALID_API_KEY", "Invalid API key")
            return self.accounts[username]
        raise _unauthorized("AUTHENTICATION_REQUIRED", "Not authenticated")

    # -- handlers: every API request goes _before -> process -> _finish

    async def _before(
        self, request: web.Request, route: str
    ) -> tuple[Fault | None, web.StreamResponse | None]:
        """Pick the faults of this request; the response when one answers before processing."""
        latency, fault = self.injector.pick(route)
        if latency:
            self.count(route, "fault:latency")
            await asyncio.sleep(latency)
        if fault is not None and fault.kind in PRE_PROCESSING_KINDS:
            self.count(route, fault.outcome)
            if fault.kind == "reset":
                return fault, _hang_up(request, reset=True)
            return fault, _html_fault() if fault.kind == "html" else _status_fault(fault)
        return fault, None

    async def _finish(
        self, request: web.Request, route: str, fault: Fault | None, reply: _Reply
    ) -> web.StreamResponse:
        """Count the outcome and send ``reply``, through the post-processing fault if any."""
        if fault is not None:
            # A fault picked for a request applies to its response, whatever it is.
            self.count(route, fault.outcome)
            return await _post_fault(request, fault, reply.data, reply.status)
        self.count(route, reply.outcome)
        return _json_response(reply.data, reply.status, reply.headers)

    @staticmethod
    def _domain_reply(route: str, data: dict[str, Any]) -> _Reply:
        return _Reply(200, data, "business_error" if _is_business_error(route, data) else "ok")

    @staticmethod
    def _domain_error(route: str) -> _Reply:
        # A bug in the emulator, not an API behaviour: log it, answer like a crashed server.
        logger.exception("sandbox domain error on %s", route)
        return _Reply(500, {"errorCode": "INTERNAL_ERROR", "errorMessage": "Sandbox error"}, "500")

    def chorus_handler(self, route: str, call: DomainCall, model: Model, typed: bool) -> Handler:
        """The POST handler of one Chorus Pro endpoint."""
        strict = self.strict
        count = self.count

        def process(raw: bytes, request: web.Request) -> _Reply:
            body, errors = parse_json(raw)
            if errors:
                # FastAPI decodes the body before it runs the security dependency.
                raise _Reply(422, {"detail": errors}, "422")
            account = self.authenticate(request)
            errors = validate_body(body, model, typed=typed, strict=strict)
            if errors:
                raise _Reply(422, {"detail": errors}, "422")
            if self.journal is not None:
                self.journal.append({"route": route, "body": _masked(body)})
            credentials = body.pop("credentials", None)
            login = credentials_login(credentials) or account.chorus_login
            del credentials  # zero-trust: not kept past this point
            payload = typed_payload(body, model) if typed else body
            try:
                return self._domain_reply(route, call(login, payload))
            except Exception:
                return self._domain_error(route)

        async def handler(request: web.Request) -> web.StreamResponse:
            fault = None
            if self.injector:
                fault, early = await self._before(request, route)
                if early is not None:
                    return early
            raw = await _read(request)
            if raw is None:
                count(route, "client_disconnected")
                return _gone()
            try:
                reply = process(raw, request)
            except _Reply as error:
                reply = error
            if fault is None and reply.status == 200:  # the hot path
                self.count(route, reply.outcome)
                return _json_response(reply.data)
            return await self._finish(request, route, fault, reply)

        return handler

    async def services(self, request: web.Request) -> web.StreamResponse:
        """GET /structures/{id_structure_cpp}/services (stored credentials only)."""
        route = "structures/services"
        fault = None
        if self.injector:
            fault, early = await self._before(request, route)
            if early is not None:
                return early
        try:
            account = self.authenticate(request)
            structure_id, errors = parse_path_int(
                request.match_info["id_structure_cpp"], "id_structure_cpp"
            )
            if structure_id is None:
                raise _Reply(422, {"detail": errors}, "422")
            if self.journal is not None:
                self.journal.append({"route": route, "body": None, "id": structure_id})
            data = self.domain.structures_services(account.chorus_login, structure_id)
            reply = self._domain_reply(route, data)
        except _Reply as error:
            reply = error
        except Exception:
            reply = self._domain_error(route)
        return await self._finish(request, route, fault, reply)

    async def token(self, request: web.Request) -> web.StreamResponse:
        """POST /api/token/: username/password (+ client_uid) -> access and refresh JWTs."""
        route = "token"
        fault = None
        if self.injector:
            fault, early = await self._before(request, route)
            if early is not None:
                return early
        raw = await _read(request)
        if raw is None:
            self.count(route, "client_disconnected")
            return _gone()
        try:
            reply = _Reply(200, self._login(raw), "ok")
        except _Reply as error:
            reply = error
        return await self._finish(request, route, fault, reply)

    def _login(self, raw: bytes) -> dict[str, str]:
        body, errors = parse_json(raw)
        if not errors:
            errors = validate_body(body, TOKEN_REQUEST, typed=True, strict=self.strict)
        if errors:
            raise _Reply(422, {"detail": errors}, "422")
        account = self.accounts.get(body["username"])
        client_uid = body.get("client_uid")
        # compare_digest on both branches keeps the timing independent of the username.
        expected = account.password if account is not None else secrets.token_hex(8)
        password_ok = hmac.compare_digest(
            body["password"].encode("utf-8"), expected.encode("utf-8")
        )
        if account is None or not password_ok:
            self.login_failures += 1
            raise _unauthorized(
                "INVALID_CREDENTIALS", "No active account found with the given credentials"
            )
        if account.client_uids is not None and client_uid not in account.client_uids:
            self.login_failures += 1
            raise _unauthorized("INVALID_CLIENT_UID", "Unknown client_uid for this account")
        self.logins += 1
        return self.issue_tokens(account, client_uid)

    async def fallback(self, request: web.Request) -> web.StreamResponse:
        """Unknown path -> 404, known path with another method -> 405 (FastAPI bodies)."""
        if request.path in self.known_paths or (
            request.path.startswith(API_PREFIX + "structures/")
            and request.path.endswith("/services")
        ):
            return _json_response({"detail": "Method Not Allowed"}, 405)
        return _json_response({"detail": "Not Found"}, 404)

    # -- control routes (no auth, loopback only)

    async def control_stats(self, request: web.Request) -> web.StreamResponse:
        """GET /_sandbox/stats."""
        return _json_response(self.stats())

    async def control_faults_get(self, request: web.Request) -> web.StreamResponse:
        """GET /_sandbox/faults: the armed faults."""
        return _json_response({"faults": [f.to_dict() for f in self.injector.faults]})

    async def control_faults_put(self, request: web.Request) -> web.StreamResponse:
        """PUT /_sandbox/faults: replace the armed faults with a JSON list of fault objects."""
        body, errors = parse_json(await request.read())
        if errors:
            return _validation_error(errors)
        if not isinstance(body, list):
            return _json_response({"detail": "expected a JSON list of fault objects"}, 400)
        try:
            faults = [Fault.from_dict(item) for item in body]
        except (ValueError, TypeError) as exc:
            return _json_response({"detail": str(exc)}, 400)
        self.injector.replace(faults)
        return _json_response({"faults": [f.to_dict() for f in faults]})

    async def control_faults_delete(self, request: web.Request) -> web.StreamResponse:
        """DELETE /_sandbox/faults: disarm every fault."""
        self.injector.clear()
        return _json_response({"faults": []})

    async def control_clock_advance(self, request: web.Request) -> web.StreamResponse:
        """POST /_sandbox/clock/advance {"seconds": x}."""
        body, errors = parse_json(await request.read())
        seconds = body.get("seconds") if isinstance(body, dict) else None
        if errors or isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            return _json_response({"detail": 'expected {"seconds": <number>}'}, 400)
        self.clock.advance(float(seconds))
        return _json_response({"now": self.clock.now().isoformat()})

    async def control_seed_invoice(self, request: web.Request) -> web.StreamResponse:
        """POST /_sandbox/invoices: ``Domain.seed_invoice(**body)`` -> ``{"id": n}``."""
        body, errors = parse_json(await request.read())
        if errors:
            return _validation_error(errors)
        if body is None or body is _MISSING_BODY:
            body = {}
        if not isinstance(body, dict):
            return _json_response({"detail": "expected a JSON object"}, 400)
        try:
            invoice_id = self.domain.seed_invoice(**body)
        except (TypeError, ValueError, KeyError) as exc:
            return _json_response({"detail": f"cannot seed invoice: {exc}"}, 400)
        return _json_response({"id": invoice_id})

    async def control_invoice(self, request: web.Request) -> web.StreamResponse:
        """GET /_sandbox/invoices/{id}: the domain's snapshot of one invoice."""
        invoice_id, errors = parse_path_int(request.match_info["invoice_id"], "invoice_id")
        if invoice_id is None:
            return _validation_error(errors)
        snapshot = self.domain.invoice_snapshot(invoice_id)
        if snapshot is None:
            return _json_response({"detail": "Not Found"}, 404)
        return _json_response(snapshot)


_LOOPBACK_PREFIXES: Final = ("127.", "::1", "::ffff:127.")


def _control(handler: Handler) -> Handler:
    """Wrap a control-route handler: loopback callers only."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        remote = request.remote or ""
        if not remote.startswith(_LOOPBACK_PREFIXES):
            return _json_response({"detail": "control routes are loopback-only"}, 403)
        return await handler(request)

    return wrapped


_DOMAIN_METHODS: Final = {
    "structures/rechercher": "structures_rechercher",
    "structures/consulter": "structures_consulter",
    "structures/obtenir-id-depuis-siret": "structures_obtenir_id",
    "factures/soumettre": "factures_soumettre",
    "factures/consulter": "factures_consulter",
    "factures/rechercher-fournisseur": "factures_rechercher_fournisseur",
    "factures/rechercher-destinataire": "factures_rechercher_destinataire",
    "factures/telecharger-groupe": "factures_telecharger_groupe",
    "factures/traiter-facture-recue": "factures_traiter_facture_recue",
    "factures/completer": "factures_completer",
    "factures/recycler": "factures_recycler",
    "transverses/ajouter-fichier": "transverses_ajouter_fichier",
    "factures/valideur/rechercher": "valideur_rechercher",
    "factures/valideur/consulter": "valideur_consulter",
    "factures/valideur/traiter": "valideur_traiter",
}


def build_app(state: _State) -> web.Application:
    """The aiohttp application serving ``state``."""
    app = web.Application(client_max_size=MAX_BODY)
    app.on_response_prepare.append(state.add_request_id)
    router = app.router
    known = {TOKEN_PATH}
    router.add_post(TOKEN_PATH, state.token)
    for route, method_name in _DOMAIN_METHODS.items():
        typed = route in TYPED_MODELS
        model = TYPED_MODELS[route] if typed else UNTYPED_MODELS[route]
        call = cast(DomainCall, getattr(state.domain, method_name))
        path = API_PREFIX + route
        known.add(path)
        router.add_post(path, state.chorus_handler(route, call, model, typed))
    router.add_get(API_PREFIX + "structures/{id_structure_cpp}/services", state.services)
    control = {
        ("GET", "/_sandbox/stats"): state.control_stats,
        ("GET", "/_sandbox/faults"): state.control_faults_get,
        ("PUT", "/_sandbox/faults"): state.control_faults_put,
        ("DELETE", "/_sandbox/faults"): state.control_faults_delete,
        ("POST", "/_sandbox/clock/advance"): state.control_clock_advance,
        ("POST", "/_sandbox/invoices"): state.control_seed_invoice,
        ("GET", "/_sandbox/invoices/{invoice_id}"): state.control_invoice,
    }
    for (method, path), handler in control.items():
        router.add_route(method, path, _control(handler))
        known.add(path)
    state.known_paths = frozenset(known)
    router.add_route("*", "/{tail:.*}", state.fallback)
    return app


# --- Runners ---------------------------------------------------------------------------------


class Sandbox:
    """An in-memory FactPulse Chorus Pro API on a local port.

    ``async with Sandbox(seed=0) as sb:`` starts it (``await sb.start()`` /
    ``await sb.aclose()`` do the same by hand). ``sb.url`` has no trailing slash.
    Extra keyword arguments go to :class:`Domain`.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        strict: bool = False,
        token_lifetime: float = 1800.0,
        clock_speed: float = 1.0,
        accounts: Iterable[Account] | None = None,
        api_keys: Mapping[str, str] | None = None,
        faults: Iterable[Fault] = (),
        auto_process: bool = False,
        routing_delay: tuple[float, float] = (60.0, 600.0),
        host: str = "127.0.0.1",
        port: int = 0,
        record_requests: bool = False,
        **domain_options: Any,
    ) -> None:
        self.clock = SimClock(speed=clock_speed)
        self.domain = Domain(
            seed=seed,
            clock=self.clock,
            routing_delay=routing_delay,
            auto_process=auto_process,
            **domain_options,
        )
        self._state = _State(
            domain=self.domain,
            clock=self.clock,
            accounts=[DEMO_ACCOUNT] if accounts is None else list(accounts),
            api_keys=api_keys or {},
            faults=faults,
            seed=seed,
            strict=strict,
            token_lifetime=token_lifetime,
            record_requests=record_requests,
        )
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (only once started)."""
        if self._url is None:
            raise RuntimeError("the sandbox is not running")
        return self._url

    @property
    def strict(self) -> bool:
        """Whether unknown keys are rejected (422 ``extra_forbidden``)."""
        return self._state.strict

    @property
    def faults(self) -> list[Fault]:
        """The faults currently armed."""
        return self._state.injector.faults

    async def start(self) -> Sandbox:
        """Bind and serve. Returns ``self``."""
        if self._runner is not None:
            raise RuntimeError("the sandbox is already running")
        runner = web.AppRunner(build_app(self._state), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self._url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
        return self

    async def aclose(self) -> None:
        """Stop serving (idempotent)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Sandbox:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def stats(self) -> dict[str, Any]:
        """Snapshot: ``{"requests": {route: {outcome: n}}, "invoices_created": n, ...}``."""
        return self._state.stats()

    def add_fault(self, fault: Fault) -> None:
        """Arm ``fault`` now (after the faults already armed)."""
        self._state.injector.add(fault)

    def clear_faults(self) -> None:
        """Disarm every fault."""
        self._state.injector.clear()

    def received(self, route: str | None = None) -> list[dict[str, Any]]:
        """The request bodies accepted so far (``record_requests=True`` only), oldest first.

        Each entry is ``{"route": ..., "body": {...}}`` with zero-trust secrets masked;
        ``route`` filters on one endpoint, e.g. ``"factures/soumettre"``.
        """
        journal = self._state.journal
        if journal is None:
            raise RuntimeError("start the sandbox with record_requests=True to keep bodies")
        return [dict(e) for e in journal if route is None or e["route"] == route]

    def invoice_count(self) -> int:
        """Number of invoices in the domain."""
        return self.domain.invoice_count()

    def issue_token(self, username: str = "demo", client_uid: str | None = None) -> str:
        """An access token for ``username`` without an HTTP round trip (for tests)."""
        return self._state.issue_tokens(self._state.accounts[username], client_uid)["access"]


class _LoopProxy:
    """Runs every method call and attribute access of ``target`` on the sandbox loop."""

    def __init__(self, target: object, call: Callable[..., Any]) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_call", call)

    def __getattr__(self, name: str) -> Any:
        value = self._call(getattr, self._target, name)
        if callable(value):
            call = self._call

            def method(*args: Any, **kwargs: Any) -> Any:
                return call(value, *args, **kwargs)

            return method
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        self._call(setattr, self._target, name, value)

    def __repr__(self) -> str:
        return f"<loop proxy of {self._target!r}>"


class ThreadedSandbox:
    """Handle on a :class:`Sandbox` serving on its own event loop in a daemon thread.

    Same API as :class:`Sandbox`; every call runs on the sandbox loop, so it is safe from
    any thread. ``domain`` and ``clock`` are proxies doing the same.
    """

    def __init__(self, sandbox: Sandbox, loop: asyncio.AbstractEventLoop) -> None:
        self._sandbox = sandbox
        self._loop = loop
        self.url: str = sandbox.url
        self.domain = cast(Domain, _LoopProxy(sandbox.domain, self._call))
        self.clock = cast(SimClock, _LoopProxy(sandbox.clock, self._call))

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._loop.is_running():
            raise RuntimeError("the sandbox thread is not running")

        async def run() -> Any:
            return fn(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=30)

    @property
    def strict(self) -> bool:
        """Whether unknown keys are rejected."""
        return self._sandbox.strict

    @property
    def faults(self) -> list[Fault]:
        """The faults currently armed."""
        return cast(list[Fault], self._call(lambda: self._sandbox.faults))

    def stats(self) -> dict[str, Any]:
        """See :meth:`Sandbox.stats`."""
        return cast(dict[str, Any], self._call(self._sandbox.stats))

    def add_fault(self, fault: Fault) -> None:
        """See :meth:`Sandbox.add_fault`."""
        self._call(self._sandbox.add_fault, fault)

    def clear_faults(self) -> None:
        """See :meth:`Sandbox.clear_faults`."""
        self._call(self._sandbox.clear_faults)

    def received(self, route: str | None = None) -> list[dict[str, Any]]:
        """See :meth:`Sandbox.received`."""
        return cast(list[dict[str, Any]], self._call(self._sandbox.received, route))

    def invoice_count(self) -> int:
        """See :meth:`Sandbox.invoice_count`."""
        return cast(int, self._call(self._sandbox.invoice_count))

    def issue_token(self, username: str = "demo", client_uid: str | None = None) -> str:
        """See :meth:`Sandbox.issue_token`."""
        return cast(str, self._call(self._sandbox.issue_token, username, client_uid))


@contextlib.contextmanager
def sandbox_in_thread(**kwargs: Any) -> Iterator[ThreadedSandbox]:
    """Run ``Sandbox(**kwargs)`` on a fresh event loop in a daemon thread.

    Usable from sync code and from tests running their own event loop. The server stops,
    and the thread ends, when the ``with`` block exits.
    """
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="chorus-sandbox", daemon=True)
    thread.start()

    async def start() -> Sandbox:
        # Built on the sandbox loop: nothing of it is ever touched by the caller's loop.
        return await Sandbox(**kwargs).start()

    try:
        sandbox = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
        try:
            yield ThreadedSandbox(sandbox, loop)
        finally:
            asyncio.run_coroutine_threadsafe(sandbox.aclose(), loop).result(timeout=30)
    finally:
        _stop_loop(loop, thread)


def _stop_loop(loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
    async def drain() -> None:
        # Let handlers cancelled by the shutdown finish before the loop stops.
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await loop.shutdown_asyncgens()
        await loop.shutdown_default_executor()

    with contextlib.suppress(Exception):
        asyncio.run_coroutine_threadsafe(drain(), loop).result(timeout=10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    if not thread.is_alive():
        loop.close()
