"""The ledger folder's fixtures: a sandbox recording requests, and a fresh store on a file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from factpulse_chorus import SQLiteStore
from factpulse_chorus.sandbox import Sandbox


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(seed=7, record_requests=True, routing_delay=(0, 0)) as sb:
        yield sb


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with SQLiteStore(tmp_path / "ledger.db") as opened:
        yield opened
