"""Per-call overhead of the blocking ``ChorusClient`` over ``AsyncChorusClient``.

Both clients make the same ``factures.consulter`` calls, one after the other, against one
sandbox served from its own thread (``sandbox_in_thread``). Each round times both; the
best round of each is reported, in µs per call, with the difference and the ratio::

    python benchmarks/bench_sync_overhead.py [-n 2000] [--rounds 3]

Not a test: the figures depend on the machine. The sync client's extra cost is the trip
through its blocking portal (the call is handed to the portal's event loop thread and the
caller waits for the result), plus the thread switches that this implies.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from factpulse_chorus import AsyncChorusClient, ChorusClient
from factpulse_chorus.sandbox import ThreadedSandbox, sandbox_in_thread

WARM_UP = 50


def time_sync(sandbox: ThreadedSandbox, invoice: int, calls: int) -> float:
    with ChorusClient(base_url=sandbox.url, email="demo", password="demo") as client:
        for _ in range(WARM_UP):
            client.factures.consulter(invoice)
        started = time.perf_counter()
        for _ in range(calls):
            client.factures.consulter(invoice)
        return time.perf_counter() - started


def time_async(sandbox: ThreadedSandbox, invoice: int, calls: int) -> float:
    async def run() -> float:
        async with AsyncChorusClient(base_url=sandbox.url, email="demo", password="demo") as client:
            for _ in range(WARM_UP):
                await client.factures.consulter(invoice)
            started = time.perf_counter()
            for _ in range(calls):
                await client.factures.consulter(invoice)
            return time.perf_counter() - started

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("-n", "--calls", type=int, default=2000, help="calls per client and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (the best one counts)")
    args = parser.parse_args()

    best_async = best_sync = float("inf")
    with sandbox_in_thread(seed=0) as sandbox:
        invoice = sandbox.domain.seed_invoice(invoice_number="BENCH-1")
        for _ in range(args.rounds):
            best_async = min(best_async, time_async(sandbox, invoice, args.calls))
            best_sync = min(best_sync, time_sync(sandbox, invoice, args.calls))

    per_async = best_async / args.calls * 1e6
    per_sync = best_sync / args.calls * 1e6
    print(f"factures.consulter, {args.calls} sequential calls, best of {args.rounds} rounds")
    print(f"{'client':<22}{'µs/call':>10}")
    print(f"{'AsyncChorusClient':<22}{per_async:>10.1f}")
    print(f"{'ChorusClient (sync)':<22}{per_sync:>10.1f}")
    ratio = per_sync / per_async
    print(f"{'overhead':<22}{per_sync - per_async:>10.1f}   ratio sync/async {ratio:.2f}")


if __name__ == "__main__":
    main()
