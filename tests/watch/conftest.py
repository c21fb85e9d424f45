"""The watch folder's fixtures: a sandbox living on a frozen simulated clock (see
``watch_support``), a client on it, and a SQLiteStore file in the test's tmp_path."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from watch_support import LIFE

from factpulse_chorus import AsyncChorusClient, SQLiteStore
from factpulse_chorus.sandbox import ThreadedSandbox


@pytest.fixture
def life_sandbox(chorus_sandbox_factory: Callable[..., ThreadedSandbox]) -> ThreadedSandbox:
    return chorus_sandbox_factory(seed=3, **LIFE)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "watch.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[SQLiteStore]:
    async with SQLiteStore(db_path) as opened:
        yield opened


@pytest.fixture
async def life_client(life_sandbox: ThreadedSandbox) -> AsyncIterator[AsyncChorusClient]:
    # The watcher retries by itself: the transport must not hide faults (max_retries=0).
    async with AsyncChorusClient(
        base_url=life_sandbox.url, email="demo", password="demo", max_retries=0
    ) as client:
        yield client
