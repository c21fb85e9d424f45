"""A purpose-built FactPulse look-alike for the transport, auth and lifecycle tests.

Not the sandbox: a tiny aiohttp.web app whose behaviour each test sets directly
(``fake.handler``), and which counts what it receives. Real HTTP on 127.0.0.1.
Imported by every test that needs a server other than the sandbox.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import json
import socket
import threading
import time
import zlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from aiohttp import web

from factpulse_chorus import AsyncChorusClient
from factpulse_chorus._types import RequestOptions
from factpulse_chorus.models.common import RawResponse

EMAIL = "alice@example.com"
PASSWORD = "Sup3r-Secret-Passw0rd!"
CLIENT_UID = "5d1c2b8e-9f3a-4c61-8e0b-7a2f1d9c4e55"
API_KEY = "fpk_live_0123456789abcdef0123456789"
API_PATH = "/api/v1/chorus-pro/factures/consulter"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_jwt(claims: dict[str, Any]) -> str:
    """An unsigned-looking HS256 JWT (the client never checks signatures)."""

    def part(obj: dict[str, Any]) -> str:
        raw = json.dumps(obj, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def json_response(body: Any, status: int = 200, **headers: str) -> web.Response:
    return web.Response(
        body=json.dumps(body).encode(),
        status=status,
        content_type="application/json",
        headers={"X-Request-ID": "req-test-1", **headers},
    )


class FakeFactPulse:
    """``POST /api/token/`` plus a catch-all ``/api/v1/chorus-pro/{tail}`` route."""

    def __init__(self, *, token_lifetime: float | None = 1800.0, login_delay: float = 0.0) -> None:
        self.token_lifetime = token_lifetime
        self.login_delay = login_delay
        self.logins = 0
        self.login_bodies: list[dict[str, Any]] = []
        self.hits: Counter[str] = Counter()
        self.requests: list[dict[str, Any]] = []
        self.valid_tokens: set[str] = set()
        self.tokens_issued: list[str] = []
        self.handler: Handler | None = None
        self.login_handler: Handler | None = None
        self.accept_any_token = False
        self.refused = 0
        """API calls refused with a 401 (a missing, revoked or expired token)."""
        self._serial = 0

    def issue_token(self, lifetime: float | None = None) -> str:
        self._serial += 1
        now = time.time()
        claims: dict[str, Any] = {"token_type": "access", "jti": self._serial, "iat": now}
        life = self.token_lifetime if lifetime is None else lifetime
        if life is not None:
            claims["exp"] = now + life
        token = make_jwt(claims)
        self.valid_tokens.add(token)
        self.tokens_issued.append(token)
        return token

    def revoke_all(self) -> None:
        self.valid_tokens.clear()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/token/", self._login)
        app.router.add_route("*", "/api/v1/chorus-pro/{tail:.*}", self._api)
        return app

    async def _login(self, request: web.Request) -> web.StreamResponse:
        self.logins += 1
        body = await request.json()
        self.login_bodies.append(body)
        if self.login_delay:
            await asyncio.sleep(self.login_delay)
        if self.login_handler is not None:
            return await self.login_handler(request)
        if body.get("username") != EMAIL or body.get("password") != PASSWORD:
            return json_response(
                {"detail": "No active account found with the given credentials"}, status=401
            )
        return json_response({"access": self.issue_token(), "refresh": "r" * 20})

    def _authorised(self, request: web.Request) -> bool:
        if request.headers.get("X-API-Key") == API_KEY:
            return True
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return False
        token = header[len("Bearer ") :]
        return self.accept_any_token or token in self.valid_tokens

    async def _api(self, request: web.Request) -> web.StreamResponse:
        tail = request.match_info["tail"]
        self.hits[tail] += 1
        raw = await request.read()
        self.requests.append(
            {"method": request.method, "path": request.path, "headers": dict(request.headers)}
        )
        if not self._authorised(request):
            self.refused += 1
            return json_response(
                {"errorCode": "AUTHENTICATION_REQUIRED", "errorMessage": "Invalid or expired JWT"},
                status=401,
            )
        if self.handler is not None:
            return await self.handler(request)
        return json_response(
            {"returnCode": 0, "message": "ok", "echo": json.loads(raw) if raw else None}
        )


async def send(
    client: AsyncChorusClient, *, idempotent: bool = True, options: RequestOptions | None = None
) -> RawResponse:
    """One ``POST API_PATH`` through the client's transport, below the resources; a write
    (``idempotent=False``) is the submission of invoice "F-1"."""
    return await client._transport.request(
        "POST",
        API_PATH,
        json={"chorusInvoiceId": 1},
        idempotent=idempotent,
        operation="test",
        options=options or RequestOptions(),
        invoice_number=None if idempotent else "F-1",
    )


def catch_all(handler: Handler, **options: Any) -> web.Application:
    """An app (``options``: ``web.Application``'s) whose one route takes every method and path."""
    app = web.Application(**options)
    app.router.add_route("*", "/{tail:.*}", handler)
    return app


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Run ``app`` on 127.0.0.1 (free port) and yield its base URL."""
    # No access log: the log-checking tests look at what the SDK logs, not the server.
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.2, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def fake_server(
    handler: Handler | None = None, **kwargs: Any
) -> AsyncIterator[tuple[FakeFactPulse, str]]:
    """A :class:`FakeFactPulse` (``kwargs``) answering authorised API calls with ``handler``."""
    fake = FakeFactPulse(**kwargs)
    fake.handler = handler
    async with serve(fake.app()) as url:
        yield fake, url


@contextmanager
def serve_in_thread(app: web.Application) -> Iterator[str]:
    """Run ``app`` on 127.0.0.1 in a thread with its own event loop; yield its base URL.

    For tests that run several event loops of their own (``asyncio.run()`` twice).
    """
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fake-server", daemon=True)
    thread.start()
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.2)

    async def start() -> str:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{port}"

    try:
        yield asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def gzip_bomb(size: int) -> bytes:
    """A gzip stream of ``size`` zero bytes (about 1 KiB per MiB once compressed),
    built a MiB at a time so that making it costs no memory."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # 16+: gzip framing
    block = b"\0" * (1 << 20)
    parts = [packer.compress(block) for _ in range(size >> 20)]
    parts.append(packer.compress(b"\0" * (size & ((1 << 20) - 1))))
    parts.append(packer.flush())
    return b"".join(parts)


_HELD: list[socket.socket] = []
atexit.register(lambda: [sock.close() for sock in _HELD])


def closed_port() -> int:
    """A local port nobody listens on: bound and never listening, so a connection is
    refused. The socket stays open until the process ends: released, the port could go
    to a server another test (or an xdist worker) starts on port 0."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    _HELD.append(sock)
    return int(sock.getsockname()[1])
