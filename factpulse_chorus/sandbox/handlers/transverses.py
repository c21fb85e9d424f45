"""``transverses/ajouter-fichier``: files stored for an account, attached to invoices later."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from .._records import ERR_ATTACHMENT_TOO_LARGE, bad_param
from ._context import Context, endpoint

__all__ = ["ajouter_fichier"]


@endpoint
def ajouter_fichier(context: Context, login: str, body: dict[str, Any]) -> dict[str, Any]:
    """``transverses/ajouter-fichier``: store a base64 file for the caller's account."""
    values: dict[str, str] = {}
    for name in (
        "pieceJointeFichier",
        "pieceJointeNom",
        "pieceJointeTypeMime",
        "pieceJointeExtension",
    ):
        value = body.get(name)
        if not isinstance(value, str) or not value.strip():
            raise bad_param(f"{name} is required (a non-empty string)")
        values[name] = value
    try:
        data = base64.b64decode(values["pieceJointeFichier"], validate=True)
    except (binascii.Error, ValueError):
        raise bad_param("pieceJointeFichier is not valid base64") from None
    limit = context.options.max_attachment_bytes
    if len(data) > limit:
        return {
            "codeRetour": ERR_ATTACHMENT_TOO_LARGE,
            "libelle": (
                f"The file is {len(data)} bytes: attachments are limited to 10 MB ({limit} bytes)"
            ),
        }
    attachment_id = context.store.add_attachment(
        name=values["pieceJointeNom"],
        mime=values["pieceJointeTypeMime"],
        extension=values["pieceJointeExtension"],
        owner=login,
        data=data,
    )
    return {"codeRetour": 0, "libelle": "TRA_MSG_00.000", "pieceJointeIdFichier": attachment_id}
