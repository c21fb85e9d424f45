"""Import time in a fresh interpreter (goal 14, kept from the first benchmarks).

    python benchmarks/bench_imports.py [--runs 9]

``time.perf_counter()`` around the import statement in a fresh interpreter (its start-up
excluded); one warm-up run of each statement (bytecode and OS file caches), then ``runs``
interleaved runs; each ratio is to the dependencies' import of the same run.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import goal, rotated, standalone

DEPENDENCIES = "import aiohttp, attrs, cattrs, anyio"
IMPORTS = [
    DEPENDENCIES,
    "import factpulse_chorus",
    "from factpulse_chorus import AsyncChorusClient",
    "import factpulse",
]


def once(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return float(done.stdout.strip())


def run(runs: int) -> dict[str, Any]:
    """Seconds per statement and run."""
    try:
        once("import factpulse")
        statements = IMPORTS
    except subprocess.CalledProcessError:  # the official SDK is not installed
        statements = IMPORTS[:-1]
    for statement in statements:
        once(statement)
    seconds: dict[str, list[float]] = {statement: [] for statement in statements}
    for number in range(runs):
        for statement in rotated(statements, number):
            seconds[statement].append(once(statement))
    return {"runs": runs, "seconds": seconds}


def goals(figures: dict[str, Any]) -> list[dict[str, Any]]:
    seconds = figures["seconds"]
    deps = seconds[DEPENDENCIES]

    def ratios(statement: str) -> list[float]:
        return [ours / base for ours, base in zip(seconds[statement], deps, strict=True)]

    client = statistics.median(ratios("from factpulse_chorus import AsyncChorusClient"))
    return [
        goal(
            "14",
            "import factpulse_chorus vs import aiohttp, attrs, cattrs, anyio",
            ratios("import factpulse_chorus"),
            1.2,
            detail=f"with AsyncChorusClient {client:.2f}x (no goal)",
        )
    ]


def print_table(figures: dict[str, Any]) -> None:
    seconds = figures["seconds"]
    base = statistics.median(seconds[DEPENDENCIES])
    print(f"\nImport time, fresh interpreter, median of {figures['runs']} runs")
    for statement, values in seconds.items():
        median = statistics.median(values)
        print(f"{statement:<50}{median * 1e3:>8.1f} ms{median / base:>7.2f}x")


if __name__ == "__main__":
    standalone(__doc__, run, table=print_table, goals=goals, runs=9)
