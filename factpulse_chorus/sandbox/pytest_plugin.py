"""pytest fixtures for the sandbox (entry point ``factpulse_chorus_sandbox``).

pytest imports this module in every project that installs factpulse-chorus, so it imports
nothing heavy: the sandbox (and aiohttp) load only when a fixture is used, the client only
when a client fixture is. ``pytest -p no:factpulse_chorus_sandbox`` keeps it from loading.

* ``chorus_sandbox``: a fresh threaded sandbox per test; options from
  ``@pytest.mark.chorus_sandbox(seed=1, strict=True, ...)``. Works in sync and async tests.
* ``chorus_sandbox_factory``: ``chorus_sandbox_factory(**options)`` starts one more sandbox;
  all of them stop at teardown.
* ``chorus_client`` / ``async_chorus_client``: a ``ChorusClient`` / ``AsyncChorusClient``
  logged in to ``chorus_sandbox`` as ``demo``, retrying without any delay; closed at teardown.
* ``chorus_client_options``: the keyword arguments both client fixtures are built with;
  override it to change them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .. import AsyncChorusClient, ChorusClient
    from ._runner import ThreadedSandbox


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``chorus_sandbox`` marker (for ``--strict-markers``)."""
    config.addinivalue_line(
        "markers", "chorus_sandbox(**options): Sandbox options for the chorus_sandbox fixture"
    )


@pytest.fixture
def chorus_sandbox_factory() -> Iterator[Callable[..., ThreadedSandbox]]:
    """Start sandboxes on demand: ``sb = chorus_sandbox_factory(seed=1, strict=True)``."""
    from ._runner import sandbox_in_thread

    with ExitStack() as stack:

        def factory(**options: Any) -> ThreadedSandbox:
            return stack.enter_context(sandbox_in_thread(**options))

        yield factory


@pytest.fixture
def chorus_sandbox(
    request: pytest.FixtureRequest, chorus_sandbox_factory: Callable[..., ThreadedSandbox]
) -> ThreadedSandbox:
    """A running sandbox (own thread and loop) for one test: ``chorus_sandbox.url``..."""
    marker = request.node.get_closest_marker("chorus_sandbox")
    options: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    return chorus_sandbox_factory(**options)


@pytest.fixture
def chorus_client_options(chorus_sandbox: ThreadedSandbox) -> dict[str, Any]:
    """Keyword arguments of ``chorus_client`` and ``async_chorus_client``.

    ``base_url`` of ``chorus_sandbox``, the ``demo`` account, a ``retry_policy`` with
    no delay between attempts (a ``Retry-After`` sent by a 429 fault is still honoured),
    and ``trust_env=False`` (no proxy of the environment between the test and its sandbox).
    Override it in a ``conftest.py``; asking for ``chorus_client_options`` there gives
    these defaults to extend.
    """
    from .._config import RetryPolicy

    return {
        "base_url": chorus_sandbox.url,
        "email": "demo",
        "password": "demo",
        # The retries a test provokes happen at once: no test sleeps through backoff.
        "retry_policy": RetryPolicy(base_delay=0.0, max_delay=0.0, jitter=0.0),
        # The sandbox listens on loopback: an HTTP_PROXY of the machine must not get its
        # traffic (a corporate proxy cannot reach the test's 127.0.0.1).
        "trust_env": False,
    }


@pytest.fixture
def chorus_client(chorus_client_options: dict[str, Any]) -> Iterator[ChorusClient]:
    """A blocking ``ChorusClient`` on ``chorus_sandbox`` (see ``chorus_client_options``).

    For sync tests: called from a running event loop, its methods raise
    ``SyncInAsyncContextError``.
    """
    from .. import ChorusClient

    with ChorusClient(**chorus_client_options) as client:
        yield client


@pytest.fixture
def async_chorus_client(chorus_client_options: dict[str, Any]) -> Iterator[AsyncChorusClient]:
    """An ``AsyncChorusClient`` on ``chorus_sandbox`` (see ``chorus_client_options``).

    A plain fixture, so it works under pytest-asyncio (strict or auto mode, any loop
    scope), anyio's pytest plugin, or ``asyncio.run()`` in a sync test: the client opens
    its connections in the loop of its first call, and is closed at teardown.
    """
    from .. import AsyncChorusClient

    client = AsyncChorusClient(**chorus_client_options)
    try:
        yield client
    finally:
        _close(client)


def _close(client: AsyncChorusClient) -> None:
    """Close ``client`` from synchronous teardown code, on the loop it was used in."""
    import asyncio  # here, not at load: pytest runs without asyncio for many users

    # Private on purpose: only the SDK's own plugin needs to know the client's loop.
    loop = client._shared._loop
    if loop is not None and loop.is_running():
        # Used on a loop of another thread (a test's own background loop): close it there.
        asyncio.run_coroutine_threadsafe(client.aclose(), loop).result(timeout=30)
    elif loop is not None and not loop.is_closed():
        # The loop outlives this fixture (a module- or session-scoped one): close the
        # connections properly, on it.
        loop.run_until_complete(client.aclose())
    else:
        # Never used, or its loop is already closed (a function-scoped loop of pytest-asyncio
        # or anyio, ``asyncio.run()``): the client then shuts its sockets directly. A loop
        # of our own, not ``asyncio.run()``, which would reset the thread's current loop.
        own = asyncio.new_event_loop()
        try:
            own.run_until_complete(client.aclose())
        finally:
            own.close()
