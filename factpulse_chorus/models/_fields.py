"""Converters and checks of request fields shared by the resource groups' models."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from .._exceptions import RequestValidationError
from .common import InvoiceStatusCode

# --- request field helpers shared by the resource modules ------------------------------------


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
