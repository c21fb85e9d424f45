"""The ``extra`` pass-through of request models: merged last, never overriding a field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from factpulse_chorus import RequestValidationError
from factpulse_chorus._converter import to_wire
from factpulse_chorus.models import factures, valideur

# --- extra pass-through --------------------------------------------------------------------------


def test_extra_is_merged_last_and_unstructured() -> None:
    request = valideur.ValideurTraiterRequest(
        invoice_id=1,
        action="VALIDATION",
        extra={
            "idUtilisateurCourant": 7,
            "dateNative": date(2025, 1, 2),
            "montant": Decimal("2.50"),
        },
    )
    body = to_wire(request)
    assert body == {
        "idFacture": 1,
        "action": "VALIDATION",
        "idUtilisateurCourant": 7,
        "dateNative": "2025-01-02",
        "montant": 2.5,
    }
    assert list(body)[-3:] == ["idUtilisateurCourant", "dateNative", "montant"]
    source = {"a": 1}
    frozen = factures.FacturesRecyclerRequest(invoice_id=1, extra=source)
    source["a"] = 2
    assert frozen.extra == {"a": 1}
    with pytest.raises(TypeError):
        frozen.extra["a"] = 3  # type: ignore[index]


@pytest.mark.parametrize("key", ["motifRefus", "idFacture", "credentials", "action"])
def test_extra_cannot_override_declared_fields(key: str) -> None:
    with pytest.raises(RequestValidationError) as info:
        valideur.ValideurTraiterRequest(invoice_id=1, action="VALIDATION", extra={key: "x"})
    assert info.value.field == "extra"
    assert key in info.value.rule
