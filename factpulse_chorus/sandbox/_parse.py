"""Reading values out of request bodies (untrusted JSON, after the lax 422 validation).

Each reader returns the value or raises the native ``20007`` refusal naming the parameter;
the pure parsers (``parse_amount``, ``parse_date``, ...) return ``None`` for a bad value and
let their caller choose the error.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from ._records import SANDBOX_TZ, bad_param

INVOICE_NUMBER = re.compile(r"[A-Za-z0-9\-_/+]{1,20}")
"""What ``invoiceNumber`` may hold."""
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DECIMAL_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_INTEGER_TEXT = re.compile(r"[+-]?\d+")
_CENT = Decimal("0.01")


def as_int(value: Any) -> int | None:
    """An integer from JSON: ints, integral floats and digit strings (pydantic lax mode)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip()):
        return int(value.strip())
    return None


def _first_present(body: Mapping[str, Any], names: Sequence[str]) -> tuple[str, Any]:
    for name in names:
        if body.get(name) is not None:
            return name, body[name]
    return names[0], None


def required_int(body: Mapping[str, Any], *names: str) -> int:
    """The first of ``names`` present, as an integer (the first name is the one reported)."""
    name, value = _first_present(body, names)
    number = as_int(value)
    if number is None:
        raise bad_param(f"{name} is required and must be an integer")
    return number


def optional_int(body: Mapping[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    number = as_int(value)
    if number is None:
        raise bad_param(f"{name} must be an integer")
    return number


def optional_str(body: Mapping[str, Any], *names: str, limit: int | None = None) -> str | None:
    """A string parameter; blank counts as absent."""
    name, value = _first_present(body, names)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_param(f"{name} must be a string")
    if limit is not None and len(value) > limit:
        raise bad_param(f"{name} exceeds {limit} characters")
    return value if value.strip() else None


def optional_bool(body: Mapping[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is None or isinstance(value, bool):
        return value
    raise bad_param(f"{name} must be a boolean")


def _decimal(value: Any) -> Decimal | None:
    """A finite decimal from a JSON number or numeric string, else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return Decimal(repr(value))  # the shortest text that round-trips, not binary noise
    if isinstance(value, str) and _DECIMAL_TEXT.fullmatch(value.strip()):
        return Decimal(value.strip())
    return None


def parse_amount(value: Any) -> Decimal | None:
    """A non-negative amount with at most 2 decimals, from a JSON number or string."""
    amount = _decimal(value)
    if amount is None:
        return None
    try:
        if amount != amount.quantize(_CENT) or amount < 0:
            return None
    except InvalidOperation:
        return None
    return amount


def filter_amount(raw: Any, name: str) -> Decimal:
    """An amount bound of a search filter: any finite number."""
    try:
        value = _decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise bad_param(f"{name} must be a number")
    return value


def parse_date(value: Any) -> str | None:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return None


def parse_datetime(value: Any, *, end_of_day: bool) -> float | None:
    """A filter bound: ISO date-time (offset optional, sandbox zone assumed) or plain date."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _ISO_DATE.fullmatch(text):
        day = parse_date(text)
        if day is None:
            return None
        moment = datetime.fromisoformat(day).replace(tzinfo=SANDBOX_TZ)
        if end_of_day:
            moment += timedelta(days=1) - timedelta(microseconds=1)
        return moment.timestamp()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SANDBOX_TZ)
    return moment.timestamp()


def canonical_status(value: str) -> str:
    """Upper-case code; ``SERVICE_FAIT`` becomes the documented ``SERVICE-FAIT``."""
    code = value.strip().upper()
    return "SERVICE-FAIT" if code in ("SERVICE_FAIT", "SERVICE-FAIT") else code


def status_key(code: str) -> str:
    """A status code compared loosely (case and ``-``/``_`` ignored), for search filters."""
    return code.strip().upper().replace("-", "_")
