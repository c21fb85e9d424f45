"""Two OS processes on one store (a file, or a PostgreSQL database): claims and reservations
never overlap."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

from factpulse_chorus import SubmissionState, open_store

# Run by each child: say "ready", wait for "go" (so both work at the same time), then claim
# or reserve until nothing is left, and print what this process got as JSON.
CHILD = """
import asyncio, json, sys
from factpulse_chorus import DuplicateSubmissionError, SubmissionState, open_store

target, job, owner = sys.argv[1:4]

async def claim(store):
    # One batch each first, then the race for the rest: both take part whatever the
    # scheduling (a process looping on the write lock can otherwise take everything).
    got = [i.invoice_id for i in await store.claim_due(now=1.0, limit=5, owner=owner, lease=1e9)]
    print("first", flush=True)
    sys.stdin.readline()
    while batch := await store.claim_due(now=1.0, limit=5, owner=owner, lease=1e9):
        got += [invoice.invoice_id for invoice in batch]
    return got

async def reserve(store):
    got = []
    for number in range(200):
        try:
            await store.reserve("", f"F-{number}", owner=owner, now=1.0, lease=600.0)
        except DuplicateSubmissionError:
            continue
        got.append(number)
        await store.mark("", f"F-{number}", SubmissionState.SENT, owner=owner, now=2.0)
        await store.mark(
            "", f"F-{number}", SubmissionState.CREATED, owner=owner, now=3.0,
            invoice_id=number + 1,  # ids are positive
        )
    return got

async def main():
    async with open_store(target) as store:
        await store.watched_count()  # opened before the start
        print("ready", flush=True)
        sys.stdin.readline()
        print(json.dumps(await (claim if job == "claim" else reserve)(store)), flush=True)

asyncio.run(main())
"""


def run_two(target: str, job: str) -> list[list[int]]:
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, target, job, owner],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for owner in ("first", "second")
    ]
    try:
        for child in children:
            assert child.stdout is not None
            assert child.stdout.readline() == "ready\n"
        for step in ("go", "again")[: 1 + (job == "claim")]:
            for child in children:
                assert child.stdin is not None
                child.stdin.write(f"{step}\n")
                child.stdin.flush()
            if step == "go" and job == "claim":
                for child in children:
                    assert child.stdout is not None
                    assert child.stdout.readline() == "first\n"
        outputs = [child.communicate(timeout=120)[0] for child in children]
    finally:
        for child in children:
            child.kill()
            child.wait()
    assert [child.returncode for child in children] == [0, 0]
    return [json.loads(output) for output in outputs]


def test_two_processes_never_claim_the_same_invoice(store_target: str) -> None:

    async def prepare() -> None:
        async with open_store(store_target) as store:
            await store.track(range(1, 2001), now=0.0)

    asyncio.run(prepare())
    first, second = run_two(store_target, "claim")
    assert not set(first) & set(second)
    assert sorted(first + second) == list(range(1, 2001))
    assert first
    assert second


def test_two_processes_reserving_the_same_numbers_get_each_exactly_once(
    store_target: str,
) -> None:

    async def prepare() -> None:
        async with open_store(store_target) as store:
            await store.watched_count()

    async def rows() -> list[tuple[str, SubmissionState, int, int | None]]:
        async with open_store(store_target) as store:
            every = await store.submissions()
            assert await store.check_integrity() == "ok"
        return [(r.invoice_number, r.state, r.attempts, r.invoice_id) for r in every]

    asyncio.run(prepare())
    first, second = run_two(store_target, "reserve")
    assert not set(first) & set(second)
    assert sorted(first + second) == list(range(200))
    found = asyncio.run(rows())
    assert len(found) == 200
    assert {state for _, state, _, _ in found} == {SubmissionState.CREATED}
    assert {attempts for _, _, attempts, _ in found} == {1}
    assert sorted(invoice_id for *_, invoice_id in found if invoice_id is not None) == list(
        range(1, 201)
    )
