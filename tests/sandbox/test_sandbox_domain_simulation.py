"""The sandbox domain as a simulation: auto_process, determinism per seed, the simulated clock,
seeded invoices."""

from __future__ import annotations

import copy
import itertools
import json
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from sandbox_domain_support import (
    SHARED_DIRECTORY,
    START,
    example,
    fresh_invoice_numbers,
    make_domain,
    submit_body,
    supplier_listing,
    upload,
)

from factpulse_chorus.sandbox._domain import Domain
from factpulse_chorus.sandbox._lifecycle import SimClock
from factpulse_chorus.sandbox._records import FINAL_STATUSES, SANDBOX_TZ, recipient_targets

# == auto_process, determinism, clock ========================================================


def test_auto_process_thousand_invoices() -> None:
    clock = SimClock(speed=0, start=START)
    domain = Domain(seed=5, clock=clock, auto_process=True, directory=SHARED_DIRECTORY)
    attachment = upload(domain)
    body = example("factures-soumettre.request")
    body["mainAttachmentId"] = attachment
    for index in range(1000):
        body["invoiceNumber"] = f"AUTO-{index:04d}"
        assert domain.factures_soumettre("omni", body)["returnCode"] == 0
    clock.speed = 1_000_000.0  # a simulated day takes ~0.09 s
    deadline = time.monotonic() + 15
    completed: set[int] = set()
    while True:
        items = supplier_listing(domain)
        statuses = {i["identifiantFactureCPP"]: i["statut"] for i in items}
        for invoice_id, status in statuses.items():
            if status == "SUSPENDUE":
                reply = domain.factures_completer(
                    "omni", {"identifiantFactureCPP": invoice_id, "commentaire": "Voici"}
                )
                assert reply["codeRetour"] == 0
                completed.add(invoice_id)
        if all(status in FINAL_STATUSES for status in statuses.values()):
            break
        assert time.monotonic() < deadline, set(statuses.values())
    outcome = list(statuses.values())
    assert len(outcome) == 1000
    assert 50 < outcome.count("REJETEE") < 160
    assert outcome.count("MISE_EN_PAIEMENT") > 750
    assert 50 < len(completed) < 160
    # Every automatic recipient step is a transition the matrix allows.
    for invoice_id in list(statuses)[:200]:
        steps = domain.invoice_snapshot(invoice_id)["history"]  # type: ignore[index]
        for before, after in itertools.pairwise(steps):
            if after["actor"] == "recipient":
                assert after["code"] in recipient_targets(before["code"]), steps


def scenario(seed: int) -> list[Any]:
    domain = make_domain(seed=seed, auto_process=True, routing_delay=(30.0, 900.0))
    out: list[Any] = []
    for _ in range(5):
        out.append(domain.factures_soumettre("omni", submit_body(domain)))
    out.append(domain.seed_invoice())
    for step in range(6):
        domain.clock.advance(20000 * (step + 1))
        out.append(domain.factures_rechercher_fournisseur("omni", {}))
        out.append(domain.factures_rechercher_destinataire("omni", {}))
    ids = [r["chorusInvoiceId"] for r in out[:5]]
    out.append(
        domain.factures_telecharger_groupe(
            "omni", {"listeIdentifiantsFactureCPP": ids, "formatFichier": "ZIP"}
        )
    )
    out += [domain.invoice_snapshot(i) for i in ids]
    return out


def test_determinism_per_seed() -> None:
    with fresh_invoice_numbers():
        first = scenario(11)
    with fresh_invoice_numbers():
        second = scenario(11)
    with fresh_invoice_numbers():
        other = scenario(12)
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    assert json.dumps(first, sort_keys=True) != json.dumps(other, sort_keys=True)


def test_sim_clock() -> None:
    clock = SimClock(speed=0, start=START)
    assert clock.now() == START
    assert clock.now().utcoffset() == timedelta(hours=1)
    clock.advance(90)
    assert clock.now() == START + timedelta(seconds=90)
    with pytest.raises(ValueError, match="seconds"):
        clock.advance(-1)
    clock.speed = 1000.0
    time.sleep(0.01)
    clock.speed = 0.0
    elapsed = clock.elapsed()
    assert 90 + 5 <= elapsed <= 90 + 1000
    assert clock.elapsed() == elapsed  # frozen again, without a jump
    with pytest.raises(ValueError, match="speed"):
        clock.speed = -1.0
    real = SimClock()
    assert abs((real.now() - datetime.now(SANDBOX_TZ)).total_seconds()) < 5


def test_seed_invoice_validation(domain: Domain) -> None:
    with pytest.raises(TypeError, match="bogus"):
        domain.seed_invoice(bogus=1)
    with pytest.raises(ValueError, match="supplier"):
        domain.seed_invoice(supplier_structure_id=1)
    with pytest.raises(ValueError, match="validator"):
        domain.seed_invoice(status="A_VALIDER_2")
    invoice_id = domain.seed_invoice(invoice_id=7000001, invoice_number="X-1")
    with pytest.raises(ValueError, match="exists"):
        domain.seed_invoice(invoice_id=7000001, invoice_number="X-2")
    with pytest.raises(ValueError, match="already used"):
        domain.seed_invoice(invoice_number="X-1")
    assert domain.invoice_count() == 1
    assert domain.counters["invoices_seeded"] == 1
    assert domain.counters["invoices_created"] == 0
    snapshot = domain.invoice_snapshot(invoice_id)
    assert snapshot is not None
    json.dumps(snapshot)  # JSON-ready for the control route
    assert domain.invoice_snapshot(1234567) is None
    assert copy.deepcopy(snapshot) == domain.invoice_snapshot(invoice_id)
