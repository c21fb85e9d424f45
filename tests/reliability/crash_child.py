"""The processes the crash tests kill: ``python crash_child.py CONFIG_JSON`` is a fork server.

It imports everything once, prints ``ready``, then forks one job per line on stdin (a JSON
object added to the configuration), each a fresh process that opens its own client and
store, and reports each one's end (:func:`serve`): a restart after a kill costs a fork, not
an interpreter start-up. By ``CONFIG["mode"]``:

* ``watch``: ``factures.watch(store)`` on the sandbox's frozen simulated clock (``now``: its
  time as the process starts), which the watcher's sleeps move on, so the invoices' life
  goes at the pace of the reads whatever the machine's load (or with ``running``, on its
  running clock: see :class:`RunningTime`); ``track(ids)`` (new ids only),
  then ``run()`` until nothing is watched. With ``reads_log``, each read appends
  ``start``/``end`` lines (``pid id monotonic``) to it, so a test can see two processes
  reading one invoice at once.
* ``submit``: ``factures.reconcile(store)``, then each number not created yet: a PDF uploaded
  (``transverses.ajouter_fichier``), ``soumettre(store=store)``; a number in flight
  elsewhere or of unknown outcome is tried again after a reconcile, until every one is
  created in the ledger. ``lease`` replaces the ledger's ``LEASE`` so a killed process's
  rows are taken over within the test.

Exit status 0 once the job is done; a traceback and 1 on anything else.
"""

from __future__ import annotations

import asyncio
import json
import os
import select
import signal
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: payloads

import aiohttp
from payloads import invoice

from factpulse_chorus import (
    AsyncChorusClient,
    AsyncInvoiceWatcher,
    DuplicateSubmissionError,
    OutcomeUnknownError,
    SafeRetry,
    SQLiteStore,
    SubmissionState,
    WatchPolicy,
)
from factpulse_chorus._config import RetryPolicy
from factpulse_chorus.resources import _ledger

PDF = b"%PDF-1.4\n% crash test\n%%EOF\n"


def client(config: dict[str, Any], **options: Any) -> AsyncChorusClient:
    return AsyncChorusClient(
        base_url=config["url"],
        email="demo",
        password="demo",
        retry_policy=RetryPolicy(base_delay=0.0, max_delay=0.0, jitter=0.0),
        trust_env=False,
        **options,
    )


class SimTime:
    """The sandbox's frozen clock seen from this process: :meth:`sleep` moves it on (its
    control route) instead of waiting, and :meth:`clock` is where it was left (another
    process moving it too only makes this one late, never early)."""

    def __init__(self, url: str, now: float) -> None:
        self.url = url
        self.now = now
        self.session: aiohttp.ClientSession | None = None

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        if self.session is None:
            self.session = aiohttp.ClientSession(trust_env=False)
        async with self.session.post(
            self.url + "/_sandbox/clock/advance", json={"seconds": max(0.0, seconds)}
        ) as response:
            response.raise_for_status()
            moved = await response.json()
        self.now = max(self.now, datetime.fromisoformat(moved["now"]).timestamp())

    async def aclose(self) -> None:
        if self.session is not None:
            await self.session.close()


def logged_reads(fetch: Callable[..., Awaitable[Any]], path: str) -> Callable[..., Awaitable[Any]]:
    """``fetch`` writing when each read starts and ends (one O_APPEND write a line: atomic)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    pid = os.getpid()

    async def read(invoice_id: int, **options: Any) -> Any:
        os.write(fd, f"start {pid} {invoice_id} {time.monotonic():.6f}\n".encode())
        try:
            return await fetch(invoice_id, **options)
        finally:
            os.write(fd, f"end {pid} {invoice_id} {time.monotonic():.6f}\n".encode())

    return read


class RunningTime:
    """The sandbox's running clock (``[speed, timestamp, monotonic]`` read together as the
    process started: ``CLOCK_MONOTONIC`` is the same in every process), and real sleeps."""

    def __init__(self, speed: float, timestamp: float, monotonic: float) -> None:
        self.speed, self.timestamp, self.monotonic = speed, timestamp, monotonic

    def clock(self) -> float:
        return self.timestamp + (time.monotonic() - self.monotonic) * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speed)

    async def aclose(self) -> None:
        return None


async def watch(config: dict[str, Any]) -> None:
    time_: SimTime | RunningTime
    if "running" in config:
        time_ = RunningTime(*config["running"])
    else:
        time_ = SimTime(config["url"], config["now"])
    base, most = config["interval"]
    policy = WatchPolicy(intervals={}, default_interval=(base, most), error_interval=base)
    settings: dict[str, Any] = {
        "policy": policy,
        "concurrency": config["concurrency"],
        "lease": config["lease"],
        "clock": time_.clock,
        "sleep": time_.sleep,
    }
    async with client(config, max_retries=0) as api, SQLiteStore(config["db"]) as store:
        if config.get("reads_log"):
            # The same watcher as factures.watch builds, its reads logged as they go out.
            fetch = logged_reads(api.factures.consulter, config["reads_log"])
            watcher = AsyncInvoiceWatcher(fetch, store, **settings)
        else:
            watcher = api.factures.watch(store, **settings)
        try:
            await watcher.track(config["ids"])
            async with watcher.run() as run:
                async for _event in run:
                    pass
        finally:
            await time_.aclose()


async def submit(config: dict[str, Any]) -> None:
    # The ledger holds a number LEASE s (+ its settle periods) before another process may
    # take it over: seconds here, so the next process does within the test.
    _ledger.LEASE = config["lease"]  # type: ignore[misc]  # no parameter for it
    settle = config["settle"]
    policy = SafeRetry(settle=settle, lookups=2, resends=1)
    gate = asyncio.Semaphore(config["concurrency"])
    async with client(config) as api, SQLiteStore(config["db"]) as store:

        async def one(number: str) -> bool:
            """Whether ``number`` is created (here or by an earlier process)."""
            async with gate:
                row = await store.submission("", number)
                if row is not None and row.state is SubmissionState.CREATED:
                    return True
                upload = await api.transverses.ajouter_fichier(PDF, name=f"{number}.pdf")
                try:
                    await api.factures.soumettre(
                        **invoice(number),
                        attachment_id=upload.attachment_id,
                        store=store,
                        safe_retry=policy,
                    )
                except DuplicateSubmissionError as error:
                    return error.state is SubmissionState.CREATED
                except OutcomeUnknownError:
                    return False
                return True

        pending = list(config["numbers"])
        while True:
            await api.factures.reconcile(store, settle=settle)
            done = await asyncio.gather(*(one(number) for number in pending))
            pending = [number for number, ok in zip(pending, done, strict=True) if not ok]
            if not pending:
                return
            # In flight in another process, or not settled yet: its lease has to run out.
            await asyncio.sleep(config["lease"] / 4)


def job(config: dict[str, Any]) -> int:
    """One job in a forked process: its exit status."""
    try:
        asyncio.run(watch(config) if config["mode"] == "watch" else submit(config))
    except BaseException:
        traceback.print_exc()
        return 1
    return 0


def serve(config: dict[str, Any]) -> None:
    """The fork server: each line on stdin (a JSON object) starts a job in a child forked
    from this process, with its settings added (``started PID`` on stdout); each child gone
    is reported as ``exited PID STATUS`` (``-9``: killed). An empty stdin ends it."""
    stdin = sys.stdin.fileno()
    # SIGCHLD wakes the select below through this pipe: no polling.
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    print("ready", flush=True)
    lines = b""
    while True:
        readable, _, _ = select.select([stdin, wake_read], [], [])
        if wake_read in readable:
            os.read(wake_read, 4096)
        if stdin in readable:
            chunk = os.read(stdin, 65536)
            if not chunk:
                return
            lines += chunk
            while b"\n" in lines:
                line, lines = lines.split(b"\n", 1)
                pid = os.fork()
                if pid == 0:  # the job: nothing of the server's, but what it imported
                    signal.set_wakeup_fd(-1)
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    for fd in (stdin, wake_read, wake_write):
                        os.close(fd)
                    status = job({**config, **json.loads(line)})
                    sys.stderr.flush()
                    os._exit(status)
                print(f"started {pid}", flush=True)
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            print(f"exited {pid} {os.waitstatus_to_exitcode(status)}", flush=True)


if __name__ == "__main__":
    serve(json.loads(sys.argv[1]))
