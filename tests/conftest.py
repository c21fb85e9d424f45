"""Fixtures shared by every test folder.

* ``kind``: ``"async"`` or ``"sync"``; a test (or fixture) asking for it runs on both clients.
* ``client``: the demo account's client of that kind on ``api_url`` (by default the
  ``chorus_sandbox`` of the test; a module points it elsewhere by defining its own ``api_url``).
* ``client_factory``: ``async with client_factory(url, **options) as client`` for a test that
  needs several clients or other options, on the same kind.
* ``refused``: ``await refused(lambda: call, field)`` checks that ``call`` is refused naming
  ``field`` before any API request reaches the test's ``chorus_sandbox``.

The blocking client is seen through :mod:`dual_client`'s async adapter, so one test body
serves both. Folder-only fixtures live in that folder's ``conftest.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from dual_client import KINDS, ClientFactory, Refused, dual_client

from factpulse_chorus import RequestValidationError
from factpulse_chorus.sandbox import ThreadedSandbox

DEMO_ACCOUNT = {"email": "demo", "password": "demo"}

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "REQUEST_METHOD")


@pytest.fixture(autouse=True)
def _no_proxy_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The clients honour the proxy variables: a developer's own proxy must not carry the
    suite's loopback traffic (nor subprocesses started by tests, which inherit them)."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    """Each test asking for it runs on the async client and on the blocking one."""
    return str(request.param)


@pytest.fixture
def api_url(chorus_sandbox: ThreadedSandbox) -> str:
    """Where ``client`` and ``client_factory`` connect by default."""
    return chorus_sandbox.url


@pytest.fixture
def client_factory(kind: str) -> ClientFactory:
    """Clients of this test's kind, on the demo account unless ``options`` name credentials."""

    def make(url: str, **options: Any) -> AbstractAsyncContextManager[Any]:
        if not options.keys() & {"email", "token", "api_key"}:
            options = {**DEMO_ACCOUNT, **options}
        return dual_client(kind, base_url=url, **options)

    return make


@pytest.fixture
async def client(client_factory: ClientFactory, api_url: str) -> AsyncIterator[Any]:
    """The demo account's client (async, or blocking behind the adapter) on ``api_url``."""
    async with client_factory(api_url) as c:
        yield c


@pytest.fixture
def refused(chorus_sandbox: ThreadedSandbox) -> Refused:
    """``await refused(lambda: call, field)``: the call raises RequestValidationError naming
    ``field``, and no API request (a login aside) reached the sandbox."""

    async def check(call: Callable[[], Awaitable[Any]], field: str) -> None:
        with pytest.raises(RequestValidationError) as info:
            await call()  # made here, inside the check: some calls refuse before awaiting
        assert info.value.field == field
        requests = chorus_sandbox.stats()["requests"]
        assert {route: n for route, n in requests.items() if route != "token"} == {}

    return check
