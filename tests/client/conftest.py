"""Fixtures of the client tests: the strict recording sandbox the endpoint tests talk to, and
the client of the test's kind on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from dual_client import ClientFactory

from factpulse_chorus.sandbox import Sandbox


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(seed=7, strict=True, record_requests=True, routing_delay=(0, 0)) as sb:
        yield sb


@pytest.fixture
async def api(client_factory: ClientFactory, sandbox: Sandbox) -> AsyncIterator[Any]:
    """The client of this test's kind (both run): the blocking one behind the async adapter."""
    async with client_factory(sandbox.url, client_uid="b7f1", max_retries=0) as client:
        yield client
