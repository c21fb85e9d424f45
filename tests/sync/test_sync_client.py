"""ChorusClient against the sandbox: same results as the async client, lifecycle, views."""

from __future__ import annotations

import asyncio
import gc
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from payloads import invoice

from factpulse_chorus import (
    AsyncChorusClient,
    ChorusClient,
    ClientClosedError,
    RequestValidationError,
    SyncInAsyncContextError,
)
from factpulse_chorus._portal import THREAD_NAME
from factpulse_chorus.sandbox import ThreadedSandbox

COMMUNE = 25827464
COMMUNE_SIRET = "21999012400014"
VALIDATOR = 31207718


def make_client(sandbox: ThreadedSandbox, **options: Any) -> ChorusClient:
    return ChorusClient(base_url=sandbox.url, email="demo", password="demo", **options)


@pytest.fixture
def client(chorus_sandbox: ThreadedSandbox) -> Iterator[ChorusClient]:
    with make_client(chorus_sandbox) as client:
        yield client


def portal_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == THREAD_NAME]


def calls(sandbox: ThreadedSandbox) -> list[tuple[str, str, tuple[Any, ...], dict[str, Any]]]:
    """(sub-client, method, args, kwargs): reads whose answers do not change between calls."""
    first = sandbox.domain.seed_invoice(invoice_number="SYNC-PARITY-1")
    second = sandbox.domain.seed_invoice(invoice_number="SYNC-PARITY-2", status="DEPOSEE")
    shared_siret = sandbox.domain.directory.shared_siret
    return [
        ("structures", "rechercher", (), {"company_name": "EXEMPLE"}),
        ("structures", "consulter", (COMMUNE,), {}),
        ("structures", "lister_services", (COMMUNE,), {}),
        ("structures", "obtenir_id_depuis_siret", (COMMUNE_SIRET,), {}),
        ("structures", "obtenir_id_depuis_siret", (shared_siret,), {}),  # StructureNotFoundError
        ("structures", "obtenir_id_depuis_siret", ("123",), {}),  # RequestValidationError
        ("factures", "consulter", (first,), {}),
        ("factures", "consulter", (second,), {}),
        ("factures", "consulter", (999_999_999,), {}),  # business error
        ("factures", "rechercher_fournisseur", (), {"invoice_number": "SYNC-PARITY-1"}),
        ("factures", "rechercher_destinataire", (), {"recipient_structure_id": COMMUNE}),
        ("valideur", "rechercher", (), {"validator_structure_id": VALIDATOR}),
        ("valideur", "consulter", (first,), {}),
    ]


def error_text(exc: Exception) -> str:
    """The error's text without its request id (each request, sync or async, has its own)."""
    return re.sub(r" \[request id [^]]*\]", "", str(exc))


def outcome(call: Any) -> tuple[str, Any]:
    """What a call gave: the result (compared with attrs ``==``), or the error's type and text."""
    try:
        return "ok", call()
    except Exception as exc:
        return type(exc).__name__, error_text(exc)


def test_sync_results_equal_async_results(chorus_sandbox: ThreadedSandbox) -> None:
    plan = calls(chorus_sandbox)

    with make_client(chorus_sandbox) as client:
        sync_results = []
        for group, method, args, kwargs in plan:
            bound = getattr(getattr(client, group), method)
            sync_results.append(outcome(lambda b=bound, a=args, k=kwargs: b(*a, **k)))

    async def run_async() -> list[tuple[str, Any]]:
        results = []
        async with AsyncChorusClient(
            base_url=chorus_sandbox.url, email="demo", password="demo"
        ) as aclient:
            for group, method, args, kwargs in plan:
                bound = getattr(getattr(aclient, group), method)
                try:
                    results.append(("ok", await bound(*args, **kwargs)))
                except Exception as exc:
                    results.append((type(exc).__name__, error_text(exc)))
        return results

    async_results = asyncio.run(run_async())
    assert sync_results == async_results
    kinds = [kind for kind, _ in sync_results]
    assert kinds.count("ok") == len(plan) - 3
    assert {"StructureNotFoundError", "RequestValidationError"} <= set(kinds)
    # The raw response rides along, as on the async side.
    assert all(r.raw.status == 200 for k, r in sync_results if k == "ok")


def test_errors_are_the_async_exception_classes(client: ChorusClient) -> None:
    with pytest.raises(RequestValidationError) as info:
        client.structures.obtenir_id_depuis_siret("123")
    assert info.value.field == "siret"


def test_writes_go_through(client: ChorusClient, chorus_sandbox: ThreadedSandbox) -> None:
    before = chorus_sandbox.invoice_count()
    upload = client.transverses.ajouter_fichier(b"%PDF-1.4 sync test", name="facture.pdf")
    submitted = client.factures.soumettre(
        **invoice("SYNC-WRITE-1", attachment_id=upload.attachment_id)
    )
    assert chorus_sandbox.invoice_count() == before + 1
    assert submitted.invoice_id is not None
    consulted = client.factures.consulter(submitted.invoice_id)
    assert consulted.invoice_number == "SYNC-WRITE-1"


def test_close_is_idempotent_and_leaves_nothing(chorus_sandbox: ThreadedSandbox) -> None:
    baseline = set(threading.enumerate())
    client = make_client(chorus_sandbox)
    assert len(portal_threads()) == 1
    assert client.state == "unopened"
    client.structures.consulter(COMMUNE)
    session = client._async._shared.current_session
    assert client.state == "open"
    assert session is not None
    client.close()
    client.close()
    assert client.is_closed
    assert client.state == "closed"
    assert session.closed
    assert client._async._shared.current_session is None
    assert set(threading.enumerate()) == baseline
    with pytest.raises(ClientClosedError, match="create a new ChorusClient"):
        client.structures.consulter(COMMUNE)
    with pytest.raises(ClientClosedError):
        client.with_options(timeout=5.0)
    with pytest.raises(ClientClosedError), client:
        pass
    gc.collect()  # an unclosed session would warn here, and filterwarnings=error


def test_context_manager(chorus_sandbox: ThreadedSandbox) -> None:
    baseline = set(threading.enumerate())
    with make_client(chorus_sandbox) as client:
        assert isinstance(client, ChorusClient)
        assert client.structures.consulter(COMMUNE).structure_id == COMMUNE
    assert client.is_closed
    assert set(threading.enumerate()) == baseline
    assert repr(client).startswith("ChorusClient(base_url=")
    assert "state='closed'" in repr(client)


def test_with_options_view_shares_the_portal_and_session(client: ChorusClient) -> None:
    client.structures.consulter(COMMUNE)
    view = client.with_options(timeout=7.5, max_retries=0, extra_headers={"X-Test": "view"})
    assert isinstance(view, ChorusClient)
    assert view._portal is client._portal
    assert view.timeout.total == 7.5
    assert view.max_retries == 0
    assert client.max_retries == 2
    assert len(portal_threads()) == 1
    assert view.structures.consulter(COMMUNE).structure_id == COMMUNE
    assert view._async._shared.current_session is client._async._shared.current_session
    view.close()
    view.close()
    assert view.is_closed
    with pytest.raises(ClientClosedError):
        view.structures.consulter(COMMUNE)
    # Closing the view leaves its client open.
    assert client.structures.consulter(COMMUNE).structure_id == COMMUNE


def test_closing_the_client_closes_its_views(chorus_sandbox: ThreadedSandbox) -> None:
    client = make_client(chorus_sandbox)
    view = client.with_options(timeout=3.0)
    client.close()
    assert view.is_closed
    with pytest.raises(ClientClosedError):
        view.factures.consulter(1)
    view.close()  # nothing left to do, and no error


def test_a_view_keeps_its_client_open(chorus_sandbox: ThreadedSandbox) -> None:
    view = make_client(chorus_sandbox).with_options(max_retries=1)
    gc.collect()  # the client itself is unreachable, but its view holds it
    assert view.structures.consulter(COMMUNE).structure_id == COMMUNE
    assert view._owner is not None
    view._owner.close()


def test_blocking_methods_refuse_a_running_loop(chorus_sandbox: ThreadedSandbox) -> None:
    client = make_client(chorus_sandbox)

    async def main() -> None:
        with pytest.raises(SyncInAsyncContextError, match="AsyncChorusClient") as info:
            client.factures.consulter(1)
        assert "AsyncFactures.consulter" in str(info.value)
        # Named by the sub-client's class, not the base class that defines the method.
        with pytest.raises(SyncInAsyncContextError) as info:
            client.factures.rechercher_fournisseur()
        assert "(call: AsyncFactures.rechercher_fournisseur)" in str(info.value)
        with pytest.raises(SyncInAsyncContextError):
            client.with_options(timeout=1.0)
        with pytest.raises(SyncInAsyncContextError):
            client.__enter__()
        with pytest.raises(SyncInAsyncContextError):
            make_client(chorus_sandbox)
        # A worker thread has no running loop: the documented way out.
        structure = await asyncio.to_thread(client.structures.consulter, COMMUNE)
        assert structure.structure_id == COMMUNE
        client.close()  # cleanup is allowed anywhere

    asyncio.run(main())
    assert client.is_closed
    assert not portal_threads()


def test_bad_arguments_fail_in_the_constructor_without_leaking(monkeypatch: Any) -> None:
    for name in ("FACTPULSE_EMAIL", "FACTPULSE_PASSWORD", "FACTPULSE_TOKEN", "FACTPULSE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    baseline = set(threading.enumerate())
    with pytest.raises(RequestValidationError):
        ChorusClient(base_url="http://127.0.0.1:9", email="only-an-email")
    assert set(threading.enumerate()) == baseline


def test_a_forgotten_client_is_closed_when_collected(chorus_sandbox: ThreadedSandbox) -> None:
    client = make_client(chorus_sandbox)
    client.structures.consulter(COMMUNE)
    session = client._async._shared.current_session
    assert session is not None
    del client
    gc.collect()
    assert session.closed
    assert not portal_threads()


def test_pagination_iterators_match_the_async_ones(chorus_sandbox: ThreadedSandbox) -> None:
    for i in range(5):
        chorus_sandbox.domain.seed_invoice(invoice_number=f"SYNC-PAGE-{i}")

    with make_client(chorus_sandbox) as client:
        items = list(client.factures.iter_fournisseur(page_size=2))
        pages = list(
            client.valideur.pages_rechercher(validator_structure_id=VALIDATOR, page_size=2)
        )
        # Pages are fetched as the consumer asks: stopping early fetches no more.
        before = chorus_sandbox.stats()["requests"]["factures/rechercher-fournisseur"]["ok"]
        with client.factures.iter_fournisseur(page_size=1) as iterator:
            first = next(iterator)
        after = chorus_sandbox.stats()["requests"]["factures/rechercher-fournisseur"]["ok"]

    async def run_async() -> tuple[list[Any], list[Any]]:
        async with AsyncChorusClient(
            base_url=chorus_sandbox.url, email="demo", password="demo"
        ) as aclient:
            a_items = [i async for i in aclient.factures.iter_fournisseur(page_size=2)]
            a_pages = [
                p
                async for p in aclient.valideur.pages_rechercher(
                    validator_structure_id=VALIDATOR, page_size=2
                )
            ]
            return a_items, a_pages

    assert (items, pages) == asyncio.run(run_async())
    assert len(items) >= 5
    assert len(pages) >= 3
    assert first == items[0]
    assert after == before + 1


def test_polling_iterates_and_stops_deterministically(chorus_sandbox: ThreadedSandbox) -> None:
    rejected = chorus_sandbox.domain.seed_invoice(status="REJETEE")
    paid = chorus_sandbox.domain.seed_invoice(status="MISE_EN_PAIEMENT")
    pending = chorus_sandbox.domain.seed_invoice(status="A_VALIDER_1")
    with make_client(chorus_sandbox) as client:
        tasks = client._portal.run_sync(lambda: len(asyncio.all_tasks()))
        events = [type(e).__name__ for e in client.factures.poll([rejected, paid], interval=0.05)]
        assert events.count("FinalStatus") == 2
        assert events[-1] == "PollFinished"
        # Leaving `with` closes the poller on the loop: no worker task survives.
        with client.factures.poll([pending], interval=0.05) as polling:
            assert type(next(polling)).__name__ == "StatusChanged"
        assert client._portal.run_sync(lambda: len(asyncio.all_tasks())) == tasks


def test_a_user_session_is_refused_with_a_clear_error() -> None:
    from factpulse_chorus import ChorusClient, RequestValidationError

    with pytest.raises(RequestValidationError) as info:
        ChorusClient(base_url="http://127.0.0.1:9", token="t", session=object())  # type: ignore[arg-type]
    assert info.value.field == "session"
    assert "AsyncChorusClient" in info.value.rule
