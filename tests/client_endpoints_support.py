"""Shared pieces of the endpoint tests (tests/client/test_client_endpoints*.py): the sandbox's
seed-7 recipient, a PDF, the body the sandbox accepted last on a route, a submission."""

from __future__ import annotations

import datetime as dt
from typing import Any

from payloads import invoice

from factpulse_chorus.sandbox import Sandbox

RECIPIENT_ID = 25827464  # COMMUNE DE SAINT-EXEMPLE: service code required
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def sent(sandbox: Sandbox, route: str) -> dict[str, Any]:
    """The body of the last accepted request on ``route``."""
    bodies = sandbox.received(route)
    assert bodies, f"nothing reached {route}"
    body = bodies[-1]["body"]
    assert isinstance(body, dict)
    return body


async def submit(api: Any, number: str, **overrides: Any) -> int:
    arguments = invoice(number, invoice_date=dt.date(2025, 3, 10), **overrides)
    response = await api.factures.soumettre(**arguments)
    assert response.return_code == 0
    assert isinstance(response.invoice_id, int)
    return response.invoice_id
