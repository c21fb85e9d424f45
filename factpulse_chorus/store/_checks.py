"""The arguments of every store method, checked before the database is touched (both backends
call them through :class:`~factpulse_chorus.store.Store`): a bad value is a
:class:`RequestValidationError` naming the parameter and the rule, nothing else leaks.

Each check returns the value to pass on (a float for a time, a list for ids). The common
case costs an exact type test (``type(x) is int``): the watcher hands batches of hundreds;
only a value failing it goes through the slower rules (an ``int`` subclass is accepted).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Final, cast

from .._exceptions import RequestValidationError
from ._records import CheckResult, SubmissionState

__all__ = [
    "busy_timeout",
    "invoice_id",
    "invoice_ids",
    "lease",
    "limit",
    "non_blank",
    "optional_invoice_id",
    "optional_text",
    "path",
    "results",
    "state",
    "states",
    "supplier",
    "time",
]

MAX_ID: Final = 2**63 - 1
"""The largest id a 64-bit column holds (SQLite's INTEGER, PostgreSQL's BIGINT)."""
_TEXT: Final = (str, bytes, bytearray, memoryview)
_ID_RULE: Final = "must be a positive integer below 2**63"
_STATES: Final = ", ".join(repr(member.value) for member in SubmissionState)


def _number(value: object) -> float:
    """``value`` as a float, NaN when it is no number (a bool is none)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return math.nan
    try:
        return float(value)
    except OverflowError:  # an int past a float's range
        return math.nan


def time(name: str, value: object) -> float:
    """A POSIX time (``now``, ``until``): a finite number."""
    if type(value) is float and math.isfinite(value):
        return value
    number = _number(value)
    if not math.isfinite(number):
        raise RequestValidationError(name, "must be a finite number (POSIX seconds)")
    return number


def lease(value: object) -> float:
    """A lease's length: a finite number of seconds > 0."""
    number = value if type(value) is float else _number(value)
    if not (math.isfinite(number) and number > 0):
        raise RequestValidationError("lease", "must be a finite number > 0")
    return number


def busy_timeout(value: object) -> float:
    """A constructor's ``busy_timeout``: a finite number of seconds >= 0."""
    number = _number(value)
    if not (math.isfinite(number) and number >= 0):
        raise RequestValidationError("busy_timeout", "must be a finite number of seconds >= 0")
    return number


def limit(value: object) -> int:
    """A claim's size: an integer >= 0."""
    if type(value) is not int and (isinstance(value, bool) or not isinstance(value, int)):
        raise RequestValidationError("limit", "must be an integer >= 0")
    if value < 0:
        raise RequestValidationError("limit", "must be an integer >= 0")
    return int(value)


def non_blank(name: str, value: object) -> str:
    """``owner``, ``invoice_number``, a budget's ``name``: a non-blank string."""
    if not isinstance(value, str) or not value.strip():
        raise RequestValidationError(name, "must be a non-blank string")
    return value


def supplier(value: object) -> str:
    """A ledger key's supplier: any string ("" is the default Chorus Pro account)."""
    if not isinstance(value, str):
        raise RequestValidationError("supplier", "must be a string ('' for the default account)")
    return value


def optional_text(name: str, value: object) -> str | None:
    """``error``: a string or None."""
    if value is not None and not isinstance(value, str):
        raise RequestValidationError(name, "must be a string or None")
    return value


def _id(name: str, value: object) -> int:
    if type(value) is not int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise RequestValidationError(name, _ID_RULE)
        value = int(value)
    if not 0 < value <= MAX_ID:
        raise RequestValidationError(name, _ID_RULE)
    return value


def invoice_id(value: object) -> int:
    """An invoice id: a positive integer below 2**63 (a bool is none)."""
    if type(value) is int and 0 < value <= MAX_ID:
        return value
    return _id("invoice_id", value)


def optional_invoice_id(value: object) -> int | None:
    """``mark``'s ``invoice_id``: an invoice id or None."""
    if value is None or (type(value) is int and 0 < value <= MAX_ID):
        return value
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise RequestValidationError("invoice_id", _ID_RULE + " or None")
    return int(value)


def _items(name: str, values: object, what: str) -> Iterable[object]:
    """``values`` if it is a collection (not a string, which would be split into letters,
    nor a mapping)."""
    if isinstance(values, (*_TEXT, Mapping)) or not isinstance(values, Iterable):
        raise RequestValidationError(name, f"must be a collection of {what} (not a string)")
    return values


def invoice_ids(values: object) -> list[int]:
    """``track``'s ids: positive integers below 2**63, bools refused."""
    given = list(_items("invoice_ids", values, "invoice ids"))
    for index, value in enumerate(given):
        if type(value) is not int or not 0 < value <= MAX_ID:
            given[index] = _id(f"invoice_ids[{index}]", value)
    return cast("list[int]", given)  # each item is an int now


def state(value: object) -> SubmissionState:
    """A ledger state: a :class:`SubmissionState` or its value (``"sent"``)."""
    if type(value) is SubmissionState:
        return value
    return _state("state", value)


def _state(name: str, value: object) -> SubmissionState:
    try:
        return SubmissionState(value)
    except (ValueError, TypeError):
        raise RequestValidationError(
            name, f"must be a SubmissionState or its value ({_STATES})"
        ) from None


def states(values: object) -> tuple[str, ...] | None:
    """``submissions``' filter: None, or a collection of states, as their values."""
    if values is None:
        return None
    found = _items("states", values, "SubmissionState")
    return tuple(
        (item if type(item) is SubmissionState else _state(f"states[{index}]", item)).value
        for index, item in enumerate(found)
    )


def results(values: object) -> Sequence[CheckResult]:
    """``record``'s results: a sequence of :class:`CheckResult` whose fields have their
    types (the attrs class checks none of them)."""
    if isinstance(values, (*_TEXT, Mapping)) or not isinstance(values, Sequence):
        raise RequestValidationError("results", "must be a sequence of CheckResult")
    for index, result in enumerate(values):
        # The watcher's own results pass this one test each; anything else is looked at.
        if not (
            type(result) is CheckResult
            and type(result.invoice_id) is int
            and 0 < result.invoice_id <= MAX_ID
            and type(result.next_check) is float
            and math.isfinite(result.next_check)
            and (result.status is None or type(result.status) is str)
            and (result.error is None or type(result.error) is str)
            and (result.status_date is None or type(result.status_date) is datetime)
            and type(result.final) is bool
            and type(result.gave_up) is bool
        ):
            _result(f"results[{index}]", result)
    return values


def _result(name: str, result: object) -> None:
    """Raises for the first field of ``result`` that breaks its rule (subclasses pass)."""
    if not isinstance(result, CheckResult):
        raise RequestValidationError(name, "must be a CheckResult")
    _id(f"{name}.invoice_id", result.invoice_id)
    if not math.isfinite(_number(result.next_check)):
        raise RequestValidationError(f"{name}.next_check", "must be a finite number")
    for field in ("status", "error"):
        if not isinstance(getattr(result, field), (str, type(None))):
            raise RequestValidationError(f"{name}.{field}", "must be a string or None")
    if not isinstance(result.status_date, (datetime, type(None))):
        raise RequestValidationError(f"{name}.status_date", "must be a datetime or None")
    for field in ("final", "gave_up"):
        if not isinstance(getattr(result, field), bool):
            raise RequestValidationError(f"{name}.{field}", "must be True or False")


def path(value: object) -> str:
    """An SQLite file path: a str or os.PathLike naming a file (several processes share
    it: no ``:memory:``, no ``file:`` URI)."""
    text = os.fspath(value) if isinstance(value, (str, os.PathLike)) else None
    if not isinstance(text, str):
        raise RequestValidationError("path", "must be a file path (str or os.PathLike)")
    if not text or text == ":memory:" or text.startswith("file:"):
        raise RequestValidationError("path", "must be a file path (processes share it)")
    return text
