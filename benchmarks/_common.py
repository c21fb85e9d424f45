"""What every benchmark script shares: measuring a process, child processes, the server,
and the goals (a median ratio over interleaved rounds, its spread, PASS or MISS).

Each ``bench_*.py`` runs alone (``python benchmarks/bench_decode.py``) and exposes its
``run(...)`` (figures as JSON-able data) and ``goals(figures)`` to ``bench.py``, which runs
them all and prints one table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

HERE = Path(__file__).resolve().parent
MIB = 2**20
CHILD_TIMEOUT = 300.0  # seconds: every child process is bounded
T = TypeVar("T")

# With 2 cores or more, servers run on core 0 and measured clients on core 1, so that
# neither migrates onto the other's core mid-loop (the main source of noise on 2 cores).
SERVER_CPU, CLIENT_CPU = 0, 1
_placement = {"pin": hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2}


def set_pinning(enabled: bool) -> None:
    _placement["pin"] = _placement["pin"] and enabled


def pinned() -> bool:
    return _placement["pin"]


def _on_core(cpu: int) -> Callable[[], None] | None:
    if not _placement["pin"]:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


# ---------------------------------------------------------------------------------------
# Measuring this process
# ---------------------------------------------------------------------------------------


def cpu_seconds() -> float:
    """User + system CPU seconds of this process, all threads.

    ``getrusage`` rather than ``os.times()``: the latter counts in 10 ms clock ticks.
    """
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MIB


def rotated(items: Sequence[T], number: int) -> list[T]:
    """``items`` rotated by ``number``: in interleaved rounds, none always goes first."""
    shift = number % len(items)
    return [*items[shift:], *items[:shift]]


def standalone(
    doc: str,
    run: Callable[..., Any],
    *,
    table: Callable[[Any], None] | None = None,
    goals: Callable[[Any], list[dict[str, Any]]] | None = None,
    workers: dict[str, Callable[..., Any]] | None = None,
    **defaults: int,
) -> None:
    """A benchmark script's ``main``: in a child, its worker; else ``run(**options)`` (one
    ``--name`` per default), then its table and its goals."""
    if workers is not None and child_main(workers):
        return
    parser = argparse.ArgumentParser(description=doc.partition("\n")[0])
    for name, default in defaults.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=default)
    figures = run(**vars(parser.parse_args()))
    if table is not None:
        table(figures)
    if goals is not None:
        print_goals(goals(figures))


# ---------------------------------------------------------------------------------------
# Child processes and servers
# ---------------------------------------------------------------------------------------


def run_child(
    script: str | Path, worker: str, /, timeout: float = CHILD_TIMEOUT, **kwargs: Any
) -> Any:
    """``worker(**kwargs)`` of ``script``'s workers in a fresh process (on the client core).

    The script's ``main`` hands ``_worker`` to :func:`child_main`, which prints the result
    as its last line of JSON.
    """
    done = subprocess.run(
        [sys.executable, str(script), "_worker", worker, json.dumps(kwargs)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        preexec_fn=_on_core(CLIENT_CPU),
    )
    if done.returncode != 0:
        raise RuntimeError(f"{Path(script).name} {worker} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def child_main(workers: dict[str, Callable[..., Any]]) -> bool:
    """In a child started by :func:`run_child`: run the worker, print its result, True."""
    if sys.argv[1:2] != ["_worker"]:
        return False
    kind, kwargs = sys.argv[2], json.loads(sys.argv[3])
    print(json.dumps(workers[kind](**kwargs)))
    return True


@contextmanager
def serve(*command: str) -> Iterator[str]:
    """A server ``python *command`` in its own process (on the server core); its URL.

    The server prints ``PORT <n>`` once it listens on 127.0.0.1.
    """
    with subprocess.Popen(
        [sys.executable, *command],
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=_on_core(SERVER_CPU),
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            if not line.startswith("PORT "):
                raise RuntimeError(f"the benchmark server did not start: {line!r}")
            yield f"http://127.0.0.1:{int(line.split()[1])}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def canned_server(*options: str) -> AbstractContextManager[str]:
    """``_server.py`` (the canned FactPulse answers) with ``options``."""
    return serve(str(HERE / "_server.py"), *options)


# ---------------------------------------------------------------------------------------
# Goals: a median over rounds, its spread, a verdict
# ---------------------------------------------------------------------------------------


def spread(values: Sequence[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def goal(
    number: str,
    text: str,
    values: Sequence[float],
    limit: float,
    *,
    at_least: bool = False,
    unit: str = "x",
    also: bool = True,
    detail: str = "",
) -> dict[str, Any]:
    """One goal: the median of ``values`` (one per round) against ``limit``.

    ``number`` as issue 14 numbers its goals ("13a": a goal in two parts); ``at_least``:
    the median must reach ``limit`` (else stay at or under it); ``also``: a further
    condition of the goal, worded in ``detail``.
    """
    figures = spread(values)
    median = figures["median"]
    ok = (median >= limit if at_least else median <= limit) and also
    return {
        "goal": number,
        "text": text,
        **figures,
        "rounds": len(values),
        "limit": limit,
        "at_least": at_least,
        "unit": unit,
        "detail": detail,
        "verdict": "PASS" if ok else "MISS",
    }


def goal_line(row: dict[str, Any]) -> str:
    unit, sign = row["unit"], "≥" if row["at_least"] else "≤"
    figure = f"{row['median']:.2f}{unit}"
    if row["rounds"] > 1:
        figure += f" (spread {row['min']:.2f}–{row['max']:.2f}, {row['rounds']} rounds)"
    detail = f"; {row['detail']}" if row["detail"] else ""
    return (
        f"{row['goal']:>3}. {row['verdict']}  {row['text']} {sign} {row['limit']:g}{unit}: "
        f"{figure}{detail}"
    )


def goal_order(row: dict[str, Any]) -> tuple[int, str]:
    number: str = row["goal"]
    digits = number.rstrip("abcdefghijklmnopqrstuvwxyz")
    return int(digits), number


def print_goals(rows: Sequence[dict[str, Any]], title: str = "Goals") -> None:
    print(f"\n{title}")
    for row in sorted(rows, key=goal_order):
        print(goal_line(row))


class TaskSampler:
    """Counts the live asyncio tasks every 5 ms while in ``async with``: the most seen, and
    the most running ``factpulse_chorus`` code (the SDK's workers; the rest are aiohttp's
    and the benchmark's)."""

    def __init__(self) -> None:
        self.idle = self.most = self.most_sdk = 0

    @staticmethod
    def _ours(task: asyncio.Task[Any]) -> bool:
        code = getattr(task.get_coro(), "cr_code", None)
        return code is not None and "factpulse_chorus" in code.co_filename

    async def _sample(self) -> None:
        while True:
            tasks = asyncio.all_tasks()
            self.most = max(self.most, len(tasks))
            self.most_sdk = max(self.most_sdk, sum(map(self._ours, tasks)))
            await asyncio.sleep(0.005)

    async def __aenter__(self) -> TaskSampler:
        self._task = asyncio.create_task(self._sample())
        await asyncio.sleep(0)
        self.idle = len(asyncio.all_tasks())  # the caller's task and the sampler
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
