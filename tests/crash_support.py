"""Helpers of the crash tests (tests/reliability/test_crash_*.py): a child process killed with
SIGKILL at chosen moments and restarted until it finishes its job by itself.

A kill is decided by a condition, never by a sleep nor polling: :meth:`Restarter.run` kills
the child once the sandbox has answered a number of requests (:class:`RequestWatch`) drawn
from the test's seeded RNG since it started. The children are forked by ``crash_child.py``, a fork
server that imported everything once, so a restart costs no interpreter start-up.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

import pytest

from factpulse_chorus import SQLiteStore

# The sandbox's REQUEST_LOGGER (factpulse_chorus.sandbox._runner): one line a request.
REQUEST_LOGGER = logging.getLogger("factpulse_chorus.sandbox.requests")
CHILD = Path(__file__).resolve().parent / "reliability" / "crash_child.py"

# Sandbox options: its simulated platform and recipients walk every invoice to a final status
# (none suspended: a suspended invoice waits for its supplier, never final on its own).
WALK_TO_FINAL: dict[str, Any] = {
    "auto_process": True,
    "auto_suspend_rate": 0.0,
    "auto_reject_rate": 0.1,
    "platform_reject_rate": 0.1,
}


def create_store(db: Path) -> None:
    """Create the store file before two processes open it together (as a first ``track``
    or submission would): two processes opening a NEW file at the same moment may fail
    ("database is locked" from the WAL switch; reported on the store)."""

    async def create() -> None:
        async with SQLiteStore(db) as store:
            await store.watched_count()

    asyncio.run(create())


def job_config(mode: str, url: str, db: Path, **settings: Any) -> dict[str, Any]:
    """The configuration of a ``crash_child.py`` job (see its docstring for ``settings``)."""
    return {"mode": mode, "url": url, "db": str(db), **settings}


class RequestWatch(logging.Handler):
    """Counts the requests a sandbox answers (its :data:`REQUEST_LOGGER` lines: start it with
    ``log_requests=True``), on ``routes`` only if given, and wakes whoever waits for a count.

    Runs on the sandbox's thread: :meth:`after` gives a file descriptor that becomes
    readable once ``step`` more requests have been answered, so a test selects on it and
    on its child's pipe together, without polling. Use it as a context manager (it is
    attached to the logger for the ``with`` block only).
    """

    def __init__(self, *routes: str) -> None:
        super().__init__(logging.INFO)
        self.routes = tuple("/" + route for route in routes)
        self.count = 0
        self._lock = threading.Lock()
        self._waiters: list[tuple[int, int]] = []  # (count to reach, write end of a pipe)
        self._saved = (REQUEST_LOGGER.level, REQUEST_LOGGER.propagate)

    def __enter__(self) -> RequestWatch:
        REQUEST_LOGGER.addHandler(self)
        REQUEST_LOGGER.setLevel(logging.INFO)
        REQUEST_LOGGER.propagate = False  # hundreds of lines a test: counted, not kept
        return self

    def __exit__(self, *exc_info: object) -> None:
        REQUEST_LOGGER.removeHandler(self)
        REQUEST_LOGGER.level, REQUEST_LOGGER.propagate = self._saved

    def emit(self, record: logging.LogRecord) -> None:
        path = str(record.args[2]) if isinstance(record.args, tuple) else ""
        if self.routes and not path.endswith(self.routes):
            return
        with self._lock:
            self.count += 1
            due = [waiter for waiter in self._waiters if waiter[0] <= self.count]
            self._waiters = [waiter for waiter in self._waiters if waiter[0] > self.count]
        for _, write in due:
            os.write(write, b"!")
            os.close(write)

    def after(self, step: int) -> int:
        """A descriptor readable once ``step`` more requests are answered (close it)."""
        read, write = os.pipe()
        with self._lock:
            self._waiters.append((self.count + step, write))
        return read


class _ForkServer:
    """``crash_child.py`` serving ``config``: :meth:`start` forks a job, :meth:`exited` says
    when one ended and how."""

    def __init__(self, config: dict[str, Any], log: IO[str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(CHILD), json.dumps(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            bufsize=0,  # nothing read ahead past a line: select on the pipe tells the truth
        )
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.stdin, self.stdout = self.process.stdin, self.process.stdout
        if self.stdout.readline().strip() != b"ready":
            pytest.fail(f"crash child did not start (exit {self.process.wait(timeout=30)})")

    def start(self, extra: dict[str, Any]) -> int:
        """A new job with ``extra`` settings: its pid."""
        self.stdin.write(json.dumps(extra).encode() + b"\n")
        self.stdin.flush()
        kind, pid = self.stdout.readline().split()
        assert kind == b"started"
        return int(pid)

    def exited(self, pid: int) -> int:
        """``pid``'s exit status, once it has ended (``-9``: killed)."""
        kind, ended, status = self.stdout.readline().split()
        assert kind == b"exited", kind
        assert int(ended) == pid, (ended, pid)
        return int(status)

    def close(self) -> None:
        self.stdin.close()
        self.process.wait(timeout=30)
        self.stdout.close()


class Restarter:
    """Runs ``config``'s job again and again, each time in a new process, until one exits 0
    by itself.

    ``kills`` processes are killed with SIGKILL, each once ``requests`` has counted
    ``rng.randint(min_step, max_step)`` more since it was started; the next one starts at
    once.
    ``deadline``: wall seconds for the whole job, past which the test fails saying where it
    was stuck.
    """

    def __init__(
        self,
        config: dict[str, Any],
        log_path: Path,
        *,
        requests: RequestWatch,
        rng: random.Random,
        deadline: float,
    ) -> None:
        self.config = config
        self.requests = requests
        self.rng = rng
        self.deadline = deadline
        self.log_path = log_path
        self.kills = 0
        self.starts = 0
        self.killed_at: dict[int, float] = {}  # pid -> time.monotonic() once it was gone
        self.lives: list[float] = []  # wall seconds each process ran
        self.pids: list[int] = []

    def _stderr_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def run(
        self,
        *,
        kills: int,
        max_step: int,
        min_step: int = 1,
        starting: Callable[[], dict[str, Any]] = dict,
    ) -> None:
        """The job, to its end. ``starting()`` is called as each process starts: settings
        known only then (merged into its configuration)."""
        end = time.monotonic() + self.deadline
        with self.log_path.open("a") as log:
            server = _ForkServer(self.config, log)
            try:
                while True:
                    step = self.rng.randint(min_step, max_step) if self.kills < kills else None
                    signal_fd = None if step is None else self.requests.after(step)
                    try:
                        pid = server.start(starting())
                        self.pids.append(pid)
                        self.starts += 1
                        began = time.monotonic()
                        finished = self._watch(server, pid, signal_fd, end)
                        self.lives.append(time.monotonic() - began)
                    finally:
                        if signal_fd is not None:
                            os.close(signal_fd)
                    if finished:
                        return
            finally:
                server.close()

    def _watch(self, server: _ForkServer, pid: int, signal_fd: int | None, end: float) -> bool:
        """Wait on ``pid``: True when it exited 0, False once it was killed (``signal_fd``
        readable: its count of requests is reached)."""
        waited: list[Any] = [server.stdout] if signal_fd is None else [server.stdout, signal_fd]
        readable, _, _ = select.select(waited, [], [], max(0.0, end - time.monotonic()))
        if server.stdout in readable:
            status = server.exited(pid)
            if status != 0:
                pytest.fail(
                    f"crash child exited {status} by itself after {self.kills} kills:\n"
                    + self._stderr_tail()
                )
            return True
        if readable:
            os.kill(pid, signal.SIGKILL)
            status = server.exited(pid)
            assert status in (0, -signal.SIGKILL), status  # 0: it ended just before
            self.killed_at[pid] = time.monotonic()
            self.kills += status != 0
            return status == 0
        os.kill(pid, signal.SIGKILL)
        pytest.fail(
            f"crash job still running after {self.deadline:g} s "
            f"({self.kills} kills, {self.starts} starts); child stderr:\n" + self._stderr_tail()
        )


def run_one(
    config: dict[str, Any],
    tmp_path: Path,
    requests: RequestWatch,
    *,
    name: str,
    deadline: float,
    **options: Any,
) -> Restarter:
    """A :class:`Restarter` of ``config`` (its RNG seeded by ``name``) run to its end with
    ``options`` (:meth:`Restarter.run`); returns it."""
    with requests:
        restarter = Restarter(
            config,
            tmp_path / "child.log",
            requests=requests,
            rng=random.Random(name),
            deadline=deadline,
        )
        restarter.run(**options)
    return restarter


def run_pair(
    config: dict[str, Any],
    tmp_path: Path,
    requests: RequestWatch,
    *,
    name: str,
    deadline: float,
    kills: tuple[int, int],
    **options: Any,
) -> list[Restarter]:
    """Two :class:`Restarter` of ``config`` run together on one store (``kills[n]`` for the
    n-th; ``options`` for both :meth:`Restarter.run`), each to its end; returns them."""
    restarters = [
        Restarter(
            config,
            tmp_path / f"child-{n}.log",
            requests=requests,
            rng=random.Random(f"{name}:{n}"),
            deadline=deadline,
        )
        for n in range(2)
    ]
    with requests, ThreadPoolExecutor(2) as pool:
        jobs = [
            pool.submit(r.run, kills=count, **options)
            for r, count in zip(restarters, kills, strict=True)
        ]
        for job in jobs:
            job.result()
    return restarters
