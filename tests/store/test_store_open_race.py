"""Processes opening one NEW store file at the same moment: each open succeeds (switching a new
file to WAL takes a lock SQLite's busy timeout does not wait for; the store waits itself)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# Each child opens the file named on each line of its stdin, as soon as it reads the line,
# tracks three invoices, closes it and answers "ok" or the error.
CHILD = """
import asyncio, sys
from factpulse_chorus import SQLiteStore, StoreError

async def main(path):
    async with SQLiteStore(path) as store:
        await store.track([1, 2, 3], now=0.0)

print("ready", flush=True)
for line in sys.stdin:
    try:
        asyncio.run(main(line.strip()))
        print("ok", flush=True)
    except StoreError as error:
        print(f"failed: {error}", flush=True)
"""

ROUNDS = 60


def test_two_processes_opening_a_new_file_at_once_both_succeed(tmp_path: Path) -> None:
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for child in children:
            assert child.stdout is not None
            assert child.stdout.readline() == "ready\n"
        answers = []
        for round_ in range(ROUNDS):
            path = tmp_path / f"race-{round_}.db"
            for child in children:  # both told before either answers: they race
                assert child.stdin is not None
                child.stdin.write(f"{path}\n")
                child.stdin.flush()
            for child in children:
                assert child.stdout is not None
                answers.append(child.stdout.readline().strip())
    finally:
        for child in children:
            assert child.stdin is not None
            child.stdin.close()
        for child in children:
            child.wait(timeout=60)
            assert child.stdout is not None
            child.stdout.close()
    failed = [answer for answer in answers if answer != "ok"]
    assert failed == [], failed[:3]
    assert len(answers) == 2 * ROUNDS
