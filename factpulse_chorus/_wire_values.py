"""Scalar values on the wire: the converter's strict hooks, the lenient readers, the writers.

* Strict readers (the converter's hooks, the hot path): ints, booleans, strings,
  Decimals (JSON numbers or decimal strings) and dates (``YYYY-MM-DD``, ``YYYY-MM-DD
  HH:MM`` or ISO 8601).
* Lenient readers (:func:`read_variant`), tried only for fields marked
  ``wire(lenient=True)`` after a strict reader refused the value: the common French
  forms of dates (``01/04/2025``, ``01/04/2025 14:30[:05]``, ``01.04.2025``) and of
  amounts (``1250,50``, ``1 250,50`` with a space, NBSP or narrow NBSP, ``1.250,50``,
  ``1,250.50``, a ``€``/``EUR`` mark).
* Writers: date-times as RFC 3339 with an offset (a naive value is Europe/Paris wall
  time) and JSON text in which a Decimal is a number written from its exact digits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from ._json import dumps

__all__ = [
    "encode_json",
    "json_type",
    "paris_time",
    "parse_date",
    "read_variant",
]


def json_type(value: object) -> str:
    """A short description of a JSON value for error messages (strings cut at 40)."""
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


def json_kind(value: object) -> str:
    """The kind of a JSON value without its content (for logs: values may be anything)."""
    if isinstance(value, str):
        return f"a string of {len(value)} characters"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, (list, tuple)):
        return "an array"
    return "an object" if isinstance(value, Mapping) else "null"


# --- strict readers (converter hooks) --------------------------------------------------------

_INT = re.compile(r"[+-]?\d+", re.ASCII)


def structure_int(value: Any, _: Any) -> int:
    """A JSON integer, a whole float (``12.0`` -> 12) or a string of digits.

    A fractional value is refused, never rounded (on a lenient field it is kept unparsed).
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT.fullmatch(value.strip()):
        return int(value)
    raise TypeError(f"expected an integer, got {json_type(value)}")


def structure_str(value: Any, _: Any) -> str:
    if isinstance(value, str):
        return value
    # Lenient: an identifier sent as a number (e.g. a SIRET) is still usable as text.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"expected a string, got {json_type(value)}")


_TRUE: Final = frozenset({"true", "oui", "1"})
_FALSE: Final = frozenset({"false", "non", "0"})


def structure_bool(value: Any, _: Any) -> bool:
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
    raise TypeError(f"expected a boolean, got {json_type(value)}")


def structure_decimal(value: Any, _: Any) -> Decimal:
    if isinstance(value, bool):
        raise TypeError(f"expected an amount, got {json_type(value)}")
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
            raise ValueError(f"expected an amount, got {json_type(value)}") from None
    else:
        raise TypeError(f"expected an amount, got {json_type(value)}")
    if not result.is_finite():
        raise ValueError(f"expected a finite amount, got {json_type(value)}")
    return result


_OFFSET = r"\s*([Zz]|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?"
_DATE_TIME: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?" + _OFFSET + ")?",
    re.ASCII,
)


def _timezone(offset: str | None) -> timezone | None:
    if offset is None:
        return None
    if offset in ("Z", "z"):
        return timezone.utc
    digits = offset[1:].replace(":", "")
    delta = timedelta(
        hours=int(digits[0:2]), minutes=int(digits[2:4] or 0), seconds=int(digits[4:6] or 0)
    )
    return timezone(-delta if offset[0] == "-" else delta)


def _build(parts: tuple[str | None, ...]) -> date:
    year, month, day, hour, minute, second, fraction, offset = parts
    assert year is not None
    assert month is not None
    assert day is not None
    if hour is None or minute is None:
        return date(int(year), int(month), int(day))
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    return datetime(
        int(year),
        int(month),
        int(day),
        int(hour),
        int(minute),
        int(second or 0),
        micro,
        _timezone(offset),
    )


def parse_date(text: str) -> date:
    """Parse ``YYYY-MM-DD``, ``YYYY-MM-DD HH:MM[:SS[.f]]`` or ISO 8601 (``T``, ``Z``, offset).

    Returns a :class:`~datetime.date`, or a :class:`~datetime.datetime` when a time is
    present (aware when an offset or ``Z`` is given). Raises ValueError otherwise.
    """
    match = _DATE_TIME.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"expected a date (YYYY-MM-DD) or date-time, got {json_type(text)}")
    return _build(match.groups())


def structure_date(value: Any, _: Any) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise TypeError(f"expected a date string, got {json_type(value)}")
    return parse_date(value)


def structure_datetime(value: Any, _: Any) -> datetime:
    parsed = structure_date(value, None)
    if not isinstance(parsed, datetime):
        raise ValueError(f"expected a date-time, got {json_type(value)}")
    return parsed


# --- lenient readers (only after a strict reader refused) ------------------------------------

_FRENCH_DATE: Final = re.compile(
    r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})"
    r"(?:(?:\s*[Tt]\s*|\s+(?:à\s+)?)(\d{1,2})[:hH](\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    + _OFFSET
    + ")?"
)
_SLASHED_ISO: Final = re.compile(r"(\d{4})/(\d{2})/(\d{2})(.*)", re.DOTALL)


def _read_date(value: object) -> date:
    if not isinstance(value, str):
        raise ValueError("not a string")
    text = value.strip()
    slashed = _SLASHED_ISO.fullmatch(text)
    if slashed is not None:
        year, month, day, rest = slashed.groups()
        return parse_date(f"{year}-{month}-{day}{rest}")
    match = _FRENCH_DATE.fullmatch(text)
    if match is None:
        raise ValueError("not a known date form")
    day, _sep, month, year, *time = match.groups()
    return _build((year, month.zfill(2), day.zfill(2), *time))


# Thousands separators: a space, NBSP, narrow NBSP or thin space (the same one throughout).
_GROUP = "[ \u00a0\u202f\u2009]"
_FRENCH_AMOUNT: Final = re.compile(
    rf"([+-]?)(\d{{1,3}}(?P<sep>{_GROUP}|\.)\d{{3}}(?:(?P=sep)\d{{3}})*|\d+)(?:,(\d+))?"
)
_ENGLISH_AMOUNT: Final = re.compile(
    rf"([+-]?)(\d{{1,3}}(?P<sep>{_GROUP}|,)\d{{3}}(?:(?P=sep)\d{{3}})*|\d+)(?:\.(\d+))?"
)
_CURRENCY: Final = re.compile(r"^(?:€|EUR)\s*|\s*(?:€|EUR)$", re.IGNORECASE)


def _read_amount(value: object) -> Decimal:
    if not isinstance(value, str):
        raise ValueError("not a string")
    text = _CURRENCY.sub("", value.strip()).replace("\u2212", "-")
    # French first: a lone comma is a decimal comma ("1,250" is 1.25, as in France).
    for pattern in (_FRENCH_AMOUNT, _ENGLISH_AMOUNT):
        match = pattern.fullmatch(text)
        if match is not None:
            sign, whole, _sep, fraction = match.groups()
            digits = re.sub(r"\D", "", whole)
            return Decimal(f"{sign}{digits}.{fraction}" if fraction else f"{sign}{digits}")
    raise ValueError("not a known amount form")


def _read_int(value: object) -> int:
    number = _read_amount(value) if isinstance(value, str) else None
    if number is None or number != number.to_integral_value():
        raise ValueError("not a whole number")
    return int(number)


def read_variant(value: object, kind: type) -> object:
    """``value`` read in a lenient form for a field of type ``kind``; ValueError if none fits.

    Only called once the strict reader refused the value: the documented forms never get
    here. ``kind`` is ``date``, ``datetime``, ``Decimal`` or ``int``.
    """
    if kind is datetime:
        parsed = _read_date(value)
        if not isinstance(parsed, datetime):
            raise ValueError("no time of day")
        return parsed
    if kind is date:
        return _read_date(value)
    if kind is Decimal:
        return _read_amount(value)
    if kind is int:
        return _read_int(value)
    raise ValueError(f"no lenient form for {kind.__name__}")


# --- writers ---------------------------------------------------------------------------------


def _paris_zone() -> tzinfo | None:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Europe/Paris")
    except Exception:  # no tz database (Windows without the tzdata package)
        return None


_PARIS: Final = _paris_zone()
_CET: Final = timezone(timedelta(hours=1))
_CEST: Final = timezone(timedelta(hours=2))


def _last_sunday(year: int, month: int) -> date:
    last = date(year, month, 31)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def _eu_offset(moment: datetime) -> timezone:
    """Paris' offset by the EU rule (summer time from the last Sunday of March, 02:00, to
    the last Sunday of October, 03:00): used only when no tz database is installed."""
    start = datetime.combine(_last_sunday(moment.year, 3), datetime.min.time()).replace(hour=2)
    end = datetime.combine(_last_sunday(moment.year, 10), datetime.min.time()).replace(hour=3)
    return _CEST if start <= moment.replace(tzinfo=None) < end else _CET


def paris_time(moment: datetime) -> datetime:
    """``moment`` with an offset: a naive date-time is taken as Europe/Paris wall time
    (Chorus Pro's own zone); an aware one is kept as it is."""
    if moment.tzinfo is not None and moment.utcoffset() is not None:
        return moment
    return moment.replace(tzinfo=_PARIS if _PARIS is not None else _eu_offset(moment))


def unstructure_date(value: date) -> str:
    """``YYYY-MM-DD``, or ISO 8601 for a date-time (as it is: naive stays naive)."""
    return value.isoformat()


def unstructure_moment(value: date | None) -> str | None:
    """A date-time filter: RFC 3339 with an offset (naive = Europe/Paris); a date as is."""
    if isinstance(value, datetime):
        return paris_time(value).isoformat()
    return None if value is None else value.isoformat()


def with_offsets(value: Any) -> Any:
    """Pass-through (``extra``) data with every datetime given an offset, as filters are."""
    if isinstance(value, datetime):
        return paris_time(value)
    if isinstance(value, Mapping):
        return {key: with_offsets(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [with_offsets(item) for item in value]
    return value


def encode_json(body: Any) -> str:
    """Compact JSON text of ``body``; a :class:`~decimal.Decimal` is a JSON number written
    from its exact digits (``Decimal("0.10")`` -> ``0.10``), never through a float.

    Raises TypeError or ValueError for what is not JSON data.
    """
    return dumps(body)
