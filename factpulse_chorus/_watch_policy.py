"""When a watched invoice is read again, and how many reads run at once (pure: no I/O, no clock).

* :class:`WatchPolicy`: per status a base and a max interval, and a patience. An invoice is
  read every ``base`` seconds while it has been in its status (``quiet`` seconds) for less
  than its ``patience``; past it the wait grows ×``backoff`` with each quiet read up to
  ``max``, spread ±``jitter``. The growth is computed from ``quiet`` (how long the invoice
  has been in its status), not from a count kept in memory, so a process started by cron
  picks up where the previous one left off: ``base + (backoff - 1) × (quiet - patience)``
  is the wait that ×``backoff`` per read, on time, would give. Final statuses are never read
  again; a failed read waits ``error_interval`` × ``error_backoff``\\ :sup:`errors - 1` up to
  ``error_max_interval``.
* :class:`ConcurrencyWindow`: AIMD. The window starts at its limit, halves on an overload
  (HTTP 429 or 503; at least 1) and grows by one after each window's worth of successes,
  back up to the limit.

Why the default table is flat first, then grows. A status is a step someone has to take:
the platform routes in minutes, a validator or the recipient's services act within days
(a working day or two, a weekend or a holiday more), the payment path moves step by step
within the legal payment period (30 days for the State). Such a step has a usual length,
so the longer an invoice has sat in a status *within* that length, the likelier it is to
move at the next read: waits that grow from the first quiet read (as an exponential backoff
does) read least often exactly when a change is most likely, and detect the recipient's
steps late. So each status is read at a steady pace (``base``) during its ``patience``, a
span well past a usual step; only an invoice stuck longer than that (a lost invoice, a
dispute) is read less and less often, up to ``max``, so one stuck for a month costs about a
read a day, not ``base``'s pace for ever. Routing is read every 5 minutes for half an hour;
the validation circuit and everything at the recipient every 4 hours (6 reads a day, a
change seen within half a working day) for a week, then up to once a day; statuses that
wait for the supplier once a day.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Final

import attrs

from ._exceptions import RequestValidationError
from .models.common import FINAL_STATUSES, InvoiceStatusCode

# No __all__: the package's export map (``factpulse_chorus._EXPORTS``) lists the public names.

MINUTE: Final = 60.0
HOUR: Final = 3600.0
DAY: Final = 86_400.0
_PARIS_WINTER: Final = timezone(timedelta(hours=1))  # a date without zone: Chorus Pro's

_ROUTING: Final = (5 * MINUTE, 30 * MINUTE)  # the platform routes within minutes
_HUMAN: Final = (4 * HOUR, DAY)  # a validator, the recipient, the payment path: days a step
_SUPPLIER: Final = (DAY, DAY)  # waits for the supplier: nothing changes by itself
_ROUTING_CODES: Final = ("BROUILLON", "SOUMISE", "DEPOSEE", "EN_COURS_ACHEMINEMENT")
_VALIDATION_CODES: Final = (
    "A_VALIDER_1",
    "A_VALIDER_2",
    "VALIDEE_1",
    "VALIDEE_2",
    "ABSENCE_VALIDATION_1_HORS_DELAI",
    "ABSENCE_VALIDATION_2_HORS_DELAI",
    "TRANSMISE_MOA",
)
_RECIPIENT_CODES: Final = (
    "MISE_A_DISPOSITION",
    "PRISE_EN_COMPTE_DESTINATAIRE",
    "SERVICE-FAIT",
    "VALIDEE",
    "COMPLETEE",
    "MANDATEE",
    "MISE_A_DISPOSITION_COMPTABLE",
    "COMPTABILISEE",
)

DEFAULT_INTERVALS: Final[Mapping[str, tuple[float, float]]] = {
    **dict.fromkeys(_ROUTING_CODES, _ROUTING),
    **dict.fromkeys(_VALIDATION_CODES + _RECIPIENT_CODES, _HUMAN),
    **dict.fromkeys(
        [
            "SUSPENDUE",
            "A_RECYCLER",
            "ERREUR_FOURNISSEUR_SUR_VALIDEUR",
            "ERREUR_COTRAITANT_SUR_VALIDEUR",
        ],
        _SUPPLIER,
    ),
}
"""Status code -> (base, max) seconds: :attr:`WatchPolicy.intervals` by default."""

DEFAULT_PATIENCE: Final[Mapping[str, float]] = {
    **dict.fromkeys(_ROUTING_CODES, 30 * MINUTE),  # a usual routing: minutes
    # A usual step of a person: a working day or two, a weekend or a holiday more.
    **dict.fromkeys(_VALIDATION_CODES + _RECIPIENT_CODES, 7 * DAY),
}
"""Status code -> seconds an invoice sits in it before its wait grows: by default
:attr:`WatchPolicy.patience` (a status not listed: the wait grows from the first read)."""


def status_instant(value: date | None) -> float | None:
    """When the invoice entered its status, at the latest (``None``: not said). A date
    alone counts as its end, a time without zone as +01:00: never older than it is."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=_PARIS_WINTER)).timestamp()
    if isinstance(value, date):
        end = datetime(value.year, value.month, value.day, tzinfo=_PARIS_WINTER)
        return (end + timedelta(days=1)).timestamp()
    return None


def stored_date(value: date | None) -> datetime | None:
    """A status date as the store keeps it: a datetime (a date alone: its midnight)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day)


def _number(name: str, value: object, *, minimum: float = 0.0, strict: bool = True) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        number = math.nan
    else:
        number = float(value)
    if not math.isfinite(number) or number < minimum or (strict and number == minimum):
        sign = ">" if strict else ">="
        raise RequestValidationError(name, f"must be a finite number {sign} {minimum:g}")


def _intervals(value: object) -> dict[str, tuple[float, float]]:
    if not isinstance(value, Mapping):
        raise RequestValidationError("intervals", "must be a mapping of status codes to pairs")
    table = {}
    for code, pair in value.items():
        if not isinstance(code, str) or not code.strip():
            raise RequestValidationError("intervals", "keys must be status codes (strings)")
        _check_pair(f"intervals.{code}", pair)
        table[InvoiceStatusCode(code).value] = (float(pair[0]), float(pair[1]))
    return table


def _patience(value: object) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise RequestValidationError("patience", "must be a mapping of status codes to seconds")
    table = {}
    for code, seconds in value.items():
        if not isinstance(code, str) or not code.strip():
            raise RequestValidationError("patience", "keys must be status codes (strings)")
        _number(f"patience.{code}", seconds, strict=False)
        table[InvoiceStatusCode(code).value] = float(seconds)
    return table


def _check_pair(name: str, pair: object) -> None:
    if not isinstance(pair, tuple) or len(pair) != 2:
        raise RequestValidationError(name, "must be a (base, max) pair of seconds")
    _number(name, pair[0])
    _number(name, pair[1])
    if pair[1] < pair[0]:
        raise RequestValidationError(name, "max must be >= base")


def _codes(values: object) -> frozenset[str]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise RequestValidationError("final_statuses", "must be a collection of status codes")
    return frozenset(_code(value) for value in values)


def _code(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RequestValidationError("final_statuses", "must hold status codes (strings)")
    return InvoiceStatusCode(value).value


@attrs.frozen(kw_only=True)
class WatchPolicy:
    """How often the watcher reads each invoice again, by status.

    ``intervals``: status code -> ``(base, max)`` seconds; ``default_interval`` for a
    status not listed. An invoice is read every ``base`` while it has been in its status
    less than ``patience`` (status code -> seconds; a status not listed: 0), then the wait
    grows ×``backoff`` with each quiet read up to ``max``; each wait ±``jitter``. By
    default: routing every 5 min for 30 min, then up to 30 min; the validation circuit,
    ``MISE_A_DISPOSITION`` and the payment path every 4 h for 7 days, then up to a day;
    ``SUSPENDUE``/``A_RECYCLER``, which wait for the supplier, once a day (why: the
    module's docstring). ``final_statuses`` (by default REJETEE, MISE_EN_PAIEMENT,
    REFUSEE_1/2) are never read again. A failed read is retried after ``error_interval``
    s, doubling (``error_backoff``) up to ``error_max_interval``.
    """

    intervals: Mapping[str, tuple[float, float]] = attrs.field(
        default=DEFAULT_INTERVALS, converter=_intervals
    )
    patience: Mapping[str, float] = attrs.field(default=DEFAULT_PATIENCE, converter=_patience)
    default_interval: tuple[float, float] = (30 * MINUTE, 6 * HOUR)
    backoff: float = 1.5
    jitter: float = 0.1
    error_interval: float = MINUTE
    error_max_interval: float = HOUR
    error_backoff: float = 2.0
    final_statuses: frozenset[str] = attrs.field(
        default=frozenset(code.value for code in FINAL_STATUSES), converter=_codes
    )

    def __attrs_post_init__(self) -> None:
        _check_pair("default_interval", self.default_interval)
        _number("backoff", self.backoff, minimum=1.0, strict=False)
        _number("error_backoff", self.error_backoff, minimum=1.0, strict=False)
        _number("error_interval", self.error_interval)
        _number(
            "error_max_interval", self.error_max_interval, minimum=self.error_interval, strict=False
        )
        if not (isinstance(self.jitter, (int, float)) and 0.0 <= self.jitter < 1.0):
            raise RequestValidationError("jitter", "must be within [0, 1)")
        if not self.final_statuses:
            raise RequestValidationError("final_statuses", "must name at least one status")

    def bounds(self, status: str) -> tuple[float, float]:
        """``(base, max)`` seconds for ``status`` (a wire code)."""
        return self.intervals.get(InvoiceStatusCode(status).value, self.default_interval)

    def is_final(self, status: str) -> bool:
        """Whether ``status`` is final: the invoice is never read again."""
        return InvoiceStatusCode(status).value in self.final_statuses

    def interval(self, status: str, *, quiet: float) -> float:
        """The wait (no jitter) for an invoice ``quiet`` seconds in ``status``."""
        base, most = self.bounds(status)
        code = InvoiceStatusCode(status).value
        stuck = max(0.0, quiet - self.patience.get(code, 0.0))
        return min(most, base + (self.backoff - 1.0) * stuck)

    def error_delay(self, errors: int) -> float:
        """The wait (no jitter) after ``errors`` failed reads in a row (at least 1)."""
        exponent = min(max(errors, 1) - 1, 64)  # 2**64 × a minute is past any max already
        return min(self.error_max_interval, self.error_interval * self.error_backoff**exponent)

    def spread(self, delay: float, rng: random.Random) -> float:
        """``delay`` ±``jitter`` (so invoices tracked together drift apart)."""
        return delay * (1.0 + self.jitter * rng.uniform(-1.0, 1.0))


class ConcurrencyWindow:
    """AIMD window of reads in flight: starts at ``limit``, :meth:`on_overload` halves it
    (at least 1), :meth:`on_success` adds one after each window's worth of successes.

    Reads started before the last halving may still answer 429/503: ``on_overload(epoch)``
    with the :attr:`epoch` read when the request started halves once per epoch only.
    """

    __slots__ = ("_current", "_epoch", "_successes", "limit")

    def __init__(self, limit: int) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise RequestValidationError("concurrency", "must be an integer >= 1")
        self.limit = limit
        self._current = limit
        self._successes = 0
        self._epoch = 0

    @property
    def current(self) -> int:
        """How many reads may be in flight now."""
        return self._current

    @property
    def epoch(self) -> int:
        """Bumped at each halving; pass it back to :meth:`on_overload`."""
        return self._epoch

    def on_success(self) -> None:
        self._successes += 1
        if self._successes >= self._current:
            self._successes = 0
            self._current = min(self.limit, self._current + 1)

    def on_overload(self, epoch: int | None = None) -> None:
        if epoch is not None and epoch != self._epoch:
            return  # this request started before the last halving: already counted
        self._epoch += 1
        self._successes = 0
        self._current = max(1, self._current // 2)
