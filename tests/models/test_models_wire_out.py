"""Issue 13, items 19 and 20: what goes on the wire for native amounts and date-time filters.

Amounts stay Decimals up to the JSON text (a number written from their own digits, never
through a float); date-time filters carry an explicit offset, a naive datetime being
Europe/Paris wall time. Checked on the bytes a real server on 127.0.0.1 receives.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from fake_server import EMAIL, PASSWORD, FakeFactPulse, fake_server, json_response

from factpulse_chorus import AsyncChorusClient
from factpulse_chorus._wire_values import _eu_offset, encode_json, paris_time


@pytest.fixture
async def server() -> AsyncIterator[tuple[FakeFactPulse, list[bytes], str]]:
    """A server that records each API body as bytes and answers an empty search."""
    bodies: list[bytes] = []
    async with fake_server() as (fake, url):

        async def handler(request: web.Request) -> web.StreamResponse:
            bodies.append(await request.read())
            return json_response({"codeRetour": 0, "libelle": "ok", "listeFactures": []})

        fake.handler = handler
        yield fake, bodies, url


def client(url: str) -> AsyncChorusClient:
    return AsyncChorusClient(base_url=url, email=EMAIL, password=PASSWORD, max_retries=0)


async def test_native_amount_filters_keep_every_digit(
    server: tuple[FakeFactPulse, list[bytes], str],
) -> None:
    _fake, bodies, url = server
    huge = Decimal("1234567890123456.78")  # a float would send 1234567890123456.8
    async with client(url) as c:
        await c.factures.rechercher_fournisseur(
            total_net_amount_min=huge,
            total_gross_amount_max=Decimal("0.10"),
            amount_due_min=Decimal("1000"),
            extra={"montantMaximum": Decimal("99999999999999999.99")},
        )
        await c.valideur.rechercher(amount_due_max=Decimal("1250.50"))
    supplier = bodies[0].decode()
    assert '"montantHTMin":1234567890123456.78' in supplier
    assert '"montantTTCMax":0.10' in supplier
    assert '"montantApayerMin":1000' in supplier
    assert '"montantMaximum":99999999999999999.99' in supplier
    assert json.loads(supplier, parse_float=Decimal)["montantHTMin"] == huge
    assert '"montantAPayerMax":1250.50' in bodies[1].decode()


async def test_date_time_filters_are_sent_with_an_offset(
    server: tuple[FakeFactPulse, list[bytes], str],
) -> None:
    _fake, bodies, url = server
    async with client(url) as c:
        await c.factures.rechercher_fournisseur(
            status_date_from=datetime(2025, 1, 15, 14, 0),  # winter: CET
            status_date_to=datetime(2025, 7, 1, 9, 30, 5),  # summer: CEST
        )
        await c.factures.rechercher_destinataire(
            status_date_from=datetime(2025, 3, 10, 8, 0, tzinfo=timezone.utc),
            status_date_to=date(2025, 3, 31),
            extra={"dateHeureExtra": datetime(2025, 12, 24, 18, 0)},
        )
    supplier = json.loads(bodies[0])
    assert supplier["periodeDateHeureEtatCourantDu"] == "2025-01-15T14:00:00+01:00"
    assert supplier["periodeDateHeureEtatCourantAu"] == "2025-07-01T09:30:05+02:00"
    recipient = json.loads(bodies[1])
    assert recipient["periodeDateHeureEtatCourantDu"] == "2025-03-10T08:00:00+00:00"
    assert recipient["periodeDateHeureEtatCourantAu"] == "2025-03-31"  # a date stays a date
    assert recipient["dateHeureExtra"] == "2025-12-24T18:00:00+01:00"


def test_the_eu_rule_fallback_agrees_with_the_tz_database() -> None:
    paris = ZoneInfo("Europe/Paris")
    moment = datetime(2024, 1, 1, 0, 30)
    while moment.year < 2027:
        expected = moment.replace(tzinfo=paris).utcoffset()
        assert _eu_offset(moment).utcoffset(None) == expected, moment
        assert paris_time(moment).utcoffset() == expected
        moment += timedelta(hours=7, minutes=13)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("0.10"), "0.10"),
        (Decimal("-0"), "-0"),
        (Decimal("1E+3"), "1000"),
        (Decimal("1.5E-7"), "0.00000015"),
        (Decimal("1E+60"), "1E+60"),
        ({"a": [Decimal("1.00"), 2, "é", None, True]}, '{"a":[1.00,2,"é",null,true]}'),
    ],
)
def test_decimals_are_json_numbers_from_their_digits(value: Any, text: str) -> None:
    assert encode_json(value) == text
    assert json.loads(encode_json(value), parse_float=Decimal) == json.loads(
        text, parse_float=Decimal
    )


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), {"a": object()}])
def test_what_is_not_json_is_refused(value: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        encode_json(value)
