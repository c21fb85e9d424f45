"""Wire metadata of the models, below both the models and the converter.

Wire names are camelCase and derived from the snake_case attribute names
(``invoice_number`` -> ``invoiceNumber``). Irregular ones (``montantHT``,
``identifiantFactureCPP``, ...) are declared next to the field with :func:`wire`, which
is also where alternative names accepted on read (``fallback``), the money format,
inlined objects and leniently read values are declared. :mod:`factpulse_chorus._converter`
reads that metadata; nothing else knows about wire names. The base classes of the wire
enums live here too: their look-up rules are part of reading the wire.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType
from typing import Any, Literal

import attrs

from ._exceptions import RequestValidationError
from ._validation import check_json_value

# --- wire-name metadata ----------------------------------------------------------------------

WIRE = "factpulse_chorus.wire"
FALLBACK = "factpulse_chorus.fallback"
MONEY = "factpulse_chorus.money"
INLINE = "factpulse_chorus.inline"
LENIENT = "factpulse_chorus.lenient"
OFFSET = "factpulse_chorus.offset"

MoneyFormat = Literal["number", "string", "fixed2"]


def wire(
    name: str | None = None,
    *,
    fallback: tuple[str, ...] = (),
    money: MoneyFormat | None = None,
    inline: bool = False,
    lenient: bool = False,
    offset: bool = False,
) -> dict[str, Any]:
    """Field metadata for the converter.

    ``name``: the wire name when it is not the camelCase of the attribute name.
    ``fallback``: other wire names read when ``name`` is absent or null.
    ``money``: how a Decimal is written: ``"number"`` (JSON number, the default,
    native bodies), ``"string"`` (exact decimal string) or ``"fixed2"`` (string with
    exactly two decimals, typed request bodies).
    ``inline``: the nested object may also be spread over the enclosing object's
    top level (read when ``name`` is absent; written there).
    ``lenient``: a response field whose format FactPulse does not fix (dates, amounts,
    sizes). Besides the documented form, the common French variants are
    read (``01/04/2025``, ``1 250,50``); a value that still does not fit leaves the field
    None, is kept as received in the response's ``unparsed`` and is logged once, instead
    of failing the response. The field must default to None.
    ``offset``: a date-time request field: a datetime is sent RFC 3339 with an explicit
    offset, a naive one taken as Europe/Paris wall time (a date stays ``YYYY-MM-DD``).
    """
    meta: dict[str, Any] = {}
    if name is not None:
        meta[WIRE] = name
    if fallback:
        meta[FALLBACK] = fallback
    if money is not None:
        meta[MONEY] = money
    if inline:
        meta[INLINE] = True
    if lenient:
        meta[LENIENT] = True
    if offset:
        meta[OFFSET] = True
    return meta


def lenient_field(name: str | None = None) -> Any:
    """An optional response field (default None) read leniently: see ``wire(lenient=True)``."""
    return attrs.field(default=None, metadata=wire(name, lenient=True))


@functools.cache
def camel(name: str) -> str:
    """snake_case -> camelCase: ``numero_facture`` -> ``numeroFacture``.

    Digits stay as they are: ``id_valideur1`` -> ``idValideur1``.
    """
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def wire_name(attribute: attrs.Attribute[Any]) -> str:
    """The wire name of an attrs attribute."""
    name = attribute.metadata.get(WIRE)
    return name if isinstance(name, str) else camel(attribute.name)


_RESERVED: dict[type, frozenset[str]] = {}


def _reserved_keys(cls: type) -> frozenset[str]:
    keys = _RESERVED.get(cls)
    if keys is None:
        names: set[str] = {"credentials"}
        for attribute in attrs.fields(cls):
            if attribute.name != "extra":
                names.add(wire_name(attribute))
                names.update(attribute.metadata.get(FALLBACK, ()))
        keys = _RESERVED[cls] = frozenset(names)
    return keys


def check_extra(instance: object, extra: Mapping[str, Any]) -> None:
    """Refuse ``extra`` keys that name a declared field (use the keyword argument instead)."""
    if not extra:
        return
    reserved = _reserved_keys(type(instance))
    for key in extra:
        if not isinstance(key, str):
            raise RequestValidationError("extra", "keys must be strings (JSON object keys)")
        if key in reserved:
            raise RequestValidationError(
                "extra", f"key {key!r} is a declared field: pass it as a keyword argument"
            )
    check_json_value("extra", extra)


def freeze_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """A read-only copy of a mapping (``None`` -> empty)."""
    return MappingProxyType(dict(value or {}))


def _extra_validator(instance: Any, _attribute: Any, value: Mapping[str, Any]) -> None:
    check_extra(instance, value)


def extra_field() -> Any:
    """The ``extra`` pass-through field of native request bodies."""
    return attrs.field(
        factory=dict, converter=freeze_mapping, validator=_extra_validator, hash=False
    )


# --- enums -----------------------------------------------------------------------------------

_NORMALISED: dict[type, dict[str, Any]] = {}
_PSEUDO_LIMIT = 1024


def _normalise(value: str) -> str:
    return value.strip().upper().replace("-", "_")


class _WireEnum(str, Enum):
    """A str Enum whose lookup ignores case, surrounding spaces and ``-`` vs ``_``."""

    def __str__(self) -> str:
        return str.__str__(self)

    def __format__(self, format_spec: str) -> str:
        return str.__format__(self, format_spec)

    @classmethod
    def _lookup(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        table = _NORMALISED.get(cls)
        if table is None:
            table = _NORMALISED[cls] = {_normalise(m.value): m for m in cls}
        return table.get(_normalise(value))

    @classmethod
    def _missing_(cls, value: object) -> Any:
        return cls._lookup(value)


class _OpenWireEnum(_WireEnum):
    """A :class:`_WireEnum` that keeps unknown codes as pseudo-members named ``UNKNOWN``."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        member = cls._lookup(value)
        if member is not None or not isinstance(value, str):
            return member
        pseudo = str.__new__(cls, value)
        pseudo._name_ = "UNKNOWN"
        pseudo._value_ = value
        # Cache so that the same unknown code is the same object, within a bound.
        if len(cls._value2member_map_) < _PSEUDO_LIMIT:
            return cls._value2member_map_.setdefault(value, pseudo)
        return pseudo

    @property
    def is_known(self) -> bool:
        """False for a code this version of the SDK does not know (kept as received)."""
        return self._name_ in type(self)._member_map_
