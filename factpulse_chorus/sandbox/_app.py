"""The sandbox's HTTP layer: aiohttp.web routes, authentication, 422 validation, faults.

Request path for one Chorus Pro call (kept lean: no middleware, one route lookup)::

    fault pick -> [latency] -> [pre-processing fault: status/html/reset, not processed]
    -> read + json.loads (422 json_invalid) -> auth (401) -> validation (422)
    -> strip credentials -> Domain call -> JSON reply
    -> [post-processing fault: drop_after/truncated_json/malformed_json/slow_body]

A fault picked for a request always applies to it (also to a 401/422 reply).

The Domain never sees HTTP, tokens or ``credentials``. The replies (JSON, errors, faults) are
built in ``_responses``, the 422 rules in ``_schema``; the runners are in ``_runner``.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Final, cast

from aiohttp import web

from ._auth import Account, Authenticator, AuthError
from ._domain import Domain
from ._faults import API_ROUTES, PRE_PROCESSING_KINDS, Fault, FaultInjector
from ._lifecycle import SimClock
from ._responses import (
    Reply,
    gone,
    hang_up,
    html_fault,
    json_response,
    post_fault,
    status_fault,
    unauthorized,
    validation_error,
)
from ._schema import MISSING as _MISSING_BODY
from ._schema import (
    Model,
    credentials_login,
    parse_json,
    parse_path_int,
    typed_payload,
    validate_body,
)
from ._schema_models import TOKEN_REQUEST, TYPED_MODELS, UNTYPED_MODELS
from ._timeline import Timeline

__all__ = ["State", "build_app"]

logger = logging.getLogger("factpulse_chorus.sandbox")

API_PREFIX: Final = "/api/v1/chorus-pro/"
TOKEN_PATH: Final = "/api/token/"
MAX_BODY: Final = 64 * 1024 * 1024  # base64 of a 10 MB attachment is ~13.3 MB

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
DomainCall = Callable[[str, dict[str, Any]], dict[str, Any]]


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


class State:
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
        timeline: Timeline | None = None,
    ) -> None:
        self.domain = domain
        # Opt-in: each API request's route, invoice and times (``_timeline``).
        self.timeline = timeline
        self._invoice_read: dict[int, int] = {}  # id(request) -> invoice, for the timeline
        # Opt-in journal of accepted request bodies, for tests that assert what was sent.
        # Zero-trust secrets are masked before anything is kept.
        self.journal: collections.deque[dict[str, Any]] | None = (
            collections.deque(maxlen=10_000) if record_requests else None
        )
        self.clock = clock
        self.auth = Authenticator(accounts, api_keys, token_lifetime)
        self.injector = FaultInjector(faults, seed=seed)
        self.strict = strict
        self.requests: dict[str, dict[str, int]] = {name: {} for name in (*API_ROUTES, "token")}
        self.known_paths: frozenset[str] = frozenset()
        # Request ids: a random per-sandbox prefix + a counter (uuid4 costs a syscall).
        self._request_prefix = secrets.token_hex(10)
        self._request_ids = itertools.count(1)

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
            "logins": self.auth.logins,
            "login_failures": self.auth.login_failures,
        }

    def authenticate(self, request: web.Request) -> Account:
        """The calling account; raises the 401 :class:`Reply` otherwise."""
        try:
            return self.auth.authenticate(
                request.headers.get("Authorization"), request.headers.get("X-API-Key")
            )
        except AuthError as error:
            raise unauthorized(error.code, error.message) from None

    # -- handlers: every API request goes _before -> process -> _finish

    async def _before(
        self, request: web.Request, route: str
    ) -> tuple[Fault | None, web.StreamResponse | None]:
        """Pick the faults of this request; the response when one answers before processing."""
        if not self.injector:
            return None, None
        latency, fault = self.injector.pick(route)
        if latency:
            self.count(route, "fault:latency")
            await asyncio.sleep(latency)
        if fault is not None and fault.kind in PRE_PROCESSING_KINDS:
            self.count(route, fault.outcome)
            if fault.kind == "reset":
                return fault, hang_up(request, reset=True)
            return fault, html_fault() if fault.kind == "html" else status_fault(fault)
        return fault, None

    async def _serve(
        self, request: web.Request, route: str, process: Callable[[bytes, web.Request], Reply]
    ) -> web.StreamResponse:
        """Faults, then the body read and processed into a reply (a raised one included)."""
        fault, early = await self._before(request, route)
        if early is not None:
            return early
        try:
            raw = await request.read()
        except ConnectionError:  # the client went away (e.g. its timeout fired)
            self.count(route, "client_disconnected")
            return gone()
        try:
            reply = process(raw, request)
        except Reply as error:
            reply = error
        return await self._finish(request, route, fault, reply)

    async def _finish(
        self, request: web.Request, route: str, fault: Fault | None, reply: Reply
    ) -> web.StreamResponse:
        """Count the outcome and send ``reply``, through the post-processing fault if any."""
        if fault is not None:
            # A fault picked for a request applies to its response, whatever it is.
            self.count(route, fault.outcome)
            return await post_fault(request, fault, reply.data, reply.status)
        self.count(route, reply.outcome)
        return json_response(reply.data, reply.status, reply.headers)

    @staticmethod
    def _domain_reply(route: str, data: dict[str, Any]) -> Reply:
        return Reply(200, data, "business_error" if _is_business_error(route, data) else "ok")

    @staticmethod
    def _domain_error(route: str) -> Reply:
        # A bug in the emulator, not an API behaviour: log it, answer like a crashed server.
        logger.exception("sandbox domain error on %s", route)
        return Reply(500, {"errorCode": "INTERNAL_ERROR", "errorMessage": "Sandbox error"}, "500")

    def chorus_handler(self, route: str, call: DomainCall, model: Model, typed: bool) -> Handler:
        """The POST handler of one Chorus Pro endpoint."""
        strict = self.strict

        def process(raw: bytes, request: web.Request) -> Reply:
            body, errors = parse_json(raw)
            if errors:
                # FastAPI decodes the body before it runs the security dependency.
                raise Reply(422, {"detail": errors}, "422")
            account = self.authenticate(request)
            errors = validate_body(body, model, typed=typed, strict=strict)
            if errors:
                raise Reply(422, {"detail": errors}, "422")
            if self.journal is not None:
                self.journal.append({"route": route, "body": _masked(body)})
            if self.timeline is not None and route == "factures/consulter":
                invoice_id = body.get("chorusInvoiceId")
                if isinstance(invoice_id, int) and not isinstance(invoice_id, bool):
                    self._invoice_read[id(request)] = invoice_id
            credentials = body.pop("credentials", None)
            login = credentials_login(credentials) or account.chorus_login
            del credentials  # zero-trust: not kept past this point
            payload = typed_payload(body, model) if typed else body
            try:
                return self._domain_reply(route, call(login, payload))
            except Exception:
                return self._domain_error(route)

        async def handler(request: web.Request) -> web.StreamResponse:
            return await self._serve(request, route, process)

        return handler

    async def services(self, request: web.Request) -> web.StreamResponse:
        """GET /structures/{id_structure_cpp}/services (stored credentials only)."""
        route = "structures/services"
        fault, early = await self._before(request, route)
        if early is not None:
            return early
        try:
            account = self.authenticate(request)
            structure_id, errors = parse_path_int(
                request.match_info["id_structure_cpp"], "id_structure_cpp"
            )
            if structure_id is None:
                raise Reply(422, {"detail": errors}, "422")
            if self.journal is not None:
                self.journal.append({"route": route, "body": None, "id": structure_id})
            data = self.domain.structures_lister_services(account.chorus_login, structure_id)
            reply = self._domain_reply(route, data)
        except Reply as error:
            reply = error
        except Exception:
            reply = self._domain_error(route)
        return await self._finish(request, route, fault, reply)

    async def token(self, request: web.Request) -> web.StreamResponse:
        """POST /api/token/: username/password (+ client_uid) -> access and refresh JWTs."""
        return await self._serve(
            request, "token", lambda raw, _: Reply(200, self._login(raw), "ok")
        )

    def _login(self, raw: bytes) -> dict[str, str]:
        body, errors = parse_json(raw)
        if not errors:
            errors = validate_body(body, TOKEN_REQUEST, typed=True, strict=self.strict)
        if errors:
            raise Reply(422, {"detail": errors}, "422")
        try:
            return self.auth.login(body["username"], body["password"], body.get("client_uid"))
        except AuthError as error:
            raise unauthorized(error.code, error.message) from None

    async def fallback(self, request: web.Request) -> web.StreamResponse:
        """Unknown path -> 404, known path with another method -> 405 (FastAPI bodies)."""
        if request.path in self.known_paths or (
            request.path.startswith(API_PREFIX + "structures/")
            and request.path.endswith("/services")
        ):
            return json_response({"detail": "Method Not Allowed"}, 405)
        return json_response({"detail": "Not Found"}, 404)

    def timed(self, route: str, handler: Handler) -> Handler:
        """``handler``, its requests added to the timeline (``handler`` itself without one)."""
        timeline = self.timeline
        if timeline is None:
            return handler

        async def recorded(request: web.Request) -> web.StreamResponse:
            start = time.monotonic()
            try:
                response = await handler(request)
            finally:  # a request cut short leaves nothing behind
                invoice_id = self._invoice_read.pop(id(request), None)
            timeline.add(route, invoice_id, response.status, start)
            return response

        return recorded

    # -- control routes (no auth, loopback only)

    async def control_stats(self, request: web.Request) -> web.StreamResponse:
        """GET /_sandbox/stats."""
        return json_response(self.stats())

    async def control_faults_get(self, request: web.Request) -> web.StreamResponse:
        """GET /_sandbox/faults: the armed faults."""
        return json_response({"faults": [f.to_dict() for f in self.injector.faults]})

    async def control_faults_put(self, request: web.Request) -> web.StreamResponse:
        """PUT /_sandbox/faults: replace the armed faults with a JSON list of fault objects."""
        body, errors = parse_json(await request.read())
        if errors:
            return validation_error(errors)
        if not isinstance(body, list):
            return json_response({"detail": "expected a JSON list of fault objects"}, 400)
        try:
            faults = [Fault.from_dict(item) for item in body]
        except (ValueError, TypeError) as exc:
            return json_response({"detail": str(exc)}, 400)
        self.injector.replace(faults)
        return json_response({"faults": [f.to_dict() for f in faults]})

    async def control_faults_delete(self, request: web.Request) -> web.StreamResponse:
        """DELETE /_sandbox/faults: disarm every fault."""
        self.injector.clear()
        return json_response({"faults": []})

    async def control_clock_advance(self, request: web.Request) -> web.StreamResponse:
        """POST /_sandbox/clock/advance {"seconds": x}."""
        body, errors = parse_json(await request.read())
        seconds = body.get("seconds") if isinstance(body, dict) else None
        if errors or isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            return json_response({"detail": 'expected {"seconds": <number>}'}, 400)
        self.clock.advance(float(seconds))
        return json_response({"now": self.clock.now().isoformat()})

    async def control_seed_invoice(self, request: web.Request) -> web.StreamResponse:
        """POST /_sandbox/invoices: ``Domain.seed_invoice(**body)`` -> ``{"id": n}``."""
        body, errors = parse_json(await request.read())
        if errors:
            return validation_error(errors)
        if body is None or body is _MISSING_BODY:
            body = {}
        if not isinstance(body, dict):
            return json_response({"detail": "expected a JSON object"}, 400)
        try:
            invoice_id = self.domain.seed_invoice(**body)
        except (TypeError, ValueError, KeyError) as exc:
            return json_response({"detail": f"cannot seed invoice: {exc}"}, 400)
        return json_response({"id": invoice_id})

    async def control_invoice(self, request: web.Request) -> web.StreamResponse:
        """GET /_sandbox/invoices/{id}: the domain's snapshot of one invoice."""
        invoice_id, errors = parse_path_int(request.match_info["invoice_id"], "invoice_id")
        if invoice_id is None:
            return validation_error(errors)
        snapshot = self.domain.invoice_snapshot(invoice_id)
        if snapshot is None:
            return json_response({"detail": "Not Found"}, 404)
        return json_response(snapshot)


_LOOPBACK_PREFIXES: Final = ("127.", "::1", "::ffff:127.")


def _control(handler: Handler) -> Handler:
    """Wrap a control-route handler: loopback callers only."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        remote = request.remote or ""
        if not remote.startswith(_LOOPBACK_PREFIXES):
            return json_response({"detail": "control routes are loopback-only"}, 403)
        return await handler(request)

    return wrapped


_DOMAIN_METHODS: Final = {
    "structures/rechercher": "structures_rechercher",
    "structures/consulter": "structures_consulter",
    "structures/obtenir-id-depuis-siret": "structures_obtenir_id_depuis_siret",
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


def build_app(state: State) -> web.Application:
    """The aiohttp application serving ``state``."""
    app = web.Application(client_max_size=MAX_BODY)
    app.on_response_prepare.append(state.add_request_id)
    router = app.router
    known = {TOKEN_PATH}
    router.add_post(TOKEN_PATH, state.timed("token", state.token))
    for route, method_name in _DOMAIN_METHODS.items():
        typed = route in TYPED_MODELS
        model = TYPED_MODELS[route] if typed else UNTYPED_MODELS[route]
        call = cast(DomainCall, getattr(state.domain, method_name))
        path = API_PREFIX + route
        known.add(path)
        serve = state.chorus_handler(route, call, model, typed)
        router.add_post(path, state.timed(route, serve))
    router.add_get(
        API_PREFIX + "structures/{id_structure_cpp}/services",
        state.timed("structures/services", state.services),
    )
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
