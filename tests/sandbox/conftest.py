"""Fixtures of the sandbox tests: raw HTTP (no SDK client) against an in-process sandbox, and
a bare domain for the tests that call its methods directly."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from sandbox_domain_support import make_domain

from factpulse_chorus.sandbox import Sandbox
from factpulse_chorus.sandbox._domain import Domain


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session: these tests speak the wire format themselves."""
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """A fresh in-process sandbox on seed 0, on this test's event loop."""
    async with Sandbox(seed=0) as sb:
        yield sb


@pytest.fixture
def domain() -> Domain:
    """A domain on a frozen clock (only ``advance`` moves it), seed 0."""
    return make_domain()
