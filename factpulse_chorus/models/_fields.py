"""Field makers, converters and checks shared by the resource groups' models."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from .._exceptions import RequestValidationError
from .._validation import (
    MAX_COMMENT_LENGTH,
    check_amount,
    check_bool,
    check_date,
    check_datetime,
    check_id,
    check_id_list,
    check_reason,
    check_text,
    check_text_list,
    optional,
    required,
)
from .._wire import wire
from .common import InvoiceStatusCode

# --- the validators the request models use over and over -------------------------------------

req_id = required(check_id)
opt_id = optional(check_id)
opt_ids = optional(check_id_list, non_empty=False)
opt_text = optional(check_text)
opt_texts = optional(check_text_list)
opt_comment = optional(check_text, max_length=MAX_COMMENT_LENGTH)
opt_bool = optional(check_bool)
opt_date = optional(check_date)
opt_datetime = optional(check_datetime)
opt_amount = optional(check_amount)


# --- field makers ----------------------------------------------------------------------------


def wire_field(name: str, **options: Any) -> Any:
    """An optional field (default None) sent or read under the wire name ``name``, with no
    check: response fields, read leniently (``options`` as for :func:`wire`:
    ``lenient=True`` for dates, amounts, sizes)."""
    return attrs.field(default=None, metadata=wire(name, **options))


def filter_field(name: str, validator: Any = opt_text, **options: Any) -> Any:
    """An optional request field sent under the wire name ``name``, checked by
    ``validator`` (a non-blank text by default; ``options`` as for :func:`wire`)."""
    return attrs.field(default=None, validator=validator, metadata=wire(name, **options))


def codes_options(name: str) -> dict[str, Any]:
    """The check and the wire name of a request field of codes sent as a list under ``name``
    (each a non-blank text): ``attrs.field(default=None, converter=str_tuple_or_none,
    **codes_options(name))``. The default and the converter stay in the field: type
    checkers' attrs support reads them there only, and so takes a code or codes in
    ``__init__`` (what the converter accepts) while the attribute is a tuple."""
    return {"validator": opt_texts, "metadata": wire(name)}


def reason_field(name: str, decided_by: str) -> Any:
    """The ``reason`` of a decision on an invoice, sent under ``name``: required (and not
    blank) when the decision held by the field ``decided_by`` needs one (its
    ``requires_reason``: a new status, a validator action)."""

    def check(instance: Any, attribute: Any, value: object) -> None:
        decision = getattr(instance, decided_by)
        needing = " or ".join(m.value for m in type(decision) if m.requires_reason)
        check_reason(
            attribute.name,
            value,
            required=decision.requires_reason,
            because=f"{decided_by} is {needing}",
        )

    return attrs.field(default=None, validator=check, metadata=wire(name))


# --- converters and checks -------------------------------------------------------------------


def status_tuple(
    value: Iterable[InvoiceStatusCode | str] | str | None,
) -> tuple[InvoiceStatusCode, ...] | None:
    """Converter of ``statutCourant`` filters: a code or codes -> tuple of status codes."""
    if value is None:
        return None
    if isinstance(value, str):
        return (_status_item(value),)  # one code, as documented
    if not is_collection(value):
        raise RequestValidationError("status", "must be a status code or a list of codes")
    return tuple(_status_item(item) for item in value)


def _status_item(item: object) -> InvoiceStatusCode:
    if not isinstance(item, str) or not item.strip():
        raise RequestValidationError("status", "must be status codes (non-blank strings)")
    return InvoiceStatusCode(item)


def is_collection(value: object) -> bool:
    """Whether ``value`` can be read as a list of items: iterable, and neither text
    (a ``str``/``bytes`` would be split into letters) nor a mapping (its keys)."""
    return isinstance(value, Iterable) and not isinstance(
        value, (str, bytes, bytearray, memoryview, Mapping)
    )


def int_tuple(value: Iterable[int] | int) -> tuple[int, ...]:
    """Converter: an id or ids -> tuple (elements are checked by the validator).

    Anything else is left as it is, for the validator to refuse naming the field."""
    if isinstance(value, int):
        return (value,)
    return tuple(value) if is_collection(value) else value  # type: ignore[return-value]


def int_tuple_or_none(value: Iterable[int] | int | None) -> tuple[int, ...] | None:
    """Converter like :func:`int_tuple`, keeping None (unset)."""
    return None if value is None else int_tuple(value)


def str_tuple_or_none(value: Iterable[str] | str | None) -> tuple[str, ...] | None:
    """Converter: a string or strings -> tuple, keeping None (unset)."""
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)  # one code, as documented
    return tuple(value) if is_collection(value) else value  # type: ignore[return-value]


def mapping_or_none(value: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """Converter: a read-only copy of a mapping, keeping None (unset)."""
    return None if value is None else MappingProxyType(dict(value))


def check_filter_names(filters: Mapping[str, object], declared: type, method: str) -> None:
    """Refuse a keyword that is not one of the filters ``declared`` (a ``TypedDict``).

    The search methods take their filters as ``**filters``, declared once per search as a
    TypedDict; type checkers catch a misspelt keyword, and this catches it at run time.
    """
    allowed: frozenset[str] = getattr(declared, "__optional_keys__", frozenset()) | getattr(
        declared, "__required_keys__", frozenset()
    )
    for name in filters:
        if name not in allowed:
            raise RequestValidationError(
                name, f"is not a filter of {method} (known: {', '.join(sorted(allowed))})"
            )
