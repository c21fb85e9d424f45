"""``factures.poll`` runs no more workers than the client's connection limit (issue 14).

Workers past the limit would only queue for a connection, costing CPU: while the reads are
held at the server, the poller has exactly as many worker tasks as reads in flight.
"""

from __future__ import annotations

from collections import Counter

import pytest
from dual_client import ClientFactory
from held_requests import FINAL, IDS, LIMIT, drain, held_client, limited, on_views, while_held

from factpulse_chorus import RequestValidationError
from factpulse_chorus.models.factures import FinalStatus, PollFinished


@limited
@on_views
async def test_poll_caps_its_workers_at_the_connection_limit(
    client_factory: ClientFactory, limits: dict[str, int], view: bool
) -> None:
    async with held_client(client_factory, LIMIT, view=view, **limits) as (server, client):
        workers, events = await while_held(server, drain(client.factures.poll(IDS, concurrency=50)))
    assert workers == server.most == LIMIT
    finals = Counter(e.invoice_id for e in events if isinstance(e, FinalStatus))
    assert finals == Counter(IDS)
    assert isinstance(events[-1], PollFinished)
    assert events[-1].summary.final == {FINAL: len(IDS)}
    assert events[-1].summary.requests == len(IDS)


async def test_an_invalid_concurrency_is_still_refused(client_factory: ClientFactory) -> None:
    async with held_client(client_factory, LIMIT, connection_limit=LIMIT) as (server, client):
        for concurrency in (0, -1):
            with pytest.raises(RequestValidationError) as info:
                await drain(client.factures.poll(IDS, concurrency=concurrency))
            assert info.value.field == "concurrency"
    assert server.most == 0
