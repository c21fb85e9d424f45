"""One worker of the fleet tests and benchmark: ``python fleet_child.py CONFIG_JSON``, a
process of its own with its own client and store (``open_store(CONFIG["db"])``: a
``postgresql://`` URL), as each machine of a fleet runs. By ``CONFIG["mode"]``:

* ``watch``: ``factures.watch(store)`` (its jitter seeded by ``seed``, if given), ``run()``
  until nothing is watched any more (with ``once``: ``run(once=True)``, what is due read
  once); the invoices were tracked by the parent. On the sandbox's running clock
  (``running``: its ``[speed, timestamp, monotonic]`` read together by the parent, see
  ``crash_child.RunningTime``), or in lockstep with the parent (``lockstep``: the
  simulated time to start at, see :class:`Lockstep`). With ``budget`` (keyword arguments
  of ``RateBudget``), the fleet's shared rate budget.
* ``submit``: each number of ``numbers`` through ``soumettre(store=)`` (a PDF uploaded
  first), again after a pause for those in flight in another worker, until the ledger has
  every one created.

Prints ``ready`` once imported, logged in and connected to the store, then waits for a
line on stdin (a JSON object added to the configuration: the workers start together, on a
clock set going only then); prints one JSON line of figures at the end (and, in lockstep,
``idle`` lines before it). Exit status 0 once the job is done, a traceback and 1 on
anything else.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: payloads
sys.path.insert(0, str(Path(__file__).resolve().parent))  # crash_child

from crash_child import PDF, RunningTime, client
from payloads import COMMUNE, invoice

import factpulse_chorus
from factpulse_chorus import (
    AsyncChorusClient,
    DuplicateSubmissionError,
    Store,
    SubmissionState,
    WatchPolicy,
    open_store,
)


def budget(config: dict[str, Any]) -> dict[str, Any]:
    """The ``budget=`` keyword of ``factures.watch``, if the configuration has one."""
    if config.get("budget") is None:
        return {}
    return {"budget": factpulse_chorus.RateBudget(**config["budget"])}


async def ready(config: dict[str, Any], api: AsyncChorusClient, store: Store) -> None:
    """Logged in, a connection to the store open: say so, and take the go line's settings."""
    await api.structures.consulter(COMMUNE)
    await store.watched_count()
    print("ready", flush=True)
    # Blocks (nothing else is running yet). Byte by byte from the descriptor: nothing past
    # the line is read ahead into a buffer, so the lockstep ticks after it reach Lockstep.
    line = b""
    while not line.endswith(b"\n"):
        byte = os.read(sys.stdin.fileno(), 1)
        if not byte:
            raise EOFError("stdin closed before the go line")
        line += byte
    config.update(json.loads(line))


class Lockstep:
    """Simulated time moved by the parent only: frozen between ticks, ``TICK TIME`` lines
    on stdin, which the parent sends once every live worker is idle.

    :meth:`sleep` is called by the watcher once everything it claimed is recorded (or
    released): it prints ``idle TICK WAKE`` (the time it would sleep till) and returns at
    the next tick, WAKE reached or not (the watcher then looks at the store again, so no
    worker oversleeps a tick where something became due). So each read happens at a tick's
    time, whatever the machine's speed."""

    def __init__(self, now: float) -> None:
        self.now = now
        self.tick = 0
        self._loop = asyncio.get_running_loop()
        self._next: asyncio.Future[None] = self._loop.create_future()
        self._buffer = b""
        self._fd = sys.stdin.fileno()
        os.set_blocking(self._fd, False)
        self._loop.add_reader(self._fd, self._read)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        print(f"idle {self.tick} {self.now + max(0.0, seconds)!r}", flush=True)
        await asyncio.shield(self._next)  # a cancelled sleep leaves the tick to the others

    def _read(self) -> None:
        try:
            chunk = os.read(self._fd, 4096)
        except BlockingIOError:
            return
        if not chunk:  # the parent has gone: no time will move any more
            self._loop.remove_reader(self._fd)
            self._next.set_exception(EOFError("stdin closed: no more ticks"))
            return
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            tick, now = line.split()
            self.tick, self.now = int(tick), max(self.now, float(now))
        if lines:
            self._next.set_result(None)
            self._next = self._loop.create_future()


async def watch(config: dict[str, Any]) -> dict[str, Any]:
    base, most = config["interval"]
    policy = WatchPolicy(intervals={}, default_interval=(base, most), error_interval=base)
    async with client(config, max_retries=0) as api, open_store(config["db"]) as store:
        await ready(config, api, store)
        if "lockstep" in config:
            time_: Lockstep | RunningTime = Lockstep(config["lockstep"])
        else:
            time_ = RunningTime(*config["running"])
        watcher = api.factures.watch(
            store,
            policy=policy,
            concurrency=config["concurrency"],
            lease=config["lease"],
            clock=time_.clock,
            sleep=time_.sleep,
            seed=config.get("seed"),
            **budget(config),
        )
        async with watcher.run(once=config.get("once", False)) as run:
            async for _event in run:
                pass
            summary = run.summary
    return {"requests": summary.requests, "errors": summary.errors}


async def submit(config: dict[str, Any]) -> dict[str, Any]:
    gate = asyncio.Semaphore(config["concurrency"])
    sent = 0
    async with client(config) as api, open_store(config["db"]) as store:
        await ready(config, api, store)

        async def created(number: str) -> bool:
            row = await store.submission("", number)
            return row is not None and row.state is SubmissionState.CREATED

        async def one(number: str) -> bool:
            """Whether ``number`` is created (by this worker or another)."""
            nonlocal sent
            async with gate:
                if await created(number):  # no PDF uploaded for nothing
                    return True
                pdf = await api.transverses.ajouter_fichier(PDF, name=f"{number}.pdf")
                fields = invoice(number, attachment_id=pdf.attachment_id)
                try:
                    await api.factures.soumettre(**fields, store=store)
                except DuplicateSubmissionError as error:  # refused with no request sent
                    return error.state is SubmissionState.CREATED
            sent += 1
            return True

        pending = list(config["numbers"])
        while True:
            done = await asyncio.gather(*(one(number) for number in pending))
            pending = [number for number, ok in zip(pending, done, strict=True) if not ok]
            if not pending:
                return {"sent": sent}
            await asyncio.sleep(0.05)  # in flight in another worker: it finishes soon


def main() -> int:
    config = json.loads(sys.argv[1])
    started, cpu = time.monotonic(), resource.getrusage(resource.RUSAGE_SELF)
    try:
        figures = asyncio.run(watch(config) if config["mode"] == "watch" else submit(config))
    except BaseException:
        traceback.print_exc()
        return 1
    used = resource.getrusage(resource.RUSAGE_SELF)
    figures["wall"] = time.monotonic() - started
    figures["cpu"] = used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime
    figures["pid"] = os.getpid()
    print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
