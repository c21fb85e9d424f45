"""Helpers of the fleet tests (tests/reliability/test_fleet.py) and benchmark
(benchmarks/bench_fleet.py): worker processes (``reliability/fleet_child.py``) started
together on one PostgreSQL store, waited for with a deadline, one of them killed with
SIGKILL once a condition is met (a descriptor becoming readable: ``RequestWatch.after``).

Nothing here waits by sleeping: the parent selects on the workers' pipes and the kill
condition's descriptor.
"""

from __future__ import annotations

import asyncio
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from factpulse_chorus import PostgresStore
from factpulse_chorus.sandbox import ThreadedSandbox

CHILD = Path(__file__).resolve().parent / "reliability" / "fleet_child.py"


class FleetError(AssertionError):
    """A worker failed, or the fleet did not finish in time (the message says where)."""


def running(sandbox: ThreadedSandbox) -> list[float]:
    """The sandbox's running clock as a worker recomputes it: ``[speed, timestamp,
    monotonic]`` (``CLOCK_MONOTONIC`` is the same in every process)."""
    before = time.monotonic()
    timestamp = sandbox.clock.timestamp()
    return [sandbox.clock.speed, timestamp, (before + time.monotonic()) / 2]


def seed(sandbox: ThreadedSandbox, count: int, prefix: str = "FL") -> list[int]:
    """``count`` invoices in DEPOSEE (the same ids for the same sandbox seed)."""
    return [
        sandbox.domain.seed_invoice(status="DEPOSEE", invoice_number=f"{prefix}-{n:05d}")
        for n in range(count)
    ]


def track(url: str, ids: list[int], now: float, *, spread: float = 0.0) -> None:
    """Track ``ids`` in the store at ``url``, as a deployment does once: the first due at
    ``now``, the others evenly over the next ``spread`` seconds (in 100 steps), so that
    the first reads do not all come at once."""
    steps = 100 if spread > 0 and len(ids) > 100 else 1

    async def main() -> None:
        async with PostgresStore(url) as store:
            for step in range(steps):
                await store.track(ids[step::steps], now=now + spread * step / steps)

    asyncio.run(main())


def stored(url: str) -> tuple[dict[str | None, int], int]:
    """The store's counts by last status, and how many invoices are still watched."""

    async def main() -> tuple[dict[str | None, int], int]:
        async with PostgresStore(url) as store:
            return await store.status_counts(), await store.watched_count()

    return asyncio.run(main())


class _Worker:
    def __init__(self, config: dict[str, Any], log: IO[str]) -> None:
        command, pipe = [sys.executable, str(CHILD), json.dumps(config)], subprocess.PIPE
        # Unbuffered: a select on the pipe tells the truth about what is left to read.
        self.process = subprocess.Popen(command, stdin=pipe, stdout=pipe, stderr=log, bufsize=0)
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.stdin, self.stdout = self.process.stdin, self.process.stdout
        self.killed = False
        self.figures: dict[str, Any] | None = None


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:] if path.exists() else ""


def run_fleet(
    configs: Sequence[dict[str, Any]],
    log_dir: Path,
    *,
    deadline: float,
    go: Callable[[], list[dict[str, Any]]] = list,
    kill: tuple[int, int] | None = None,
) -> list[dict[str, Any] | None]:
    """Run one worker per configuration, started together, until each has exited; each
    one's figures (``None``: the worker killed). ``go()`` is called once every worker is
    ready: settings known only then, one dict a worker (or none). ``kill``: ``(descriptor,
    index)``, the worker ``index`` is killed with SIGKILL once the descriptor is readable
    (if it has not finished by then). Raises :class:`FleetError` when a worker fails or
    past ``deadline`` wall seconds (every worker killed then)."""
    end = time.monotonic() + deadline
    logs = [log_dir / f"worker-{n}.log" for n in range(len(configs))]
    workers: list[_Worker] = []
    try:
        for config, path in zip(configs, logs, strict=True):
            with path.open("w") as log:
                workers.append(_Worker(config, log))
        for worker in workers:  # imports done in every one before any starts
            if worker.stdout.readline().strip() != b"ready":
                raise FleetError(f"a worker did not start:\n{_tail(logs[workers.index(worker)])}")
        settings = go() or [{}] * len(workers)
        for worker, extra in zip(workers, settings, strict=True):
            worker.stdin.write(json.dumps(extra).encode() + b"\n")
            worker.stdin.flush()
        running_ = {worker.stdout.fileno(): worker for worker in workers}
        kill_fd = None if kill is None else kill[0]
        while running_:
            waited = [*running_, *([] if kill_fd is None else [kill_fd])]
            readable, _, _ = select.select(waited, [], [], max(0.0, end - time.monotonic()))
            if not readable:
                where = {n: w.process.poll() for n, w in enumerate(workers)}
                raise FleetError(
                    f"the fleet is still running after {deadline:g} s (exit codes {where}); "
                    "worker 0's stderr:\n" + _tail(logs[0])
                )
            if kill is not None and kill_fd in readable:
                kill_fd = None
                victim = workers[kill[1]]
                if victim.process.poll() is None:
                    victim.process.send_signal(signal.SIGKILL)
                    victim.killed = True
            for fd in readable:
                if fd not in running_:  # the kill condition's descriptor
                    continue
                worker = running_[fd]
                line = worker.stdout.readline()
                if line.strip():
                    worker.figures = json.loads(line)
                    continue
                del running_[fd]  # end of its output: it has exited
                status = worker.process.wait(timeout=30)
                n = workers.index(worker)
                if status != 0 and not (worker.killed and status == -signal.SIGKILL):
                    raise FleetError(f"worker {n} exited {status}:\n{_tail(logs[n])}")
        return [None if w.killed else w.figures for w in workers]
    finally:
        for worker in workers:
            if worker.process.poll() is None:
                worker.process.kill()
            worker.process.wait(timeout=30)
            worker.stdin.close()
            worker.stdout.close()


def read_at_once(entries: Sequence[Any]) -> list[str]:
    """The server's timeline of reads, as messages: the reads of one invoice that overlapped."""
    from factpulse_chorus.sandbox._timeline import overlapping

    return [
        f"invoice {a.invoice_id}: read at {a.start:.4f}-{a.end:.4f} and {b.start:.4f}-{b.end:.4f}"
        for a, b in overlapping(entries)
    ]


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """User + system CPU seconds of process ``pid`` so far, all its threads (``/proc/PID/
    stat``: utime, stime); with ``children``, those of its children it waited for too."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    ticks = fields[11:15] if children else fields[11:13]
    return sum(int(value) for value in ticks) / os.sysconf("SC_CLK_TCK")
