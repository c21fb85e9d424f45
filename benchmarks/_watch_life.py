"""The watcher's efficiency on the sandbox's simulated clock (issue 15), as a discrete-event
run: the sandbox's clock is frozen and only the readers' ``sleep`` moves it, so weeks of
simulated invoice life take seconds and a seed replays the same lives.

* :class:`Life` is one sandbox (``auto_process=True`` with its default delays and rates)
  holding ``invoices`` invoices seeded in DEPOSEE at once. It logs every
  ``factures/consulter`` the API answers (its simulated time, and how far along the
  invoice's history the answer was), and plays the supplier: a suspension is answered
  (``factures/completer``) 1 h to 1 day (seeded) after a read first shows it, as a supplier
  who learns of it from its reader would.
* Two readers over a :class:`Life`: the watcher (``client.factures.watch`` on a
  ``SQLiteStore``, ``run()`` to the end), and a fixed-interval loop (every invoice not yet
  seen final read every ``interval`` simulated seconds), over HTTP, or (``direct``) through
  the domain itself (the same answers, no HTTP: used to choose the interval by bisection).
* :func:`figures`: reads per invoice, and the delay from each status change (the sandbox's
  history, ``domain.invoice_snapshot``) to the first read made after it (the read that
  showed the invoice at or past that change).
* :func:`match`: the fixed loop's interval matching the watcher's reads or median delay;
  :func:`flat_policy`: the default policy without its growth (shown beside it, no goal).
"""

from __future__ import annotations

import asyncio
import heapq
import random
import statistics
import tempfile
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from factpulse_chorus.sandbox import Sandbox

FINAL = frozenset({"REJETEE", "MISE_EN_PAIEMENT", "REFUSEE_1", "REFUSEE_2"})
SUPPLIER_DELAY = (3600.0, 86_400.0)  # the supplier answers a suspension within hours to a day
# The store's file in memory (tmpfs) when there is one: the disk's wall time is none of the
# simulated clock's business, and the figures are the same either way.
_FAST_DISK = "/dev/shm" if Path("/dev/shm").is_dir() else None
LOGIN = "demo"  # the sandbox's demo account, the seeded invoices' supplier
START_OF_DAY = 8 * 3600.0  # 09:00 in the sandbox's zone (+01:00), as seconds of a UTC day


class Life:
    """One sandbox of ``invoices`` invoice lives on a frozen clock, with its read log."""

    def __init__(self, invoices: int, seed: int) -> None:
        self.seed = seed
        self.sandbox = Sandbox(seed=seed, clock_speed=0.0, auto_process=True)
        self.domain = self.sandbox.domain
        self.clock = self.sandbox.clock
        # The clock starts at the real now: move it on to the next 09:00 (+01:00), so that
        # day-only status dates fall the same way in every run (a seed replays exactly).
        self.clock.advance((START_OF_DAY - self.clock.timestamp()) % 86_400.0)
        self.ids = [
            self.domain.seed_invoice(status="DEPOSEE", invoice_number=f"E-{n:05d}")
            for n in range(invoices)
        ]
        self.started = self.clock.timestamp()
        # id -> [(simulated time, history entries the answer reflected, status)]
        self.reads: dict[int, list[tuple[float, int, str]]] = {i: [] for i in self.ids}
        self._answers: list[tuple[float, int]] = []  # (when, invoice id): the supplier's heap
        self._consulter = self.domain.factures_consulter
        # The HTTP layer binds the domain's methods when the app is built: spy before start.
        self.domain.factures_consulter = self.consulter  # type: ignore[method-assign]

    def consulter(self, login: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self._consulter(login, body)
        invoice_id = body.get("chorusInvoiceId")
        log = self.reads.get(invoice_id) if isinstance(invoice_id, int) else None
        if log is not None:
            invoice = self.domain.context.store.invoices[invoice_id]
            status, seen = invoice.status, len(invoice.history)
            if status == "SUSPENDUE" and not any(s == "SUSPENDUE" for *_, s in log):
                rng = random.Random(f"supplier:{self.seed}:{invoice_id}")
                when = self.clock.timestamp() + rng.uniform(*SUPPLIER_DELAY)
                heapq.heappush(self._answers, (when, invoice_id))
            log.append((self.clock.timestamp(), seen, status))
        return answer

    async def sleep(self, seconds: float) -> None:
        """A reader's sleep: the clock jumps on, the supplier answering on the way."""
        target = self.clock.timestamp() + max(0.0, seconds)
        while self._answers and self._answers[0][0] <= target:
            when, invoice_id = heapq.heappop(self._answers)
            self.clock.advance(max(0.0, when - self.clock.timestamp()))
            body = {"identifiantFactureCPP": invoice_id, "commentaire": "Pieces jointes"}
            self.domain.factures_completer(LOGIN, body)
        self.clock.advance(max(0.0, target - self.clock.timestamp()))
        await asyncio.sleep(0)  # let the loop run what the time jump made ready

    def read_direct(self, invoice_id: int) -> str:
        """A read through the domain (no HTTP): the status code."""
        self.consulter(LOGIN, {"chorusInvoiceId": invoice_id})
        return self.domain.context.store.invoices[invoice_id].status


async def fixed_loop(
    ids: list[int],
    read: Callable[[int], Awaitable[str]],
    interval: float,
    sleep: Callable[[float], Awaitable[None]],
    concurrency: int = 8,
) -> None:
    """Every invoice not yet seen final, read every ``interval`` seconds (a failed read:
    read again at the next tick)."""
    gate = asyncio.Semaphore(concurrency)

    async def one(invoice_id: int) -> str | None:
        async with gate:
            try:
                return await read(invoice_id)
            except Exception:  # the tick's other reads go on; this one is retried
                return None

    pending = list(ids)
    while pending:
        statuses = await asyncio.gather(*map(one, pending))
        pending = [i for i, status in zip(pending, statuses, strict=True) if status not in FINAL]
        if pending:
            await sleep(interval)


def run_fixed_direct(invoices: int, seed: int, interval: float) -> dict[str, Any]:
    """The fixed loop through the domain (no HTTP), its figures."""
    life = Life(invoices, seed)

    async def read(invoice_id: int) -> str:
        return life.read_direct(invoice_id)

    asyncio.run(fixed_loop(life.ids, read, interval, life.sleep))
    return figures(life)


async def _with_client(life: Life, work: Callable[[Any], Awaitable[None]]) -> None:
    from factpulse_chorus import AsyncChorusClient

    await life.sandbox.start()
    try:
        # max_retries=0: a read is one request, and the readers retry by themselves.
        async with AsyncChorusClient(
            base_url=life.sandbox.url, email="demo", password="demo", max_retries=0
        ) as client:
            await work(client)
    finally:
        await life.sandbox.aclose()


def run_fixed_http(invoices: int, seed: int, interval: float) -> dict[str, Any]:
    """The fixed loop through ``client.factures.consulter``, its figures."""
    life = Life(invoices, seed)

    async def work(client: Any) -> None:
        async def read(invoice_id: int) -> str:
            return str((await client.factures.consulter(invoice_id)).status.code.value)

        await fixed_loop(life.ids, read, interval, life.sleep)

    asyncio.run(_with_client(life, work))
    return figures(life)


def run_watcher(invoices: int, seed: int, **options: Any) -> dict[str, Any]:
    """``client.factures.watch(store, clock=, sleep=)`` run to the end, its figures."""
    from factpulse_chorus import SQLiteStore

    life = Life(invoices, seed)

    async def work(client: Any) -> None:
        with tempfile.TemporaryDirectory(dir=_FAST_DISK) as folder:
            async with SQLiteStore(Path(folder) / "watch.db") as store:
                # The jitter seeded too: the run replays exactly.
                watcher = client.factures.watch(
                    store, clock=life.clock.timestamp, sleep=life.sleep, seed=seed, **options
                )
                await watcher.track(life.ids)
                async with watcher.run() as run:
                    async for _event in run:
                        pass

    asyncio.run(_with_client(life, work))
    return figures(life)


def flat_policy(hours: float = 4.0) -> Any:
    """The default policy without its growth (``backoff=1``), every status from
    ``MISE_A_DISPOSITION`` on read every ``hours``: the shape the sandbox's recipient steps
    (uniform 1 h to 1 day) call for, as their chance of happening rises with their age."""
    from factpulse_chorus import WatchPolicy
    from factpulse_chorus._watch_policy import DEFAULT_INTERVALS

    flat = 3600.0 * hours
    intervals = {
        code: (base, base) if base < 3600.0 else (flat, flat)
        for code, (base, _most) in DEFAULT_INTERVALS.items()
    }
    return WatchPolicy(intervals=intervals, backoff=1.0)


def _instant(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def figures(life: Life) -> dict[str, Any]:
    """Reads per invoice; delays (s) from each status change to the first read after it."""
    delays: list[float] = []
    unseen = finals = 0
    for invoice_id, log in life.reads.items():
        snapshot = life.domain.invoice_snapshot(invoice_id)
        assert snapshot is not None
        history = snapshot["history"]
        finals += history[-1]["code"] in FINAL
        lengths = {seen for _, seen, _ in log}  # a read with k+1 entries showed step k
        for index, step in enumerate(history[1:], start=1):  # [0]: seeded, not a change
            read_at = next((t for t, seen, _ in log if seen > index), None)
            if read_at is None:
                continue  # not read since (the run ended): counted by ``undetected``
            delays.append(max(0.0, read_at - _instant(step["date_time"])))
            unseen += index + 1 not in lengths
    changes = sum(len(life.domain.invoice_snapshot(i)["history"]) - 1 for i in life.ids)
    reads = sum(len(log) for log in life.reads.values())
    ordered = sorted(delays)
    return {
        "invoices": len(life.ids),
        "reads": reads,
        "reads_per_invoice": reads / len(life.ids),
        "finals": finals,
        "changes": changes,
        "undetected": changes - len(delays),
        "statuses_never_seen": unseen,
        "median_delay": statistics.median(ordered) if ordered else 0.0,
        "mean_delay": statistics.fmean(ordered) if ordered else 0.0,
        "p90_delay": ordered[int(0.9 * (len(ordered) - 1))] if ordered else 0.0,
        "simulated_days": (life.clock.timestamp() - life.started) / 86_400.0,
    }


def match(
    invoices: int, seed: int, key: str, target: float, *, tolerance: float = 0.01, steps: int = 30
) -> tuple[float, dict[str, Any]]:
    """The fixed loop's interval whose figure ``key`` ("reads" falls as the interval grows,
    "median_delay" rises) comes closest to ``target``, and its figures: a bisection on a log
    scale, the loop run through the domain."""
    low, high = 10.0, 7 * 86_400.0
    best: tuple[float, dict[str, Any]] | None = None
    for _ in range(steps):
        interval = (low * high) ** 0.5
        found = run_fixed_direct(invoices, seed, interval)
        miss = abs(found[key] - target)
        if best is None or miss < abs(best[1][key] - target):
            best = (interval, found)
        if miss <= tolerance * target:
            break
        if (found[key] > target) == (key == "reads"):
            low = interval  # too many reads, or too short a delay: a longer interval
        else:
            high = interval
    assert best is not None
    return best


def match_calls(invoices: int, seed: int, target: float) -> tuple[float, dict[str, Any]]:
    """The fixed loop making (within 1%) ``target`` reads: its interval and figures."""
    return match(invoices, seed, "reads", target)
