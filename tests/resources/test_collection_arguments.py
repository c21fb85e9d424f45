"""Issue 13, item 7: a bare string where a collection is taken is refused, never split.

Where the API documents one code on its own (the ``status`` filters, ``invoice_types``),
the annotation says ``X | Sequence[X]`` and one code is sent as a one-item list.
"""

from __future__ import annotations

from typing import Any

import pytest
from dual_client import Refused

from factpulse_chorus import AsyncChorusClient, RequestValidationError
from factpulse_chorus.models import AdditionalAttachment, RecipientFilter, SupplierFilter
from factpulse_chorus.sandbox import ThreadedSandbox

pytestmark = pytest.mark.chorus_sandbox(record_requests=True)


@pytest.mark.parametrize(
    ("group", "method", "arguments", "field"),
    [
        ("factures", "telecharger_groupe", {"invoice_ids": "12"}, "invoice_ids"),
        ("factures", "telecharger_groupe", {"invoice_ids": b"12"}, "invoice_ids"),
        ("factures", "telecharger_groupe", {"invoice_ids": None}, "invoice_ids"),
        ("factures", "completer", {"invoice_id": 1, "attachments": "x"}, "attachments"),
        ("factures", "rechercher_fournisseur", {"recipients": "25827464"}, "recipients"),
        ("factures", "rechercher_fournisseur", {"creator_user_id": "12"}, "creator_user_id"),
        ("factures", "rechercher_fournisseur", {"status": b"REJETEE"}, "status"),
        ("factures", "rechercher_fournisseur", {"status": [None]}, "status[0]"),
        ("factures", "rechercher_destinataire", {"suppliers": "x"}, "suppliers"),
        ("factures", "rechercher_destinataire", {"invoice_types": b"FA"}, "invoice_types"),
        ("valideur", "rechercher", {"works_invoice_types": {"A": 1}}, "works_invoice_types"),
        ("valideur", "rechercher", {"status": {"REJETEE"}.__iter__}, "status"),
    ],
)
async def test_a_bare_string_or_a_non_collection_is_refused_naming_the_parameter(
    client: AsyncChorusClient,
    refused: Refused,
    group: str,
    method: str,
    arguments: dict[str, Any],
    field: str,
) -> None:
    await refused(lambda: getattr(getattr(client, group), method)(**arguments), field)


async def test_one_code_is_sent_as_a_one_item_list_where_documented(
    client: AsyncChorusClient, chorus_sandbox: ThreadedSandbox
) -> None:
    await client.valideur.rechercher(invoice_types="FACTURE", status="A_VALIDER_1")
    body = chorus_sandbox.received("factures/valideur/rechercher")[-1]["body"]
    assert body["listeTypeFacture"] == ["FACTURE"]
    assert body["statutCourant"] == ["A_VALIDER_1"]


def test_the_filter_models_refuse_text_and_scalars_naming_the_field() -> None:
    cases = [
        (lambda: RecipientFilter(recipient_structure_id=1, recipient_service_ids=1.5), "ids"),
        (lambda: RecipientFilter(recipient_structure_id=1, recipient_service_ids=b"12"), "ids"),
        (lambda: SupplierFilter(supplier_structure_id=1, supplier_service_ids="12"), "ids"),
    ]
    for build, _ in cases:
        with pytest.raises(RequestValidationError) as info:
            build()  # type: ignore[arg-type]
        assert info.value.field.endswith("_service_ids")
    with pytest.raises(RequestValidationError):
        AdditionalAttachment(attachment_id="1", name="x")  # type: ignore[arg-type]
