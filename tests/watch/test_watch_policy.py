"""WatchPolicy and the AIMD window: pure, so tested without a server."""

from __future__ import annotations

import random
from typing import Any

import pytest

from factpulse_chorus import RequestValidationError, WatchPolicy
from factpulse_chorus._watch_policy import DEFAULT_INTERVALS, ConcurrencyWindow

MINUTE, HOUR, DAY = 60.0, 3600.0, 86_400.0


def test_the_default_table_follows_how_fast_each_status_moves() -> None:
    policy = WatchPolicy()
    assert policy.bounds("DEPOSEE") == (5 * MINUTE, 30 * MINUTE)
    assert policy.bounds("EN_COURS_ACHEMINEMENT") == (5 * MINUTE, 30 * MINUTE)
    # A person's step (validator, recipient, payment path): every 4 h, up to a day.
    for code in ("A_VALIDER_1", "MISE_A_DISPOSITION", "SERVICE-FAIT", "MANDATEE"):
        assert policy.bounds(code) == (4 * HOUR, DAY), code
        assert policy.patience[code] == 7 * DAY, code
    assert policy.patience["DEPOSEE"] == 30 * MINUTE
    assert policy.bounds("SUSPENDUE") == policy.bounds("A_RECYCLER") == (DAY, DAY)
    assert policy.bounds("SOMETHING_NEW") == policy.default_interval == (30 * MINUTE, 6 * HOUR)
    # SERVICE_FAIT and SERVICE-FAIT are one status, as InvoiceStatusCode says.
    assert policy.bounds("service_fait") == policy.bounds("SERVICE-FAIT")
    assert all(base <= most for base, most in DEFAULT_INTERVALS.values())


def test_final_statuses_are_never_read_again_by_default() -> None:
    policy = WatchPolicy()
    for code in ("REJETEE", "MISE_EN_PAIEMENT", "REFUSEE_1", "REFUSEE_2"):
        assert policy.is_final(code)
    assert not policy.is_final("MISE_A_DISPOSITION")
    assert WatchPolicy(final_statuses=["MANDATEE"]).is_final("MANDATEE")


def test_the_wait_grows_by_backoff_per_quiet_read_up_to_the_max() -> None:
    policy = WatchPolicy(backoff=2.0, patience={})  # no patience: growth from the first read
    base, most = policy.bounds("DEPOSEE")
    assert policy.interval("DEPOSEE", quiet=0.0) == base
    # Reads on time: quiet after n reads is base × (1 + 2 + ... + 2^(n-1)).
    quiet, waits = 0.0, []
    for _ in range(5):
        wait = policy.interval("DEPOSEE", quiet=quiet)
        waits.append(wait)
        quiet += wait
    assert waits[:3] == [base, 2 * base, 4 * base]
    assert waits[-1] == most
    assert policy.interval("DEPOSEE", quiet=-5.0) == base  # a clock skew never shortens it


def test_the_wait_is_steady_during_the_patience_then_grows() -> None:
    policy = WatchPolicy()
    # At the recipient, a step takes days: read every 4 h all week, however quiet.
    for quiet in (0.0, HOUR, DAY, 6 * DAY, 7 * DAY):
        assert policy.interval("MISE_A_DISPOSITION", quiet=quiet) == 4 * HOUR
    # Stuck past the week: ×1.5 per quiet read, so a month-old invoice costs a read a day.
    assert policy.interval("MISE_A_DISPOSITION", quiet=7 * DAY + 4 * HOUR) == 6 * HOUR
    assert policy.interval("MISE_A_DISPOSITION", quiet=30 * DAY) == DAY
    assert policy.interval("DEPOSEE", quiet=20 * MINUTE) == 5 * MINUTE
    assert policy.interval("DEPOSEE", quiet=40 * MINUTE) == 10 * MINUTE
    # A status not in the table grows from the first read; a custom patience is checked.
    assert WatchPolicy(patience={}).interval("MISE_A_DISPOSITION", quiet=HOUR) == 4.5 * HOUR
    assert WatchPolicy(patience={"service_fait": 60}).patience == {"SERVICE-FAIT": 60.0}


def test_jitter_spreads_within_bounds_and_errors_back_off() -> None:
    policy = WatchPolicy(jitter=0.2)
    rng = random.Random(1)
    spread = [policy.spread(100.0, rng) for _ in range(500)]
    assert min(spread) >= 80.0
    assert max(spread) <= 120.0
    assert max(spread) - min(spread) > 20.0  # actually spread
    assert [policy.error_delay(n) for n in (1, 2, 3)] == [60.0, 120.0, 240.0]
    assert policy.error_delay(10_000) == policy.error_max_interval == HOUR


def test_a_custom_table_is_normalised_and_checked() -> None:
    policy = WatchPolicy(intervals={"service_fait": (10.0, 20.0)})
    assert policy.bounds("SERVICE-FAIT") == (10.0, 20.0)
    assert policy.bounds("DEPOSEE") == policy.default_interval  # a table replaces the defaults


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"intervals": {"DEPOSEE": (10.0, 5.0)}}, "intervals.DEPOSEE"),
        ({"intervals": {"DEPOSEE": 10.0}}, "intervals.DEPOSEE"),
        ({"intervals": {"DEPOSEE": (0.0, 5.0)}}, "intervals.DEPOSEE"),
        ({"intervals": {3: (1.0, 2.0)}}, "intervals"),
        ({"intervals": [("DEPOSEE", (1.0, 2.0))]}, "intervals"),
        ({"default_interval": (5.0, float("inf"))}, "default_interval"),
        ({"patience": {"DEPOSEE": -1.0}}, "patience.DEPOSEE"),
        ({"patience": {"DEPOSEE": "1"}}, "patience.DEPOSEE"),
        ({"patience": {None: 1.0}}, "patience"),
        ({"patience": [("DEPOSEE", 1.0)]}, "patience"),
        ({"backoff": 0.5}, "backoff"),
        ({"backoff": "x"}, "backoff"),
        ({"jitter": 1.0}, "jitter"),
        ({"error_interval": 0}, "error_interval"),
        ({"error_max_interval": 1.0}, "error_max_interval"),
        ({"error_backoff": True}, "error_backoff"),
        ({"final_statuses": "REJETEE"}, "final_statuses"),
        ({"final_statuses": []}, "final_statuses"),
        ({"final_statuses": [None]}, "final_statuses"),
    ],
)
def test_bad_settings_are_refused_naming_them(options: dict[str, Any], field: str) -> None:
    with pytest.raises(RequestValidationError) as info:
        WatchPolicy(**options)
    assert info.value.field == field


def test_the_window_halves_on_overload_and_grows_back_additively() -> None:
    window = ConcurrencyWindow(8)
    assert window.current == 8
    window.on_overload(window.epoch)
    assert window.current == 4
    # Answers to requests sent before the halving do not halve it again.
    stale = window.epoch - 1
    window.on_overload(stale)
    assert window.current == 4
    window.on_overload(window.epoch)
    window.on_overload(window.epoch)
    window.on_overload(window.epoch)
    assert window.current == 1  # never below one
    grown = []
    for _ in range(40):
        window.on_success()
        grown.append(window.current)
    # +1 after each window's worth of successes: 1, then 2 after 1, 3 after 2 more...
    assert grown[:6] == [2, 2, 3, 3, 3, 4]
    assert window.current == 8  # back to the limit, never past it
    with pytest.raises(RequestValidationError) as info:
        ConcurrencyWindow(0)
    assert info.value.field == "concurrency"
