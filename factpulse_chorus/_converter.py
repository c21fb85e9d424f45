"""The package's one cattrs converter, and :func:`to_wire` / :func:`from_wire`.

How the models map to JSON:

* Keys are the camelCase of the attribute names, or the name declared with
  :func:`factpulse_chorus.models.common.wire` (``montantHT``, ``identifiantFactureCPP``...).
  Hooks are generated per class (``make_dict_structure_fn`` / ``make_dict_unstructure_fn``
  with ``override(rename=...)``) the first time a class is used, then cached by cattrs.
* Writing: optional fields left at ``None`` are left out of the body; ``extra`` (native
  request bodies) is merged last. Its keys cannot collide with declared fields: the
  request models refuse such keys when they are built. Decimals stay Decimals in the
  body and :func:`encode_json` writes them as JSON numbers from their exact digits
  (native bodies), or they are strings with exactly two decimals where the field says
  ``money="fixed2"`` (``factures/soumettre``). Dates are ``YYYY-MM-DD``; date-time
  filters (``wire(offset=True)``, and datetimes in ``extra``) RFC 3339 with an offset,
  a naive datetime being Europe/Paris wall time.
* Reading is lenient: unknown keys are ignored; ``null`` means "absent" for every
  field that has a default; absent/null lists become ``()``; alternative names are
  read when the main one is missing (``fichierResultat`` for ``fichierBase64``...).
  Decimals come from strings or numbers without float rounding; integers from ints,
  whole floats (``12.0``) or digit strings; dates from ``YYYY-MM-DD``,
  ``YYYY-MM-DD HH:MM`` or ISO 8601 (a ``datetime`` when a time is present). Unknown
  status codes are kept. Fields whose format the sources do not fix (dates, amounts,
  sizes: ``wire(lenient=True)``) also take the French forms, and a value that still
  does not fit leaves the field None and goes to the response's ``unparsed``
  (:mod:`._decode`). Anything else that does not fit raises
  :class:`~factpulse_chorus.ResponseDecodeError` naming the JSON path
  (``$.listeFactures[3].idDestinataire``).
* Reading runs a fast converter first (no detailed validation, hooks resolved once per
  class, :mod:`._structure_fast` constructors); only when it fails is the body structured
  again by the detailed converter, which words the error or reads the lenient fields.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, TypeVar, cast, get_args, get_origin

import attrs
import cattrs
from cattrs.errors import IterableValidationError, IterableValidationNote
from cattrs.gen import (
    make_dict_structure_fn,
    make_dict_structure_fn_from_attrs,
    make_dict_unstructure_fn,
    override,
)

from ._decode import describe_error, recover
from ._exceptions import ResponseDecodeError
from ._structure_fast import fast_constructor
from ._wire import FALLBACK, INLINE, LENIENT, MONEY, OFFSET, _WireEnum, wire_name
from ._wire_values import (
    encode_json,
    json_type,
    parse_date,
    structure_bool,
    structure_date,
    structure_datetime,
    structure_decimal,
    structure_int,
    structure_str,
    unstructure_date,
    unstructure_moment,
    with_offsets,
)
from .models.common import APIResponse, RawResponse

__all__ = ["encode_json", "from_wire", "parse_date", "to_wire"]

T = TypeVar("T")

_NOT_WIRE = frozenset({"raw", "extra", "unparsed"})  # model plumbing, never a body key
_MAX_MESSAGES = 5

# Two converters with the same hooks: the fast one reads well-formed bodies and stops at
# the first mismatch; the detailed one is only run then, to word every failure with its
# JSON path (and to read lenient fields in their other forms, ._decode).
_converter = cattrs.Converter(detailed_validation=True)
_fast = cattrs.Converter(detailed_validation=False)


# --- scalars (the readers and writers live in _wire_values) -----------------------------------


def _structure_enum(value: Any, cls: type[_WireEnum]) -> _WireEnum:
    if type(value) is str:  # the canonical spelling: no Enum call
        member = cls._value2member_map_.get(value)
        if member is not None:
            return member  # type: ignore[return-value]
    if not isinstance(value, str):
        raise TypeError(f"expected a {cls.__name__} code (string), got {json_type(value)}")
    try:
        return cls(value)
    except ValueError:
        raise ValueError(f"unknown {cls.__name__} {json_type(value)}") from None


def _money_number(value: Decimal | None) -> Decimal | None:
    """Native amounts: kept a Decimal, written as a JSON number from its exact digits by
    :func:`encode_json` (a float would round 19-digit amounts)."""
    return value


def _money_string(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _money_fixed2(value: Decimal | None) -> str | None:
    # The request validators guarantee at most two decimals, so this never rounds.
    return None if value is None else f"{value:.2f}"


_MONEY_HOOKS: dict[str, Callable[[Decimal | None], Any]] = {
    "number": _money_number,
    "string": _money_string,
    "fixed2": _money_fixed2,
}


def _unstructure_enum(value: _WireEnum) -> str:
    return str.__str__(value)


# --- containers ------------------------------------------------------------------------------


def _is_tuple(t: Any) -> bool:
    return t is tuple or get_origin(t) is tuple


def _is_mapping(t: Any) -> bool:
    return get_origin(t) in (Mapping, dict) or t in (Mapping, dict)


def _item_hook(converter: cattrs.Converter, t: Any) -> tuple[Any, Callable[[Any, Any], Any]]:
    """The item type of the tuple type ``t``, and ``converter``'s hook for it."""
    args = get_args(t)
    item_type: Any = args[0] if args else Any
    try:
        return item_type, converter.get_structure_hook(item_type)
    except RecursionError:  # a model that contains itself: resolved at each call then
        return item_type, converter.structure


def _array(value: Any) -> list[Any] | tuple[Any, ...]:
    """A JSON array's items (``null``: none); anything else is a TypeError."""
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"expected an array, got {json_type(value)}")
    return value


def _tuple_structure_factory(t: Any) -> Callable[[Any, Any], tuple[Any, ...]]:
    """Detailed: every failing index is collected and noted, as cattrs does."""
    item_type, hook = _item_hook(_converter, t)

    def structure_tuple(value: Any, _: Any) -> tuple[Any, ...]:
        value = _array(value)
        items: list[Any] = []
        errors: list[Exception] = []
        for index, item in enumerate(value):
            try:
                items.append(hook(item, item_type))
            except Exception as exc:  # collected, as cattrs does, to report every index
                note = IterableValidationNote(
                    f"Structuring {t!r} @ index {index}", index, item_type
                )
                # __notes__ is what cattrs reads (add_note() needs Python 3.11).
                setattr(exc, "__notes__", [*getattr(exc, "__notes__", []), note])  # noqa: B010
                errors.append(exc)
        if errors:
            raise IterableValidationError(f"While structuring {t!r}", errors, t)
        return tuple(items)

    return structure_tuple


def _fast_tuple_structure_factory(t: Any) -> Callable[[Any, Any], tuple[Any, ...]]:
    """Fast: the first failure stops it (the detailed converter then words the error)."""
    item_type, hook = _item_hook(_fast, t)

    def structure_tuple(value: Any, _: Any) -> tuple[Any, ...]:
        return tuple([hook(item, item_type) for item in _array(value)])

    return structure_tuple


def _structure_mapping(value: Any, _: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected an object, got {json_type(value)}")
    return dict(value)


def _unstructure_sequence(value: Any) -> list[Any]:
    return [_converter.unstructure(item) for item in value]


def _unstructure_mapping(value: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _converter.unstructure(item) for key, item in value.items()}


# --- model classes ---------------------------------------------------------------------------


def _fields(cl: type) -> tuple[attrs.Attribute[Any], ...]:
    if any(isinstance(a.type, str) for a in attrs.fields(cl)):
        attrs.resolve_types(cl)
    return tuple(attrs.fields(cl))


def _wire_fields(cl: type) -> tuple[attrs.Attribute[Any], ...]:
    return tuple(a for a in _fields(cl) if a.name not in _NOT_WIRE)


def _inline_keys(a: attrs.Attribute[Any]) -> tuple[str, ...]:
    nested = next(t for t in (a.type, *get_args(a.type)) if isinstance(t, type) and attrs.has(t))
    return tuple(wire_name(n) for n in _wire_fields(nested))


def _wire_rules(cl: type) -> tuple[Any, Any, frozenset[str]]:
    """The alternative names, inlined objects and defaulted keys of ``cl``."""
    wired = _wire_fields(cl)
    for a in wired:
        if a.metadata.get(LENIENT) and a.default is not None:
            # An unreadable value is dropped: the field must have somewhere to fall back.
            raise TypeError(f"{cl.__name__}.{a.name}: a lenient field must default to None")
    fallbacks = tuple((wire_name(a), a.metadata[FALLBACK]) for a in wired if FALLBACK in a.metadata)
    inline = tuple((wire_name(a), _inline_keys(a)) for a in wired if a.metadata.get(INLINE))
    defaulted = frozenset(wire_name(a) for a in wired if a.default is not attrs.NOTHING)
    return fallbacks, inline, defaulted


def _with_rules(
    generated: Callable[[Any, Any], T], cl: type[T], nulls: bool
) -> Callable[[Any, Any], T]:
    """``generated`` behind the alternative names and inlined objects (and, when
    ``nulls``, the dropping of nulls where there is a default)."""
    fallbacks, inline, defaulted = _wire_rules(cl)
    nulls = nulls and bool(defaulted)
    if not fallbacks and not inline and not nulls:
        return generated

    def structure_model(value: Any, _: Any) -> T:
        if not isinstance(value, Mapping):
            raise TypeError(f"expected a JSON object, got {json_type(value)}")
        data: Mapping[str, Any] = value
        patched: dict[str, Any] | None = None
        for key, alternatives in fallbacks:
            if data.get(key) is None:
                for alternative in alternatives:
                    if data.get(alternative) is not None:
                        patched = patched if patched is not None else dict(data)
                        patched[key] = data[alternative]
                        break
        for key, nested_keys in inline:
            if data.get(key) is None and any(k in data for k in nested_keys):
                patched = patched if patched is not None else dict(data)
                patched[key] = value  # the nested hook picks its keys, ignores the rest
        if patched is not None:
            data = patched
        if nulls and None in data.values():
            # null means "absent" wherever the model has a default.
            data = {k: v for k, v in data.items() if v is not None or k not in defaulted}
        return generated(data, cl)

    return structure_model


def _overrides(cl: type) -> dict[str, Any]:
    return {
        a.name: override(omit=True) if a.name in _NOT_WIRE else override(rename=wire_name(a))
        for a in _fields(cl)
    }


def _model_structure_factory(cl: type[T]) -> Callable[[Any, Any], T]:
    """Detailed: cattrs collects every failure with its attribute (the JSON path)."""
    return _with_rules(make_dict_structure_fn(cl, _converter, **_overrides(cl)), cl, True)


def _same(value: Any) -> Any:
    return value


def _fast_model_structure_factory(cl: type[T]) -> Callable[[Any, Any], T]:
    """Fast: cattrs looks the keys up; the class's constructor (._structure_fast) checks
    and builds, or, for a class that cannot have one, cattrs calls ``__init__``."""
    wired = _wire_fields(cl)
    _wire_rules(cl)  # the same definition errors as the detailed path, at the same time
    build = fast_constructor(cl, wired, _fast.get_structure_hook)
    if build is None:
        return _with_rules(make_dict_structure_fn(cl, _fast, **_overrides(cl)), cl, True)
    # The values go to ``build`` as received (an attrs converter on the field tells cattrs
    # to call no hook), the required ones by position.
    passed = [a.evolve(converter=_same, kw_only=False) for a in wired]
    renames: dict[str, Any] = {a.name: override(rename=wire_name(a)) for a in wired}
    generated = make_dict_structure_fn_from_attrs(
        passed,
        cast(Any, build),  # cattrs calls it as it would call the class
        _fast,
        _cattrs_prefer_attrib_converters=True,
        _cattrs_detailed_validation=False,
        **renames,
    )
    return _with_rules(generated, cl, False)


def _model_unstructure_factory(cl: type[T]) -> Callable[[T], dict[str, Any]]:
    fields = _fields(cl)
    overrides: dict[str, Any] = {}
    for a in fields:
        if a.name in _NOT_WIRE:
            overrides[a.name] = override(omit=True)
        else:
            overrides[a.name] = override(
                rename=wire_name(a),
                omit_if_default=a.default is None,
                unstruct_hook=unstructure_moment
                if a.metadata.get(OFFSET)
                else _MONEY_HOOKS.get(a.metadata.get(MONEY, "")),
            )
    generated = make_dict_unstructure_fn(cl, _converter, **overrides)
    has_extra = any(a.name == "extra" for a in fields)
    inline = tuple(
        (wire_name(a), _inline_keys(a))
        for a in fields
        if a.name not in _NOT_WIRE and a.metadata.get(INLINE)
    )
    if not has_extra and not inline:
        return generated

    def unstructure_model(obj: T) -> dict[str, Any]:
        data = generated(obj)
        for key, nested_keys in inline:
            nested = data.pop(key, None)
            if isinstance(nested, dict):
                # Every key, null included, so that reading it back finds the object.
                data.update({k: nested.get(k) for k in nested_keys})
        if has_extra:
            for key, value in getattr(obj, "extra", {}).items():
                data.setdefault(key, _converter.unstructure(with_offsets(value)))
        return data

    return unstructure_model


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and attrs.has(t)


def _configure(
    converter: cattrs.Converter, tuples: Any, models: Any, dates: Any, amounts: Any
) -> None:
    # Each scalar type's structure and unstructure hooks (None: cattrs' own).
    scalars: dict[Any, tuple[Any, Any]] = {
        int: (structure_int, None),
        bool: (structure_bool, None),
        str: (structure_str, None),
        Decimal: (amounts, _money_number),
        date: (dates, unstructure_date),
        datetime: (structure_datetime, unstructure_date),
        # Our enums subclass str: registered explicitly so the str hook does not win.
        _WireEnum: (_structure_enum, _unstructure_enum),
        MappingProxyType: (None, _unstructure_mapping),
    }
    for kind, (structure, unstructure) in scalars.items():
        if structure is not None:
            converter.register_structure_hook(kind, structure)
        if unstructure is not None:
            converter.register_unstructure_hook(kind, unstructure)
    converter.register_structure_hook_factory(_is_tuple, tuples)
    converter.register_structure_hook_factory(_is_mapping, lambda _t: _structure_mapping)
    converter.register_structure_hook_factory(_is_model, models)
    converter.register_unstructure_hook_factory(_is_tuple, lambda _t: _unstructure_sequence)
    converter.register_unstructure_hook_factory(_is_model, _model_unstructure_factory)


def _fast_date(value: Any, _: Any) -> date:
    """:func:`structure_date` for the fast path: a plain ``YYYY-MM-DD`` (the common
    case) by one C call; any other value by :func:`structure_date` itself."""
    if type(value) is str and len(value) == 10 and value[4] == "-" == value[7]:
        try:
            # For this shape it takes exactly what the pattern of parse_date takes.
            return date.fromisoformat(value)
        except ValueError:
            pass  # parse_date words the error
    return structure_date(value, _)


def _fast_decimal(value: Any, _: Any) -> Decimal:
    """:func:`structure_decimal` for the fast path: an amount in a string first."""
    if type(value) is str:
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            pass  # structure_decimal words the error
        else:
            if result.is_finite():
                return result
    return structure_decimal(value, _)


_configure(
    _converter,
    _tuple_structure_factory,
    _model_structure_factory,
    structure_date,
    structure_decimal,
)
_configure(
    _fast, _fast_tuple_structure_factory, _fast_model_structure_factory, _fast_date, _fast_decimal
)
_FAST_HOOKS: dict[Any, Callable[[Any, Any], Any]] = {}
"""The fast converter's hook per result class, looked up once."""
_WIRE_HOOKS: dict[type, Callable[[Any], Any]] = {}
"""The unstructure hook per request class, looked up once."""


# --- public helpers --------------------------------------------------------------------------


def to_wire(obj: Any) -> dict[str, Any]:
    """The JSON body (a dict) for a request model; unset optional fields are left out."""
    hook = _WIRE_HOOKS.get(type(obj))
    if hook is None:
        hook = _WIRE_HOOKS[type(obj)] = _converter.get_unstructure_hook(type(obj))
    data = hook(obj)
    if not isinstance(data, dict):
        raise TypeError(f"{type(obj).__name__} does not unstructure to a JSON object")
    return data


def from_wire(data: Any, cls: type[T], *, raw: RawResponse | None = None) -> T:
    """Build ``cls`` from decoded JSON; set ``raw`` on :class:`APIResponse` results.

    A value that does not fit a lenient field (``wire(lenient=True)``) leaves the field
    None and is kept in the result's ``unparsed`` (one warning logged). Any other mismatch
    raises :class:`ResponseDecodeError` naming the JSON path(s); the HTTP status and
    content type come from ``raw`` when given (200 otherwise).
    """
    left: dict[str, Any] = {}
    try:
        hook = _FAST_HOOKS.get(cls)
        if hook is None:
            hook = _FAST_HOOKS[cls] = _fast.get_structure_hook(cls)
        result: T = hook(data, cls)
    except Exception:  # only a signal: the detailed path says what failed
        try:
            result = _converter.structure(data, cls)
        except Exception as exc:  # every structuring failure becomes one documented error
            recovered = recover(data, cls, exc, _converter.structure)
            if recovered is None:
                raise _decode_error(exc, cls, raw) from exc
            result, left = recovered
    if isinstance(result, APIResponse):
        if raw is not None:
            object.__setattr__(result, "raw", raw)
        if left:
            object.__setattr__(result, "unparsed", MappingProxyType(left))
    return result


def _decode_error(exc: BaseException, cls: type, raw: RawResponse | None) -> ResponseDecodeError:
    messages = describe_error(exc)
    reason = f"{cls.__name__}: " + "; ".join(messages[:_MAX_MESSAGES])
    if len(messages) > _MAX_MESSAGES:
        reason += f" (and {len(messages) - _MAX_MESSAGES} more)"
    content_type = ""
    if raw is not None:
        content_type = next((v for k, v in raw.headers.items() if k.lower() == "content-type"), "")
    return ResponseDecodeError(
        reason,
        status_code=raw.status if raw is not None else 200,
        content_type=content_type,
    )
