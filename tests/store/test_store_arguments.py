"""Every store method's arguments, on each backend: a bad value is a RequestValidationError
naming the parameter, raised before the database is touched (the store is left as it was),
and the constructors refuse theirs the same way."""

from __future__ import annotations

import math
import os
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from factpulse_chorus import (
    CheckResult,
    PostgresStore,
    RequestValidationError,
    SQLiteStore,
    SubmissionState,
    open_store,
)

AnyStore = SQLiteStore | PostgresStore
Call = Callable[[Any], Awaitable[object]]
NAN, INF = math.nan, math.inf
HUGE = 2**63  # one past a 64-bit column


def result(**fields: Any) -> CheckResult:
    """A CheckResult for invoice 1 (leased to "w" by ``seed``), ``fields`` replacing."""
    given: dict[str, Any] = {"invoice_id": 1, "next_check": 100.0, "status": "DEPOSEE"}
    given.update(fields)
    return CheckResult(**given)


def bad(field: str, call: Call, name: str) -> Any:
    return pytest.param(call, field, id=name)


CLAIM: dict[str, Any] = {"now": 30.0, "limit": 10, "owner": "x", "lease": 60.0}
RESERVE: dict[str, Any] = {
    "supplier": "",
    "invoice_number": "F-2",
    "owner": "x",
    "now": 30.0,
    "lease": 60.0,
}
MARK: dict[str, Any] = {
    "supplier": "",
    "invoice_number": "F-1",
    "state": SubmissionState.SENT,
    "owner": "w",
    "now": 30.0,
}
TAKE: dict[str, Any] = {"name": "api", "now": 5.0, "per_second": None, "burst": 1, "per_day": 1}


def keywords(method: str, defaults: dict[str, Any], pairs: list[tuple[str, Any]]) -> list[Any]:
    """A case per pair: ``method(**defaults)`` with one keyword replaced by a bad value."""
    return [
        bad(
            field,
            lambda s, k=field, v=value: getattr(s, method)(**{**defaults, k: v}),
            f"{method}-{field}-{value!r:.16}",
        )
        for field, value in pairs
    ]


CASES = [
    # -- track
    *(
        bad(field, lambda s, v=value: s.track(v, now=0.0), f"track-{field}-{value!r:.12}")
        for field, value in [
            ("invoice_ids", "12"),
            ("invoice_ids", None),
            ("invoice_ids", 12),
            ("invoice_ids", {7: 8}),
            ("invoice_ids[0]", ["a"]),
            ("invoice_ids[0]", [True]),
            ("invoice_ids[0]", [-1]),
            ("invoice_ids[0]", [0]),
            ("invoice_ids[0]", [1.5]),
            ("invoice_ids[0]", [None]),
            ("invoice_ids[0]", [HUGE]),
            ("invoice_ids[1]", [7, 2**70]),
        ]
    ),
    *(
        bad("now", lambda s, v=value: s.track([7], now=v), f"track-now-{value!r:.16}")
        for value in (NAN, INF, -INF, "0", None, True, 10**400)
    ),
    # -- claim_due
    *keywords(
        "claim_due",
        CLAIM,
        [
            ("now", NAN),
            ("now", "0"),
            ("limit", True),
            ("limit", -1),
            ("limit", 1.5),
            ("limit", "3"),
            ("limit", None),
            ("owner", ""),
            ("owner", "  "),
            ("owner", None),
            ("owner", 5),
            ("lease", -1.0),
            ("lease", 0),
            ("lease", NAN),
            ("lease", INF),
            ("lease", "60"),
            ("lease", True),
        ],
    ),
    # -- record (the first result alone would be recorded: it is not, nothing is)
    *(
        bad(field, lambda s, v=value: s.record(v, owner="w", now=10.0), f"record-{field}-{index}")
        for index, (field, value) in enumerate(
            [
                ("results", "x"),
                ("results", None),
                ("results", {result()}),
                ("results[1]", [result(), object()]),
                ("results[1]", [result(), None]),
                ("results[1].invoice_id", [result(), result(invoice_id="1")]),
                ("results[1].invoice_id", [result(), result(invoice_id=True)]),
                ("results[1].invoice_id", [result(), result(invoice_id=0)]),
                ("results[1].invoice_id", [result(), result(invoice_id=HUGE)]),
                ("results[1].next_check", [result(), result(next_check=NAN)]),
                ("results[1].next_check", [result(), result(next_check=None)]),
                ("results[1].next_check", [result(), result(next_check="1")]),
                ("results[1].status", [result(), result(status=5)]),
                ("results[1].error", [result(), result(error=b"x")]),
                ("results[1].status_date", [result(), result(status_date="2024-01-01")]),
                ("results[1].final", [result(), result(final="yes")]),
                ("results[1].gave_up", [result(), result(gave_up=1)]),
            ]
        )
    ),
    bad("owner", lambda s: s.record([result()], owner="", now=10.0), "record-owner"),
    bad("now", lambda s: s.record([result()], owner="w", now=NAN), "record-now"),
    # -- release, get, due_count
    bad("owner", lambda s: s.release(""), "release-blank"),
    bad("owner", lambda s: s.release(None), "release-none"),
    *(
        bad("invoice_id", lambda s, v=value: s.get(v), f"get-{value!r}")
        for value in ("1", None, True, 0, -3, HUGE, 1.0)
    ),
    bad("now", lambda s: s.due_count(now=NAN), "due_count-nan"),
    bad("now", lambda s: s.due_count(now=None), "due_count-none"),
    # -- reserve
    *keywords(
        "reserve",
        RESERVE,
        [
            ("supplier", None),
            ("supplier", 5),
            ("invoice_number", ""),
            ("invoice_number", " "),
            ("invoice_number", None),
            ("invoice_number", 5),
            ("owner", ""),
            ("owner", None),
            ("now", NAN),
            ("now", "1"),
            ("lease", 0.0),
            ("lease", -1),
            ("lease", INF),
            ("lease", None),
        ],
    ),
    # -- mark (``seed`` reserved ("", "F-1") for "w": a valid mark would move it)
    *keywords(
        "mark",
        MARK,
        [
            ("supplier", None),
            ("invoice_number", ""),
            ("state", "bogus"),
            ("state", None),
            ("state", 5),
            ("state", ["sent"]),
            ("owner", ""),
            ("now", INF),
            ("invoice_id", 0),
            ("invoice_id", True),
            ("invoice_id", "1"),
            ("invoice_id", -5),
            ("invoice_id", HUGE),
            ("error", 5),
            ("error", b"x"),
        ],
    ),
    # -- submission, submissions
    bad("supplier", lambda s: s.submission(None, "F-1"), "submission-supplier"),
    bad("invoice_number", lambda s: s.submission("", ""), "submission-number"),
    bad("states", lambda s: s.submissions(states="sent"), "submissions-str"),
    bad("states", lambda s: s.submissions(states={"sent": 1}), "submissions-mapping"),
    bad("states", lambda s: s.submissions(states=5), "submissions-int"),
    bad("states[0]", lambda s: s.submissions(states=["bogus"]), "submissions-bogus"),
    bad("states[1]", lambda s: s.submissions(states=["sent", 5]), "submissions-int-item"),
    # -- the rate budget
    *keywords(
        "take_budget",
        TAKE,
        [
            ("name", ""),
            ("name", None),
            ("now", NAN),
            ("now", "5"),
            ("per_second", 0),
            ("per_second", -1.0),
            ("per_second", NAN),
            ("per_second", "1"),
            ("burst", 0),
            ("burst", True),
            ("burst", 1.5),
            ("per_day", 0),
            ("per_day", True),
        ],
    ),
    bad("name", lambda s: s.pause_budget("", until=50.0), "pause-name"),
    *(
        bad("until", lambda s, v=value: s.pause_budget("api", until=v), f"pause-until-{value!r}")
        for value in (NAN, INF, None, "50")
    ),
]


async def seed(store: AnyStore) -> None:
    """Invoices 1-3 tracked, 1 leased to "w" until 60; ("", "F-1") reserved by "w"."""
    assert await store.track([1, 2, 3], now=0.0) == 3
    claimed = await store.claim_due(now=0.0, limit=1, owner="w", lease=60.0)
    assert [invoice.invoice_id for invoice in claimed] == [1]
    await store.reserve("", "F-1", owner="w", now=0.0, lease=600.0)


async def snapshot(store: AnyStore) -> tuple[object, ...]:
    return (
        await store.status_counts(),
        await store.watched_count(),
        await store.due_count(now=30.0),  # 2: invoice 1 is leased
        await store.next_due(),
        [await store.get(invoice_id) for invoice_id in (1, 2, 3, 7)],
        await store.submissions(),
    )


@pytest.mark.parametrize(("call", "field"), CASES)
async def test_a_bad_argument_is_refused_by_name_and_nothing_is_written(
    store: AnyStore, call: Call, field: str
) -> None:
    await seed(store)
    before = await snapshot(store)
    with pytest.raises(RequestValidationError) as info:
        await call(store)
    assert info.value.field == field
    assert info.value.rule.startswith("must ")
    assert await snapshot(store) == before
    # The budget "api" was never taken from nor paused: its one call a day is there.
    assert await store.take_budget(**TAKE) == 0.0
    assert await store.take_budget(**TAKE) > 0.0


async def test_what_is_accepted_is_stored_as_plain_values(store: AnyStore) -> None:
    class Id(int):
        pass

    assert await store.track((n for n in (5, Id(6))), now=1) == 2  # a generator, an int now
    assert await store.track(range(5, 8), now=1.0) == 1
    tracked = await store.get(Id(6))
    assert tracked is not None
    assert type(tracked.invoice_id) is int
    assert tracked.tracked_at == 1.0
    assert await store.claim_due(now=2, limit=0, owner="w", lease=1) == []
    claimed = await store.claim_due(now=2, limit=Id(2), owner="w", lease=1)
    assert [invoice.invoice_id for invoice in claimed] == [5, 6]
    date = datetime(2024, 1, 2, tzinfo=timezone.utc)
    await store.record([result(invoice_id=5, next_check=9, status_date=date)], owner="w", now=3)
    recorded = await store.get(5)
    assert recorded is not None
    assert (recorded.status, recorded.status_date) == ("DEPOSEE", date)
    assert await store.record([], owner="w", now=3.0) is None
    await store.reserve("", "F-1", owner="w", now=1, lease=60)  # "" is the default account
    row = await store.mark("", "F-1", "sent", owner="w", now=2, invoice_id=Id(9))  # type: ignore[arg-type]
    assert row.state is SubmissionState.SENT
    assert type(row.invoice_id) is int
    assert await store.submissions(states=["sent"]) == [row]  # type: ignore[list-item]
    assert await store.submissions(states=()) == []
    assert await store.take_budget("api", now=1, per_second=1, burst=Id(1), per_day=None) == 0.0
    await store.pause_budget("api", until=10)
    assert await store.take_budget("api", now=2.0, per_second=None, burst=1, per_day=None) == 8.0


async def test_a_bad_first_call_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    async with SQLiteStore(path) as store:
        with pytest.raises(RequestValidationError):
            await store.track(["a"], now=0.0)
        with pytest.raises(RequestValidationError):
            await store.claim_due(now=NAN, limit=1, owner="w", lease=1.0)
    assert not path.exists()


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: SQLiteStore(123), "path"),  # type: ignore[arg-type]
        (lambda: SQLiteStore(None), "path"),  # type: ignore[arg-type]
        (lambda: SQLiteStore(b"x.db"), "path"),  # type: ignore[arg-type]
        (lambda: SQLiteStore(""), "path"),
        (lambda: SQLiteStore(":memory:"), "path"),
        (lambda: open_store(123), "path"),  # type: ignore[arg-type]
        *(
            (lambda v=value: SQLiteStore("x.db", busy_timeout=v), "busy_timeout")
            for value in (-1, NAN, INF, "1", True, None)
        ),
        (lambda: PostgresStore(123), "url"),  # type: ignore[arg-type]
        (lambda: PostgresStore("mysql://x/y"), "url"),
        *(
            (lambda v=value: PostgresStore("postgresql://h/db", busy_timeout=v), "busy_timeout")
            for value in (-1, NAN, INF, "1", True)
        ),
        *(
            (lambda v=value: PostgresStore("postgresql://h/db", connections=v), "connections")
            for value in (0, True, 1.5, "2", None)
        ),
    ],
)
def test_constructors_refuse_bad_arguments_by_name(make: Callable[[], object], field: str) -> None:
    with pytest.raises(RequestValidationError) as info:
        make()
    assert info.value.field == field


def test_a_path_like_is_a_path(tmp_path: Path) -> None:
    assert SQLiteStore(tmp_path / "a.db").path == os.fspath(tmp_path / "a.db")
    assert SQLiteStore("b.db", busy_timeout=0).path == "b.db"
