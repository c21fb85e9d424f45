"""What happens when a response does not fit its model: JSON-path errors, lenient fields.

cattrs reports a failed structuring as a tree of exceptions (one branch per attribute or
list index). :func:`leaves` flattens it into JSON paths; :func:`describe_error` words
them (``$.listeFactures[3].idDestinataire: expected an integer, got string 'x'``).

:func:`recover` is the slow path of fields marked ``wire(lenient=True)``: when *every*
failure sits on such a field, each value is read again in its lenient forms
(:func:`~factpulse_chorus._wire_values.read_variant`), or else dropped (the field stays
None) and kept as received; then the data is structured again. The well-formed path
never comes here, so the generated per-class hooks stay as fast as cattrs makes them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar, get_args, get_origin

import attrs
from cattrs.errors import (
    AttributeValidationNote,
    BaseValidationError,
    ClassValidationError,
    IterableValidationError,
    IterableValidationNote,
)

from ._logging import logger
from ._wire import FALLBACK, INLINE, LENIENT, wire_name
from ._wire_values import json_kind, read_variant

__all__ = ["describe_error", "recover"]

T = TypeVar("T")

# A step of a JSON path: an attribute of a model class, or a list index.
Step = tuple[type, str] | int

_KINDS = (datetime, date, Decimal, int)  # datetime before date: it is a date subclass


def _note(exc: BaseException, kind: type[T]) -> T | None:
    for note in getattr(exc, "__notes__", ()):
        if isinstance(note, kind):
            return note
    return None


def leaves(
    exc: BaseException, steps: tuple[Step, ...] = ()
) -> Iterator[tuple[tuple[Step, ...], BaseException]]:
    """Every leaf failure of a cattrs error tree, with its path."""
    if isinstance(exc, ClassValidationError):
        for sub in exc.exceptions:
            attribute = _note(sub, AttributeValidationNote)
            step: tuple[Step, ...] = () if attribute is None else ((exc.cl, attribute.name),)
            yield from leaves(sub, steps + step)
    elif isinstance(exc, IterableValidationError):
        for sub in exc.exceptions:
            item = _note(sub, IterableValidationNote)
            index = item.index if item is not None else None
            yield from leaves(sub, (*steps, index) if isinstance(index, int) else steps)
    elif isinstance(exc, BaseValidationError):
        for sub in exc.exceptions:
            yield from leaves(sub, steps)
    else:
        yield steps, exc


_NAMES: dict[type, dict[str, attrs.Attribute[Any]]] = {}


def _attribute(cl: type, name: str) -> attrs.Attribute[Any] | None:
    table = _NAMES.get(cl)
    if table is None:
        table = _NAMES[cl] = {a.name: a for a in attrs.fields(cl)} if attrs.has(cl) else {}
    return table.get(name)


def path_text(steps: tuple[Step, ...]) -> str:
    """``$.listeFactures[3].montantHT``: wire names, as the server spelt the body."""
    parts = ["$"]
    for step in steps:
        if isinstance(step, int):
            parts.append(f"[{step}]")
        else:
            attribute = _attribute(*step)
            parts.append("." + (wire_name(attribute) if attribute is not None else step[1]))
    return "".join(parts)


def describe_error(exc: BaseException) -> list[str]:
    """``["$.a.b[0].c: expected an integer, got string 'x'", ...]`` for a structuring error."""
    return [
        f"{path_text(steps)}: "
        + ("required key missing" if isinstance(leaf, KeyError) else str(leaf))
        for steps, leaf in leaves(exc)
    ]


def _lenient_kind(steps: tuple[Step, ...], leaf: BaseException) -> type | None:
    """The scalar type of the lenient field the failure is on, or None if it is not one."""
    if not steps or isinstance(steps[-1], int) or isinstance(leaf, KeyError):
        return None
    attribute = _attribute(*steps[-1])
    if attribute is None or not attribute.metadata.get(LENIENT):
        return None
    options = get_args(attribute.type) if get_origin(attribute.type) is not None else ()
    types = options or (attribute.type,)
    return next((kind for kind in _KINDS if kind in types), None)


def _locate(data: Any, steps: tuple[Step, ...]) -> tuple[dict[str, Any], str] | None:
    """The object holding the last step's key in ``data`` (a private copy), and the key."""
    current = data
    for position, step in enumerate(steps):
        if isinstance(step, int):
            if not isinstance(current, list) or not 0 <= step < len(current):
                return None
            current = current[step]
            continue
        attribute = _attribute(*step)
        if attribute is None or not isinstance(current, dict):
            return None
        keys = (wire_name(attribute), *attribute.metadata.get(FALLBACK, ()))
        key = next((k for k in keys if current.get(k) is not None), None)
        if position == len(steps) - 1:
            return (current, key) if key is not None else None
        if key is None:
            if not attribute.metadata.get(INLINE):
                return None
            continue  # the nested object is spread over this one (``inline``)
        current = current[key]
    return None


def recover(
    data: Any, cls: type[T], exc: BaseException, structure: Callable[[Any, type[T]], T]
) -> tuple[T, dict[str, Any]] | None:
    """``cls`` from ``data`` when every failure in ``exc`` is on a lenient field.

    Returns the result and what could not be read (JSON path -> value as received), or
    None when some failure is elsewhere (the caller reports ``exc`` then).
    """
    failures = list(leaves(exc))
    kinds = [_lenient_kind(steps, leaf) for steps, leaf in failures]
    if not failures or None in kinds:
        return None
    patched = copy.deepcopy(data)  # JSON data: dicts, lists and immutable scalars
    unparsed: dict[str, Any] = {}
    for (steps, _leaf), kind in zip(failures, kinds, strict=True):
        assert kind is not None
        found = _locate(patched, steps)
        if found is None:
            return None
        holder, key = found
        try:
            holder[key] = read_variant(holder[key], kind)
        except (ValueError, ArithmeticError):
            unparsed[path_text(steps)] = holder.pop(key)
    try:
        result = structure(patched, cls)
    except Exception:  # not expected: then the first error is the one to report
        return None
    if unparsed:
        # One warning per response, naming paths and kinds, never the values (a server
        # may put anything in them).
        logger.warning(
            "%s: %d value(s) not in a known form, kept as received in .unparsed: %s",
            cls.__name__,
            len(unparsed),
            "; ".join(f"{path} ({json_kind(value)})" for path, value in unparsed.items()),
        )
    return result, unparsed
