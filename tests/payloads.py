"""The example payloads of the API reference, kept as JSON files under ``tests/data/``.

``tests/data/examples/<endpoint>.<request|response>.json`` are verbatim copies of the
reference's examples (REFERENCE.md §11), so the suite runs on a fresh clone; a test checks
the copies against the shared spec where that is present.
"""

from __future__ import annotations

import functools
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

COMMUNE = 25827464
"""The sandbox's COMMUNE DE SAINT-EXEMPLE: it takes invoices, its service code FIN-001 required."""

DATA = Path(__file__).parent / "data"
EXAMPLES = DATA / "examples"


@functools.cache
def _text(name: str) -> str:
    return (EXAMPLES / f"{name}.json").read_text(encoding="utf-8")


def example(name: str) -> Any:
    """A fresh copy of one example (``"factures-consulter.response"``): tests may mutate it."""
    return json.loads(_text(name))


def example_names() -> list[str]:
    """Every example's name, sorted."""
    return sorted(path.stem for path in EXAMPLES.glob("*.json"))


def invoice(number: str, **changes: Any) -> dict[str, Any]:
    """The keywords of ``factures.soumettre`` for a valid invoice ``number`` to the commune:
    100.00 + 20.00 VAT, service FIN-001, dated 15 Jan 2026; ``changes`` add or replace some."""
    return {
        "invoice_number": number,
        "invoice_date": date(2026, 1, 15),
        "structure_id": COMMUNE,
        "service_code": "FIN-001",
        "total_net_amount": Decimal("100.00"),
        "vat_amount": Decimal("20.00"),
        "total_gross_amount": Decimal("120.00"),
        **changes,
    }
