"""Running the sandbox: in the caller's event loop, or on its own loop in a daemon thread.

``Sandbox`` binds the aiohttp application of ``_app`` to a local port; ``sandbox_in_thread``
serves one from a thread, behind a :class:`ThreadedSandbox` handle whose every call runs on
the sandbox loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, cast

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from ._app import State, build_app
from ._auth import DEMO_ACCOUNT, Account
from ._domain import Domain
from ._faults import Fault
from ._lifecycle import SimClock
from ._timeline import Timeline, TimelineEntry

__all__ = ["REQUEST_LOGGER", "Sandbox", "ThreadedSandbox", "sandbox_in_thread"]

REQUEST_LOGGER = logging.getLogger("factpulse_chorus.sandbox.requests")
"""Where ``Sandbox(log_requests=True)`` writes one INFO line a request."""


class _RequestLog(AbstractAccessLogger):
    """aiohttp's access logger for the sandbox: ``14:02:07 POST /api/token/ 200 3.1 ms``.

    The method, the path (no query string), the status and the time taken: never what
    the request carried, so no secret can reach the log."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time_: float) -> None:
        self.logger.info(
            "%s %s %s %d %.1f ms",
            time.strftime("%H:%M:%S"),
            request.method,
            request.path,
            response.status,
            time_ * 1000,
        )

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)


class Sandbox:
    """An in-memory FactPulse Chorus Pro API on a local port.

    ``async with Sandbox(seed=0) as sb:`` starts it (``await sb.start()`` /
    ``await sb.aclose()`` do the same by hand). ``sb.url`` has no trailing slash.
    ``log_requests``: one INFO line a request (method, path, status, time) on
    :data:`REQUEST_LOGGER` (``python -m factpulse_chorus.sandbox`` prints them on stderr).
    ``record_timeline``: keep each API request's route, invoice and times (:meth:`timeline`;
    all of them, or the latest ``timeline_limit``).
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
        log_requests: bool = False,
        record_timeline: bool = False,
        timeline_limit: int | None = None,
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
        self._state = State(
            domain=self.domain,
            clock=self.clock,
            accounts=[DEMO_ACCOUNT] if accounts is None else list(accounts),
            api_keys=api_keys or {},
            faults=faults,
            seed=seed,
            strict=strict,
            token_lifetime=token_lifetime,
            record_requests=record_requests,
            timeline=Timeline(timeline_limit) if record_timeline else None,
        )
        self._host = host
        self._port = port
        self._log_requests = log_requests
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
        access: dict[str, Any] = (
            {"access_log": REQUEST_LOGGER, "access_log_class": _RequestLog}
            if self._log_requests
            else {"access_log": None}
        )
        runner = web.AppRunner(build_app(self._state), shutdown_timeout=1.0, **access)
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

    def timeline(
        self, route: str | None = None, *, since: float | None = None
    ) -> list[TimelineEntry]:
        """The API requests answered so far (``record_timeline=True`` only), in the order
        they ended: ``(route, invoice_id, status, start, end)``, the times the server's
        ``time.monotonic()``, ``invoice_id`` the one ``factures/consulter`` read (else
        ``None``). ``route`` filters on one endpoint; ``since``: started then or later.
        """
        timeline = self._state.timeline
        if timeline is None:
            raise RuntimeError("start the sandbox with record_timeline=True to keep a timeline")
        return timeline.entries(route) if since is None else timeline.entries(route, since=since)

    def invoice_count(self) -> int:
        """Number of invoices in the domain."""
        return self.domain.invoice_count()

    def issue_token(self, username: str = "demo", client_uid: str | None = None) -> str:
        """An access token for ``username`` without an HTTP round trip (for tests)."""
        auth = self._state.auth
        return auth.issue_tokens(auth.accounts[username], client_uid)["access"]


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

    def timeline(
        self, route: str | None = None, *, since: float | None = None
    ) -> list[TimelineEntry]:
        """See :meth:`Sandbox.timeline`."""
        return cast(list[TimelineEntry], self._call(self._sandbox.timeline, route, since=since))

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
