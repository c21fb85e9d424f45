"""The fleet's rate budget in the store, on each backend: the bucket's arithmetic on an
explicit clock, the daily cap and the next UTC day, the pause, a version 1 store upgraded
to hold it, and several processes taking from one bucket never getting more than it holds."""

from __future__ import annotations

import contextlib
import subprocess
import sys

import pytest
from store_v1 import write_v1

from factpulse_chorus import PostgresStore, RequestValidationError, SQLiteStore, open_store
from factpulse_chorus.store import _schema

AnyStore = SQLiteStore | PostgresStore
DAY = 86400.0


async def grants(store: AnyStore, now: float, name: str = "api", **budget: object) -> int:
    """How many calls the budget grants at ``now`` before it says to wait."""
    limits: dict[str, object] = {"per_second": None, "burst": 1, "per_day": None, **budget}
    count = 0
    while await store.take_budget(name, now=now, **limits) == 0.0:  # type: ignore[arg-type]
        count += 1
        assert count < 10_000
    return count


async def test_a_full_bucket_gives_its_burst_then_refills_at_the_rate(store: AnyStore) -> None:
    take = {"per_second": 4.0, "burst": 3, "per_day": None}
    assert await grants(store, 100.0, **take) == 3  # a new budget starts full
    assert await store.take_budget("api", now=100.0, **take) == pytest.approx(0.25)
    assert await grants(store, 100.5, **take) == 2  # 0.5 s x 4 per second
    assert await store.take_budget("api", now=100.6, **take) == pytest.approx(0.15)
    assert await grants(store, 100.75, **take) == 1
    assert await grants(store, 1000.0, **take) == 3  # a long rest refills up to the burst only


async def test_a_clock_behind_the_bucket_gets_no_refill(store: AnyStore) -> None:
    take = {"per_second": 1.0, "burst": 1, "per_day": None}
    assert await grants(store, 50.0, **take) == 1
    assert await grants(store, 40.0, **take) == 0  # another machine's clock, behind
    assert await grants(store, 50.5, **take) == 0
    assert await grants(store, 51.0, **take) == 1  # counted from 50.0, not from 40.0


async def test_budgets_are_apart_by_name(store: AnyStore) -> None:
    take = {"per_second": 1.0, "burst": 2, "per_day": None}
    assert await grants(store, 10.0, "one", **take) == 2
    assert await grants(store, 10.0, "two", **take) == 2


async def test_the_daily_cap_holds_until_the_next_utc_day(store: AnyStore) -> None:
    noon = 20_000 * DAY + DAY / 2  # 2024-10-04T12:00:00Z
    take = {"per_second": None, "burst": 1, "per_day": 5}
    assert await grants(store, noon, **take) == 5
    wait = await store.take_budget("api", now=noon + 60, **take)
    assert wait == pytest.approx(DAY / 2 - 60)  # until 00:00 UTC
    assert await grants(store, noon + DAY / 2 - 0.001, **take) == 0
    assert await grants(store, noon + DAY / 2, **take) == 5  # a new day, a new count
    both = {"per_second": 10.0, "burst": 2, "per_day": 3}
    assert await grants(store, noon, "both", **both) == 2  # the bucket first
    assert await grants(store, noon + 10, "both", **both) == 1  # then the day's cap
    assert await store.take_budget("both", now=noon + 20, **both) == pytest.approx(DAY / 2 - 20)


async def test_a_pause_stops_every_call_until_it_ends_the_later_one_winning(
    store: AnyStore,
) -> None:
    take = {"per_second": 100.0, "burst": 5, "per_day": None}
    await store.pause_budget("api", until=30.0)  # before any call: the row is made
    assert await store.take_budget("api", now=10.0, **take) == pytest.approx(20.0)
    await store.pause_budget("api", until=20.0)  # an earlier end does not shorten it
    assert await store.take_budget("api", now=25.0, **take) == pytest.approx(5.0)
    await store.pause_budget("api", until=40.0)
    assert await store.take_budget("api", now=35.0, **take) == pytest.approx(5.0)
    assert await grants(store, 40.0, **take) == 5
    unlimited = {"per_second": None, "burst": 1, "per_day": None}
    await store.pause_budget("other", until=5.0)
    assert await store.take_budget("other", now=4.0, **unlimited) == pytest.approx(1.0)
    assert await grants(store, 5.0, "other", per_second=1.0) == 1
    assert await store.take_budget("api", now=40.0, **take) > 0  # the other name's pause only


@pytest.mark.parametrize(
    ("field", "budget"),
    [
        ("per_second", {"per_second": 0.0, "burst": 1, "per_day": None}),
        ("per_second", {"per_second": float("inf"), "burst": 1, "per_day": None}),
        ("per_second", {"per_second": True, "burst": 1, "per_day": None}),
        ("burst", {"per_second": 1.0, "burst": 0, "per_day": None}),
        ("burst", {"per_second": 1.0, "burst": 1.5, "per_day": None}),
        ("per_day", {"per_second": 1.0, "burst": 1, "per_day": 0}),
    ],
)
async def test_bad_limits_are_refused_by_name(
    store: AnyStore, field: str, budget: dict[str, object]
) -> None:
    with pytest.raises(RequestValidationError) as info:
        await store.take_budget("api", now=1.0, **budget)  # type: ignore[arg-type]
    assert info.value.field == field


async def test_a_version_1_store_is_upgraded_to_hold_budgets(store_target: str) -> None:
    write_v1(store_target)
    async with open_store(store_target) as store:
        assert await grants(store, 1.0, per_second=1.0, burst=2) == 2
        assert store.schema_version == _schema.SCHEMA_VERSION == 2
        assert (await store.get(7512345)) is not None  # version 1's rows kept
        assert await store.check_integrity() == "ok"


# Each child: "ready", then for each line "T" from stdin take from the one bucket at the
# simulated time T until told to wait, print how many calls it got; "end" ends it.
CHILD = """
import asyncio, sys
from factpulse_chorus import open_store

target = sys.argv[1]

async def main():
    async with open_store(target) as store:
        await store.watched_count()
        print("ready", flush=True)
        while (line := sys.stdin.readline().strip()) != "end":
            got = 0
            while await store.take_budget(
                "fleet", now=float(line), per_second=8.0, burst=2, per_day=60
            ) == 0.0:
                got += 1
            print(got, flush=True)

asyncio.run(main())
"""


def _ask(child: subprocess.Popen[str], line: str) -> None:
    assert child.stdin is not None
    child.stdin.write(f"{line}\n")
    child.stdin.flush()


def _answer(child: subprocess.Popen[str]) -> str:
    assert child.stdout is not None
    return child.stdout.readline()


def test_processes_hammering_one_bucket_get_no_more_than_it_holds(store_target: str) -> None:
    per_second: dict[int, int] = {}
    with contextlib.ExitStack() as stack:
        children = []
        for _ in range(4):
            child = subprocess.Popen(
                [sys.executable, "-c", CHILD, store_target],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            stack.enter_context(child)  # closes its pipes and waits for it
            stack.callback(child.kill)  # first, if the test fails on the way
            children.append(child)
        assert [_answer(child) for child in children] == ["ready\n"] * 4
        for tick in [index / 4 for index in range(48)]:  # 12 simulated seconds, 4 ticks each
            for child in children:  # every process takes at this instant, all at once
                _ask(child, str(tick))
            got = sum(int(_answer(child)) for child in children)
            per_second[int(tick)] = per_second.get(int(tick), 0) + got
        for child in children:
            _ask(child, "end")
        assert [child.wait(timeout=60) for child in children] == [0] * 4
    # Second 0: the full bucket (2) and 0.75 s of refill (6); then 8 a second, exactly,
    # until the day's 60 are spent: 8 + 8 x 6 = 56, then 4, then none.
    assert per_second == {
        0: 8,
        **dict.fromkeys(range(1, 7), 8),
        7: 4,
        **dict.fromkeys(range(8, 12), 0),
    }
