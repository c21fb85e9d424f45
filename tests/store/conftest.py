"""The store folder's fixtures: ``store`` runs a test on each backend (SQLite on a file in the
test's tmp_path, PostgreSQL on a fresh database of a real server, see postgres_server.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from postgres_server import DatabasePool, server_url

from factpulse_chorus import PostgresStore, SQLiteStore, open_store

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """One PostgreSQL server per xdist worker (its superuser's URL)."""
    with server_url() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_databases(postgres_server: str) -> Iterator[DatabasePool]:
    pool = DatabasePool(postgres_server)
    yield pool
    pool.close()


@pytest.fixture
def postgres_url(postgres_databases: DatabasePool) -> Iterator[str]:
    """The URL of an empty database for this test (a new one, or one emptied since)."""
    url = postgres_databases.take()
    yield url
    postgres_databases.give_back(url)


@pytest.fixture(params=BACKENDS)
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """What ``open_store`` takes, for each backend: a file path, or a database URL."""
    if request.param == "sqlite":
        return str(tmp_path / "store.db")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def store(store_target: str) -> AsyncIterator[SQLiteStore | PostgresStore]:
    async with open_store(store_target) as opened:
        yield opened


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    """For what only SQLite has (its file, its query plans)."""
    async with SQLiteStore(tmp_path / "store.db") as opened:
        yield opened
