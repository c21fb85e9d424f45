"""CPU per blocking call of a no-op coroutine, for each way of handing it to a loop thread.

    python benchmarks/bench_handoff.py [--calls 20000] [--rounds 5]

Compared, on one event loop thread (the blocking facade's own portal), from 1 thread and from
16 threads sharing it:

* ``facade``: ``Portal.call``, what every ``ChorusClient`` method goes through;
* ``anyio call``: anyio's ``BlockingPortal.call``;
* ``anyio start_task_soon``: ``start_task_soon(...).result()``, the facade's call before
  issue 14 (two thread round trips);
* ``run_coroutine_threadsafe``: ``asyncio.run_coroutine_threadsafe(...).result()``;
* ``raw``: ``loop.call_soon_threadsafe`` starting a task whose done-callback releases a
  ``threading.Lock``: the floor the facade aims at (nothing else: no guards, no cancel).

CPU is the process's (every thread, the loop's included) over the timed calls, divided by
their number; each figure is the median of interleaved rounds, with the spread. Not a test:
the figures depend on the machine.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio.lowlevel

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import standalone

from factpulse_chorus._portal import Portal

THREADS = (1, 16)


async def noop() -> None:
    return None


def raw_handoff(loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
    """The reference: one ``call_soon_threadsafe``, one lock, nothing more."""

    def call() -> None:
        done = threading.Lock()
        done.acquire()

        def start() -> None:
            loop.create_task(noop()).add_done_callback(lambda _: done.release())

        loop.call_soon_threadsafe(start)
        done.acquire()

    return call


def contenders(portal: Portal) -> dict[str, Callable[[], None]]:
    blocking = portal._portal
    assert blocking is not None
    loop = portal._loop
    return {
        "facade": lambda: portal.call(noop),
        "anyio call": lambda: blocking.call(noop),
        "anyio start_task_soon": lambda: blocking.start_task_soon(noop).result(),
        "run_coroutine_threadsafe": lambda: asyncio.run_coroutine_threadsafe(noop(), loop).result(),
        "raw": raw_handoff(loop),
    }


def cpu_per_call(call: Callable[[], None], calls: int, threads: int) -> float:
    """µs of process CPU per call, ``calls`` calls spread over ``threads`` threads."""
    per_thread = calls // threads

    def loop() -> None:
        for _ in range(per_thread):
            call()

    for _ in range(200):  # warm-up
        call()
    with ThreadPoolExecutor(threads) as pool:
        started = time.process_time()
        for future in [pool.submit(loop) for _ in range(threads)]:
            future.result()
        spent = time.process_time() - started
    return spent / (per_thread * threads) * 1e6


def run(calls: int, rounds: int) -> dict[str, Any]:
    """Per contender and thread count, µs of CPU per call of each round."""
    portal = Portal()
    try:
        runs = contenders(portal)
        figures: dict[str, list[float]] = {f"{n} {t}": [] for n in runs for t in THREADS}
        for _ in range(rounds):
            for threads in THREADS:
                for name, call in runs.items():
                    figures[f"{name} {threads}"].append(cpu_per_call(call, calls, threads))
    finally:
        portal.shutdown(anyio.lowlevel.checkpoint)
    return {"calls": calls, "rounds": rounds, "names": list(runs), "cpu_us": figures}


def print_table(figures: dict[str, Any]) -> None:
    cpu = figures["cpu_us"]
    median = {key: statistics.median(values) for key, values in cpu.items()}
    print(
        f"\nCPU per blocking call of a no-op coroutine, µs (median of {figures['rounds']} rounds "
        f"of {figures['calls']}, ± half the spread)"
    )
    header = "".join(f"{f'{t} thread(s)':>22}{'x raw':>8}" for t in THREADS)
    print(f"{'hand-off':<26}{header}")
    for name in figures["names"]:
        cells = ""
        for threads in THREADS:
            values = cpu[f"{name} {threads}"]
            spread = f"{median[f'{name} {threads}']:.1f} ±{(max(values) - min(values)) / 2:.1f}"
            cells += f"{spread:>22}{median[f'{name} {threads}'] / median[f'raw {threads}']:>7.2f}x"
        print(f"{name:<26}{cells}")
    for threads in THREADS:
        facade, anyio_call = median[f"facade {threads}"], median[f"anyio call {threads}"]
        before = median[f"anyio start_task_soon {threads}"]
        print(
            f"{threads:>2} thread(s): facade / anyio call = {facade / anyio_call:.2f}, "
            f"facade / previous facade (start_task_soon) = {facade / before:.2f}"
        )


if __name__ == "__main__":
    standalone(__doc__, run, table=print_table, workers={"run": run}, calls=20000, rounds=5)
