"""pydantic 2's scalar rules, lax (its default, the real server's) and strict.

Each ``*_error`` returns the pydantic error type for a value of a field of that kind, or
None when the value is accepted. Used by :mod:`._schema`.
"""

from __future__ import annotations

import re
from typing import Any, Final

__all__ = ["FLOAT_RE", "INT_RE", "LAX_FALSE", "LAX_TRUE", "bool_error", "int_error", "number_error"]

INT_RE: Final = re.compile(r"\s*[+-]?\d+\s*\Z")
FLOAT_RE: Final = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*\Z")
# pydantic's lax integer strings: trailing decimal zeros are allowed ("12.00").
_LAX_INT_RE: Final = re.compile(r"\s*[+-]?\d+(\.0*)?\s*\Z")
LAX_TRUE: Final = frozenset({"1", "on", "t", "true", "y", "yes"})
LAX_FALSE: Final = frozenset({"0", "off", "f", "false", "n", "no"})


def int_error(value: Any, lax: bool) -> str | None:
    """The pydantic error type of ``value`` for an ``int`` field, or None if it is one."""
    if isinstance(value, int) and (lax or not isinstance(value, bool)):
        return None
    if isinstance(value, str):
        if lax and _LAX_INT_RE.match(value):
            return None
        return "int_type" if INT_RE.match(value) else "int_parsing"
    if lax and isinstance(value, float):
        return None if value.is_integer() else "int_from_float"
    return "int_type"


def bool_error(value: Any, lax: bool) -> str | None:
    if isinstance(value, bool):
        return None
    if not lax:
        return "bool_type"
    if isinstance(value, (int, float)):
        return None if value in (0, 1) else "bool_parsing"
    if isinstance(value, str):
        return None if value.strip().lower() in LAX_TRUE | LAX_FALSE else "bool_parsing"
    return "bool_type"


def number_error(value: Any, lax: bool) -> str | None:
    if isinstance(value, (int, float)) and (lax or not isinstance(value, bool)):
        return None
    if isinstance(value, str):
        if lax and FLOAT_RE.match(value):
            return None
        return "float_type" if FLOAT_RE.match(value) else "float_parsing"
    return "float_type"
