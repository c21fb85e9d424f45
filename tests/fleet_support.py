"""Helpers of the fleet tests (tests/reliability/test_fleet.py) and benchmark
(benchmarks/bench_fleet.py): worker processes (``reliability/fleet_child.py``) started
together on one PostgreSQL store, waited for with a deadline, one of them killed with
SIGKILL once a condition is met (a descriptor becoming readable: ``RequestWatch.after``),
on the sandboxes' running clocks or in lockstep (:class:`Lockstep`: simulated time moved
by the parent once every live worker is idle).

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


class Lockstep:
    """Simulated time moved by the test alone, for the sandboxes (frozen clocks, set to one
    time here) and the workers (``fleet_child.Lockstep``, told each new time on stdin).

    :func:`run_fleet` calls :meth:`advance` once every live worker has said it is idle (all
    it claimed recorded, nothing due left unclaimed at :attr:`now`): each read then happens
    at a tick's time, whatever the machine's speed. A tick moves at least ``quantum``
    simulated seconds (fewer ticks; reads up to a quantum late, the same for every job),
    further when the earliest time a worker waits for is later."""

    def __init__(self, sandboxes: Sequence[ThreadedSandbox], *, quantum: float) -> None:
        for sandbox in sandboxes:
            if sandbox.clock.speed != 0:
                raise ValueError("lockstep needs frozen sandbox clocks (clock_speed=0)")
        self.sandboxes = list(sandboxes)
        self.quantum = quantum
        self.ticks = 0
        self.now = max(sandbox.clock.timestamp() for sandbox in self.sandboxes)
        self._move_to(self.now)

    def _move_to(self, when: float) -> None:
        for sandbox in self.sandboxes:
            sandbox.clock.advance(max(0.0, when - sandbox.clock.timestamp()))

    def advance(self, wake: float) -> float:
        """The next tick (at least a quantum on, ``wake`` if later): the sandboxes moved to
        it first (a worker told of it never reads before its sandbox is there); its time."""
        self.now = max(self.now + self.quantum, wake)
        self._move_to(self.now)
        self.ticks += 1
        return self.now


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
        self.wake: float | None = None  # in lockstep: idle this tick, till this time


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:] if path.exists() else ""


def run_fleet(
    configs: Sequence[dict[str, Any]],
    log_dir: Path,
    *,
    deadline: float,
    go: Callable[[], list[dict[str, Any]]] = list,
    kill: tuple[int, int] | None = None,
    lockstep: Lockstep | None = None,
) -> list[dict[str, Any] | None]:
    """Run one worker per configuration, started together, until each has exited; each
    one's figures (``None``: the worker killed). ``go()`` is called once every worker is
    ready: settings known only then, one dict a worker (or none). ``kill``: ``(descriptor,
    index)``, the worker ``index`` is killed with SIGKILL once the descriptor is readable
    (if it has not finished by then). With ``lockstep`` (the workers started with its
    ``now`` as their ``lockstep``), its next tick once every live worker is idle at this
    one. Raises :class:`FleetError` when a worker fails or past ``deadline`` wall seconds
    (every worker killed then)."""
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
                if line.startswith(b"idle "):  # idle at tick TICK, till WAKE
                    _, tick, wake = line.split()
                    if lockstep is not None and int(tick) == lockstep.ticks:
                        worker.wake = float(wake)
                    continue
                if line.strip():
                    worker.figures = json.loads(line)
                    continue
                del running_[fd]  # end of its output: it has exited
                status = worker.process.wait(timeout=30)
                n = workers.index(worker)
                if status != 0 and not (worker.killed and status == -signal.SIGKILL):
                    raise FleetError(f"worker {n} exited {status}:\n{_tail(logs[n])}")
            if lockstep is not None:
                _tick(lockstep, [w for w in running_.values() if not w.killed])
        return [None if w.killed else w.figures for w in workers]
    finally:
        for worker in workers:
            if worker.process.poll() is None:
                worker.process.kill()
            worker.process.wait(timeout=30)
            worker.stdin.close()
            worker.stdout.close()


def _tick(lockstep: Lockstep, live: list[_Worker]) -> None:
    """The next tick, sent to every live worker, if each one is idle at this one (a killed
    worker is not waited for: its claims come back to the others as their leases run out
    with the ticks)."""
    wakes = [worker.wake for worker in live]
    if not live or None in wakes:
        return
    now = lockstep.advance(min(wake for wake in wakes if wake is not None))
    for worker in live:
        worker.wake = None
        try:
            worker.stdin.write(f"{lockstep.ticks} {now!r}\n".encode())
            worker.stdin.flush()
        except BrokenPipeError:  # exiting by itself: its end of output comes next
            pass


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
