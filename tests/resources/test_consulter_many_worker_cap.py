"""``factures.consulter_many`` runs no more workers than the client's connection limit (issue 14).

Workers past the limit would only queue for a connection, costing CPU: while the requests
are held at the server, the SDK has exactly as many worker tasks as requests in flight.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from dual_client import ClientFactory
from held_requests import FINAL, IDS, LIMIT, held_client, limited, on_views, while_held

from factpulse_chorus import AsyncChorusClient


@limited
@on_views
async def test_consulter_many_caps_its_workers_at_the_connection_limit(
    client_factory: ClientFactory, limits: dict[str, int], view: bool
) -> None:
    async with held_client(client_factory, LIMIT, view=view, **limits) as (server, client):
        workers, results = await while_held(
            server, client.factures.consulter_many(IDS, concurrency=50)
        )
    assert workers == server.most == LIMIT
    _check(results)


async def test_no_connection_limit_means_no_cap(client_factory: ClientFactory) -> None:
    async with held_client(client_factory, 8, connection_limit=0) as (server, client):
        workers, results = await while_held(
            server, client.factures.consulter_many(IDS, concurrency=8)
        )
    assert workers == server.most == 8
    _check(results)


async def test_a_session_given_by_the_user_sets_the_cap() -> None:
    # The async client only (the blocking one never takes a session); its config says 100.
    def factory(url: str, **options: Any) -> AsyncChorusClient:
        return AsyncChorusClient(base_url=url, **options)

    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=3)) as session,
        held_client(factory, 3, session=session) as (server, client),
    ):
        workers, results = await while_held(
            server, client.factures.consulter_many(IDS, concurrency=50)
        )
    assert workers == server.most == 3
    _check(results)


def _check(results: list[Any]) -> None:
    assert [r.invoice_id for r in results] == IDS
    assert {r.response.status.code for r in results} == {FINAL}
