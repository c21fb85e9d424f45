"""The fleet's rate budget, as arithmetic: a token bucket, a count per UTC day and a pause,
shared by every backend (no SQL, no I/O), so both stores grant exactly the same calls.

A row holds ``tokens`` left at ``refilled_at`` (``None``: never taken from, a full bucket),
``day_count`` calls granted on the UTC ``day`` (days since the epoch: POSIX time has no leap
seconds, so ``now // 86400`` is the UTC calendar day) and ``paused_until`` (a 429's end).
The refill never runs backwards: a caller whose clock is behind the row's gets nothing more,
so machines whose clocks disagree slightly never add calls together.
"""

from __future__ import annotations

import math
from typing import Final, NamedTuple

from .._exceptions import RequestValidationError

__all__ = ["DAY", "NO_DAY", "Bucket", "check", "take", "utc_day"]

DAY: Final = 86400.0
NO_DAY: Final = -(2**31)
"""The day of a new row: before any, so the first call starts its day's count."""
_TICKS: Final = 4
"""A clock near 1.8e9 s steps by 2.4e-7 s (a float's precision): a token short by less than
a few such steps' refill still counts as one, and a wait is never shorter than a few steps,
so a caller sleeping it always finds the clock moved on (else it would ask forever)."""


class Bucket(NamedTuple):
    """A ``rate_budget`` row (the schema's column order, the name aside)."""

    tokens: float | None
    refilled_at: float | None
    day: int
    day_count: int
    paused_until: float


def utc_day(now: float) -> int:
    """The UTC calendar day of ``now`` (POSIX seconds), as days since 1970-01-01."""
    return math.floor(now / DAY)


def check(*, per_second: float | None, burst: int, per_day: int | None) -> None:
    """The budget's arguments, each refused by name (:class:`RequestValidationError`)."""
    if per_second is not None and (
        isinstance(per_second, bool)
        or not isinstance(per_second, (int, float))
        or not math.isfinite(per_second)
        or not per_second > 0
    ):
        raise RequestValidationError("per_second", "must be a finite number > 0 or None")
    if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
        raise RequestValidationError("burst", "must be an integer >= 1")
    if per_day is not None and (
        isinstance(per_day, bool) or not isinstance(per_day, int) or per_day < 1
    ):
        raise RequestValidationError("per_day", "must be an integer >= 1 or None")


def take(
    row: Bucket, *, now: float, per_second: float | None, burst: int, per_day: int | None
) -> tuple[float, Bucket | None]:
    """``(0.0, row after)`` when one call is granted, else ``(seconds to wait, row after or
    None if unchanged)``: until the pause ends, the next UTC day (the day's calls are
    spent), or the next token."""
    step = _TICKS * math.ulp(now)
    if now < row.paused_until:
        return max(step, row.paused_until - now), None
    day, count = row.day, row.day_count
    if utc_day(now) > day:  # a new day (a clock behind the row's stays on the row's day)
        day, count = utc_day(now), 0
    if per_day is not None and count >= per_day:
        return max(step, (day + 1) * DAY - now), row._replace(day=day, day_count=count)
    if per_second is None:
        return 0.0, row._replace(day=day, day_count=count + 1)
    tokens = float(burst) if row.tokens is None else row.tokens
    refilled_at = now if row.refilled_at is None else max(row.refilled_at, now)
    if row.refilled_at is not None:
        tokens += max(0.0, now - row.refilled_at) * per_second
    tokens = min(float(burst), tokens)
    if tokens >= 1.0 - max(1e-9, step * per_second):  # 0.1 × 10 is not exactly 1 either
        granted = Bucket(max(0.0, tokens - 1.0), refilled_at, day, count + 1, row.paused_until)
        return 0.0, granted
    waiting = Bucket(tokens, refilled_at, day, count, row.paused_until)
    return max(step, (1.0 - tokens) / per_second), waiting
