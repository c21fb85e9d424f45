"""factpulse-chorus benchmarks: every part, then one table of the issue-14 goals.

    nox -s bench                    # installs .[speedups] and factpulse==4.4.0, runs all
    nox -s bench -- --quick         # a minute or two: every goal computed, figures rough
    python benchmarks/bench.py [--only calls,decode,...] [--calls 3000] [--rounds 7] ...

Parts, each also runnable alone (``python benchmarks/bench_<part>.py``), each goal a ratio
to its reference measured in the same run, the median of interleaved rounds judged and
the spread (lowest-highest) shown (benchmarks/README.md, "Method"):

* calls (``bench_calls.py``): goals 1-4, 11, 12, 13a;
* decode (``bench_decode.py``): goals 5-7;
* handoff (``bench_handoff.py``): CPU per blocking hand-off, no goal (explains 1-4);
* imports (``bench_imports.py``): goal 14;
* download (``bench_download.py``): goals 8, 9;
* upload (``bench_upload.py``): goal 10;
* poll (``bench_poll.py``): goals 13b, 15;
* fleet (``bench_fleet.py``): issue 16's throughput of 1 to 4 watcher processes on one
  PostgreSQL store, no goal (the scaling and what bounds it);
* watch (``bench_watch.py``): issue 15's goals 16a, 16b (the watcher on the simulated
  clock against a fixed-interval loop), 17a, 17b (``run_once`` memory, the store's CPU).

Results are printed and written to ``benchmarks/results/latest.json`` (git-ignored).
Not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_calls
import bench_decode
import bench_download
import bench_fleet
import bench_handoff
import bench_imports
import bench_poll
import bench_upload
import bench_watch
from _common import HERE, goal, pinned, print_goals, run_child, serve, set_pinning

RESULTS = HERE / "results" / "latest.json"
PARTS = ("calls", "decode", "handoff", "imports", "download", "upload", "poll", "watch", "fleet")

# option, default, with --quick; the defaults keep a whole run under 10 minutes on 2 cores.
SETTINGS_TABLE = """
calls            3000  100
rounds              7    2
decode_rounds      15    3
decode_inner       10    2
handoff_calls   10000  500
handoff_rounds      3    2
import_runs         9    2
download_mb       100   20
download_rounds     3    1
upload_mb          10   10
upload_runs         5    1
poll_invoices   10000  300
poll_rounds         3    1
watch_invoices   1000  100
watch_tracked  100000 20000
watch_due       10000 2000
fleet_invoices  16000 2000
fleet_rounds        3    1
"""
SETTINGS = {
    name: (int(default), int(quick))
    for name, default, quick in map(str.split, SETTINGS_TABLE.strip().splitlines())
}


def run_upload(megabytes: int, runs: int) -> dict[str, Any]:
    """The upload part, through ``bench_upload``'s own server and child process."""
    with serve(bench_upload.__file__, "_server") as url:
        rows = [bench_upload.child(url, megabytes) for _ in range(runs)]
    return {"megabytes": megabytes, "runs": rows}


def upload_goals(figures: dict[str, Any]) -> list[dict[str, Any]]:
    rows = figures["runs"]
    wall = statistics.median(row["wall"] for row in rows)
    return [
        goal(
            "10",
            f"ajouter_fichier(path) of {figures['megabytes']} MiB: peak RSS growth vs the file",
            [row["ratio"] for row in rows],
            bench_upload.GOAL,
            detail=f"{wall:.2f} s",
        )
    ]


def parts(options: argparse.Namespace) -> dict[str, tuple[Callable[[], Any], Callable[..., Any]]]:
    """Each part: how to run it, and its goals (a function of the figures)."""
    o = options
    return {
        "calls": (lambda: bench_calls.run(o.calls, o.rounds), bench_calls.goals),
        "decode": (
            lambda: run_child(
                bench_decode.__file__, "run", rounds=o.decode_rounds, inner=o.decode_inner
            ),
            bench_decode.goals,
        ),
        "handoff": (
            lambda: run_child(
                bench_handoff.__file__, "run", calls=o.handoff_calls, rounds=o.handoff_rounds
            ),
            lambda _: [],
        ),
        "imports": (lambda: bench_imports.run(o.import_runs), bench_imports.goals),
        "download": (
            lambda: bench_download.run(o.download_mb, o.download_rounds),
            bench_download.goals,
        ),
        "upload": (lambda: run_upload(o.upload_mb, o.upload_runs), upload_goals),
        "poll": (lambda: bench_poll.run(o.poll_invoices, o.poll_rounds), bench_poll.goals),
        "watch": (
            lambda: bench_watch.run(o.watch_invoices, o.watch_tracked, o.watch_due),
            bench_watch.goals,
        ),
        "fleet": (
            lambda: bench_fleet.run(o.fleet_invoices, o.fleet_rounds),
            bench_fleet.goals,
        ),
    }


def print_report(results: dict[str, Any]) -> None:
    meta = results["meta"]
    print(
        f"\nfactpulse-chorus benchmarks, {meta['date']}, Python {meta['python']}, "
        f"{meta['cores']} cores, {meta['platform']}"
        + (", servers pinned to core 0 and clients to core 1" if meta["pinned"] else "")
        + (" (--quick: rough figures)" if meta["quick"] else "")
    )
    printers: dict[str, Callable[[dict[str, Any]], None]] = {
        "calls": bench_calls.print_table,
        "decode": bench_decode.print_table,
        "handoff": bench_handoff.print_table,
        "imports": bench_imports.print_table,
        "poll": bench_poll.describe,
        "watch": bench_watch.describe,
        "fleet": bench_fleet.describe,
    }
    for name, figures in results["parts"].items():
        if name in printers:
            printers[name](figures)
    print_goals(results["goals"], f"Goals (issues 14, 15), {meta['seconds']:.0f} s in all")


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str] = {}
    for name in ("factpulse-chorus", "factpulse", "aiohttp", "attrs", "cattrs", "anyio", "orjson"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "missing"
    return found


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny runs: check every goal line")
    parser.add_argument("--only", default=",".join(PARTS), help=f"subset of {','.join(PARTS)}")
    parser.add_argument("--no-pin", action="store_true", help="let the OS place the processes")
    for name, (default, quick) in SETTINGS.items():
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            type=int,
            default=None,
            help=f"default {default}, {quick} with --quick",
        )
    options = parser.parse_args()
    for name, (default, quick) in SETTINGS.items():
        if getattr(options, name) is None:
            setattr(options, name, quick if options.quick else default)
    unknown = set(options.only.split(",")) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    return options


def main() -> None:
    options = arguments()
    set_pinning(not options.no_pin)
    chosen = [name for name in PARTS if name in options.only.split(",")]
    results: dict[str, Any] = {
        "meta": {
            "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "python": platform.python_version(),
            "cores": os.cpu_count(),
            "platform": platform.platform(terse=True),
            "pinned": pinned(),
            "quick": options.quick,
            "settings": {name: getattr(options, name) for name in SETTINGS},
            "versions": versions(),
        },
        "parts": {},
        "seconds": {},
    }
    started = time.perf_counter()
    goals: list[dict[str, Any]] = []
    for name, (run, part_goals) in parts(options).items():
        if name not in chosen:
            continue
        print(f"{name}...", file=sys.stderr, flush=True)
        part_started = time.perf_counter()
        figures = run()
        results["seconds"][name] = time.perf_counter() - part_started
        results["parts"][name] = figures
        goals.extend(part_goals(figures))
    results["meta"]["seconds"] = time.perf_counter() - started
    results["goals"] = goals
    print_report(results)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    timings = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in results["seconds"].items())
    print(f"\n{RESULTS.relative_to(HERE.parent)} written; {timings}")


if __name__ == "__main__":
    main()
