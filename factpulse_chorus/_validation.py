"""Client-side rules checked before a request is sent.

Each ``check_*`` function takes the Python (snake_case) field name and the value,
returns the value when it is acceptable and raises
:class:`~factpulse_chorus.RequestValidationError` (``field``, ``rule``) otherwise.
The request models run them from their attrs validators (see :func:`required`
and :func:`optional`), so a request object that exists is a request that passes
these rules. ``is_valid_siret`` / ``is_valid_siren`` are plain predicates for callers.

Values are never echoed in messages, except amounts in the totals rule: the
credentials never pass through here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar

from ._exceptions import RequestValidationError

__all__ = [
    "INVOICE_NUMBER_MAX_LENGTH",
    "MAX_AMOUNT_DIGITS",
    "MAX_ATTACHMENT_BYTES",
    "MAX_COMMENT_LENGTH",
    "MAX_ID",
    "MAX_LABEL_LENGTH",
    "MAX_PAGE_SIZE",
    "all_unset",
    "check_amount",
    "check_attachment_size",
    "check_bool",
    "check_date",
    "check_datetime",
    "check_enum",
    "check_id",
    "check_id_list",
    "check_invoice_number",
    "check_json_value",
    "check_page",
    "check_page_size",
    "check_reason",
    "check_siren",
    "check_siret",
    "check_text",
    "check_text_list",
    "check_totals",
    "is_valid_siren",
    "is_valid_siret",
    "luhn_ok",
    "optional",
    "required",
]

E = TypeVar("E", bound=Enum)

#: 10 MiB of decoded bytes per attachment (``transverses/ajouter-fichier``).
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
#: Native limit of ``commentaire`` (also applied to the other free comments).
MAX_COMMENT_LENGTH = 2000
#: Native limit of attachment designations.
MAX_LABEL_LENGTH = 100
#: Largest ``nbResultatsParPage`` accepted (the native maximum of results).
MAX_PAGE_SIZE = 200
#: Largest id the API's 64-bit integers hold.
MAX_ID = 2**63 - 1
#: Amounts have at most this many digits before the decimal point (a 64-bit count of cents).
MAX_AMOUNT_DIGITS = 16
#: Native limit of an invoice number.
INVOICE_NUMBER_MAX_LENGTH = 20

_LA_POSTE_SIREN = "356000000"
_INVOICE_NUMBER = re.compile(r"[A-Za-z0-9_/+\-]{1,20}", re.ASCII)
_CENT = Decimal("0.01")


# --- identifiers ---------------------------------------------------------------------------


def luhn_ok(digits: str) -> bool:
    """Whether a string of ASCII digits passes the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def _digits(value: object, length: int) -> bool:
    return isinstance(value, str) and len(value) == length and value.isascii() and value.isdigit()


def is_valid_siren(value: object) -> bool:
    """Whether ``value`` is a 9-digit SIREN with a valid Luhn key."""
    return _digits(value, 9) and luhn_ok(value)  # type: ignore[arg-type]


def is_valid_siret(value: object) -> bool:
    """Whether ``value`` is a 14-digit SIRET with a valid key.

    La Poste's establishments (SIREN 356000000) do not follow the Luhn rule: their
    SIRETs are valid when the sum of their digits is a multiple of 5.
    """
    if not _digits(value, 14):
        return False
    assert isinstance(value, str)
    if luhn_ok(value):
        return True
    return value.startswith(_LA_POSTE_SIREN) and sum(map(int, value)) % 5 == 0


def check_siret(field: str, value: object) -> str:
    """A SIRET: 14 digits (a string, keep leading zeros) with a valid key."""
    return _check_key_number(field, value, "SIRET", 14, is_valid_siret)


def check_siren(field: str, value: object) -> str:
    """A SIREN: 9 digits with a valid Luhn key."""
    return _check_key_number(field, value, "SIREN", 9, luhn_ok)


def _check_key_number(
    field: str, value: object, name: str, length: int, is_valid: Callable[[str], bool]
) -> str:
    if not isinstance(value, str):
        raise RequestValidationError(field, f"must be a string of {length} digits")
    if not _digits(value, length):
        raise RequestValidationError(field, f"a {name} must be exactly {length} digits")
    if not is_valid(value):
        raise RequestValidationError(field, f"is not a valid {name} (wrong Luhn check digit)")
    return value


def check_id(field: str, value: object) -> int:
    """A Chorus Pro technical id: a positive ``int`` (``bool`` refused) that fits the
    API's 64-bit integers."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise RequestValidationError(field, "must be a positive integer")
    if value > MAX_ID:
        raise RequestValidationError(field, f"must be at most {MAX_ID} (a 64-bit integer)")
    return value


def check_id_list(field: str, value: object, *, non_empty: bool = True) -> tuple[int, ...]:
    """A sequence of positive ints; at least one when ``non_empty``."""
    if not isinstance(value, tuple):
        raise RequestValidationError(field, "must be a sequence of positive integers")
    if non_empty and not value:
        raise RequestValidationError(field, "must contain at least one id")
    for index, item in enumerate(value):
        check_id(f"{field}[{index}]", item)
    return value


# --- text ----------------------------------------------------------------------------------


def check_text(
    field: str, value: object, *, blank: bool = False, max_length: int | None = None
) -> str:
    """A string; not blank unless ``blank``; at most ``max_length`` characters."""
    if not isinstance(value, str):
        raise RequestValidationError(field, "must be a string")
    if not blank and not value.strip():
        raise RequestValidationError(field, "must not be blank")
    if max_length is not None and len(value) > max_length:
        raise RequestValidationError(field, f"must be at most {max_length} characters")
    return value


def check_text_list(field: str, value: object) -> tuple[str, ...]:
    """A sequence of non-blank strings."""
    if not isinstance(value, tuple):
        raise RequestValidationError(field, "must be a sequence of strings")
    for index, item in enumerate(value):
        check_text(f"{field}[{index}]", item)
    return value


def check_invoice_number(field: str, value: object) -> str:
    """An invoice number: 1-20 characters, ASCII letters, digits and ``- _ / +``."""
    if not isinstance(value, str):
        raise RequestValidationError(field, "must be a string")
    if _INVOICE_NUMBER.fullmatch(value) is None:
        if not value or len(value) > INVOICE_NUMBER_MAX_LENGTH:
            raise RequestValidationError(
                field, f"must be 1 to {INVOICE_NUMBER_MAX_LENGTH} characters long"
            )
        raise RequestValidationError(
            field, "may contain only letters, digits and the characters - _ / +"
        )
    return value


def check_reason(field: str, value: object, *, required: bool, because: str) -> str | None:
    """A reason (``motifRejet``/``motifRefus``): a non-blank string when ``required``."""
    if value is None:
        if required:
            raise RequestValidationError(field, f"is required when {because}")
        return None
    if not isinstance(value, str):
        raise RequestValidationError(field, "must be a string")
    if required and not value.strip():
        raise RequestValidationError(field, f"must not be blank when {because}")
    return value


# --- scalars -------------------------------------------------------------------------------


def check_bool(field: str, value: object) -> bool:
    """A real ``bool``."""
    if not isinstance(value, bool):
        raise RequestValidationError(field, "must be True or False")
    return value


def check_amount(field: str, value: object) -> Decimal:
    """An amount: a finite :class:`~decimal.Decimal` with at most 2 decimals."""
    if not isinstance(value, Decimal):
        raise RequestValidationError(
            field, "must be a decimal.Decimal such as Decimal('1250.50') (floats are not exact)"
        )
    if not value.is_finite():
        raise RequestValidationError(field, "must be a finite amount")
    # Judge the size before the decimals: quantize() fails on huge values, which would
    # otherwise be reported as having too many decimals.
    if value != 0 and value.adjusted() >= MAX_AMOUNT_DIGITS:
        raise RequestValidationError(
            field, f"must have at most {MAX_AMOUNT_DIGITS} digits before the decimal point"
        )
    try:
        exact = value.quantize(_CENT) == value
    except InvalidOperation:
        exact = False
    if not exact:
        raise RequestValidationError(field, "must have at most 2 decimals")
    return value


def check_totals(net: Decimal, vat: Decimal, gross: Decimal) -> None:
    """``total_net_amount + vat_amount == total_gross_amount``, to the cent."""
    if net + vat != gross:
        raise RequestValidationError(
            "total_gross_amount",
            f"must equal total_net_amount + vat_amount ({net} + {vat} = {net + vat}, not {gross})",
        )


def check_date(field: str, value: object) -> date:
    """A calendar date: a :class:`datetime.date` that is not a ``datetime``."""
    if isinstance(value, datetime):
        raise RequestValidationError(field, "must be a datetime.date without a time of day")
    if not isinstance(value, date):
        raise RequestValidationError(field, "must be a datetime.date")
    return value


def check_datetime(field: str, value: object) -> date:
    """A date or a date-time: a :class:`datetime.date` or :class:`datetime.datetime`."""
    if not isinstance(value, date):
        raise RequestValidationError(field, "must be a datetime.date or datetime.datetime")
    return value


def check_enum(field: str, cls: type[E], value: object) -> E:
    """One of the members of ``cls`` (the enum's own spelling rules apply)."""
    try:
        return cls(value)
    except (ValueError, TypeError):
        allowed = ", ".join(str(member.value) for member in cls)
        raise RequestValidationError(field, f"must be one of {allowed}") from None


# --- pagination ----------------------------------------------------------------------------


def check_page(field: str, value: object) -> int:
    """A page number: an int >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RequestValidationError(field, "must be an integer >= 1")
    return value


def check_page_size(field: str, value: object) -> int:
    """A page size: an int from 1 to 200."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PAGE_SIZE:
        raise RequestValidationError(field, f"must be an integer between 1 and {MAX_PAGE_SIZE}")
    return value


# --- attachments ---------------------------------------------------------------------------


def check_attachment_size(field: str, value: object, *, limit: int = MAX_ATTACHMENT_BYTES) -> str:
    """Base64 text whose decoded size is at most ``limit`` bytes (10 MiB by default).

    The size is computed from the length of the text, without decoding it.
    """
    text = check_text(field, value)
    compact = "".join(text.split())
    padding = len(compact) - len(compact.rstrip("="))
    if len(compact) * 3 // 4 - padding > limit:
        raise RequestValidationError(
            field, f"the decoded file must be at most {limit} bytes ({limit // (1024 * 1024)} MiB)"
        )
    return text


# --- pass-through JSON ----------------------------------------------------------------------

# Dates are written ISO 8601 by the converter, like the declared fields.
_JSON_SCALARS = (str, int, bool, type(None), date)


def check_json_value(field: str, value: object, *, depth: int = 0) -> None:
    """Plain JSON data (the ``extra`` pass-through): objects with string keys, arrays,
    strings, finite numbers (``Decimal`` included), booleans, null, and dates (written
    ISO 8601). NaN and infinities are not JSON: refused."""
    if depth > 32:
        raise RequestValidationError(field, "is nested too deeply (at most 32 levels)")
    if isinstance(value, _JSON_SCALARS):
        return
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise RequestValidationError(
                field, "must be a finite number (NaN and Infinity are not JSON)"
            )
        return
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise RequestValidationError(
                field, "must be a finite number (NaN and Infinity are not JSON)"
            )
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise RequestValidationError(field, "keys must be strings (JSON object keys)")
            check_json_value(f"{field}.{key}", item, depth=depth + 1)
        return
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            check_json_value(f"{field}[{index}]", item, depth=depth + 1)
        return
    raise RequestValidationError(
        field,
        f"must be JSON data (str, int, float, bool, None, list, dict), not {type(value).__name__}",
    )


# --- attrs adapters ------------------------------------------------------------------------

Validator = Callable[[Any, Any, Any], None]


def required(check: Callable[..., object], *, prefix: str = "", **options: Any) -> Validator:
    """An attrs validator running ``check(prefix + attribute.name, value, **options)``."""

    def validate(_instance: Any, attribute: Any, value: Any) -> None:
        check(prefix + attribute.name, value, **options)

    return validate


def optional(check: Callable[..., object], *, prefix: str = "", **options: Any) -> Validator:
    """Like :func:`required`, but ``None`` (unset) is accepted."""

    def validate(_instance: Any, attribute: Any, value: Any) -> None:
        if value is not None:
            check(prefix + attribute.name, value, **options)

    return validate


def all_unset(values: Iterable[object]) -> bool:
    """Whether every value is ``None`` or empty (used by "at least one of" rules)."""
    return all(value is None or (isinstance(value, Collection) and not value) for value in values)
