"""Memory of a big group download (issue 14, goals 8-9): peak RSS growth against the file.

    python benchmarks/bench_download.py [--download-mb 100] [--rounds 3]

Each measurement runs in a fresh process (its ``ru_maxrss`` is then the call's peak), the
canned server (``_server.py --download-mb``) in another, both on 127.0.0.1; per round,
interleaved:

* ``telecharger_groupe([id], dest=path)``: goal growth <= 0.1x the decoded file;
* ``telecharger_groupe([id])`` then ``content()`` (the file held): goal <= 1.5x.

Uploads are ``bench_upload.py``'s. Not a test: the figures depend on the machine (and on
the allocator), the ratios much less.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    HERE,
    MIB,
    canned_server,
    goal,
    peak_rss_mib,
    rotated,
    run_child,
    serve,
    standalone,
)

# bench_upload.py takes these from here (its own names for _common's).
__all__ = ["HERE", "MIB", "peak_mib", "process_server"]
peak_mib, process_server = peak_rss_mib, serve

# kind: (what is called, the goal's number and limit in copies of the file)
KINDS = {
    "dest": ("telecharger_groupe(dest=path)", "8", 0.1),
    "memory": ("telecharger_groupe() + content()", "9", 1.5),
}


def measure(kind: str, url: str) -> dict[str, Any]:
    """In this (fresh) process: one download, and the peak RSS growth across it."""
    from factpulse_chorus import AsyncChorusClient

    async def run() -> dict[str, Any]:
        async with AsyncChorusClient(base_url=url, email="bench", password="bench") as client:
            await client.factures.consulter(7412589)  # login, connection
            with tempfile.TemporaryDirectory() as tmp:
                gc.collect()
                before = peak_rss_mib()
                started = time.perf_counter()
                if kind == "dest":
                    dest = Path(tmp) / "groupe.zip"
                    await client.factures.telecharger_groupe([7412589], dest=dest)
                    size = dest.stat().st_size
                else:
                    response = await client.factures.telecharger_groupe([7412589])
                    size = len(response.content())
                wall = time.perf_counter() - started
        growth = peak_rss_mib() - before
        return {
            "payload_mib": size / MIB,
            "growth_mib": growth,
            "ratio": growth * MIB / size,
            "wall": wall,
        }

    return asyncio.run(run())


def run(download_mb: int, rounds: int) -> dict[str, Any]:
    per_round: list[dict[str, dict[str, Any]]] = []
    with canned_server("--download-mb", str(download_mb)) as url:
        for number in range(rounds):
            per_round.append(
                {
                    kind: run_child(__file__, "measure", kind=kind, url=url)
                    for kind in rotated(list(KINDS), number)
                }
            )
    return {"megabytes": download_mb, "per_round": per_round}


def goals(figures: dict[str, Any]) -> list[dict[str, Any]]:
    rounds = figures["per_round"]
    found = []
    for kind, (call, number, limit) in KINDS.items():
        wall = statistics.median(r[kind]["wall"] for r in rounds)
        text = f"{call} of {figures['megabytes']} MiB: peak RSS growth vs the file"
        values = [r[kind]["ratio"] for r in rounds]
        found.append(goal(number, text, values, limit, detail=f"{wall:.2f} s"))
    return found


if __name__ == "__main__":
    standalone(__doc__, run, goals=goals, workers={"measure": measure}, download_mb=100, rounds=3)
