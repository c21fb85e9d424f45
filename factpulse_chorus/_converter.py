"""The package's one cattrs converter, and :func:`to_wire` / :func:`from_wire`.

How the models map to JSON:

* Keys are the camelCase of the attribute names, or the name declared with
  :func:`factpulse_chorus.models.common.wire` (``montantHT``, ``identifiantFactureCPP``...).
  Hooks are generated per class (``make_dict_structure_fn`` / ``make_dict_unstructure_fn``
  with ``override(rename=...)``) the first time a class is used, then cached by cattrs.
* Writing: optional fields left at ``None`` are left out of the body; ``extra`` (native
  request bodies) is merged last. Its keys cannot collide with declared fields: the
  request models refuse such keys when they are built. Decimals are JSON numbers
  (native bodies), or strings with exactly two decimals where the field says
  ``money="fixed2"`` (``factures/soumettre``). Dates are ``YYYY-MM-DD``, date-times ISO 8601.
* Reading is lenient: unknown keys are ignored; ``null`` means "absent" for every
  field that has a default; absent/null lists become ``()``; alternative names are
  read when the main one is missing (``fichierResultat`` for ``fichierBase64``...).
  Decimals come from strings or numbers without float rounding; dates from
  ``YYYY-MM-DD``, ``YYYY-MM-DD HH:MM`` or ISO 8601 (a ``datetime`` when a time is
  present). Unknown status codes are kept. Anything that does not fit raises
  :class:`~factpulse_chorus.ResponseDecodeError` naming the JSON path
  (``$.listeFactures[3].montantHT``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, TypeVar, get_args, get_origin

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    BaseValidationError,
    ClassValidationError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._exceptions import ResponseDecodeError
from .models.common import (
    FALLBACK,
    INLINE,
    MONEY,
    APIResponse,
    RawResponse,
    _WireEnum,
    wire_name,
)

__all__ = ["from_wire", "parse_date", "to_wire"]

T = TypeVar("T")

_NOT_WIRE = frozenset({"raw", "extra"})  # model plumbing, never a body key
_MAX_MESSAGES = 5

_converter = cattrs.Converter(detailed_validation=True)


# --- scalars ---------------------------------------------------------------------------------


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {value!r}"
    if isinstance(value, (int, float, Decimal)):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"string {value[:40]!r}" + ("…" if len(value) > 40 else "")
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


_INT = re.compile(r"[+-]?\d+", re.ASCII)


def _structure_int(value: Any, _: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT.fullmatch(value.strip()):
        return int(value)
    raise TypeError(f"expected an integer, got {_json_type(value)}")


def _structure_str(value: Any, _: Any) -> str:
    if isinstance(value, str):
        return value
    # Lenient: an identifier sent as a number (e.g. a SIRET) is still usable as text.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"expected a string, got {_json_type(value)}")


_TRUE = frozenset({"true", "oui", "1"})
_FALSE = frozenset({"false", "non", "0"})


def _structure_bool(value: Any, _: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    raise TypeError(f"expected a boolean, got {_json_type(value)}")


def _structure_decimal(value: Any, _: Any) -> Decimal:
    if isinstance(value, bool):
        raise TypeError(f"expected an amount, got {_json_type(value)}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        # repr() is the shortest string that reads back as the same float: 1250.5, not
        # 1250.499999999999971578290569595992565155029296875.
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"expected an amount, got {_json_type(value)}") from None
    else:
        raise TypeError(f"expected an amount, got {_json_type(value)}")
    if not result.is_finite():
        raise ValueError(f"expected a finite amount, got {_json_type(value)}")
    return result


_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*([Zz]|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?)?",
    re.ASCII,
)


def parse_date(text: str) -> date:
    """Parse ``YYYY-MM-DD``, ``YYYY-MM-DD HH:MM[:SS[.f]]`` or ISO 8601 (``T``, ``Z``, offset).

    Returns a :class:`~datetime.date`, or a :class:`~datetime.datetime` when a time is
    present (aware when an offset or ``Z`` is given). Raises ValueError otherwise.
    """
    match = _DATE_TIME.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"expected a date (YYYY-MM-DD) or date-time, got {_json_type(text)}")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    if hour is None:
        return date(int(year), int(month), int(day))
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz: timezone | None = None
    if offset is not None:
        if offset in ("Z", "z"):
            tz = timezone.utc
        else:
            digits = offset[1:].replace(":", "")
            delta = timedelta(
                hours=int(digits[0:2]),
                minutes=int(digits[2:4] or 0),
                seconds=int(digits[4:6] or 0),
            )
            tz = timezone(-delta if offset[0] == "-" else delta)
    return datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tz
    )


def _structure_date(value: Any, _: Any) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise TypeError(f"expected a date string, got {_json_type(value)}")
    return parse_date(value)


def _structure_datetime(value: Any, _: Any) -> datetime:
    parsed = _structure_date(value, None)
    if not isinstance(parsed, datetime):
        raise ValueError(f"expected a date-time, got {_json_type(value)}")
    return parsed


def _structure_enum(value: Any, cls: type[_WireEnum]) -> _WireEnum:
    if not isinstance(value, str):
        raise TypeError(f"expected a {cls.__name__} code (string), got {_json_type(value)}")
    try:
        return cls(value)
    except ValueError:
        raise ValueError(f"unknown {cls.__name__} {_json_type(value)}") from None


def _money_number(value: Decimal | None) -> int | float | None:
    """Native amounts: a JSON number (int when whole)."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value)


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


def _unstructure_date(value: date) -> str:
    return value.isoformat()


def _unstructure_enum(value: _WireEnum) -> str:
    return str.__str__(value)


# --- containers ------------------------------------------------------------------------------


def _is_tuple(t: Any) -> bool:
    return t is tuple or get_origin(t) is tuple


def _is_mapping(t: Any) -> bool:
    return get_origin(t) in (Mapping, dict) or t in (Mapping, dict)


def _tuple_structure_factory(t: Any) -> Callable[[Any, Any], tuple[Any, ...]]:
    args = get_args(t)
    item_type: Any = args[0] if args else Any

    def structure_tuple(value: Any, _: Any) -> tuple[Any, ...]:
        if value is None:
            return ()
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"expected an array, got {_json_type(value)}")
        items: list[Any] = []
        errors: list[Exception] = []
        for index, item in enumerate(value):
            try:
                items.append(_converter.structure(item, item_type))
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


def _structure_mapping(value: Any, _: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected an object, got {_json_type(value)}")
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


def _model_structure_factory(cl: type[T]) -> Callable[[Any, Any], T]:
    fields = _fields(cl)
    overrides: dict[str, Any] = {
        a.name: override(omit=True) if a.name in _NOT_WIRE else override(rename=wire_name(a))
        for a in fields
    }
    generated = make_dict_structure_fn(cl, _converter, **overrides)
    wired = [a for a in fields if a.name not in _NOT_WIRE]
    defaulted = frozenset(wire_name(a) for a in wired if a.default is not attrs.NOTHING)
    fallbacks = tuple((wire_name(a), a.metadata[FALLBACK]) for a in wired if FALLBACK in a.metadata)
    inline = tuple((wire_name(a), _inline_keys(a)) for a in wired if a.metadata.get(INLINE))

    def structure_model(value: Any, _: Any) -> T:
        if not isinstance(value, Mapping):
            raise TypeError(f"expected a JSON object, got {_json_type(value)}")
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
        if None in data.values():
            # null means "absent" wherever the model has a default.
            data = {k: v for k, v in data.items() if v is not None or k not in defaulted}
        return generated(data, cl)

    return structure_model


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
                unstruct_hook=_MONEY_HOOKS.get(a.metadata.get(MONEY, "")),
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
                data.setdefault(key, _converter.unstructure(value))
        return data

    return unstructure_model


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and attrs.has(t)


def _configure(converter: cattrs.Converter) -> None:
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(Decimal, _structure_decimal)
    converter.register_structure_hook(date, _structure_date)
    converter.register_structure_hook(datetime, _structure_datetime)
    # Our enums subclass str: register them explicitly so the str hook does not win.
    converter.register_structure_hook(_WireEnum, _structure_enum)
    converter.register_structure_hook_factory(_is_tuple, _tuple_structure_factory)
    converter.register_structure_hook_factory(_is_mapping, lambda _t: _structure_mapping)
    converter.register_structure_hook_factory(_is_model, _model_structure_factory)

    converter.register_unstructure_hook(Decimal, _money_number)
    converter.register_unstructure_hook(date, _unstructure_date)
    converter.register_unstructure_hook(datetime, _unstructure_date)
    converter.register_unstructure_hook(_WireEnum, _unstructure_enum)
    converter.register_unstructure_hook(MappingProxyType, _unstructure_mapping)
    converter.register_unstructure_hook_factory(_is_tuple, lambda _t: _unstructure_sequence)
    converter.register_unstructure_hook_factory(_is_model, _model_unstructure_factory)


_configure(_converter)


# --- errors ----------------------------------------------------------------------------------

_WIRE_NAMES: dict[type, dict[str, str]] = {}


def _wire_names(cl: type) -> dict[str, str]:
    names = _WIRE_NAMES.get(cl)
    if names is None:
        names = _WIRE_NAMES[cl] = (
            {a.name: wire_name(a) for a in _fields(cl)} if _is_model(cl) else {}
        )
    return names


def _note(exc: BaseException, kind: type[T]) -> T | None:
    for note in getattr(exc, "__notes__", ()):
        if isinstance(note, kind):
            return note
    return None


def _collect(exc: BaseException, path: str, out: list[str]) -> None:
    if isinstance(exc, ClassValidationError):
        names = _wire_names(exc.cl)
        for sub in exc.exceptions:
            attribute = _note(sub, AttributeValidationNote)
            name = names.get(attribute.name, attribute.name) if attribute is not None else ""
            _collect(sub, f"{path}.{name}" if name else path, out)
    elif isinstance(exc, IterableValidationError):
        for sub in exc.exceptions:
            item = _note(sub, IterableValidationNote)
            _collect(sub, f"{path}[{item.index}]" if item is not None else path, out)
    elif isinstance(exc, BaseValidationError):
        for sub in exc.exceptions:
            _collect(sub, path, out)
    elif isinstance(exc, KeyError):
        out.append(f"{path}: required key missing")
    else:
        out.append(f"{path}: {exc}")


def describe_error(exc: BaseException) -> list[str]:
    """``["$.a.b[0].c: expected an integer, got string 'x'", ...]`` for a structuring error."""
    messages: list[str] = []
    _collect(exc, "$", messages)
    return messages


# --- public helpers --------------------------------------------------------------------------


def to_wire(obj: Any) -> dict[str, Any]:
    """The JSON body (a dict) for a request model; unset optional fields are left out."""
    data = _converter.unstructure(obj)
    if not isinstance(data, dict):
        raise TypeError(f"{type(obj).__name__} does not unstructure to a JSON object")
    return data


def from_wire(data: Any, cls: type[T], *, raw: RawResponse | None = None) -> T:
    """Build ``cls`` from decoded JSON; set ``raw`` on :class:`APIResponse` results.

    Any mismatch raises :class:`ResponseDecodeError` naming the JSON path(s); the HTTP
    status and content type come from ``raw`` when given (200 otherwise).
    """
    try:
        result = _converter.structure(data, cls)
    except Exception as exc:  # every structuring failure becomes one documented error
        messages = describe_error(exc)
        reason = f"{cls.__name__}: " + "; ".join(messages[:_MAX_MESSAGES])
        if len(messages) > _MAX_MESSAGES:
            reason += f" (and {len(messages) - _MAX_MESSAGES} more)"
        content_type = ""
        if raw is not None:
            content_type = next(
                (v for k, v in raw.headers.items() if k.lower() == "content-type"), ""
            )
        raise ResponseDecodeError(
            reason,
            status_code=raw.status if raw is not None else 200,
            content_type=content_type,
        ) from exc
    if raw is not None and isinstance(result, APIResponse):
        object.__setattr__(result, "raw", raw)
    return result
