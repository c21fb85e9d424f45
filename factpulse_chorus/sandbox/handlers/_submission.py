"""The synchronous checks of ``soumettre``, also run by ``recycler``."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .._directory import Structure
from .._parse import parse_amount, parse_date
from .._records import (
    ERR_AMOUNTS_MISMATCH,
    ERR_ENGAGEMENT_REQUIRED,
    ERR_INVALID_AMOUNT,
    ERR_INVALID_DATE,
    ERR_MISSING_FIELD,
    ERR_RECIPIENT_INACTIVE,
    ERR_RECIPIENT_UNKNOWN,
    ERR_SERVICE_INVALID,
    ERR_SERVICE_REQUIRED,
    ERR_TOO_LONG,
    Refusal,
    typed,
)
from ._context import Context

__all__ = ["AMOUNTS", "check_routing", "submitted_amounts", "submitted_date", "submitted_texts"]

AMOUNTS = ("totalNetAmount", "vatAmount", "totalGrossAmount")
"""The required amounts of a submission."""
_TEXT_LIMITS = (
    ("serviceCode", 100),
    ("engagementNumber", 50),
    ("mainAttachmentLabel", 100),
    ("comment", 2000),
    ("purchaseOrderReference", 50),
    ("contractReference", 50),
)


def check_routing(
    context: Context,
    recipient_id: int,
    service_code: str | None,
    engagement: str | None,
    error: Callable[[int, str], Refusal],
) -> tuple[Structure, int | None]:
    """Checks the recipient, its service code and engagement number; returns the recipient
    and the service id."""
    recipient = context.directory.get(recipient_id)
    if recipient is None:
        raise error(ERR_RECIPIENT_UNKNOWN, f"Recipient structure {recipient_id} not found")
    if not recipient.active:
        raise error(ERR_RECIPIENT_INACTIVE, f"Recipient structure {recipient_id} is inactive")
    service_id: int | None = None
    if service_code is None:
        if recipient.service_code_required:
            raise error(
                ERR_SERVICE_REQUIRED,
                f"A service code is required by recipient structure {recipient_id}",
            )
    else:
        service = recipient.service(service_code)
        if service is None or not service.active:
            raise error(
                ERR_SERVICE_INVALID,
                f"Service code {service_code} is not an active service of structure {recipient_id}",
            )
        service_id = service.service_id
    if engagement is None and recipient.engagement_number_required:
        raise error(
            ERR_ENGAGEMENT_REQUIRED,
            f"An engagement number is required by recipient structure {recipient_id}",
        )
    return recipient, service_id


def submitted_texts(body: dict[str, Any]) -> dict[str, str | None]:
    texts: dict[str, str | None] = {}
    for name, limit in _TEXT_LIMITS:
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            raise typed(ERR_MISSING_FIELD, f"{name} must be a string")
        if value is not None and len(value) > limit:
            raise typed(ERR_TOO_LONG, f"{name} exceeds {limit} characters")
        texts[name] = value if value is not None and value.strip() else None
    return texts


def submitted_amounts(body: dict[str, Any]) -> dict[str, Decimal]:
    amounts: dict[str, Decimal] = {}
    for name in AMOUNTS:
        amount = parse_amount(body[name])
        if amount is None:
            raise typed(
                ERR_INVALID_AMOUNT,
                f"{name} must be a non-negative decimal amount with at most 2 decimals",
            )
        amounts[name] = amount
    if amounts["totalNetAmount"] + amounts["vatAmount"] != amounts["totalGrossAmount"]:
        raise typed(ERR_AMOUNTS_MISMATCH, "totalNetAmount + vatAmount must equal totalGrossAmount")
    return amounts


def submitted_date(body: dict[str, Any], name: str) -> str:
    value = parse_date(body[name])
    if value is None:
        raise typed(ERR_INVALID_DATE, f"{name} must be a valid YYYY-MM-DD date")
    return value
