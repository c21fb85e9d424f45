"""``structures/*``: the directory of structures and their services (typed endpoints)."""

from __future__ import annotations

from typing import Any

from .._parse import as_int
from .._records import ERR_STRUCTURE, typed
from ._context import Context, endpoint

__all__ = ["consulter", "lister_services", "obtenir_id_depuis_siret", "rechercher"]


def _found(total: int, noun: str) -> str:
    return f"{total} {noun} found" if total == 1 else f"{total} {noun}s found"


@endpoint
def rechercher(context: Context, login: str, body: dict[str, Any]) -> dict[str, Any]:
    """``structures/rechercher``: first 10 matches and the real total."""
    identifier = body.get("structureIdentifier")
    identifier_type = body.get("structureIdentifierType")
    company = body.get("companyName")
    found = context.directory.search(
        identifier=identifier.strip() if isinstance(identifier, str) else None,
        identifier_type=identifier_type if isinstance(identifier_type, str) else None,
        company_name=company if isinstance(company, str) else None,
        private_only=body.get("restrictPrivateStructures") is True,
    )
    return {
        "returnCode": 0,
        "message": _found(len(found), "structure"),
        "structures": [
            {
                "structureId": s.structure_id,
                "structureIdentifier": s.identifier,
                "structureName": s.name,
                "structureIdentifierType": s.identifier_type,
                "status": s.status,
            }
            for s in found[:10]
        ],
        "total": len(found),
    }


@endpoint
def consulter(context: Context, login: str, body: dict[str, Any]) -> dict[str, Any]:
    """``structures/consulter``: identity and submission parameters."""
    structure_id = as_int(body.get("structureId"))
    if structure_id is None:
        raise typed(ERR_STRUCTURE, "structureId is required and must be an integer")
    structure = context.directory.get(structure_id)
    if structure is None:
        raise typed(ERR_STRUCTURE, f"Structure {structure_id} not found")
    return {
        "returnCode": 0,
        "message": "Structure details retrieved",
        "structureId": structure.structure_id,
        "structureIdentifier": structure.identifier,
        "structureLabel": structure.name,
        "companyName": structure.name,
        "vatNumber": structure.vat,
        "structureEmail": structure.email,
        "parameters": {
            "serviceCodeRequired": structure.service_code_required,
            "engagementNumberRequired": structure.engagement_number_required,
            "engagementOrServiceManagement": structure.engagement_or_service_management,
        },
    }


def lister_services(context: Context, login: str, structure_id: int) -> dict[str, Any]:
    """``GET structures/{id}/services``: every service, active or not."""
    structure = context.directory.get(structure_id)
    if structure is None:
        return {
            "returnCode": ERR_STRUCTURE,
            "message": f"Structure {structure_id} not found",
            "total": 0,
        }
    return {
        "returnCode": 0,
        "message": _found(len(structure.services), "service"),
        "services": [
            {
                "serviceId": s.service_id,
                "serviceCode": s.code,
                "serviceLabel": s.label,
                "isActive": s.active,
            }
            for s in structure.services
        ],
        "total": len(structure.services),
    }


@endpoint
def obtenir_id_depuis_siret(context: Context, login: str, body: dict[str, Any]) -> dict[str, Any]:
    """``structures/obtenir-id-depuis-siret``: id when exactly one structure matches."""
    raw = body.get("siret")
    identifier = raw.strip() if isinstance(raw, str) else ""
    kind = body.get("identifierType")
    kind = kind if isinstance(kind, str) and kind else "SIRET"
    found = context.directory.find_by_identifier(identifier, kind) if identifier else []
    if len(found) == 1:
        return {
            "structureId": found[0].structure_id,
            "structureIdentifier": raw,
            "structureName": found[0].name,
            "message": "Structure found",
        }
    if found:
        message = (
            f"Several structures ({len(found)}) match {kind} {identifier}: "
            "use structures/rechercher to choose one"
        )
    else:
        message = f"No structure found for {kind} {identifier}"
    return {
        "structureId": 0,
        "structureIdentifier": raw if isinstance(raw, str) else "",
        "structureName": None,
        "message": message,
    }
