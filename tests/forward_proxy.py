"""A real forwarding HTTP proxy on 127.0.0.1, in a thread of its own (for both clients).

It takes absolute-form requests (``POST http://127.0.0.1:PORT/path HTTP/1.1``), forwards
each to its target with its own aiohttp client and relays the answer; ``seen`` lists every
request line it received (``CONNECT host:port`` included), ``forwarded`` counts those
passed on. ``auth=(user, password)``: Basic credentials required, else 407 (whose body
echoes the ``Proxy-Authorization`` received, as a careless proxy's error page might).
``answer=502``: every request is answered that status instead of being forwarded. A
``CONNECT`` (an ``https://`` target) is never tunnelled: it is answered ``connect_status``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import aiohttp
from aiohttp import web

# Per connection, not end to end (RFC 9110 §7.6.1): never relayed.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "host",
    }
)


class ForwardProxy:
    """See the module doc; start it with :func:`forward_proxy`."""

    def __init__(
        self,
        *,
        auth: tuple[str, str] | None = None,
        answer: int | None = None,
        connect_status: int = 502,
    ) -> None:
        self.seen: list[str] = []
        self.forwarded = 0
        self.url = ""
        self._expected = None
        if auth is not None:
            pair = f"{auth[0]}:{auth[1]}".encode()
            self._expected = "Basic " + base64.b64encode(pair).decode()
        self._answer = answer
        self._connect_status = connect_status
        self._client: aiohttp.ClientSession | None = None

    def url_with(self, user: str, password: str) -> str:
        """This proxy's URL with ``user:password@``."""
        return self.url.replace("http://", f"http://{user}:{password}@", 1)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(f"{request.method} {request.raw_path}")
        if self._expected is not None and (
            request.headers.get("Proxy-Authorization") != self._expected
        ):
            echoed = request.headers.get("Proxy-Authorization", "none")
            return web.Response(
                status=407,
                headers={"Proxy-Authenticate": 'Basic realm="test"'},
                text=f"proxy authentication required (got {echoed})",
            )
        if request.method == "CONNECT":
            return web.Response(status=self._connect_status, text="no tunnel here")
        if self._answer is not None:
            return web.Response(status=self._answer, text="the proxy's own error page")
        assert request.raw_path.startswith("http://"), request.raw_path  # absolute-form
        assert self._client is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        async with self._client.request(
            request.method, request.raw_path, headers=headers, data=await request.read()
        ) as upstream:
            body = await upstream.read()
            relayed = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_BY_HOP}
        self.forwarded += 1
        return web.Response(status=upstream.status, headers=relayed, body=body)

    @web.middleware
    async def _connect(self, request: web.Request, handler: Any) -> web.StreamResponse:
        # A CONNECT's target is host:port, which no route matches: take it before routing.
        if request.method == "CONNECT":
            return await self._handle(request)
        return await handler(request)  # type: ignore[no-any-return]

    async def start(self) -> web.AppRunner:
        # Its own client: no proxy, no environment, no decompression (bytes relayed as is).
        self._client = aiohttp.ClientSession(auto_decompress=False, trust_env=False)
        app = web.Application(middlewares=[self._connect])
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        return runner

    async def stop(self, runner: web.AppRunner) -> None:
        await runner.cleanup()
        if self._client is not None:
            await self._client.close()


@contextlib.contextmanager
def forward_proxy(**options: Any) -> Iterator[ForwardProxy]:
    """A :class:`ForwardProxy` serving from a thread of its own until the block ends."""
    proxy = ForwardProxy(**options)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="forward-proxy", daemon=True)
    thread.start()
    try:
        runner = asyncio.run_coroutine_threadsafe(proxy.start(), loop).result(30)
        try:
            yield proxy
        finally:
            asyncio.run_coroutine_threadsafe(proxy.stop(runner), loop).result(30)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        loop.close()


@contextlib.contextmanager
def dead_port() -> Iterator[str]:
    """``http://127.0.0.1:PORT`` where nothing listens: the port is bound, never listened
    on, so every connection is refused, and no other test can take it meanwhile."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
