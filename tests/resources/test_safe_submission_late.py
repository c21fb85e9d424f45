"""``soumettre(safe_retry=...)`` when the first attempt lands late (issue 13, item 17).

A purpose-built server holds the first submission until the client has given up on it
and looked the number up once, then creates it; it never refuses a repeated number
(the one rule the SDK cannot count on from every server). Looking up once and resending
made a duplicate; the settle period (several spaced look-ups) finds the late invoice.
Every wait of the server is on a condition, with a bound.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from fake_server import API_KEY, fake_server, json_response
from payloads import invoice

from factpulse_chorus import AsyncChorusClient, OutcomeUnknownError, SafeRetry
from factpulse_chorus._exceptions import RequestValidationError

INVOICE = invoice("LATE-1", attachment_id=4817263)
BOUND = 10.0  # no wait of the server lasts longer than this


class LateServer:
    """Chorus Pro through FactPulse, the first submission landing late."""

    def __init__(self, *, land_first: bool = True) -> None:
        self.land_first = land_first
        self.invoices: list[dict[str, Any]] = []
        self.submissions = 0
        self.lookups: list[float] = []
        self.first_lookup_answered = asyncio.Event()
        self.first_landed = asyncio.Event()
        self.tasks: set[asyncio.Task[None]] = set()

    def _create(self, number: str) -> dict[str, Any]:
        invoice = {
            "identifiantFactureCPP": 7_400_000 + len(self.invoices),
            "numeroFacture": number,
            "numeroFluxDepot": f"CPP{len(self.invoices):08d}",
        }
        self.invoices.append(invoice)  # a repeated number is accepted: no refusal here
        return invoice

    async def _land_late(self, number: str) -> None:
        # After the client gave up on this attempt and found nothing on its first look-up.
        await asyncio.wait_for(self.first_lookup_answered.wait(), BOUND)
        if self.land_first:
            self._create(number)
        self.first_landed.set()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if request.path.endswith("/factures/soumettre"):
            self.submissions += 1
            number = body["invoiceNumber"]
            if self.submissions == 1:
                task = asyncio.create_task(self._land_late(number))
                self.tasks.add(task)
                await asyncio.shield(task)  # the client disconnects long before
                return json_response({"returnCode": 0, "message": "late", "chorusInvoiceId": 1})
            invoice = self._create(number)
            return json_response(
                {
                    "returnCode": 0,
                    "message": "Invoice submitted to Chorus Pro",
                    "chorusInvoiceId": invoice["identifiantFactureCPP"],
                    "depositFlowNumber": invoice["numeroFluxDepot"],
                }
            )
        assert request.path.endswith("/factures/rechercher-fournisseur")
        self.lookups.append(time.monotonic())
        if len(self.lookups) > 1:
            # The late attempt lands within the settle period: later look-ups see it.
            await asyncio.wait_for(self.first_landed.wait(), BOUND)
        found = [dict(i) for i in self.invoices if i["numeroFacture"] == body.get("numeroFacture")]
        if len(self.lookups) == 1:
            self.first_lookup_answered.set()  # the snapshot above is already taken
        return json_response({"codeRetour": 0, "libelle": "GDP_MSG_00.000", "listeFactures": found})


@pytest.fixture
async def late() -> AsyncIterator[tuple[LateServer, str]]:
    server = LateServer()
    async with fake_server(server.handle) as (_fake, url):
        yield server, url
    for task in server.tasks:
        task.cancel()


async def test_a_late_first_attempt_is_found_not_duplicated(
    late: tuple[LateServer, str],
) -> None:
    server, url = late
    policy = SafeRetry(settle=0.6, lookups=3)
    async with AsyncChorusClient(base_url=url, api_key=API_KEY, max_retries=0) as client:
        result = await client.factures.soumettre(safe_retry=policy, timeout=0.3, **INVOICE)
    assert len(server.invoices) == 1  # no duplicate
    assert server.submissions == 1  # never resent
    assert result.invoice_id == server.invoices[0]["identifiantFactureCPP"]
    assert "already submitted" in result.message
    assert len(server.lookups) == 2  # the second, spaced look-up found it
    assert server.lookups[1] - server.lookups[0] >= 0.25  # spaced by settle / (lookups - 1)


async def test_not_there_after_the_settle_period_it_is_resent_once() -> None:
    server = LateServer(land_first=False)  # the first attempt never lands
    async with (
        fake_server(server.handle) as (_fake, url),
        AsyncChorusClient(base_url=url, api_key=API_KEY, max_retries=0) as client,
    ):
        result = await client.factures.soumettre(
            safe_retry=SafeRetry(settle=0.3, lookups=3), timeout=0.3, **INVOICE
        )
    assert len(server.invoices) == 1
    assert server.submissions == 2  # resent only after all the look-ups
    assert len(server.lookups) == 3
    assert server.lookups[2] - server.lookups[0] >= 0.25
    assert result.message == "Invoice submitted to Chorus Pro"


async def test_resends_zero_looks_up_and_never_resends() -> None:
    server = LateServer(land_first=False)
    async with (
        fake_server(server.handle) as (_fake, url),
        AsyncChorusClient(base_url=url, api_key=API_KEY, max_retries=0) as client,
    ):
        with pytest.raises(OutcomeUnknownError) as info:
            await client.factures.soumettre(
                safe_retry=SafeRetry(settle=0.1, lookups=2, resends=0),
                timeout=0.3,
                **INVOICE,
            )
    assert info.value.invoice_number == "LATE-1"
    assert server.submissions == 1
    assert len(server.lookups) == 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"settle": -1.0}, "safe_retry.settle"),
        ({"settle": float("inf")}, "safe_retry.settle"),
        ({"settle": "5"}, "safe_retry.settle"),
        ({"lookups": 0}, "safe_retry.lookups"),
        ({"resends": -1}, "safe_retry.resends"),
        ({"resends": True}, "safe_retry.resends"),
    ],
)
def test_bad_policies_are_refused(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(RequestValidationError) as info:
        SafeRetry(**kwargs)
    assert info.value.field == field


async def test_safe_retry_of_a_wrong_type_is_refused_before_sending(
    late: tuple[LateServer, str],
) -> None:
    server, url = late
    async with AsyncChorusClient(base_url=url, api_key=API_KEY) as client:
        with pytest.raises(RequestValidationError) as info:
            await client.factures.soumettre(safe_retry="yes", **INVOICE)  # type: ignore[arg-type]
    assert info.value.field == "safe_retry"
    assert server.submissions == 0
