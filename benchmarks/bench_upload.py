"""Memory of an upload (issue 14, part 3): ``transverses.ajouter_fichier(path)`` of a file.

    python benchmarks/bench_upload.py [--upload-mb 10] [--runs 5]

Each run is a fresh process (its ``ru_maxrss`` is then the call's peak): it logs in,
uploads a small file (the connection opened), then measures the growth of the peak RSS
across one ``ajouter_fichier`` of a file of ``MB`` MiB read from a path. The server, in
another process on 127.0.0.1, reads the body chunk by chunk and discards it (it checks
only its length against ``Content-Length``). Prints each run, the median growth in copies
of the file and PASS/MISS for the goal (at most 2 copies: the file's own bytes are one).
Not a test: the figures depend on the machine and the allocator; the ratio much less.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import HERE, MIB, peak_rss_mib, serve

GOAL = 2.0
UPLOAD_PATH = "/api/v1/chorus-pro/transverses/ajouter-fichier"


def discarding_server() -> None:
    """A token, and the upload endpoint reading the body in chunks and keeping none."""
    from aiohttp import web

    sys.path.insert(0, str(HERE))
    from _payloads import TOKEN_BODY, TOKEN_PATH

    async def token(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=TOKEN_BODY, content_type="application/json")

    async def upload(request: web.Request) -> web.Response:
        size = 0
        async for chunk in request.content.iter_any():
            size += len(chunk)
        if request.content_length is not None and size != request.content_length:
            return web.json_response({"codeRetour": 1, "libelle": "short body"}, status=400)
        body = {"codeRetour": 0, "libelle": "TRA_MSG_00.000", "pieceJointeIdFichier": 4817263}
        return web.json_response(body)

    async def serve() -> None:
        app = web.Application()
        app.router.add_post(TOKEN_PATH, token)
        app.router.add_post(UPLOAD_PATH, upload)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(f"PORT {runner.addresses[0][1]}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(serve())


def measure(url: str, megabytes: int) -> dict[str, Any]:
    """In this (fresh) process: one upload, and the peak RSS growth across it."""
    from factpulse_chorus import AsyncChorusClient

    async def run() -> dict[str, Any]:
        async with AsyncChorusClient(base_url=url, email="bench", password="bench") as client:
            with tempfile.TemporaryDirectory() as tmp:
                source = Path(tmp) / "invoice.pdf"
                with source.open("wb") as out:  # by pieces: no peak before the call
                    out.write(b"%PDF-1.7\n")
                    for _ in range(megabytes - 1):
                        out.write(os.urandom(MIB))
                    out.write(os.urandom(MIB - 9))
                small = Path(tmp) / "small.pdf"
                small.write_bytes(b"%PDF-1.7\n")
                await client.transverses.ajouter_fichier(small)  # login, connection
                gc.collect()
                before = peak_rss_mib()
                started = time.perf_counter()
                await client.transverses.ajouter_fichier(source)
                wall = time.perf_counter() - started
                size = source.stat().st_size
        return {"payload_mib": size / MIB, "growth_mib": peak_rss_mib() - before, "wall": wall}

    return asyncio.run(run())


def child(url: str, megabytes: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "_measure", url, str(megabytes)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the upload failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["ratio"] = result["growth_mib"] / result["payload_mib"]
    return result


def main() -> None:
    if sys.argv[1:2] == ["_measure"]:
        print(json.dumps(measure(sys.argv[2], int(sys.argv[3]))))
        return
    if sys.argv[1:2] == ["_server"]:
        discarding_server()
        return
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--upload-mb", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = []
    with serve(__file__, "_server") as url:
        for index in range(args.runs):
            row = child(url, args.upload_mb)
            rows.append(row)
            print(
                f"run {index + 1}: peak RSS +{row['growth_mib']:.1f} MiB = {row['ratio']:.2f}x, "
                f"{row['wall']:.2f} s"
            )
    ratio = statistics.median(row["ratio"] for row in rows)
    growth = statistics.median(row["growth_mib"] for row in rows)
    wall = statistics.median(row["wall"] for row in rows)
    verdict = "PASS" if ratio <= GOAL else "MISS"
    print(
        f"{verdict}  ajouter_fichier(path) {rows[0]['payload_mib']:.0f} MiB file, median of "
        f"{len(rows)}: peak RSS +{growth:.1f} MiB = {ratio:.2f}x the file (goal <= {GOAL}x), "
        f"{wall:.2f} s"
    )


if __name__ == "__main__":
    main()
