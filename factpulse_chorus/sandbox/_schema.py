"""FastAPI/pydantic-2-like request validation, on plain dicts.

The real server validates the five typed bodies with pydantic models and answers 422
``{"detail": [{"loc": [...], "msg": ..., "type": ...}, ...]}`` listing *every* problem.
This module reproduces the ``loc``/``msg``/``type`` triples for the shapes of this API.

Deliberate choices (documented in the sandbox docs):

* By default, values are read as pydantic 2 does in its default (lax) mode, like the
  real server: ``"123"``, ``123.0`` or ``" 123 "`` is an integer; ``"true"``, ``"yes"``,
  ``"on"``, ``1`` (and their opposites) are booleans; ``"12.5"`` is a number; the
  handlers get the converted values. ``strict=True`` checks types strictly instead, so
  that an SDK that sends ``"12"`` for an integer is caught (``int_type``); a non-numeric string gets
  pydantic's parsing message (``int_parsing``) either way, as the real server
  does. In strict mode booleans are never integers.
* Entries carry no ``input``: it could echo the zero-trust ``credentials`` secrets.
* Amounts are ``anyOf[number, string]``: a wrong type yields one error per union member.

The bodies' schemas (which keys, which kinds) are tables in ``_schema_models``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ._scalars import INT_RE, LAX_TRUE, bool_error, int_error, number_error

__all__ = [
    "AMOUNT",
    "BOOL",
    "CREDENTIAL_STRINGS",
    "DICT",
    "INT",
    "LIST",
    "MISSING",
    "MODEL",
    "NUMBER",
    "STR",
    "Field",
    "Model",
    "credentials_login",
    "parse_json",
    "parse_path_int",
    "typed_payload",
    "validate_body",
]

ValidationErrorDict = dict[str, Any]

# Field kinds.
STR: Final = "str"
INT: Final = "int"
BOOL: Final = "bool"
NUMBER: Final = "number"
AMOUNT: Final = "amount"
LIST: Final = "list"
DICT: Final = "dict"
MODEL: Final = "model"


class _Missing:
    """Marker for "the request had no body" (distinct from a JSON ``null``)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()

_NO_DEFAULT: Final = _Missing()

# The four strings of a zero-trust ``credentials`` object.
CREDENTIAL_STRINGS: Final = (
    "pisteClientId",
    "pisteClientSecret",
    "chorusProLogin",
    "chorusProPassword",
)


@dataclass(frozen=True)
class Field:
    """One key of a body: its JSON kind, whether required/nullable, default, nested spec."""

    kind: str
    required: bool = False
    nullable: bool = False
    default: Any = _NO_DEFAULT
    item: Field | None = None
    model: Model | None = None


@dataclass(frozen=True)
class Model:
    """An object schema: ordered fields (error order follows it)."""

    name: str
    fields: Mapping[str, Field] = field(default_factory=dict)


_MSG: Final = {
    "missing": "Field required",
    "string_type": "Input should be a valid string",
    "int_type": "Input should be a valid integer",
    "int_parsing": "Input should be a valid integer, unable to parse string as an integer",
    "int_from_float": "Input should be a valid integer, got a number with a fractional part",
    "bool_type": "Input should be a valid boolean",
    "bool_parsing": "Input should be a valid boolean, unable to interpret input",
    "float_type": "Input should be a valid number",
    "float_parsing": "Input should be a valid number, unable to parse string as a number",
    "list_type": "Input should be a valid list",
    "dict_type": "Input should be a valid dictionary",
    "model_attributes_type": "Input should be a valid dictionary or object to extract fields from",
    "extra_forbidden": "Extra inputs are not permitted",
}


def _err(loc: tuple[str | int, ...], type_: str) -> ValidationErrorDict:
    return {"loc": list(loc), "msg": _MSG[type_], "type": type_}


def _check_model(
    value: Any,
    model: Model,
    loc: tuple[str | int, ...],
    errors: list[ValidationErrorDict],
    *,
    forbid_extra: bool,
    lax: bool,
    not_dict: str = "model_attributes_type",
) -> None:
    if not isinstance(value, dict):
        errors.append(_err(loc, not_dict))
        return
    for name, spec in model.fields.items():
        if name in value:
            _check_value(
                value[name], spec, (*loc, name), errors, forbid_extra=forbid_extra, lax=lax
            )
        elif spec.required:
            errors.append(_err((*loc, name), "missing"))
    if forbid_extra:
        errors.extend(
            _err((*loc, key), "extra_forbidden") for key in value if key not in model.fields
        )


def _check_value(
    value: Any,
    spec: Field,
    loc: tuple[str | int, ...],
    errors: list[ValidationErrorDict],
    *,
    forbid_extra: bool,
    lax: bool,
) -> None:
    if value is None and spec.nullable:
        return
    kind = spec.kind
    problem: str | None = None
    if kind == STR:
        problem = None if isinstance(value, str) else "string_type"
    elif kind == INT:
        problem = int_error(value, lax)
    elif kind == BOOL:
        problem = bool_error(value, lax)
    elif kind == NUMBER:
        problem = number_error(value, lax)
    elif kind == AMOUNT:
        # anyOf[number, string]: lax mode also takes a boolean as a number.
        if (isinstance(value, bool) and not lax) or not isinstance(value, (int, float, str)):
            # pydantic names each member of the failed union in the loc.
            errors.append(_err((*loc, "float"), "float_type"))
            errors.append(_err((*loc, "str"), "string_type"))
    elif kind == LIST:
        if not isinstance(value, list):
            problem = "list_type"
        elif spec.item is not None:
            for index, item in enumerate(value):
                _check_value(
                    item, spec.item, (*loc, index), errors, forbid_extra=forbid_extra, lax=lax
                )
    elif kind == DICT:
        if not isinstance(value, dict):
            problem = "dict_type"
        elif spec.model is not None:
            # Nested native objects of untyped bodies: types only, extra keys pass through.
            _check_model(value, spec.model, loc, errors, forbid_extra=False, lax=lax)
    elif kind == MODEL:
        assert spec.model is not None
        _check_model(value, spec.model, loc, errors, forbid_extra=forbid_extra, lax=lax)
    if problem is not None:
        errors.append(_err(loc, problem))


def _coerce(value: Any, spec: Field) -> Any:
    """A value that passed lax validation, converted as pydantic would (ints, booleans,
    numbers; nested objects and lists item by item)."""
    kind = spec.kind
    if value is None:
        return None
    if kind == INT and not (isinstance(value, int) and not isinstance(value, bool)):
        return int(float(value)) if not isinstance(value, str) else int(value.split(".")[0])
    if kind == BOOL and not isinstance(value, bool):
        return value.strip().lower() in LAX_TRUE if isinstance(value, str) else bool(value)
    if kind == NUMBER and (isinstance(value, (str, bool))):
        return float(value)
    if kind == AMOUNT and isinstance(value, bool):
        return float(value)
    if kind == LIST and spec.item is not None and isinstance(value, list):
        return [_coerce(item, spec.item) for item in value]
    if kind in (DICT, MODEL) and spec.model is not None and isinstance(value, dict):
        return {
            key: _coerce(item, spec.model.fields[key]) if key in spec.model.fields else item
            for key, item in value.items()
        }
    return value


# --- JSON and path parsing ----------------------------------------------------------------


def parse_json(raw: bytes) -> tuple[Any, list[ValidationErrorDict]]:
    """Decode a request body: ``MISSING`` when empty, or a ``json_invalid`` error."""
    if not raw:
        return MISSING, []
    try:
        return json.loads(raw), []
    except json.JSONDecodeError as exc:
        pos, reason = exc.pos, exc.msg
    except UnicodeDecodeError as exc:
        pos, reason = exc.start, "Invalid UTF-8"
    error = {
        "loc": ["body", pos],
        "msg": "JSON decode error",
        "type": "json_invalid",
        "ctx": {"error": reason},
    }
    return None, [error]


def parse_path_int(text: str, name: str) -> tuple[int | None, list[ValidationErrorDict]]:
    """Parse an integer path parameter the way FastAPI does (lax: ``"42"`` is fine)."""
    if INT_RE.match(text):
        return int(text), []
    return None, [_err(("path", name), "int_parsing")]


def validate_body(
    body: Any, model: Model, *, typed: bool, strict: bool
) -> list[ValidationErrorDict]:
    """Return the 422 ``detail`` list for ``body`` (empty when valid).

    Typed bodies are checked against ``model``: types as pydantic's lax mode reads them,
    or strictly (and unknown keys rejected) when ``strict``. Untyped bodies must be
    objects; with ``strict`` their documented keys are type-checked too and unknown keys
    rejected.
    """
    if body is MISSING or body is None:
        # FastAPI treats a JSON ``null`` body like an absent one.
        return [_err(("body",), "missing")]
    errors: list[ValidationErrorDict] = []
    if typed:
        _check_model(body, model, ("body",), errors, forbid_extra=strict, lax=not strict)
    elif not isinstance(body, dict):
        errors.append(_err(("body",), "dict_type"))
    elif strict:
        _check_model(body, model, ("body",), errors, forbid_extra=True, lax=False)
    return errors


def typed_payload(body: dict[str, Any], model: Model) -> dict[str, Any]:
    """What a pydantic model would keep: declared keys only, converted as its lax mode
    does (``"12"`` -> 12), defaults filled, no credentials. ``body`` must have passed
    :func:`validate_body`."""
    payload: dict[str, Any] = {}
    for name, spec in model.fields.items():
        if name == "credentials":
            continue
        if name in body:
            payload[name] = _coerce(body[name], spec)
        elif spec.default is not _NO_DEFAULT:
            payload[name] = spec.default
    return payload


def credentials_login(credentials: Any) -> str | None:
    """The Chorus Pro login of a well-formed ``credentials`` object, else ``None``."""
    if not isinstance(credentials, dict):
        return None
    for name in CREDENTIAL_STRINGS:
        if not isinstance(credentials.get(name), str):
            return None
    login: str = credentials["chorusProLogin"]
    return login
