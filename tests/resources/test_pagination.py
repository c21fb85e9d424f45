"""Pagination of the invoice searches: every page, fetched lazily, no silent stop (§6.1)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web
from fake_server import serve

from factpulse_chorus import AsyncChorusClient, ChorusClient, ResponseDecodeError
from factpulse_chorus.sandbox import ThreadedSandbox, sandbox_in_thread

SUPPLIER = 31150744
COMMUNE = 25827464
VALIDATOR = 31207718
COUNT = 35


@pytest.fixture(scope="module")
def sandbox() -> Iterator[ThreadedSandbox]:
    with sandbox_in_thread(seed=5) as sb:
        for n in range(COUNT):
            sb.domain.seed_invoice(invoice_number=f"PAG-V-{n:03d}", status="A_VALIDER_1")
        for n in range(COUNT):
            sb.domain.seed_invoice(invoice_number=f"PAG-M-{n:03d}", status="MISE_A_DISPOSITION")
        yield sb


@pytest.fixture
def api_url(sandbox: ThreadedSandbox) -> str:
    """The shared ``client`` fixture (on both kinds) connects to this module's sandbox."""
    return sandbox.url


def hits(sandbox: ThreadedSandbox, route: str) -> int:
    return int(sandbox.stats()["requests"].get(route, {}).get("ok", 0))


async def test_iter_fournisseur_matches_one_big_page(
    client: AsyncChorusClient, sandbox: ThreadedSandbox
) -> None:
    big = await client.factures.rechercher_fournisseur(page_size=200)
    assert big.page_info is not None
    assert big.page_info.total == 2 * COUNT
    expected = [item.invoice_id for item in big.invoices]

    before = hits(sandbox, "factures/rechercher-fournisseur")
    found = [item.invoice_id async for item in client.factures.iter_fournisseur(page_size=10)]
    assert found == expected  # same order, nothing lost, no duplicate
    assert len(set(found)) == 2 * COUNT
    assert hits(sandbox, "factures/rechercher-fournisseur") - before == 7  # ceil(70 / 10)


async def test_filters_are_kept_on_every_page(client: AsyncChorusClient) -> None:
    pages = [
        page
        async for page in client.factures.pages_fournisseur(status=["A_VALIDER_1"], page_size=10)
    ]
    assert [p.page_info.page for p in pages if p.page_info] == [1, 2, 3, 4]
    assert [len(p.invoices) for p in pages] == [10, 10, 10, 5]
    numbers = {item.invoice_number for p in pages for item in p.invoices}
    assert numbers == {f"PAG-V-{n:03d}" for n in range(COUNT)}


async def test_iter_destinataire(client: AsyncChorusClient) -> None:
    big = await client.factures.rechercher_destinataire(
        recipient_structure_id=COMMUNE, page_size=200
    )
    expected = [item.invoice_id for item in big.invoices]
    assert len(expected) == COUNT  # only the delivered invoices reach the recipient
    found = [
        item.invoice_id
        async for item in client.factures.iter_destinataire(
            recipient_structure_id=COMMUNE, page_size=10
        )
    ]
    assert found == expected


async def test_iter_valideur(client: AsyncChorusClient) -> None:
    big = await client.valideur.rechercher(page_size=200)
    expected = [item.invoice_id for item in big.invoices]
    assert len(expected) == COUNT
    found = [item.invoice_id async for item in client.valideur.iter_rechercher(page_size=7)]
    assert found == expected
    pages = [page async for page in client.valideur.pages_rechercher(page_size=7)]
    assert len(pages) == 5


async def test_pages_are_fetched_lazily(
    client: AsyncChorusClient, sandbox: ThreadedSandbox
) -> None:
    before = hits(sandbox, "factures/rechercher-fournisseur")
    taken = []
    async for item in client.factures.iter_fournisseur(page_size=10):
        taken.append(item)
        if len(taken) == 12:
            break
    assert hits(sandbox, "factures/rechercher-fournisseur") - before == 2


async def test_no_result_is_one_empty_page(client: AsyncChorusClient) -> None:
    pages = [p async for p in client.factures.pages_fournisseur(invoice_number="NOPE")]
    assert len(pages) == 1
    assert pages[0].invoices == ()
    assert [i async for i in client.factures.iter_fournisseur(invoice_number="NOPE")] == []


# --- misbehaving servers ---------------------------------------------------------------------


@asynccontextmanager
async def replying(replies: list[dict[str, Any]]) -> AsyncIterator[tuple[str, list[Any]]]:
    """A supplier search answering ``replies`` in turn (then the last again); yields its URL
    and the bodies it receives."""
    seen: list[Any] = []

    async def handler(request: web.Request) -> web.Response:
        body = await request.json()
        seen.append(body)
        return web.json_response(replies[min(len(seen), len(replies)) - 1])

    app = web.Application()
    app.router.add_post("/api/v1/chorus-pro/factures/rechercher-fournisseur", handler)
    async with serve(app) as url:
        yield url, seen


def page(current: int | None, pages: int | None, ids: list[int]) -> dict[str, Any]:
    reply: dict[str, Any] = {
        "codeRetour": 0,
        "libelle": "OK",
        "listeFactures": [{"identifiantFactureCPP": i} for i in ids],
    }
    if current is not None:
        reply["parametresRetour"] = {"pageCourante": current, "pages": pages, "total": 99}
    return reply


async def test_server_that_never_advances_raises() -> None:
    async with (
        replying([page(1, 3, [1, 2])]) as (url, seen),  # always page 1 of 3
        AsyncChorusClient(base_url=url, api_key="k", max_retries=0) as client,
    ):
        found: list[int | None] = []

        async def drain() -> None:
            async for item in client.factures.iter_fournisseur():
                found.append(item.invoice_id)

        with pytest.raises(ResponseDecodeError, match="asked for page 2"):
            await drain()
        assert found == [1, 2]
        assert [b["rechercheFactureParFournisseur"]["pageResultatDemandee"] for b in seen] == [
            1,
            2,
        ]


async def test_missing_pagination_on_a_full_page_raises() -> None:
    async with (
        replying([page(None, None, [1, 2, 3])]) as (url, _),
        AsyncChorusClient(base_url=url, api_key="k", max_retries=0) as client,
    ):
        with pytest.raises(ResponseDecodeError, match="no pagination"):
            [i async for i in client.factures.iter_fournisseur()]


async def test_follows_pages_and_asks_the_next_one() -> None:
    async with replying([page(1, 3, [1]), page(2, 3, [2]), page(3, 3, [3])]) as (url, seen):
        async with AsyncChorusClient(base_url=url, api_key="k", max_retries=0) as client:
            ids = [i.invoice_id async for i in client.factures.iter_fournisseur(page_size=1)]
        assert ids == [1, 2, 3]
        assert [b["rechercheFactureParFournisseur"] for b in seen] == [
            {"pageResultatDemandee": n, "nbResultatsParPage": 1} for n in (1, 2, 3)
        ]


def test_sync_client_iterates_every_page(sandbox: ThreadedSandbox) -> None:
    with ChorusClient(base_url=sandbox.url, email="demo", password="demo") as client:
        ids = [item.invoice_id for item in client.factures.iter_fournisseur(page_size=10)]
        pages = list(client.valideur.pages_rechercher(page_size=10))
    assert len(ids) == len(set(ids)) == 2 * COUNT
    assert [len(p.invoices) for p in pages] == [10, 10, 10, 5]
