"""Throughput and client CPU per ``factures.consulter`` call (issue 14, goals 1-4, 11-13a).

    python benchmarks/bench_calls.py [--calls 3000] [--rounds 7]

The canned server (``_server.py``) runs in its own process; each client in a fresh one, so
that its CPU (``getrusage`` user + system over the timed loop, all its threads) is its
alone; the server's CPU over the loop is read too (``/_stats``), to show when it set the
pace. Every client runs once per round, in an order rotated each round; each goal is a
ratio between two clients *of the same round*, and the median over the rounds is judged,
the spread (lowest-highest) shown.

Clients: raw aiohttp (the floor) and ``AsyncChorusClient`` at concurrency 1 and 64;
``consulter_many`` at concurrency 64 and 256 on a client whose ``connection_limit`` is 64
(at 256 it must run no more than 64 workers: no more CPU per call than at 64); ``ChorusClient``
sequential and from 16 threads sharing it; the official ``factpulse`` 4.4.0 SDK's
generated ``ChorusProApi``, sequential (a blocking urllib3 client).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    TaskSampler,
    canned_server,
    cpu_seconds,
    goal,
    rotated,
    run_child,
    standalone,
)

INVOICE = 7412589
MANY_LIMIT, MANY_CONCURRENCY = 64, 256
MANY = f"consulter_many c={MANY_CONCURRENCY}, limit {MANY_LIMIT}"

# (label, worker, concurrency, reference for the "x raw" columns)
CLIENTS: list[tuple[str, str, int, str | None]] = [
    ("raw aiohttp c=1", "raw", 1, "raw aiohttp c=1"),
    ("raw aiohttp c=64", "raw", 64, "raw aiohttp c=64"),
    ("AsyncChorusClient c=1", "async", 1, "raw aiohttp c=1"),
    ("AsyncChorusClient c=64", "async", 64, "raw aiohttp c=64"),
    (f"consulter_many c={MANY_LIMIT}, limit {MANY_LIMIT}", "many", MANY_LIMIT, "raw aiohttp c=64"),
    (MANY, "many", MANY_CONCURRENCY, "raw aiohttp c=64"),
    ("ChorusClient sequential", "sync", 1, "raw aiohttp c=1"),
    ("ChorusClient 16 threads", "sync", 16, None),
    ("factpulse 4.4.0 sequential", "official", 1, "raw aiohttp c=1"),
]


def fetch_token(url: str) -> str:
    request = urllib.request.Request(
        f"{url}/api/token/",
        data=b'{"username":"bench","password":"bench"}',
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.loads(response.read())["access"])


def warm_up_calls(concurrency: int) -> int:
    return max(100, 2 * concurrency)


class Stamp:
    """The client's CPU, the wall clock and the server's CPU at creation; :meth:`done`
    gives what each spent since."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.server = self.server_cpu()  # blocking, but before the timed loop
        self.cpu, self.started = cpu_seconds(), time.perf_counter()

    def server_cpu(self) -> float:
        with urllib.request.urlopen(f"{self.url}/_stats", timeout=10) as response:
            return float(json.loads(response.read())["cpu"])

    def done(self, calls: int) -> dict[str, float]:
        wall, cpu = time.perf_counter() - self.started, cpu_seconds() - self.cpu
        return {
            "calls": calls,
            "wall": wall,
            "cpu": cpu,
            "server_cpu": self.server_cpu() - self.server,
        }


async def drive(call: Callable[[], Awaitable[Any]], calls: int, concurrency: int) -> None:
    """``calls`` awaits of ``call()``, ``concurrency`` at a time (workers share one iterator)."""
    todo = iter(range(calls))

    async def worker() -> None:
        for _ in todo:
            await call()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def drive_measured(
    url: str, call: Callable[[], Awaitable[Any]], calls: int, concurrency: int
) -> dict[str, float]:
    await drive(call, warm_up_calls(concurrency), concurrency)
    stamp = Stamp(url)
    await drive(call, calls, concurrency)
    return stamp.done(calls)


def work_raw(url: str, calls: int, concurrency: int) -> dict[str, float]:
    import aiohttp

    endpoint = f"{url}/api/v1/chorus-pro/factures/consulter"
    headers = {"Authorization": f"Bearer {fetch_token(url)}"}
    payload = {"chorusInvoiceId": INVOICE}

    async def run() -> dict[str, float]:
        async with aiohttp.ClientSession() as session:

            async def call() -> Any:
                async with session.post(endpoint, json=payload, headers=headers) as response:
                    response.raise_for_status()
                    return await response.json()

            return await drive_measured(url, call, calls, concurrency)

    return asyncio.run(run())


def work_async(url: str, calls: int, concurrency: int) -> dict[str, float]:
    from factpulse_chorus import AsyncChorusClient

    async def run() -> dict[str, float]:
        async with AsyncChorusClient(base_url=url, email="bench", password="bench") as client:
            return await drive_measured(
                url, lambda: client.factures.consulter(INVOICE), calls, concurrency
            )

    return asyncio.run(run())


def work_many(url: str, calls: int, concurrency: int) -> dict[str, float]:
    """``consulter_many`` above the connection limit; then, untimed, its most SDK tasks."""
    from factpulse_chorus import AsyncChorusClient

    async def run() -> dict[str, float]:
        async with AsyncChorusClient(
            base_url=url, email="bench", password="bench", connection_limit=MANY_LIMIT
        ) as client:
            many = client.factures.consulter_many
            # The same warm-up at every concurrency: as many workers run (the limit).
            await many([INVOICE] * warm_up_calls(MANY_LIMIT), concurrency=concurrency)
            stamp = Stamp(url)
            await many([INVOICE] * calls, concurrency=concurrency)
            figures = stamp.done(calls)
            async with TaskSampler() as sampler:
                await many([INVOICE] * 2000, concurrency=concurrency)
        return {**figures, "sdk_tasks": sampler.most_sdk}

    return asyncio.run(run())


def work_sync(url: str, calls: int, concurrency: int) -> dict[str, float]:
    from factpulse_chorus import ChorusClient

    with ChorusClient(base_url=url, email="bench", password="bench") as client:

        def loop(todo: Iterator[int]) -> None:
            for _ in todo:  # a shared range iterator: next() is atomic under the GIL
                client.factures.consulter(INVOICE)

        def run(count: int) -> None:
            todo = iter(range(count))
            if concurrency == 1:
                loop(todo)
                return
            with ThreadPoolExecutor(concurrency) as pool:
                for future in [pool.submit(loop, todo) for _ in range(concurrency)]:
                    future.result()

        run(warm_up_calls(concurrency))
        stamp = Stamp(url)
        run(calls)
        return stamp.done(calls)


def work_official(url: str, calls: int, concurrency: int) -> dict[str, float]:
    import factpulse
    from factpulse.models.get_invoice_request import GetInvoiceRequest

    assert concurrency == 1
    config = factpulse.Configuration(host=url, access_token=fetch_token(url))
    with factpulse.ApiClient(config) as api_client:
        api = factpulse.ChorusProApi(api_client)

        def run(count: int) -> None:
            for _ in range(count):
                api.consulter_facture_api_v1_chorus_pro_factures_consulter_post(
                    GetInvoiceRequest(chorus_invoice_id=INVOICE)
                )

        run(warm_up_calls(1))
        stamp = Stamp(url)
        run(calls)
        return stamp.done(calls)


WORKERS: dict[str, Callable[..., dict[str, float]]] = {
    "raw": work_raw,
    "async": work_async,
    "many": work_many,
    "sync": work_sync,
    "official": work_official,
}


def run(calls: int, rounds: int) -> dict[str, Any]:
    """Every client once per round, interleaved; the figures of each round."""
    per_round: list[dict[str, dict[str, float]]] = []
    with canned_server() as url:
        for number in range(rounds):
            figures: dict[str, dict[str, float]] = {}
            for label, kind, concurrency, _ in rotated(CLIENTS, number):
                raw = run_child(__file__, kind, url=url, calls=calls, concurrency=concurrency)
                figures[label] = {
                    "calls_per_s": raw["calls"] / raw["wall"],
                    "cpu_us": raw["cpu"] / raw["calls"] * 1e6,
                    "server_cpu_us": raw["server_cpu"] / raw["calls"] * 1e6,
                    "server_share": raw["server_cpu"] / raw["wall"],
                    **({"sdk_tasks": raw["sdk_tasks"]} if "sdk_tasks" in raw else {}),
                }
            per_round.append(figures)
            print(f"  calls: round {number + 1}/{rounds} done", file=sys.stderr, flush=True)
    medians = {
        label: {
            key: statistics.median(r[label][key] for r in per_round) for key in per_round[0][label]
        }
        for label, *_ in CLIENTS
    }
    return {"calls": calls, "rounds": rounds, "medians": medians, "per_round": per_round}


def goals(figures: dict[str, Any]) -> list[dict[str, Any]]:
    rounds = figures["per_round"]

    def ratios(key: str, label: str, reference: str, reference_key: str = "") -> list[float]:
        return [r[label][key] / r[reference][reference_key or key] for r in rounds]

    seq, threads = "ChorusClient sequential", "ChorusClient 16 threads"
    official = "factpulse 4.4.0 sequential"
    sdk_tasks = max(r[MANY]["sdk_tasks"] for r in rounds)
    return [
        goal(
            "1",
            "ChorusClient sequential CPU/call vs factpulse's",
            ratios("cpu_us", seq, official),
            0.9,
        ),
        goal(
            "2",
            "ChorusClient sequential calls/s vs factpulse's",
            ratios("calls_per_s", seq, official),
            1.2,
            at_least=True,
        ),
        goal(
            "3",
            "ChorusClient vs AsyncChorusClient sequential CPU/call",
            ratios("cpu_us", seq, "AsyncChorusClient c=1"),
            1.3,
        ),
        goal(
            "4",
            "ChorusClient 16 threads calls/s vs factpulse's sequential",
            ratios("calls_per_s", threads, official),
            3.0,
            at_least=True,
        ),
        goal(
            "11",
            "AsyncChorusClient c=1 CPU/call vs raw aiohttp c=1",
            ratios("cpu_us", "AsyncChorusClient c=1", "raw aiohttp c=1"),
            1.15,
        ),
        goal(
            "12",
            "AsyncChorusClient c=64 CPU/call vs raw aiohttp c=64",
            ratios("cpu_us", "AsyncChorusClient c=64", "raw aiohttp c=64"),
            1.15,
        ),
        goal(
            "13a",
            f"consulter_many c={MANY_CONCURRENCY} on connection_limit={MANY_LIMIT}: CPU/call vs "
            f"c={MANY_LIMIT} (noise allowance 10%)",
            ratios("cpu_us", MANY, f"consulter_many c={MANY_LIMIT}, limit {MANY_LIMIT}"),
            1.1,
            also=sdk_tasks <= MANY_LIMIT,
            detail=f"at most {sdk_tasks} SDK worker tasks (must be <= {MANY_LIMIT})",
        ),
    ]


def print_table(figures: dict[str, Any]) -> None:
    print(
        f"\nfactures.consulter, {figures['calls']} calls per client per round, medians of "
        f"{figures['rounds']} rounds; x raw: to raw aiohttp at the same concurrency"
    )
    print(
        f"{'client':<34}{'calls/s':>9}{'x raw':>7}{'CPU µs/call':>13}{'x raw':>7}"
        f"{'server µs/call':>16}{'server CPU':>12}"
    )
    medians = figures["medians"]
    for label, _, _, reference in CLIENTS:
        row = medians[label]
        ref = medians[reference] if reference else None
        rate_x = f"{row['calls_per_s'] / ref['calls_per_s']:>7.2f}" if ref else f"{'-':>7}"
        cpu_x = f"{row['cpu_us'] / ref['cpu_us']:>7.2f}" if ref else f"{'-':>7}"
        print(
            f"{label:<34}{row['calls_per_s']:>9.0f}{rate_x}{row['cpu_us']:>13.0f}{cpu_x}"
            f"{row['server_cpu_us']:>16.0f}{row['server_share']:>11.0%}"
        )


if __name__ == "__main__":
    standalone(__doc__, run, table=print_table, goals=goals, workers=WORKERS, calls=3000, rounds=7)
