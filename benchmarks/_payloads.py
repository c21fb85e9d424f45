"""Canned FactPulse bodies shared by the benchmark server and the decoding benchmark.

Shaped like the examples of the FactPulse documentation, so that both our models and the
official SDK's pydantic models accept them.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

CONSULTER_PATH = "/api/v1/chorus-pro/factures/consulter"
TELECHARGER_PATH = "/api/v1/chorus-pro/factures/telecharger-groupe"
TOKEN_PATH = "/api/token/"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# An unsigned JWT valid until 2100: our client reads its ``exp`` and never logs in again.
TOKEN = ".".join(
    (
        _b64url(b'{"alg":"HS256","typ":"JWT"}'),
        _b64url(json.dumps({"sub": "bench", "exp": 4102444800}).encode()),
        _b64url(b"not-a-signature"),
    )
)
TOKEN_BODY = json.dumps({"access": TOKEN, "refresh": TOKEN}).encode()


def consulter(invoice_id: int = 7412589, status: str = "MISE_A_DISPOSITION") -> dict[str, Any]:
    """A ``factures/consulter`` 200 body (``GetInvoiceResponse``)."""
    return {
        "returnCode": 0,
        "message": "Opération réalisée avec succès",
        "chorusInvoiceId": invoice_id,
        "invoiceNumber": "FAC-2025-00042",
        "invoiceDate": "2025-03-14",
        "totalGrossAmount": "1250.40",
        "currentStatus": {
            "code": status,
            "label": status.replace("_", " ").title(),
            "date": "2025-03-15",
        },
        "recipientStructureId": 26073617,
        "recipientStructureName": "COMMUNE DE SAINT-MARTIN-DU-BENCH",
    }


CONSULTER_BODY = json.dumps(consulter()).encode()


def structures(count: int = 1000) -> bytes:
    """A ``structures/rechercher`` 200 body with ``count`` structures."""
    return json.dumps(
        {
            "returnCode": 0,
            "message": "Opération réalisée avec succès",
            "structures": [
                {
                    "structureId": 26000000 + n,
                    "structureIdentifier": f"{35600000000000 + n:014d}",
                    "structureName": f"SOCIETE D'EXEMPLE NUMERO {n} SAS",
                    "structureIdentifierType": "SIRET",
                    "status": "ACTIVE" if n % 7 else "INACTIVE",
                }
                for n in range(count)
            ],
            "total": count,
        }
    ).encode()


def download(size: int) -> bytes:
    """A ``factures/telecharger-groupe`` 200 body carrying ``size`` bytes (in base64)."""
    # Random bytes (not compressible, like a ZIP of PDFs) behind a ZIP magic number.
    content = b"PK\x03\x04" + os.urandom(size - 4)
    encoded = base64.b64encode(content)
    return b'{"codeRetour":0,"libelle":"TRAITEMENT_OK","fichierBase64":"' + encoded + b'"}'
