"""One worker of the fleet tests and benchmark: ``python fleet_child.py CONFIG_JSON``, a
process of its own with its own client and store (``open_store(CONFIG["db"])``: a
``postgresql://`` URL), as each machine of a fleet runs. By ``CONFIG["mode"]``:

* ``watch``: ``factures.watch(store)`` on the sandbox's running clock (``running``: its
  ``[speed, timestamp, monotonic]`` read together by the parent, see
  ``crash_child.RunningTime``), ``run()`` until nothing is watched any more (with
  ``once``: ``run(once=True)``, what is due read once); the invoices were tracked by the
  parent. With ``budget`` (keyword arguments of ``RateBudget``), the
  fleet's shared rate budget.
* ``submit``: each number of ``numbers`` through ``soumettre(store=)`` (a PDF uploaded
  first), again after a pause for those in flight in another worker, until the ledger has
  every one created.

Prints ``ready`` once imported, logged in and connected to the store, then waits for a
line on stdin (a JSON object added to the configuration: the workers start together, on a
clock set going only then); prints one JSON line of figures at the end. Exit status 0 once
the job is done, a traceback and 1 on anything else.
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
    config.update(json.loads(sys.stdin.readline()))  # blocks: nothing else is running yet


async def watch(config: dict[str, Any]) -> dict[str, Any]:
    base, most = config["interval"]
    policy = WatchPolicy(intervals={}, default_interval=(base, most), error_interval=base)
    async with client(config, max_retries=0) as api, open_store(config["db"]) as store:
        await ready(config, api, store)
        time_ = RunningTime(*config["running"])
        watcher = api.factures.watch(
            store,
            policy=policy,
            concurrency=config["concurrency"],
            lease=config["lease"],
            clock=time_.clock,
            sleep=time_.sleep,
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
