"""Shared helpers of the sandbox domain tests (tests/sandbox/test_sandbox_domain_*.py): a domain
on a frozen clock, and Domain calls with plain dicts (upload, submit, traiter, listings)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import payloads

from factpulse_chorus.sandbox._directory import Directory
from factpulse_chorus.sandbox._domain import Domain
from factpulse_chorus.sandbox._lifecycle import SimClock
from factpulse_chorus.sandbox._records import SANDBOX_TZ

START = datetime(2025, 3, 10, 9, 0, tzinfo=SANDBOX_TZ)
SUPPLIER_LOGIN = "TECH_84213765500010@cpro.fr"
RECIPIENT_LOGIN = "TECH_21999012400014@cpro.fr"
CH_LOGIN = "TECH_26999045300012@cpro.fr"
VALIDATOR_LOGIN = "TECH_90315528100012@cpro.fr"
ROUTED = 1300.0  # simulated seconds after which routing (60-600 s per step) is surely done

SHARED_DIRECTORY = Directory(0)


def example(name: str) -> Any:
    """An example body of the specification, without credentials."""
    data = payloads.example(name)
    if isinstance(data, dict):
        data.pop("credentials", None)
    return data


def make_domain(**options: Any) -> Domain:
    """A domain on a frozen clock (only ``advance`` moves it), sharing the seed-0 directory."""
    options.setdefault("clock", SimClock(speed=0, start=START))
    if options.get("seed", 0) == 0:
        options.setdefault("directory", SHARED_DIRECTORY)
    return Domain(**options)


def upload(domain: Domain, login: str = "omni", data: bytes = b"%PDF-1.7 facture") -> int:
    reply = domain.transverses_ajouter_fichier(
        login,
        {
            "pieceJointeFichier": base64.b64encode(data).decode(),
            "pieceJointeNom": "facture.pdf",
            "pieceJointeTypeMime": "application/pdf",
            "pieceJointeExtension": "PDF",
        },
    )
    assert reply["codeRetour"] == 0, reply
    return int(reply["pieceJointeIdFichier"])


_counter = iter(range(1, 10**6))


@contextmanager
def fresh_invoice_numbers() -> Iterator[None]:
    """Invoice numbers from F2025-00001 again inside the block, so a scenario replays exactly."""
    global _counter
    saved = _counter
    _counter = iter(range(1, 10**6))
    try:
        yield
    finally:
        _counter = saved


def submit_body(domain: Domain, login: str = "omni", **overrides: Any) -> dict[str, Any]:
    body = example("factures-soumettre.request")
    body["invoiceNumber"] = f"F2025-{next(_counter):05d}"
    body["mainAttachmentId"] = upload(domain, login)
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def submit(domain: Domain, login: str = "omni", **overrides: Any) -> int:
    reply = domain.factures_soumettre(login, submit_body(domain, login, **overrides))
    assert reply["returnCode"] == 0, reply
    return int(reply["chorusInvoiceId"])


def status_of(domain: Domain, invoice_id: int) -> str:
    snapshot = domain.invoice_snapshot(invoice_id)
    assert snapshot is not None
    return str(snapshot["status"])


def history(domain: Domain, invoice_id: int, key: str = "code") -> list[Any]:
    """``key`` of each step of the invoice's history, oldest first."""
    snapshot = domain.invoice_snapshot(invoice_id)
    assert snapshot is not None
    return [step[key] for step in snapshot["history"]]


def delivered(domain: Domain, login: str = "omni", **overrides: Any) -> int:
    """An invoice submitted and routed to MISE_A_DISPOSITION."""
    invoice_id = submit(domain, login, **overrides)
    domain.clock.advance(ROUTED)
    assert status_of(domain, invoice_id) == "MISE_A_DISPOSITION"
    return invoice_id


def traiter(domain: Domain, invoice_id: int, target: str, login: str = "omni", **extra: Any):
    body = {"identifiantFactureCPP": invoice_id, "nouveauStatut": target, **extra}
    return domain.factures_traiter_facture_recue(login, body)


def supplier_listing(domain: Domain, login: str = "omni", **body: Any) -> list[dict[str, Any]]:
    """Every page of rechercher-fournisseur (200 per page)."""
    items: list[dict[str, Any]] = []
    for page in range(1, 1000):
        request = dict(body)
        request["rechercheFactureParFournisseur"] = {
            "pageResultatDemandee": page,
            "nbResultatsParPage": 200,
        }
        reply = domain.factures_rechercher_fournisseur(login, request)
        assert reply["codeRetour"] == 0, reply
        items += reply["listeFactures"]
        if page >= reply["parametresRetour"]["pages"]:
            return items
    raise AssertionError("too many pages")


def is_error(reply: dict[str, Any], code: int | None = None) -> bool:
    """A native business error: exactly the two keys, non-zero code."""
    return (
        set(reply) == {"codeRetour", "libelle"}
        and reply["codeRetour"] != 0
        and isinstance(reply["libelle"], str)
        and reply["libelle"] != ""
        and (code is None or reply["codeRetour"] == code)
    )
