"""The poller: memory, live tasks, and no more workers than the connection limit (issue 14).

    python benchmarks/bench_poll.py [--invoices 10000] [--rounds 3]

Each poll runs in a fresh process against ``_server.py --final-after 3`` (an invoice's
status turns final at its third read): ``client.factures.poll(ids, interval=0.05,
max_interval=0.2, concurrency=...)``, a sampler task counting the live tasks every 5 ms
(and those running ``factpulse_chorus`` code: the poller's workers). Per round, two polls,
interleaved:

* concurrency 64 on a default client (connection limit 100): peak RSS growth <= 50 MiB,
  SDK tasks <= 64 (goal 15, kept from the first benchmarks);
* concurrency 256 on a client with ``connection_limit=16``: SDK worker tasks <= 16, and
  CPU per request not above the first poll's by more than noise (goal 13b).
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    TaskSampler,
    canned_server,
    cpu_seconds,
    current_rss_mib,
    goal,
    peak_rss_mib,
    rotated,
    run_child,
    standalone,
)

# (label, concurrency, the client's connection_limit: 100 is the default)
POLLS: list[tuple[str, int, int]] = [("c=64", 64, 100), ("c=256, limit 16", 256, 16)]


def work_poll(url: str, first: int, invoices: int, concurrency: int, limit: int) -> dict[str, Any]:
    """Poll ``invoices`` ids from ``first`` (never polled before: the server counts reads)."""
    from factpulse_chorus import AsyncChorusClient

    async def run() -> dict[str, Any]:
        async with AsyncChorusClient(
            base_url=url, email="bench", password="bench", connection_limit=limit
        ) as client:
            await client.factures.consulter(1)  # login, open a connection
            ids = list(range(first, first + invoices))
            gc.collect()
            peak_before, rss_before = peak_rss_mib(), current_rss_mib()
            finals = 0
            cpu_before, started = cpu_seconds(), time.perf_counter()
            async with TaskSampler() as sampler:
                poller: Any = client.factures.poll(
                    ids, interval=0.05, max_interval=0.2, concurrency=concurrency
                )
                async with poller:
                    async for event in poller:
                        finals += type(event).__name__ == "FinalStatus"
            wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu_before
            summary = poller.summary
        return {
            "invoices": invoices,
            "concurrency": concurrency,
            "limit": limit,
            "finals": finals,
            "requests": summary.requests,
            "errors": summary.errors,
            "wall": wall,
            "cpu_us": cpu / max(summary.requests, 1) * 1e6,
            "idle_tasks": sampler.idle,
            "max_tasks": sampler.most,
            "max_sdk_tasks": sampler.most_sdk,
            "rss_before_mb": rss_before,
            "growth_mb": peak_rss_mib() - peak_before,
        }

    return asyncio.run(run())


def run(invoices: int, rounds: int) -> dict[str, Any]:
    per_round: list[dict[str, dict[str, Any]]] = []
    with canned_server("--final-after", "3") as url:
        for number in range(rounds):
            figures: dict[str, dict[str, Any]] = {}
            for label, concurrency, limit in rotated(POLLS, number):
                figures[label] = run_child(
                    __file__,
                    "poll",
                    url=url,
                    first=1_000_001
                    + invoices * len(per_round) * len(POLLS)
                    + invoices * len(figures),
                    invoices=invoices,
                    concurrency=concurrency,
                    limit=limit,
                )
            per_round.append(figures)
            print(f"  poll: round {number + 1}/{rounds} done", file=sys.stderr, flush=True)
    return {"invoices": invoices, "rounds": rounds, "per_round": per_round}


def goals(figures: dict[str, Any]) -> list[dict[str, Any]]:
    rounds = figures["per_round"]
    (wide, c_wide, _), (capped, _, limit) = POLLS
    wide_tasks = max(r[wide]["max_sdk_tasks"] for r in rounds)
    capped_tasks = max(r[capped]["max_sdk_tasks"] for r in rounds)
    complete = all(
        row["finals"] == row["invoices"] and not row["errors"] for r in rounds for row in r.values()
    )
    return [
        goal(
            "13b",
            "poll c=256 on connection_limit=16: CPU/request vs poll c=64 (noise allowance 10%)",
            [r[capped]["cpu_us"] / r[wide]["cpu_us"] for r in rounds],
            1.1,
            also=capped_tasks <= limit and complete,
            detail=f"at most {capped_tasks} SDK worker tasks (must be <= {limit})"
            + ("" if complete else "; NOT every invoice final, or errors"),
        ),
        goal(
            "15",
            f"poll {figures['invoices']:,} invoices at c=64: peak RSS growth (MiB)",
            [r[wide]["growth_mb"] for r in rounds],
            50,
            unit=" MiB",
            also=wide_tasks <= c_wide,
            detail=f"at most {wide_tasks} SDK worker tasks (must be <= {c_wide})",
        ),
    ]


def describe(figures: dict[str, Any]) -> None:
    for label, *_ in POLLS:
        row = figures["per_round"][-1][label]
        print(
            f"\npoll {label}, last round: {row['invoices']} invoices, {row['requests']} "
            f"requests in {row['wall']:.1f} s ({row['finals']} final, {row['errors']} errors), "
            f"{row['cpu_us']:.0f} µs CPU/request; live tasks at most {row['max_tasks']} "
            f"({row['max_tasks'] - row['idle_tasks']} beyond the {row['idle_tasks']} idle ones, "
            f"{row['max_sdk_tasks']} running factpulse_chorus code, the rest aiohttp's); "
            f"peak RSS +{row['growth_mb']:.1f} MiB"
        )


if __name__ == "__main__":
    standalone(
        __doc__,
        run,
        table=describe,
        goals=goals,
        workers={"poll": work_poll},
        invoices=10_000,
        rounds=3,
    )
