"""Issue 13, items 18 and 19: what the server may send in fields whose format no source fixes.

Dates, amounts and sizes of responses are ``wire(lenient=True)``: the documented forms
and the common French ones are read; anything else leaves the field None, is kept as
received in the response's ``unparsed`` and logged once; the response never fails.
"""

from __future__ import annotations

import logging
import typing
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest
from aiohttp import web
from fake_server import EMAIL, PASSWORD, FakeFactPulse, fake_server, json_response

from factpulse_chorus import AsyncChorusClient, ResponseDecodeError
from factpulse_chorus._converter import from_wire
from factpulse_chorus._wire import LENIENT, wire
from factpulse_chorus.models import factures, structures, transverses, valideur
from factpulse_chorus.models.common import APIResponse
from factpulse_chorus.models.factures import FinalStatus, PollError, PollFinished

LOGGER = "factpulse_chorus"


def consulter_body(**fields: Any) -> dict[str, Any]:
    status = {"code": "MISE_EN_PAIEMENT", "label": "Mise en paiement"}
    status.update(fields.pop("status", {}))
    return {
        "returnCode": 0,
        "message": "ok",
        "chorusInvoiceId": 7,
        "currentStatus": status,
        **fields,
    }


# --- the documented forms and the French variants ------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-04-01", date(2025, 4, 1)),
        ("01/04/2025", date(2025, 4, 1)),
        ("1/4/2025", date(2025, 4, 1)),
        ("01.04.2025", date(2025, 4, 1)),
        ("01-04-2025", date(2025, 4, 1)),
        ("2025/04/01", date(2025, 4, 1)),
        (" 01/04/2025 ", date(2025, 4, 1)),
        ("01/04/2025 14:30", datetime(2025, 4, 1, 14, 30)),
        ("01/04/2025 14:30:05", datetime(2025, 4, 1, 14, 30, 5)),
        ("01/04/2025 à 14h30", datetime(2025, 4, 1, 14, 30)),
        ("01/04/2025T14:30:05Z", datetime(2025, 4, 1, 14, 30, 5, tzinfo=timezone.utc)),
        (
            "01/04/2025 14:30+02:00",
            datetime(2025, 4, 1, 14, 30, tzinfo=timezone(timedelta(hours=2))),
        ),
    ],
)
def test_lenient_dates_read_the_french_forms(text: str, expected: date) -> None:
    response = from_wire(
        consulter_body(invoiceDate=text, status={"date": text}), factures.FacturesConsulterResponse
    )
    assert response.invoice_date == expected
    assert response.status.date == expected
    assert type(response.invoice_date) is type(expected)
    assert response.unparsed == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1250.50", "1250.50"),
        ("1250,50", "1250.50"),
        ("1 250,50", "1250.50"),
        ("1\u00a0250,50", "1250.50"),
        ("1\u202f250\u202f000,5", "1250000.5"),
        ("1.250,50", "1250.50"),
        ("1,250.50", "1250.50"),
        ("1 250", "1250"),
        ("-12,3", "-12.3"),
        ("\u221212,30", "-12.30"),
        ("1 250,50 €", "1250.50"),
        ("EUR 1250,50", "1250.50"),
        ("0,1", "0.1"),
    ],
)
def test_lenient_amounts_read_the_french_forms(text: str, expected: str) -> None:
    response = from_wire(consulter_body(totalGrossAmount=text), factures.FacturesConsulterResponse)
    assert response.total_gross_amount is not None
    assert str(response.total_gross_amount) == expected
    item = from_wire({"montantHT": text, "montantAPayer": text}, factures.SupplierInvoice)
    assert str(item.total_net_amount) == str(item.amount_due) == expected


@pytest.mark.parametrize(
    "value",
    ["le 1er avril", "31/02/2025", "2025-13-01", "01/04/25", 20250401, True, ["2025-04-01"]],
)
def test_an_unreadable_date_keeps_the_response(
    value: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        response = from_wire(
            consulter_body(status={"date": value}, totalGrossAmount="1 250,50"),
            factures.FacturesConsulterResponse,
        )
    assert response.status.date is None
    assert response.status.code == "MISE_EN_PAIEMENT"
    assert response.total_gross_amount == Decimal("1250.50")
    assert response.unparsed == {"$.currentStatus.date": value}
    records = [r for r in caplog.records if r.name == LOGGER]
    assert len(records) == 1
    assert records[0].levelno == logging.WARNING
    assert "$.currentStatus.date" in records[0].getMessage()


@pytest.mark.parametrize("value", ["1250.50.00", "12,50,00", "1 25,50", "NaN", "Infinity", True])
def test_an_unreadable_amount_keeps_the_response(value: Any) -> None:
    response = from_wire(consulter_body(totalGrossAmount=value), factures.FacturesConsulterResponse)
    assert response.total_gross_amount is None
    assert response.unparsed == {"$.totalGrossAmount": value}


def test_every_unreadable_value_in_one_response_one_warning_no_value_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret_like = PASSWORD  # a server may put anything in a field: never logged
    body = {
        "codeRetour": 0,
        "facture": {
            "identifiantFactureCPP": 1,
            "references": {"dateFacture": secret_like, "tailleTotalePiecesJointes": 2048.5},
            "montantTotal": {"montantTVA": "NaN", "montantTtcTotal": "1 250,50"},
            "lignesDePoste": {"lignePoste": [{}, {"lignePosteQuantite": "deux"}]},
        },
    }
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        response = from_wire(body, valideur.ValideurConsulterResponse)
    detail = response.invoice
    assert detail.references is not None
    assert detail.references.invoice_date is None
    assert detail.references.attachments_total_size is None
    assert detail.totals is not None
    assert detail.totals.vat_amount is None
    assert detail.totals.total_gross_amount == Decimal("1250.50")
    assert response.unparsed == {
        "$.facture.references.dateFacture": secret_like,
        "$.facture.references.tailleTotalePiecesJointes": 2048.5,
        "$.facture.montantTotal.montantTVA": "NaN",
        "$.facture.lignesDePoste.lignePoste[1].lignePosteQuantite": "deux",
    }
    assert response.raw.json is None or "facture" in response.raw.json
    records = [r for r in caplog.records if r.name == LOGGER]
    assert len(records) == 1
    message = records[0].getMessage()
    assert "4 value(s)" in message
    for path in response.unparsed:
        assert path in message
    assert secret_like not in message
    assert "NaN" not in message
    assert "deux" not in message


def test_a_failure_outside_lenient_fields_still_names_the_path() -> None:
    body = consulter_body(invoiceDate="01/04/2025 ?", recipientStructureId="x")
    with pytest.raises(ResponseDecodeError) as info:
        from_wire(body, factures.FacturesConsulterResponse)
    assert "$.recipientStructureId: expected an integer" in str(info.value)
    # Both are reported: the lenient one is not silently dropped from the message.
    assert "$.invoiceDate: expected a date" in str(info.value)


# --- item 19: numbers, as ints or floats --------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2048, 2048),
        (2048.0, 2048),
        ("2048.00", 2048),
        ("2048", 2048),
        ("2 048", 2048),
        ("2048,0", 2048),
    ],
)
def test_native_sizes_read_ints_and_floats_alike(value: Any, expected: int) -> None:
    body = {"codeRetour": 0, "facture": {"identifiantFactureCPP": 1.0,
            "references": {"tailleTotalePiecesJointes": value}}}  # fmt: skip
    response = from_wire(body, valideur.ValideurConsulterResponse)
    assert response.invoice.invoice_id == 1
    assert response.invoice.references is not None
    size = response.invoice.references.attachments_total_size
    assert size == expected
    assert type(size) is int
    item = from_wire({"taille": value}, factures.SupplierInvoice)
    assert item.size == expected


def test_a_fractional_size_is_never_rounded() -> None:
    body = {"codeRetour": 0, "listeFactures": [{"taille": 12.5, "idDestinataire": 3.0}]}
    response = from_wire(body, factures.FacturesRechercherFournisseurResponse)
    assert response.invoices[0].size is None
    assert response.invoices[0].recipient_structure_id == 3
    assert response.unparsed == {"$.listeFactures[0].taille": 12.5}
    # An id is not lenient: a fractional one is an error naming the path.
    with pytest.raises(ResponseDecodeError, match=r"\$\.listeFactures\[0\]\.idDestinataire"):
        from_wire(
            {"codeRetour": 0, "listeFactures": [{"idDestinataire": 3.5}]},
            factures.FacturesRechercherFournisseurResponse,
        )


# --- the class: every such field is marked, the fast path is untouched --------------------------


def _response_models() -> Iterator[type]:
    seen: set[type] = set()
    todo = [
        o
        for m in (factures, structures, transverses, valideur)
        for o in vars(m).values()
        if isinstance(o, type) and issubclass(o, APIResponse) and o.__module__.startswith("fact")
    ]
    while todo:
        cl = todo.pop()
        if cl in seen:
            continue
        seen.add(cl)
        attrs.resolve_types(cl)
        yield cl
        for a in attrs.fields(cl):
            for t in _flat(a.type):
                if isinstance(t, type) and attrs.has(t):
                    todo.append(t)


def _flat(t: Any) -> Iterator[Any]:
    args = typing.get_args(t)
    if not args:
        yield t
    for arg in args:
        yield from _flat(arg)


def test_every_response_date_amount_and_size_is_lenient() -> None:
    checked = 0
    for cl in _response_models():
        for a in attrs.fields(cl):
            kinds = set(_flat(a.type))
            is_size = a.name in ("size", "attachments_total_size")
            if kinds & {date, datetime, Decimal} or is_size:
                checked += 1
                assert a.metadata.get(LENIENT), f"{cl.__name__}.{a.name} is not lenient"
                assert a.default is None, f"{cl.__name__}.{a.name} must default to None"
            elif a.metadata.get(LENIENT):
                pytest.fail(f"{cl.__name__}.{a.name}: only dates, amounts and sizes are lenient")
    assert checked >= 45  # the walk reached the nested models


def test_well_formed_values_never_take_the_lenient_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any) -> None:
        raise AssertionError("the lenient path ran for a well-formed body")

    monkeypatch.setattr("factpulse_chorus._converter.recover", refuse)
    body = consulter_body(invoiceDate="2025-04-01", totalGrossAmount="1250.50",
                          status={"date": "2025-04-01T10:00:00+02:00"})  # fmt: skip
    response = from_wire(body, factures.FacturesConsulterResponse)
    assert response.total_gross_amount == Decimal("1250.50")
    assert response.unparsed == {}


def test_a_lenient_field_must_default_to_none() -> None:
    @attrs.frozen(kw_only=True)
    class Broken:
        when: date = attrs.field(metadata=wire(lenient=True))

    with pytest.raises(ResponseDecodeError, match="lenient field must default to None"):
        from_wire({"when": "2025-04-01"}, Broken)


# --- against a server: factures.consulter and polling ------------------------------------------


@pytest.fixture
async def server() -> AsyncIterator[tuple[FakeFactPulse, str]]:
    async with fake_server() as (fake, url):
        yield fake, url


def answer(fake: FakeFactPulse, body: dict[str, Any]) -> None:
    async def handler(_request: web.Request) -> web.StreamResponse:
        return json_response(body)

    fake.handler = handler


async def test_consulter_reads_french_values_from_a_server(
    server: tuple[FakeFactPulse, str], caplog: pytest.LogCaptureFixture
) -> None:
    fake, url = server
    answer(fake, consulter_body(invoiceDate="01/04/2025", totalGrossAmount="1\u00a0250,50",
                                status={"date": "bientôt"}))  # fmt: skip
    async with AsyncChorusClient(base_url=url, email=EMAIL, password=PASSWORD) as client:
        with caplog.at_level(logging.WARNING, logger=LOGGER):
            response = await client.factures.consulter(7)
    assert response.invoice_date == date(2025, 4, 1)
    assert response.total_gross_amount == Decimal("1250.50")
    assert response.status.date is None
    assert response.unparsed == {"$.currentStatus.date": "bientôt"}
    assert response.raw.json["currentStatus"]["date"] == "bientôt"
    assert len([r for r in caplog.records if r.name == LOGGER]) == 1


async def test_polling_an_invoice_with_an_unreadable_date_finishes(
    server: tuple[FakeFactPulse, str],
) -> None:
    fake, url = server
    answer(fake, consulter_body(invoiceDate="1er avril", status={"date": "??/04/2025"}))
    async with AsyncChorusClient(base_url=url, email=EMAIL, password=PASSWORD) as client:
        events = [e async for e in client.factures.poll([7], interval=0.01, deadline=30.0)]
    assert not [e for e in events if isinstance(e, PollError)]
    finals = [e for e in events if isinstance(e, FinalStatus)]
    assert [e.invoice_id for e in finals] == [7]
    assert isinstance(events[-1], PollFinished)
