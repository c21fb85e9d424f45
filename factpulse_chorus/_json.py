"""Reading and writing JSON text: the standard library, or orjson when it is installed.

Reading (:func:`loads`). Both backends give the same values for the same body:

* A number with a fraction or an exponent is a ``float`` when its digits before any
  exponent are at most 15 (a double holds any such number: ``repr`` gives it back), and a
  :class:`~decimal.Decimal` with every digit otherwise (``1234567890123.456789``, a
  Chorus Pro ``decimal(19,6)``, would lose its last digits in a float). Integers are
  ``int``.
* orjson (``pip install 'factpulse-chorus[speedups]'``) is used when importable, unless
  the environment variable ``FACTPULSE_CHORUS_JSON`` is ``stdlib``. It cannot give
  Decimals, and turns integers beyond 64 bits into floats: a body holding a run of 16 or
  more digits (or digits and dots) anywhere is therefore read by the standard library,
  as is a body orjson refuses (a BOM, ``NaN``, a lone surrogate, another encoding...),
  so that what is accepted, and how, never depends on the backend.

Writing (:func:`dumps`) always uses the standard library's C encoder, so the bytes sent
never depend on the backend: a Decimal is a JSON number written from its exact digits.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Final

__all__ = ["BACKEND", "dumps", "loads", "loads_orjson", "loads_stdlib"]

_FLOAT_DIGITS: Final = 15
_SCAN_SLICE: Final = 1 << 20  # long bodies are scanned in slices: no copy of the whole body
# Where a JSON number may start (after ":", "," or "[", spaces allowed) becomes "N", its
# characters "0", anything else " ": a number too long for a float (or for orjson's
# 64-bit integers) is then "N" and a run of 16 "0". Strings give false alarms only (a
# space or a comma before 16 digits): such a body is read by the standard library.
_LONG_NUMBER: Final = b"N" + b"0" * (_FLOAT_DIGITS + 1)
_MARKS: Final = bytes(
    78 if chr(b) in ":,[ \t\r\n" else 48 if chr(b) in "0123456789.-" else 32 for b in range(256)
)
_STARTS_WITH_NUMBER: Final = re.compile(rb"\s*[-0-9]")


def _number(text: str) -> float | Decimal:
    """``parse_float`` of the standard library: see the module docstring."""
    if len(text) <= _FLOAT_DIGITS:
        return float(text)
    mantissa = text.partition("e")[0].partition("E")[0]
    if sum(c.isdigit() for c in mantissa) <= _FLOAT_DIGITS:
        return float(text)
    return Decimal(text)


_DECODER: Final = json.JSONDecoder(parse_float=_number)


def loads_stdlib(body: bytes | str) -> Any:
    """The body's JSON value, read by the standard library (ValueError if not JSON)."""
    if isinstance(body, (bytes, bytearray)):
        # What json.loads does with bytes: UTF-8/16/32 by their first bytes.
        body = body.decode(json.detect_encoding(body), "surrogatepass")
    return _DECODER.decode(body)


def _has_long_number(body: bytes) -> bool:
    if _STARTS_WITH_NUMBER.match(body):
        return True  # a bare number: no "N" before it
    if len(body) <= _SCAN_SLICE:
        return _LONG_NUMBER in body.translate(_MARKS)  # one slice: the whole body
    overlap = len(_LONG_NUMBER) - 1
    for start in range(0, max(len(body) - overlap, 1), _SCAN_SLICE):
        if _LONG_NUMBER in body[start : start + _SCAN_SLICE + overlap].translate(_MARKS):
            return True
    return False


def _orjson_loads() -> Callable[[Any], Any] | None:
    if os.environ.get("FACTPULSE_CHORUS_JSON", "").strip().lower() == "stdlib":
        return None
    try:
        import orjson
    except ImportError:
        return None
    return orjson.loads


_ORJSON_LOADS: Final = _orjson_loads()


def loads_orjson(body: bytes | str) -> Any:
    """The body's JSON value, read by orjson where it gives the same value as
    :func:`loads_stdlib`, by :func:`loads_stdlib` otherwise. Needs orjson."""
    fast = _ORJSON_LOADS
    if fast is None:
        import orjson  # only when asked for without being configured (tests)

        fast = orjson.loads
    data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else bytes(body)
    if not _has_long_number(data):
        try:
            return fast(data)
        except ValueError:  # orjson.JSONDecodeError: the standard library words it, or reads it
            pass
    return loads_stdlib(body)


#: ``"orjson"`` or ``"json"``: the backend :func:`loads` uses in this process.
BACKEND: Final = "json" if _ORJSON_LOADS is None else "orjson"
loads: Final[Callable[[bytes | str], Any]] = loads_stdlib if _ORJSON_LOADS is None else loads_orjson


# --- writing ---------------------------------------------------------------------------------

# The C encoder does all the work: it writes each Decimal as a string holding this marker
# and the number's digits, and the marker and its quotes are then taken away. The marker
# is drawn at random for each process: no body can hold it by chance.
_MARKER: Final = "\x00" + secrets.token_hex(16)
_QUOTED_MARKER: Final = '"\\u0000' + _MARKER[1:]


def _decimal_text(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"{value} is not a JSON number")
    # Plain digits when reasonably sized (what Chorus Pro's decimal(19,6) reads best);
    # the exponent form otherwise, so that 1E+999999 does not become a million digits.
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -40 and value.adjusted() < 40:
        return format(value, "f")
    return str(value)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _MARKER + _decimal_text(value)
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON data")


_ENCODER: Final = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_default)


def dumps(body: Any) -> str:
    """Compact JSON text of ``body``; a :class:`~decimal.Decimal` is a JSON number written
    from its exact digits (``Decimal("0.10")`` -> ``0.10``), never through a float.

    Raises TypeError or ValueError for what is not JSON data.
    """
    text = _ENCODER.encode(body)
    if _QUOTED_MARKER not in text:
        return text
    parts = text.split(_QUOTED_MARKER)
    for index in range(1, len(parts)):
        # Each part starts with the digits, then the closing quote of the string.
        parts[index] = parts[index].replace('"', "", 1)
    return "".join(parts)
