"""factpulse-chorus benchmarks: throughput, client CPU, decoding, import, memory.

    nox -s bench                      # installs the package and factpulse==4.4.0, runs all
    python benchmarks/bench.py [--calls 2000] [--rounds 5] [--only calls,decode,...]

Method (benchmarks/README.md has the details and the last measured table):

* A canned server (``_server.py``) runs in its own process on 127.0.0.1; each client runs
  in its own process too, so the client's CPU time (``getrusage`` user + system over the
  timed loop, all its threads) is measured alone. The server's own CPU over the same
  loop is reported as well, to show when it, not the client, was the bottleneck.
* Clients run interleaved, in rotating order, for several rounds; each figure is turned
  into a ratio to raw aiohttp at the same concurrency *in the same round*, and the
  table reports medians over the rounds. The machine is noisy: read the ratios.
* Decoding and import times are medians of interleaved repeats; import times are
  measured in a fresh interpreter each time. Memory is the growth of the peak RSS
  (``getrusage(RUSAGE_SELF).ru_maxrss``) of a fresh process.

Results are printed and written to ``benchmarks/results/latest.json``. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "latest.json"
INVOICE = 7412589
WORKER_TIMEOUT = 180.0  # seconds: every child process is bounded
CLIENT_CPU_ENV = "FACTPULSE_BENCH_CLIENT_CPU"

# With 2 cores or more, the server runs on core 0 and each client on core 1, so that
# neither migrates onto the other's core mid-loop (the main source of noise on 2 cores).
PIN = hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2

# (label, kind, concurrency); the reference of each row is raw aiohttp at the same concurrency.
CLIENTS: list[tuple[str, str, int]] = [
    ("raw aiohttp c=1", "raw", 1),
    ("raw aiohttp c=16", "raw", 16),
    ("raw aiohttp c=64", "raw", 64),
    ("AsyncChorusClient c=1", "async", 1),
    ("AsyncChorusClient c=16", "async", 16),
    ("AsyncChorusClient c=64", "async", 64),
    ("ChorusClient sequential", "sync", 1),
    ("ChorusClient 16 threads", "sync", 16),
    ("factpulse 4.4.0 sequential", "official", 1),
]

IMPORTS: list[tuple[str, str]] = [
    ("import aiohttp, attrs, cattrs, anyio", "import aiohttp, attrs, cattrs, anyio"),
    ("import factpulse_chorus", "import factpulse_chorus"),
    (
        "from factpulse_chorus import AsyncChorusClient",
        "from factpulse_chorus import AsyncChorusClient",
    ),
    ("import factpulse (4.4.0)", "import factpulse"),
]


# ---------------------------------------------------------------------------------------
# Helpers shared by the orchestrator and the workers
# ---------------------------------------------------------------------------------------


def cpu_seconds() -> float:
    """User + system CPU seconds of this process, all threads.

    ``getrusage`` rather than ``os.times()``: the latter counts in 10 ms clock ticks.
    """
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def server_cpu(url: str) -> float:
    with urllib.request.urlopen(f"{url}/_stats", timeout=10) as response:
        return float(json.loads(response.read())["cpu"])


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


async def drive(call: Callable[[], Awaitable[Any]], calls: int, concurrency: int) -> None:
    """``calls`` awaits of ``call()``, ``concurrency`` at a time (workers share one iterator)."""
    todo = iter(range(calls))

    async def worker() -> None:
        for _ in todo:
            await call()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


def measured(url: str, calls: int, timed: Callable[[], None]) -> dict[str, float]:
    server_before = server_cpu(url)
    cpu_before, started = cpu_seconds(), time.perf_counter()
    timed()
    wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu_before
    server = server_cpu(url) - server_before
    return {"calls": calls, "wall": wall, "cpu": cpu, "server_cpu": server}


# ---------------------------------------------------------------------------------------
# Workers: each runs in a child process and prints one JSON line
# ---------------------------------------------------------------------------------------


def work_raw(url: str, calls: int, concurrency: int) -> dict[str, float]:
    import aiohttp

    token = fetch_token(url)
    endpoint = f"{url}/api/v1/chorus-pro/factures/consulter"
    headers = {"Authorization": f"Bearer {token}"}
    payload = {"chorusInvoiceId": INVOICE}

    async def run() -> dict[str, float]:
        async with aiohttp.ClientSession() as session:

            async def call() -> Any:
                async with session.post(endpoint, json=payload, headers=headers) as response:
                    response.raise_for_status()
                    return await response.json()

            await drive(call, warm_up_calls(concurrency), concurrency)
            return await async_measured(url, calls, lambda: drive(call, calls, concurrency))

    return asyncio.run(run())


async def async_measured(
    url: str, calls: int, timed: Callable[[], Awaitable[None]]
) -> dict[str, float]:
    server_before = server_cpu(url)  # blocking, but outside the timed loop
    cpu_before, started = cpu_seconds(), time.perf_counter()
    await timed()
    wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu_before
    server = server_cpu(url) - server_before
    return {"calls": calls, "wall": wall, "cpu": cpu, "server_cpu": server}


def work_async(url: str, calls: int, concurrency: int) -> dict[str, float]:
    from factpulse_chorus import AsyncChorusClient

    async def run() -> dict[str, float]:
        async with AsyncChorusClient(base_url=url, email="bench", password="bench") as client:

            def call() -> Awaitable[Any]:
                return client.factures.consulter(INVOICE)

            await drive(call, warm_up_calls(concurrency), concurrency)
            return await async_measured(url, calls, lambda: drive(call, calls, concurrency))

    return asyncio.run(run())


def work_sync(url: str, calls: int, threads: int) -> dict[str, float]:
    from concurrent.futures import ThreadPoolExecutor

    from factpulse_chorus import ChorusClient

    with ChorusClient(base_url=url, email="bench", password="bench") as client:

        def loop(todo: Iterator[int]) -> None:
            for _ in todo:  # a shared range iterator: next() is atomic under the GIL
                client.factures.consulter(INVOICE)

        def run(count: int) -> None:
            if threads == 1:
                loop(iter(range(count)))
                return
            todo = iter(range(count))
            with ThreadPoolExecutor(threads) as pool:
                for future in [pool.submit(loop, todo) for _ in range(threads)]:
                    future.result()

        run(warm_up_calls(threads))
        return measured(url, calls, lambda: run(calls))


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
        return measured(url, calls, lambda: run(calls))


def work_decode(count: int, repeats: int) -> dict[str, Any]:
    """Median time per decode of a ``structures/rechercher`` body of ``count`` structures."""
    from _payloads import structures
    from factpulse.models.search_structure_response import SearchStructureResponse

    from factpulse_chorus._converter import from_wire
    from factpulse_chorus.models.structures import StructuresRechercherResponse

    body = structures(count)
    text = body.decode()
    ours = from_wire(json.loads(body), StructuresRechercherResponse)
    theirs = SearchStructureResponse.from_json(text)
    assert len(ours.structures) == count
    assert theirs is not None
    assert theirs.structures is not None
    assert len(theirs.structures) == count

    variants: dict[str, Callable[[], object]] = {
        "json.loads": lambda: json.loads(body),
        "ours: json.loads + from_wire": lambda: from_wire(
            json.loads(body), StructuresRechercherResponse
        ),
        "factpulse: SearchStructureResponse.from_json": lambda: SearchStructureResponse.from_json(
            text
        ),
        "factpulse: model_validate_json": lambda: SearchStructureResponse.model_validate_json(body),
    }
    inner = 10
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, function in variants.items():  # interleaved
            started = time.perf_counter()
            for _ in range(inner):
                function()
            samples[name].append((time.perf_counter() - started) / inner)
    return {name: statistics.median(values) for name, values in samples.items()}


def work_download(url: str, megabytes: int) -> dict[str, Any]:
    from factpulse_chorus import AsyncChorusClient

    async def run() -> dict[str, Any]:
        async with AsyncChorusClient(base_url=url, email="bench", password="bench") as client:
            await client.factures.consulter(INVOICE)  # login, open the connection
            with tempfile.TemporaryDirectory() as tmp:
                dest = Path(tmp) / "groupe.zip"
                gc.collect()
                rss_before, peak_before = current_rss_mb(), peak_rss_mb()
                started = time.perf_counter()
                await client.factures.telecharger_groupe([INVOICE], dest=dest)
                wall = time.perf_counter() - started
                size = dest.stat().st_size
        return {
            "payload_mb": size / 2**20,
            "rss_before_mb": rss_before,
            "peak_before_mb": peak_before,
            "peak_after_mb": peak_rss_mb(),
            "wall": wall,
        }

    return asyncio.run(run())


def work_poll(url: str, invoices: int, concurrency: int) -> dict[str, Any]:
    from factpulse_chorus import AsyncChorusClient

    async def run() -> dict[str, Any]:
        async with AsyncChorusClient(base_url=url, email="bench", password="bench") as client:
            await client.factures.consulter(1)  # login, open a connection
            ids = list(range(1_000_001, 1_000_001 + invoices))
            gc.collect()
            peak_before = peak_rss_mb()
            rss_before = current_rss_mb()
            most_tasks = most_sdk_tasks = 0

            def ours(task: asyncio.Task[Any]) -> bool:
                code = getattr(task.get_coro(), "cr_code", None)
                return code is not None and "factpulse_chorus" in code.co_filename

            async def sample() -> None:
                nonlocal most_tasks, most_sdk_tasks
                while True:
                    tasks = asyncio.all_tasks()
                    most_tasks = max(most_tasks, len(tasks))
                    most_sdk_tasks = max(most_sdk_tasks, sum(map(ours, tasks)))
                    await asyncio.sleep(0.005)

            sampler = asyncio.create_task(sample())
            await asyncio.sleep(0)
            idle_tasks = len(asyncio.all_tasks())  # this task and the sampler
            finals = events = 0
            started = time.perf_counter()
            poller: Any = client.factures.poll(
                ids, interval=0.05, max_interval=0.2, concurrency=concurrency
            )
            async with poller:
                async for event in poller:
                    events += 1
                    finals += type(event).__name__ == "FinalStatus"
            wall = time.perf_counter() - started
            sampler.cancel()
            summary = poller.summary
        return {
            "invoices": invoices,
            "concurrency": concurrency,
            "finals": finals,
            "events": events,
            "requests": summary.requests,
            "errors": summary.errors,
            "wall": wall,
            "idle_tasks": idle_tasks,
            "max_tasks": most_tasks,
            "max_sdk_tasks": most_sdk_tasks,
            "rss_before_mb": rss_before,
            "peak_before_mb": peak_before,
            "peak_after_mb": peak_rss_mb(),
        }

    return asyncio.run(run())


WORKERS: dict[str, Callable[..., dict[str, Any]]] = {
    "raw": work_raw,
    "async": work_async,
    "sync": work_sync,
    "official": work_official,
}


def worker_main(argv: list[str]) -> None:
    kind, *rest = argv
    if CLIENT_CPU_ENV in os.environ:
        os.sched_setaffinity(0, {int(os.environ[CLIENT_CPU_ENV])})
    if kind in WORKERS:
        url, calls, concurrency = rest
        result = WORKERS[kind](url, int(calls), int(concurrency))
    elif kind == "decode":
        result = work_decode(int(rest[0]), int(rest[1]))
    elif kind == "download":
        result = work_download(rest[0], int(rest[1]))
    elif kind == "poll":
        result = work_poll(rest[0], int(rest[1]), int(rest[2]))
    else:
        raise SystemExit(f"unknown worker {kind!r}")
    print(json.dumps(result))


# ---------------------------------------------------------------------------------------
# The orchestrator
# ---------------------------------------------------------------------------------------


def child(*args: str, timeout: float = WORKER_TIMEOUT) -> dict[str, Any]:
    env = {**os.environ, CLIENT_CPU_ENV: "1"} if PIN else None
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "_worker", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"worker {args[0]} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@contextmanager
def server(*options: str) -> Iterator[str]:
    pinning = ("--cpu", "0") if PIN else ()
    process = subprocess.Popen(
        [sys.executable, str(HERE / "_server.py"), *options, *pinning],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the benchmark server did not start: {line!r}")
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def bench_calls(calls: int, rounds: int) -> dict[str, Any]:
    per_round: list[dict[str, dict[str, float]]] = []
    with server() as url:
        for number in range(rounds):
            shift = number % len(CLIENTS)
            order = CLIENTS[shift:] + CLIENTS[:shift]  # rotate: no client always goes first
            measured_round: dict[str, dict[str, float]] = {}
            for label, kind, concurrency in order:
                raw = child(kind, url, str(calls), str(concurrency))
                measured_round[label] = {
                    "calls_per_s": raw["calls"] / raw["wall"],
                    "cpu_us": raw["cpu"] / raw["calls"] * 1e6,
                    "server_cpu_us": raw["server_cpu"] / raw["calls"] * 1e6,
                    "server_share": raw["server_cpu"] / raw["wall"],
                }
            for label, _, concurrency in CLIENTS:
                ref = measured_round[f"raw aiohttp c={concurrency}"]  # same concurrency
                row = measured_round[label]
                row["rate_ratio"] = row["calls_per_s"] / ref["calls_per_s"]
                row["cpu_ratio"] = row["cpu_us"] / ref["cpu_us"]
            official = measured_round["factpulse 4.4.0 sequential"]
            for label in ("ChorusClient sequential", "ChorusClient 16 threads"):
                row = measured_round[label]
                row["rate_vs_official"] = row["calls_per_s"] / official["calls_per_s"]
                row["cpu_vs_official"] = row["cpu_us"] / official["cpu_us"]
            per_round.append(measured_round)
            print(f"  round {number + 1}/{rounds} done", file=sys.stderr, flush=True)
    medians: dict[str, dict[str, float]] = {}
    for label, _, _ in CLIENTS:
        keys = per_round[0][label].keys()
        medians[label] = {key: statistics.median(r[label][key] for r in per_round) for key in keys}
    return {"calls": calls, "rounds": rounds, "medians": medians, "per_round": per_round}


def bench_decode(repeats: int) -> dict[str, Any]:
    seconds = child("decode", "1000", str(repeats))
    base = seconds["json.loads"]
    return {name: {"ms": value * 1e3, "ratio": value / base} for name, value in seconds.items()}


def bench_imports(runs: int) -> dict[str, Any]:
    def once(statement: str) -> float:
        code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return float(done.stdout.strip())

    samples: dict[str, list[float]] = {label: [] for label, _ in IMPORTS}
    for _, statement in IMPORTS:
        once(statement)  # warm the bytecode caches and the OS file cache
    for _ in range(runs):
        for label, statement in IMPORTS:  # interleaved
            samples[label].append(once(statement))
    base = statistics.median(samples[IMPORTS[0][0]])
    return {
        label: {"ms": statistics.median(values) * 1e3, "ratio": statistics.median(values) / base}
        for label, values in samples.items()
    }


def bench_download(megabytes: int) -> dict[str, Any]:
    with server("--download-mb", str(megabytes)) as url:
        result = child("download", url, str(megabytes))
    growth = result["peak_after_mb"] - result["peak_before_mb"]
    result["growth_mb"] = growth
    result["ratio"] = growth / result["payload_mb"]
    return result


def bench_poll(invoices: int, concurrency: int) -> dict[str, Any]:
    with server("--final-after", "3") as url:
        result = child("poll", url, str(invoices), str(concurrency))
    result["growth_mb"] = result["peak_after_mb"] - result["peak_before_mb"]
    result["extra_tasks"] = result["max_tasks"] - result["idle_tasks"]
    return result


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def goals(results: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def add(number: int, text: str, measured: str, ok: bool) -> None:
        found.append({"goal": number, "text": text, "measured": measured, "verdict": verdict(ok)})

    if "calls" in results:
        m = results["calls"]["medians"]
        a64, a1 = m["AsyncChorusClient c=64"], m["AsyncChorusClient c=1"]
        add(
            1,
            "async c=64: CPU/call <= 1.2x raw@64, calls/s >= 0.85x raw@64",
            f"CPU {a64['cpu_ratio']:.2f}x, calls/s {a64['rate_ratio']:.2f}x",
            a64["cpu_ratio"] <= 1.2 and a64["rate_ratio"] >= 0.85,
        )
        add(
            2,
            "async c=1: CPU/call <= 1.2x raw@1",
            f"CPU {a1['cpu_ratio']:.2f}x",
            a1["cpu_ratio"] <= 1.2,
        )
        seq, threads = m["ChorusClient sequential"], m["ChorusClient 16 threads"]
        add(
            3,
            "sync sequential: calls/s >= official and CPU/call <= official; "
            "16 threads: calls/s >= 3x official sequential",
            f"sequential calls/s {seq['rate_vs_official']:.2f}x, CPU "
            f"{seq['cpu_vs_official']:.2f}x; 16 threads {threads['rate_vs_official']:.2f}x",
            seq["rate_vs_official"] >= 1.0
            and seq["cpu_vs_official"] <= 1.0
            and threads["rate_vs_official"] >= 3.0,
        )
    if "decode" in results:
        ratio = results["decode"]["ours: json.loads + from_wire"]["ratio"]
        add(4, "decode 1,000 structures <= 2.0x json.loads", f"{ratio:.2f}x", ratio <= 2.0)
    if "imports" in results:
        ratio = results["imports"]["import factpulse_chorus"]["ratio"]
        add(
            5,
            "import factpulse_chorus <= 1.2x import aiohttp+attrs+cattrs+anyio",
            f"{ratio:.2f}x",
            ratio <= 1.2,
        )
    if "download" in results:
        d = results["download"]
        add(
            6,
            "download 100 MiB: peak RSS growth <= 1.5x the decoded payload",
            f"{d['growth_mb']:.0f} MiB for {d['payload_mb']:.0f} MiB = {d['ratio']:.2f}x",
            d["ratio"] <= 1.5,
        )
    if "poll" in results:
        p = results["poll"]
        add(
            7,
            "poll 10,000 at c=64: live tasks <= concurrency + small constant, growth <= 50 MB",
            f"{p['extra_tasks']} tasks beyond idle ({p['max_sdk_tasks']} of the SDK), "
            f"{p['growth_mb']:.1f} MiB",
            p["extra_tasks"] <= p["concurrency"] + 8 and p["growth_mb"] <= 50,
        )
    return found


def print_report(results: dict[str, Any]) -> None:
    meta = results["meta"]
    print(
        f"\nfactpulse-chorus benchmarks, {meta['date']}, Python {meta['python']}, "
        f"{meta['cores']} cores, {meta['platform']}"
        + (", server pinned to core 0 and clients to core 1" if meta["pinned"] else "")
    )
    if "calls" in results:
        c = results["calls"]
        print(
            f"\nfactures.consulter, {c['calls']} calls per client per round, median of "
            f"{c['rounds']} rounds; ratios to raw aiohttp at the same concurrency"
        )
        head = (
            f"{'client':<28}{'calls/s':>9}{'x raw':>7}{'CPU µs/call':>13}{'x raw':>7}"
            f"{'server µs/call':>16}{'server CPU':>12}"
        )
        print(head)
        for label, _, _ in CLIENTS:
            row = c["medians"][label]
            print(
                f"{label:<28}{row['calls_per_s']:>9.0f}{row['rate_ratio']:>7.2f}"
                f"{row['cpu_us']:>13.0f}{row['cpu_ratio']:>7.2f}"
                f"{row['server_cpu_us']:>16.0f}{row['server_share']:>11.0%}"
            )
    if "decode" in results:
        print("\nDecoding a structures/rechercher body of 1,000 structures")
        for name, row in results["decode"].items():
            print(f"{name:<46}{row['ms']:>8.2f} ms{row['ratio']:>7.2f}x")
    if "imports" in results:
        print("\nImport time, fresh interpreter, median")
        for name, row in results["imports"].items():
            print(f"{name:<46}{row['ms']:>8.1f} ms{row['ratio']:>7.2f}x")
    if "download" in results:
        d = results["download"]
        print(
            f"\ntelecharger_groupe(dest=...): {d['payload_mb']:.0f} MiB decoded, peak RSS "
            f"{d['peak_before_mb']:.0f} -> {d['peak_after_mb']:.0f} MiB (+{d['growth_mb']:.0f} MiB"
            f" = {d['ratio']:.2f}x the payload), {d['wall']:.2f} s"
        )
    if "poll" in results:
        p = results["poll"]
        print(
            f"\nInvoicePoller: {p['invoices']} invoices at concurrency {p['concurrency']}, "
            f"{p['requests']} requests in {p['wall']:.1f} s ({p['finals']} final, "
            f"{p['errors']} errors); live tasks at most {p['max_tasks']} "
            f"({p['extra_tasks']} beyond the {p['idle_tasks']} idle ones, of which "
            f"{p['max_sdk_tasks']} run factpulse_chorus code, the rest aiohttp's); peak RSS "
            f"+{p['growth_mb']:.1f} MiB"
        )
    print("\nGoals")
    for goal in results["goals"]:
        print(f"{goal['goal']}. {goal['verdict']}  {goal['text']}: {goal['measured']}")


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str] = {}
    for name in ("factpulse-chorus", "factpulse", "aiohttp", "attrs", "cattrs", "anyio"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "missing"
    return found


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        worker_main(sys.argv[2:])
        return
    parts = ("calls", "decode", "imports", "download", "poll")
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--calls", type=int, default=5000, help="calls per client and round")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds")
    parser.add_argument("--import-runs", type=int, default=9)
    parser.add_argument("--download-mb", type=int, default=100)
    parser.add_argument("--poll-invoices", type=int, default=10_000)
    parser.add_argument("--only", default=",".join(parts), help=f"subset of {','.join(parts)}")
    parser.add_argument("--no-pin", action="store_true", help="let the OS place the processes")
    args = parser.parse_args()
    only = set(args.only.split(","))
    global PIN
    PIN = PIN and not args.no_pin

    results: dict[str, Any] = {
        "meta": {
            "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "python": platform.python_version(),
            "cores": os.cpu_count(),
            "platform": platform.platform(terse=True),
            "pinned": PIN,
            "versions": versions(),
        }
    }
    started = time.perf_counter()
    if "calls" in only:
        print("calls...", file=sys.stderr, flush=True)
        results["calls"] = bench_calls(args.calls, args.rounds)
    if "decode" in only:
        print("decode...", file=sys.stderr, flush=True)
        results["decode"] = bench_decode(repeats=15)
    if "imports" in only:
        print("imports...", file=sys.stderr, flush=True)
        results["imports"] = bench_imports(args.import_runs)
    if "download" in only:
        print("download...", file=sys.stderr, flush=True)
        results["download"] = bench_download(args.download_mb)
    if "poll" in only:
        print("poll...", file=sys.stderr, flush=True)
        results["poll"] = bench_poll(args.poll_invoices, 64)
    results["meta"]["seconds"] = time.perf_counter() - started
    results["goals"] = goals(results)
    print_report(results)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\n{RESULTS.relative_to(HERE.parent)} written ({results['meta']['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
