"""The aiohttp session a client shares with its views, per event loop, and its slots.

:class:`SharedState` opens the session on first use, in the running loop, and opens a
new one when the client is used again after that loop was closed (a second
``asyncio.run()``). Its ``slots`` bound the requests in flight to the connection pool's
size, so that the transport takes the token only once a connection is free.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
from typing import Any, Final

import aiohttp

from ._auth import TokenManager
from ._config import CLOSED_MESSAGE, ClientConfig
from ._exceptions import ClientClosedError
from ._types import Timeout

__all__ = ["SharedState", "Slots", "client_timeout"]


@functools.lru_cache(maxsize=64)
def client_timeout(timeout: Timeout) -> aiohttp.ClientTimeout:
    """aiohttp's timeout for ours (cached: the same few values come back on every call)."""
    return aiohttp.ClientTimeout(
        total=timeout.total, sock_connect=timeout.connect, sock_read=timeout.read
    )


class Slots:
    """The connection slots of one event loop: a count of free ones, and the calls waiting
    for one in their order of arrival (as ``asyncio.Semaphore``, whose checks cost more on
    every call).

    A newcomer never takes a slot ahead of a waiting call; a slot given back goes straight
    to the first call still waiting.
    """

    __slots__ = ("_free", "_waiters")

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def take(self) -> bool:
        """Take a free slot now, without waiting: False when none is free for a newcomer."""
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return True
        return False

    async def acquire(self) -> None:
        """Take a slot, waiting in turn for one; a cancelled wait holds none."""
        if self.take():
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed a slot as the wait was cancelled: pass it on
            else:
                waiter.cancel()
                with contextlib.suppress(ValueError):  # release() may have passed it over
                    self._waiters.remove(waiter)
            raise

    def release(self) -> None:
        """Give a slot back: to the first call still waiting, else to the free ones."""
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1


class SharedState:
    """What a client shares with its ``with_options()`` views: the session, the token and
    the connection slots.

    The aiohttp session is created on first use, inside the running event loop, and
    belongs to that loop. Used from a new loop once that one is closed (a second
    ``asyncio.run()``), the client opens a new session there, keeping its token; while
    the first loop is still open, a call from another loop raises
    :class:`ClientClosedError`. A session passed by the user is used as is, only in its
    own loop, and never closed by us.

    ``slots`` bounds the requests in flight to the pool's size, so that a request waits
    for a free connection *before* it takes the token (see :meth:`Transport._send`).
    """

    def __init__(self, config: ClientConfig, session: aiohttp.ClientSession | None) -> None:
        self.config = config
        self.owns_session = session is None
        self.closed = False
        self.tokens: TokenManager | None = None
        self.slots: Slots | None = None
        self._session = session
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def max_in_flight(self) -> int | None:
        """The size of ``slots``: the lower of the pool's total and per-host limits
        (``None``: neither is set). Known before the session opens: from the config, or
        from the connector of a session given by the user."""
        if self._session is None:
            limits = (self.config.connection_limit, self.config.connection_limit_per_host)
        elif self._session.connector is not None:
            limits = (self._session.connector.limit, self._session.connector.limit_per_host)
        else:
            return None
        return min((n for n in limits if n > 0), default=None)

    @property
    def state(self) -> str:
        """``unopened``, ``open`` or ``closed``."""
        if self.closed:
            return "closed"
        return "unopened" if self._session is None or self._loop is None else "open"

    @property
    def current_session(self) -> aiohttp.ClientSession | None:
        """The session in use, if any (``None`` before first use and after closing)."""
        return self._session if self._loop is not None else None

    def session_in_loop(self) -> aiohttp.ClientSession | None:
        """The session if it was opened in the running loop (the hot path), else ``None``."""
        session = self._session
        if session is not None and self._loop is asyncio.get_running_loop():
            return session
        return None

    async def open(self) -> aiohttp.ClientSession:
        """The session for the running loop, opened now if needed (see the class doc).

        Raises :class:`ClientClosedError` once closed, or when the session belongs to
        another loop that is still open.
        """
        if self.closed:
            raise ClientClosedError(CLOSED_MESSAGE)
        loop = asyncio.get_running_loop()
        session, old_loop = self._session, self._loop
        if session is not None and old_loop is loop:
            return session
        if not self.owns_session:
            assert session is not None
            session_loop = getattr(session, "_loop", loop)
            if session_loop is not loop or old_loop is not None:
                raise ClientClosedError(
                    "the aiohttp session given to the client belongs to another event loop; "
                    "use the client from that loop, or give it a session made in this one"
                )
            self._bind(loop, session)
            return session
        if session is not None and old_loop is not None and not old_loop.is_closed():
            raise ClientClosedError(_OTHER_LOOP_MESSAGE)
        # No await before the new session is in place: concurrent first calls share it.
        new = self._new_session(loop)
        if session is not None:
            await _discard(session)
        return new

    def _new_session(self, loop: asyncio.AbstractEventLoop) -> aiohttp.ClientSession:
        config = self.config
        connector = aiohttp.TCPConnector(
            limit=config.connection_limit, limit_per_host=config.connection_limit_per_host
        )
        session = aiohttp.ClientSession(
            connector=connector,
            # The API is token-based: skipping cookie handling saves work on every call.
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=client_timeout(config.timeout),
            # Resolved once from proxy= or HTTP(S)_PROXY/NO_PROXY (see _config): aiohttp's
            # trust_env would read ~/.netrc and hop to a thread on every request.
            proxy=config.proxy,
        )
        self._bind(loop, session)
        return session

    def _bind(self, loop: asyncio.AbstractEventLoop, session: aiohttp.ClientSession) -> None:
        if self._loop is not None and self.tokens is not None:
            self.tokens.forget_loop()  # a login task of the old loop can never finish
        self._session, self._loop = session, loop
        limit = self.max_in_flight
        # asyncio primitives belong to one loop: new slots with each session.
        self.slots = Slots(limit) if limit is not None else None

    async def aclose(self) -> None:
        """Close the session (if ours) and cancel a login in flight. Idempotent.

        Calls waiting for a free connection then fail with :class:`ClientClosedError`.
        """
        if self.closed:
            return
        self.closed = True
        session, self._session = self._session, None
        loop, self._loop = self._loop, None
        if self.slots is not None:
            # Wakes one waiter, which sees the client closed and passes the slot on.
            self.slots.release()
        try:
            if self.tokens is not None:
                await self.tokens.aclose()
        finally:
            # Even when closing is cancelled while a login unwinds, the session is closed:
            # a later aclose() returns at once and could not do it any more.
            if session is not None and self.owns_session:
                if loop is not None and loop.is_closed():
                    await _discard(session)
                else:
                    await session.close()


_OTHER_LOOP_MESSAGE: Final = (
    "the client opened its connections in another event loop, which is still open: use "
    "it from that loop (or close it there first), or create one client per event loop"
)


async def _discard(session: aiohttp.ClientSession) -> None:
    """Close a session whose event loop is closed (so nothing of it can run any more)."""
    connector = session.connector
    if connector is not None:
        # transport.close() would schedule a callback on the dead loop and fail, leaving
        # each socket open (and warning) until garbage collection: close them directly.
        conns = getattr(connector, "_conns", None)
        protocols: list[Any] = list(getattr(connector, "_acquired", ()))
        if isinstance(conns, dict):
            protocols += [entry[0] for entries in conns.values() for entry in entries]
        for protocol in protocols:
            transport = getattr(protocol, "transport", None)
            sock = getattr(transport, "_sock", None)
            if sock is not None:
                sock.close()
                transport._sock = None  # type: ignore[union-attr]
    # The connector sees its loop closed: it only marks itself closed, nothing is awaited.
    await session.close()
