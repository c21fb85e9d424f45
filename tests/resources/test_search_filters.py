"""The invoice searches' filters: declared once (a TypedDict per search), checked by name,
every filter of the request model settable, sent under its wire name."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import attrs
import pytest

from factpulse_chorus import AsyncChorusClient, RequestValidationError, ResponseDecodeError
from factpulse_chorus._converter import from_wire
from factpulse_chorus.models.factures import (
    FacturesConsulterResponse,
    FacturesRechercherDestinataireFilters,
    FacturesRechercherDestinataireRequest,
    FacturesRechercherFournisseurFilters,
    FacturesRechercherFournisseurRequest,
    FacturesSoumettreResponse,
    RecipientFilter,
)
from factpulse_chorus.sandbox import ThreadedSandbox, sandbox_in_thread

PAGINATION = {"page_size", "sort_column", "sort_direction"}
NOT_FILTERS = {"pagination", "credentials"}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[ThreadedSandbox]:
    with sandbox_in_thread(seed=9, record_requests=True) as sb:
        yield sb


@pytest.fixture
def api_url(sandbox: ThreadedSandbox) -> str:
    """The shared ``client`` fixture (on both kinds) connects to this module's sandbox."""
    return sandbox.url


def sent(sandbox: ThreadedSandbox, route: str) -> dict[str, Any]:
    body = sandbox.received(route)[-1]["body"]
    assert isinstance(body, dict)
    return body


@pytest.mark.parametrize(
    ("declared", "request_cls"),
    [
        (FacturesRechercherFournisseurFilters, FacturesRechercherFournisseurRequest),
        (FacturesRechercherDestinataireFilters, FacturesRechercherDestinataireRequest),
    ],
)
def test_the_filters_are_the_request_fields_plus_the_pagination(
    declared: type, request_cls: type
) -> None:
    fields = {a.name for a in attrs.fields(request_cls)} - NOT_FILTERS
    assert set(declared.__optional_keys__) == fields | PAGINATION  # type: ignore[attr-defined]
    assert not declared.__required_keys__  # type: ignore[attr-defined]


async def test_the_three_filters_that_could_not_be_set_are_sent(
    client: AsyncChorusClient, sandbox: ThreadedSandbox
) -> None:
    await client.factures.rechercher_fournisseur(
        creator_user_id=[12, 13],
        billing_framework={"codeCadreFacturation": "A1"},
        bank_details_id=7,
    )
    body = sent(sandbox, "factures/rechercher-fournisseur")
    assert body["idUtilisateurCreateur"] == [12, 13]
    assert body["cadreFacturation"] == {"codeCadreFacturation": "A1"}
    assert body["coordonneeBancaire"] == 7


async def test_filters_are_sent_under_their_wire_names(
    client: AsyncChorusClient, sandbox: ThreadedSandbox
) -> None:
    await client.factures.rechercher_fournisseur(
        invoice_number="F-1",
        status="SUSPENDUE",
        invoice_date_from=date(2025, 3, 1),
        recipients=[RecipientFilter(recipient_structure_id=25827464, recipient_service_ids=[3])],
        amount_due_min=Decimal("10"),
        page=2,
        page_size=5,
        sort_direction="Descendant",
        invoice_type=None,  # None: not filtered
    )
    assert sent(sandbox, "factures/rechercher-fournisseur") == {
        "numeroFacture": "F-1",
        "statutCourant": ["SUSPENDUE"],
        "periodeDateFactureDu": "2025-03-01",
        "listeDestinataire": [{"idDestinataire": 25827464, "listeIdServiceExecutant": [3]}],
        "montantApayerMin": 10,
        "rechercheFactureParFournisseur": {
            "pageResultatDemandee": 2,
            "nbResultatsParPage": 5,
            "triSens": "Descendant",
        },
    }
    await client.factures.rechercher_destinataire(
        downloaded_by_recipient=False, invoice_types="FACTURE", billing_framework="A1"
    )
    assert sent(sandbox, "factures/rechercher-destinataire") == {
        "factureTelechargeeParDestinataire": False,
        "listeTypeFacture": ["FACTURE"],
        "cadreFacturation": "A1",
        "paramRecherche": {"pageResultatDemandee": 1},
    }


@pytest.mark.parametrize(
    "method", ["rechercher_fournisseur", "iter_fournisseur", "pages_destinataire"]
)
async def test_an_unknown_filter_is_refused_naming_it(
    client: AsyncChorusClient, sandbox: ThreadedSandbox, method: str
) -> None:
    before = len(sandbox.received("factures/rechercher-fournisseur")) + len(
        sandbox.received("factures/rechercher-destinataire")
    )
    call = getattr(client.factures, method)

    async def run() -> None:
        if method == "rechercher_fournisseur":
            await call(numero_facture="F-1")
        else:
            async for _ in call(numero_facture="F-1"):
                pass

    with pytest.raises(RequestValidationError) as info:
        await run()
    assert info.value.field == "numero_facture"
    assert "is not a filter of factures.rechercher_" in info.value.rule
    after = len(sandbox.received("factures/rechercher-fournisseur")) + len(
        sandbox.received("factures/rechercher-destinataire")
    )
    assert after == before  # nothing sent


async def test_a_bad_status_filter_names_the_sdk_parameter(client: AsyncChorusClient) -> None:
    with pytest.raises(RequestValidationError) as info:
        await client.factures.rechercher_fournisseur(status=[" "])  # type: ignore[list-item]
    assert info.value.field == "status"


@pytest.mark.parametrize(
    ("body", "cls", "key"),
    [
        ({"returnCode": 0, "message": "ok"}, FacturesSoumettreResponse, "chorusInvoiceId"),
        (
            {"returnCode": 0, "message": "ok", "chorusInvoiceId": 1},
            FacturesConsulterResponse,
            "currentStatus",
        ),
        (
            {"returnCode": 0, "message": "ok", "currentStatus": {"code": "DEPOSEE", "label": "x"}},
            FacturesConsulterResponse,
            "chorusInvoiceId",
        ),
    ],
)
def test_a_success_without_its_required_field_is_a_decode_error(
    body: dict[str, Any], cls: type, key: str
) -> None:
    with pytest.raises(ResponseDecodeError, match=f"\\$.{key}: required key missing"):
        from_wire(body, cls)
