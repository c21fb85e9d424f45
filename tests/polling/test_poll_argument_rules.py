"""Issue 13, items 6 and 7, for the poller: wrong types and bare strings are refused at once.

``final_statuses="MISE_EN_PAIEMENT"`` used to be split into letters (and the poll ran to
its 30-day deadline); ``final_statuses=[None]`` and ``backoff="x"`` raised raw errors.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest
from dual_client import Refused

from factpulse_chorus import AsyncChorusClient, RequestValidationError
from factpulse_chorus._polling import InvoicePoller
from factpulse_chorus.sandbox import ThreadedSandbox


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"final_statuses": "MISE_EN_PAIEMENT"}, "final_statuses"),
        ({"final_statuses": b"REJETEE"}, "final_statuses"),
        ({"final_statuses": [None]}, "final_statuses[0]"),
        ({"final_statuses": ["REJETEE", " "]}, "final_statuses[1]"),
        ({"final_statuses": {"REJETEE": 1}}, "final_statuses"),
        ({"backoff": "x"}, "backoff"),
        ({"jitter": [0.1]}, "jitter"),
        ({"interval": float("inf")}, "interval"),
        ({"max_errors": 1.5}, "max_errors"),
        ({"clock": 3}, "clock"),
        ({"sleep": "later"}, "sleep"),
    ],
)
async def test_poll_refuses_bad_options_naming_them(
    client: AsyncChorusClient, refused: Refused, options: dict[str, Any], field: str
) -> None:
    await refused(lambda: _start(client.factures.poll([1], **options)), field)


@pytest.mark.parametrize("ids", ["12", b"12", 12, None, [1, "2"], {1: "a"}])
async def test_poll_and_consulter_many_refuse_ids_that_are_not_a_list_of_ints(
    client: AsyncChorusClient, chorus_sandbox: ThreadedSandbox, ids: object
) -> None:
    with pytest.raises(RequestValidationError) as info:
        await _start(client.factures.poll(ids))  # type: ignore[arg-type]
    assert info.value.field.startswith("invoice_ids")
    with pytest.raises(RequestValidationError) as info:
        await client.factures.consulter_many(ids)  # type: ignore[arg-type]
    assert info.value.field.startswith("invoice_ids")
    assert chorus_sandbox.stats()["requests"].get("factures/consulter", {}) == {}


async def _start(poller: Any) -> None:
    """Pull one event (so a lazily checked poller would fail here too), then close."""
    if inspect.isawaitable(poller):
        poller = await poller  # the blocking client, seen through dual_client
    if not hasattr(poller, "__anext__"):
        try:
            await asyncio.to_thread(next, poller, None)
        finally:
            await asyncio.to_thread(poller.close)
        return
    try:
        await poller.__anext__()
    finally:
        await poller.aclose()


async def test_the_poller_built_directly_refuses_a_bare_string() -> None:
    async def fetch(invoice_id: int) -> Any:
        raise AssertionError("never called")

    with pytest.raises(RequestValidationError) as info:
        InvoicePoller(fetch, [1], final_statuses="REJETEE")
    assert info.value.field == "final_statuses"
    with pytest.raises(RequestValidationError) as info:
        InvoicePoller("fetch", [1])  # type: ignore[arg-type]
    assert info.value.field == "fetch"
