"""``factures.deposer(store=...)``: the number is reserved before the look-ups and the upload,
so a duplicate costs no request at all; a number held elsewhere, for both methods."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from ledger_support import ROUTE, client_for, held_elsewhere, ledger_row, numbers_in_domain
from payloads import invoice

from factpulse_chorus import (
    DuplicateSubmissionError,
    OutcomeUnknownError,
    SQLiteStore,
    StructureNotFoundError,
    SubmissionState,
)
from factpulse_chorus.sandbox import Fault, Sandbox

COMMUNE_SIRET = "21999012400014"  # service code FIN-001 required
PDF = b"%PDF-1.4\n% ledger deposer test\n%%EOF\n"
DEPOSIT: dict[str, Any] = {
    "recipient_siret": COMMUNE_SIRET,
    "service_code": "FIN-001",
    "invoice_date": date(2026, 2, 1),
    "total_net_amount": Decimal("100.00"),
    "vat_amount": Decimal("20.00"),
    "total_gross_amount": Decimal("120.00"),
}
STEPS = [
    "structures/obtenir-id-depuis-siret",
    "structures/consulter",
    "transverses/ajouter-fichier",
    ROUTE,
]


def routes(sandbox: Sandbox) -> list[str]:
    return [entry["route"] for entry in sandbox.received()]


async def test_a_duplicate_deposit_makes_no_request(
    sandbox: Sandbox, store: SQLiteStore, kind: str
) -> None:
    async with client_for(sandbox, kind) as client:
        result = await client.factures.deposer(PDF, invoice_number="LDEP-1", **DEPOSIT, store=store)
        row = await ledger_row(store, "LDEP-1")
        assert (row.state, row.invoice_id) == (SubmissionState.CREATED, result.invoice_id)
        assert routes(sandbox) == STEPS
        with pytest.raises(DuplicateSubmissionError) as info:
            await client.factures.deposer(PDF, invoice_number="LDEP-1", **DEPOSIT, store=store)
    assert info.value.invoice_id == result.invoice_id
    assert routes(sandbox) == STEPS  # no look-up, no upload, no submission
    assert numbers_in_domain(sandbox) == {"LDEP-1": [result.invoice_id]}


@pytest.mark.parametrize("method", ["soumettre", "deposer"])
async def test_a_number_in_flight_elsewhere_is_refused_at_once(
    sandbox: Sandbox, store: SQLiteStore, kind: str, method: str
) -> None:
    await held_elsewhere(store, "LED-2")
    async with client_for(sandbox, kind) as client:
        call = (
            client.factures.soumettre(**invoice("LED-2"), store=store)
            if method == "soumettre"
            else client.factures.deposer(PDF, invoice_number="LED-2", **DEPOSIT, store=store)
        )
        with pytest.raises(DuplicateSubmissionError) as info:
            await call
    assert info.value.state == SubmissionState.RESERVED
    assert info.value.invoice_id is None
    assert "in flight" in str(info.value)
    assert sandbox.received() == []  # not even a login


async def test_a_failed_look_up_frees_the_number(
    sandbox: Sandbox, store: SQLiteStore, kind: str
) -> None:
    unknown = {**DEPOSIT, "recipient_siret": "73282932000074"}
    async with client_for(sandbox, kind) as client:
        with pytest.raises(StructureNotFoundError):
            await client.factures.deposer(PDF, invoice_number="LDEP-3", **unknown, store=store)
        row = await ledger_row(store, "LDEP-3")
        assert row.state is SubmissionState.ABSENT  # nothing was submitted
        assert row.owner is None
        assert row.last_error is not None
        assert row.last_error.startswith("StructureNotFoundError: ")
        result = await client.factures.deposer(PDF, invoice_number="LDEP-3", **DEPOSIT, store=store)
    row = await ledger_row(store, "LDEP-3")
    assert (row.state, row.invoice_id) == (SubmissionState.CREATED, result.invoice_id)
    assert routes(sandbox) == ["structures/obtenir-id-depuis-siret", *STEPS]


async def test_an_unknown_outcome_of_the_deposit_is_uncertain(
    sandbox: Sandbox, store: SQLiteStore, kind: str
) -> None:
    sandbox.add_fault(Fault("drop_after", route=ROUTE, count=1))
    async with client_for(sandbox, kind) as client:
        with pytest.raises(OutcomeUnknownError):
            await client.factures.deposer(PDF, invoice_number="LDEP-4", **DEPOSIT, store=store)
        row = await ledger_row(store, "LDEP-4")
        assert row.state is SubmissionState.UNCERTAIN
        [settled] = await client.factures.reconcile(store, settle=0.2)
        with pytest.raises(DuplicateSubmissionError):
            await client.factures.deposer(PDF, invoice_number="LDEP-4", **DEPOSIT, store=store)
    [created] = sandbox.domain.invoice_ids()
    assert (settled.state, settled.invoice_id) == (SubmissionState.CREATED, created)
    assert routes(sandbox) == [*STEPS, "factures/rechercher-fournisseur"]
