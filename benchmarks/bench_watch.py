"""The watcher (issue 15): efficiency on the simulated clock, memory and the store's CPU.

    python benchmarks/bench_watch.py [--invoices 1000] [--tracked 100000] [--due 10000]

* Efficiency (``_watch_life.py``: a discrete-event run, the sandbox's clock frozen and moved
  only by the readers' sleep, its default delays and rates, ``--invoices`` seeded at once).
  The watcher (``client.factures.watch(store, clock=, sleep=)``, default policy, run to the
  end) against a fixed-interval loop, its interval chosen by bisection so that its reads
  match the watcher's within 1% (goal 16a: median delay from a status change to its
  detection, fixed ÷ watcher ≥ 2), and a second time so that its median delay matches the
  watcher's (16b: reads, watcher ÷ fixed ≤ 0.5). The bisection runs the fixed loop through
  the domain; the chosen loop is then run again over HTTP (the same figures: checked).
* Memory and time (goals 17a, 17b). A ``SQLiteStore`` file (on disk) of ``--tracked``
  invoices, ``--due`` of them due, built once and copied for each run; in a fresh process,
  ``run_once()`` (default concurrency 8) against a sandbox in its own process. Memory: the
  peak RSS during the run over the RSS before it (``VmHWM``, reset through
  ``/proc/self/clear_refs``) ≤ 50 MiB: RSS rather than ``tracemalloc``, which does not see
  SQLite's page cache. CPU: the store's share ≤ 10%, that is the CPU clock of the store's
  worker thread (where every SQL statement, commit and row conversion runs) plus the
  store's code on the event loop's thread (its share of that thread's CPU under cProfile,
  in a run over a fifth of the due invoices, applied to the plain run), over ``getrusage``
  of the whole process (all threads). The same run at concurrency 64 is shown too (no
  goal): the same claims of 256 (``max(256, 4 × concurrency)``), more reads in flight.
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import pstats
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _watch_life as life
from _common import MIB, cpu_seconds, current_rss_mib, goal, run_child, serve, standalone

SEED = 15
GOAL_SOONER, GOAL_FEWER, GOAL_MIB, GOAL_SHARE = 2.0, 0.5, 50.0, 0.10
STORE_CODE = "factpulse_chorus/store/"


# ---------------------------------------------------------------------------------------
# Efficiency
# ---------------------------------------------------------------------------------------


def work_efficiency(invoices: int, seed: int) -> dict[str, Any]:
    started = time.perf_counter()
    watcher = life.run_watcher(invoices, seed)
    watcher_seconds = time.perf_counter() - started
    calls_interval, at_calls = life.match_calls(invoices, seed, watcher["reads"])
    delay_interval, at_delay = life.match(invoices, seed, "median_delay", watcher["median_delay"])
    over_http = life.run_fixed_http(invoices, seed, calls_interval)
    flat = life.run_watcher(invoices, seed, policy=life.flat_policy())
    flat_interval, flat_calls = life.match_calls(invoices, seed, flat["reads"])
    return {
        "invoices": invoices,
        "seed": seed,
        "watcher": watcher,
        "watcher_seconds": watcher_seconds,
        "equal_calls": {"interval": calls_interval, **at_calls},
        "equal_delay": {"interval": delay_interval, **at_delay},
        "http_matches_direct": over_http == at_calls,
        "flat_watcher": flat,
        "flat_equal_calls": {"interval": flat_interval, **flat_calls},
        "seconds": time.perf_counter() - started,
    }


# ---------------------------------------------------------------------------------------
# Memory and time
# ---------------------------------------------------------------------------------------


def sandbox_server(count: str, ids_file: str) -> None:
    """``python bench_watch.py _sandbox COUNT IDS_FILE``: a sandbox of COUNT invoices in
    DEPOSEE (the clock frozen: none moves), their ids written to IDS_FILE; ``PORT n``."""
    from factpulse_chorus.sandbox import Sandbox

    sandbox = Sandbox(seed=SEED, clock_speed=0.0)
    ids = [
        sandbox.domain.seed_invoice(status="DEPOSEE", invoice_number=f"M-{n:06d}")
        for n in range(int(count))
    ]
    Path(ids_file).write_text(json.dumps(ids))

    async def main() -> None:
        async with sandbox:
            print(f"PORT {sandbox.url.rsplit(':', 1)[1]}", flush=True)
            await asyncio.Event().wait()

    asyncio.run(main())


def _store_thread() -> threading.Thread:
    found = [t for t in threading.enumerate() if t.name.startswith("factpulse-store")]
    assert len(found) == 1, [t.name for t in threading.enumerate()]
    return found[0]


def _reset_peak() -> None:
    """Start the kernel's peak RSS (``VmHWM``) again from the current RSS."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def _peak_mib() -> float:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024 / MIB


def _thread_cpu(thread: threading.Thread) -> float:
    assert thread.ident is not None
    return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))


def work_memory(
    url: str, db: str, ids_file: str, tracked: int, mode: str, concurrency: int
) -> dict[str, Any]:
    """``run_once()`` over the due invoices of the store ``db``; its figures. ``mode``:
    "plain" or "profiled" (cProfile on the loop's thread)."""
    from factpulse_chorus import AsyncChorusClient, SQLiteStore

    due_ids: list[int] = json.loads(Path(ids_file).read_text())

    async def run() -> dict[str, Any]:
        async with (
            SQLiteStore(db) as store,
            AsyncChorusClient(base_url=url, email="demo", password="demo") as client,
        ):
            assert await store.due_count(now=time.time()) == len(due_ids)
            await client.factures.consulter(due_ids[0])  # log in, open a connection
            watcher = client.factures.watch(store, concurrency=concurrency)
            worker = _store_thread()
            # Timed by the thread's CPU clock: the loop's waits in epoll are not CPU.
            profiler = cProfile.Profile(time.thread_time) if mode == "profiled" else None
            _reset_peak()
            rss_before = current_rss_mib()
            cpu_before, worker_before = cpu_seconds(), _thread_cpu(worker)
            started = time.perf_counter()
            if profiler is not None:
                profiler.enable()
            summary = await watcher.run_once()
            if profiler is not None:
                profiler.disable()
            wall = time.perf_counter() - started
            cpu, worker_cpu = cpu_seconds() - cpu_before, _thread_cpu(worker) - worker_before
            growth = _peak_mib() - rss_before
            left = await store.due_count(now=time.time())
        figures = {
            "tracked": tracked,
            "due": len(due_ids),
            "mode": mode,
            "concurrency": concurrency,
            "requests": summary.requests,
            "errors": summary.errors,
            "left_due": left,
            "wall": wall,
            "cpu": cpu,
            "worker_cpu": worker_cpu,
            "growth_mb": growth,
        }
        if profiler is not None:
            stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
            total = sum(row[2] for row in stats.values())
            ours = sum(row[2] for key, row in stats.items() if STORE_CODE in key[0])
            figures["loop_store_share"] = ours / total if total else 0.0
        return figures

    return asyncio.run(run())


def _make_store(path: Path, due_ids: list[int], tracked: int) -> None:
    """``tracked`` invoices, ``due_ids`` due now, the others in 30 days (never read here)."""
    from factpulse_chorus import SQLiteStore

    async def make() -> None:
        now = time.time()
        async with SQLiteStore(path) as store:
            others = range(10**9, 10**9 + tracked - len(due_ids))
            await store.track(others, now=now + 30 * 86_400.0)
            await store.track(due_ids, now=now - 1.0)

    asyncio.run(make())


# (mode, concurrency, share of the due invoices): the goal's run, its profile (cProfile
# makes the loop's thread several times slower: a fifth is enough for a share), a wider window.
MEMORY_RUNS = (("plain", 8, 1.0), ("profiled", 8, 0.2), ("plain", 64, 1.0))


def run_memory(tracked: int, due: int) -> dict[str, Any]:
    """The store is built here, once, and copied for each run: the measured process starts
    from an open store (on disk: a cron job's), not from the memory its filling used."""
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        ids_file = Path(folder) / "ids.json"
        for mode, concurrency, share in MEMORY_RUNS:
            # A fresh sandbox each time: every invoice in DEPOSEE, read for the first time.
            with serve(__file__, "_sandbox", str(round(due * share)), str(ids_file)) as url:
                made = Path(folder) / f"made-{share}.db"
                if not made.exists():
                    _make_store(made, json.loads(ids_file.read_text()), tracked)
                db = Path(folder) / "watch.db"
                shutil.copyfile(made, db)
                runs.append(
                    run_child(
                        __file__,
                        "memory",
                        url=url,
                        db=str(db),
                        ids_file=str(ids_file),
                        tracked=tracked,
                        mode=mode,
                        concurrency=concurrency,
                    )
                )
                db.unlink()
    plain, profiled, wide = runs
    loop_cpu = plain["cpu"] - plain["worker_cpu"]
    store_cpu = plain["worker_cpu"] + profiled["loop_store_share"] * loop_cpu
    return {
        "plain": plain,
        "profiled": profiled,
        "wide": wide,
        "wide_worker_share": wide["worker_cpu"] / wide["cpu"],
        "store_share": store_cpu / plain["cpu"],
        "worker_share": plain["worker_cpu"] / plain["cpu"],
    }


# ---------------------------------------------------------------------------------------
# The part
# ---------------------------------------------------------------------------------------


def run(invoices: int, tracked: int, due: int) -> dict[str, Any]:
    print("  watch: efficiency...", file=sys.stderr, flush=True)
    efficiency = run_child(__file__, "efficiency", invoices=invoices, seed=SEED)
    print("  watch: memory and time...", file=sys.stderr, flush=True)
    return {"efficiency": efficiency, "memory": run_memory(tracked, due)}


def goals(figures: dict[str, Any]) -> list[dict[str, Any]]:
    e, m = figures["efficiency"], figures["memory"]
    w, calls, delay = e["watcher"], e["equal_calls"], e["equal_delay"]
    complete = w["finals"] == w["invoices"] and calls["finals"] == calls["invoices"]
    plain = m["plain"]
    done = plain["requests"] == plain["due"] and not plain["errors"] and not plain["left_due"]
    return [
        goal(
            "16a",
            f"{e['invoices']:,} invoices, equal calls: median detection delay, fixed ÷ watcher",
            [calls["median_delay"] / w["median_delay"]],
            GOAL_SOONER,
            at_least=True,
            also=complete and e["http_matches_direct"],
            detail=f"{w['reads_per_invoice']:.1f} vs {calls['reads_per_invoice']:.1f} reads per "
            f"invoice; {w['median_delay'] / 60:.0f} vs {calls['median_delay'] / 60:.0f} min"
            + ("" if complete else "; NOT every invoice final"),
        ),
        goal(
            "16b",
            "equal median delay: reads, watcher ÷ fixed",
            [w["reads"] / delay["reads"]],
            GOAL_FEWER,
            detail=f"{w['reads_per_invoice']:.1f} vs {delay['reads_per_invoice']:.1f} reads per "
            f"invoice at {delay['median_delay'] / 60:.0f} min",
        ),
        goal(
            "17a",
            f"run_once over {plain['due']:,} due of {plain['tracked']:,} tracked: peak RSS growth",
            [plain["growth_mb"]],
            GOAL_MIB,
            unit=" MiB",
            also=done,
            detail="" if done else "NOT every due invoice read",
        ),
        goal(
            "17b",
            "the same run: the store's share of the process CPU",
            [100 * m["store_share"]],
            100 * GOAL_SHARE,
            unit="%",
            also=done,
            detail=f"worker thread {m['worker_share']:.1%}, its code on the loop "
            f"{m['profiled']['loop_store_share']:.1%} of the loop's CPU; at concurrency 64 "
            f"the worker thread {m['wide_worker_share']:.1%}",
        ),
    ]


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min"


def describe(figures: dict[str, Any]) -> None:
    e, m = figures["efficiency"], figures["memory"]
    print(
        f"\nwatch, efficiency: {e['invoices']} invoices on the simulated clock (seed "
        f"{e['seed']}), {e['seconds']:.0f} s in all (the watcher's run "
        f"{e['watcher_seconds']:.0f} s)"
    )
    print(f"{'reader':<34}{'reads/invoice':>14}{'median':>9}{'mean':>9}{'p90':>9}{'unseen':>8}")
    rows = [
        ("watcher (default policy)", e["watcher"]),
        (f"fixed every {_minutes(e['equal_calls']['interval'])}, equal calls", e["equal_calls"]),
        (f"fixed every {_minutes(e['equal_delay']['interval'])}, equal delay", e["equal_delay"]),
    ]
    rows += [
        ("watcher, flat 4 h policy (no goal)", e["flat_watcher"]),
        (
            f"fixed every {_minutes(e['flat_equal_calls']['interval'])}, equal calls",
            e["flat_equal_calls"],
        ),
    ]
    for label, row in rows:
        print(
            f"{label:<34}{row['reads_per_invoice']:>14.1f}{_minutes(row['median_delay']):>9}"
            f"{_minutes(row['mean_delay']):>9}{_minutes(row['p90_delay']):>9}"
            f"{row['statuses_never_seen']:>8}"
        )
    p = m["plain"]
    print(
        f"\nwatch, run_once: {p['due']:,} due of {p['tracked']:,} tracked, {p['requests']:,} "
        f"reads in {p['wall']:.1f} s ({p['errors']} errors), process CPU {p['cpu']:.2f} s, "
        f"store worker thread {p['worker_cpu']:.2f} s ({m['worker_share']:.1%}), store code on "
        f"the loop {m['profiled']['loop_store_share']:.1%} of it (cProfile); store in all "
        f"{m['store_share']:.1%}; peak RSS +{p['growth_mb']:.1f} MiB"
    )
    wide = m["wide"]
    print(
        f"the same at concurrency 64: {wide['wall']:.1f} s, process CPU {wide['cpu']:.2f} s, "
        f"store worker thread {wide['worker_cpu']:.2f} s ({m['wide_worker_share']:.1%}), "
        f"peak RSS +{wide['growth_mb']:.1f} MiB"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["_sandbox"]:
        sandbox_server(*sys.argv[2:4])
    else:
        standalone(
            __doc__,
            run,
            table=describe,
            goals=goals,
            workers={"efficiency": work_efficiency, "memory": work_memory},
            invoices=1000,
            tracked=100_000,
            due=10_000,
        )
