"""Memory of big files, down and up (issue 14): peak RSS growth against the file's size.

    python benchmarks/bench_download.py [--download-mb 100] [--upload-mb 10]

Each measurement runs in a fresh process (its ``ru_maxrss`` is then the call's peak), the
server in another (``_server.py`` for the download, a small aiohttp app here for the
upload), both on 127.0.0.1:

* ``telecharger_groupe([id], dest=path)``: goal growth <= 0.1x the decoded file;
* ``telecharger_groupe([id])`` then ``content()`` (the file held): goal <= 1.5x;
* ``transverses.ajouter_fichier(path)`` of a file: growth in copies of the file (goal <= 2;
  the file's own bytes are one of them).

Prints the figures and a PASS/MISS line per goal. Not a test: the figures depend on the
machine (and on the allocator), the ratios much less.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MIB = 2**20
GOALS = {"dest": 0.1, "memory": 1.5, "upload": 2.0}


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


@contextmanager
def process_server(*command: str) -> Iterator[str]:
    """A server in its own process, which prints ``PORT <n>`` once listening."""
    with subprocess.Popen([sys.executable, *command], stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        try:
            port = next(int(line.split()[1]) for line in process.stdout if line.startswith("PORT"))
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()


def upload_server() -> None:
    """The upload endpoint (and a token), answering once the whole body has arrived."""
    from aiohttp import web

    sys.path.insert(0, str(HERE))
    from _payloads import TOKEN_BODY, TOKEN_PATH

    async def token(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=TOKEN_BODY, content_type="application/json")

    async def upload(request: web.Request) -> web.Response:
        await request.read()
        body = {"codeRetour": 0, "libelle": "TRA_MSG_00.000", "pieceJointeIdFichier": 4817263}
        return web.json_response(body)

    async def serve() -> None:
        app = web.Application(client_max_size=64 * MIB)
        app.router.add_post(TOKEN_PATH, token)
        app.router.add_post("/api/v1/chorus-pro/transverses/ajouter-fichier", upload)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(f"PORT {runner.addresses[0][1]}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(serve())


def measure(kind: str, url: str, megabytes: int) -> dict[str, Any]:
    """In this (fresh) process: one call, and the peak RSS growth across it."""
    from factpulse_chorus import AsyncChorusClient

    async def run() -> dict[str, Any]:
        async with AsyncChorusClient(base_url=url, email="bench", password="bench") as client:
            with tempfile.TemporaryDirectory() as tmp:
                if kind == "upload":
                    source = Path(tmp) / "invoice.pdf"
                    with source.open("wb") as out:  # by pieces: no peak before the call
                        out.write(b"%PDF-1.7\n")
                        for _ in range(megabytes - 1):
                            out.write(os.urandom(MIB))
                        out.write(os.urandom(MIB - 9))
                    small = Path(tmp) / "small.pdf"
                    small.write_bytes(b"%PDF-1.7\n")
                    await client.transverses.ajouter_fichier(small)  # login, connection
                else:
                    await client.factures.consulter(7412589)  # login, connection
                gc.collect()
                before = peak_mib()
                started = time.perf_counter()
                if kind == "dest":
                    dest = Path(tmp) / "groupe.zip"
                    await client.factures.telecharger_groupe([7412589], dest=dest)
                    size = dest.stat().st_size
                elif kind == "memory":
                    response = await client.factures.telecharger_groupe([7412589])
                    size = len(response.content())
                else:
                    await client.transverses.ajouter_fichier(source)
                    size = source.stat().st_size
                wall = time.perf_counter() - started
                return {"payload_mib": size / MIB, "growth_mib": peak_mib() - before, "wall": wall}

    return asyncio.run(run())


def child(kind: str, url: str, megabytes: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "_measure", kind, url, str(megabytes)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["ratio"] = result["growth_mib"] / result["payload_mib"]
    return result


def main() -> None:
    if sys.argv[1:2] == ["_measure"]:
        print(json.dumps(measure(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
        return
    if sys.argv[1:2] == ["_upload_server"]:
        upload_server()
        return
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--download-mb", type=int, default=100)
    parser.add_argument("--upload-mb", type=int, default=10)
    args = parser.parse_args()
    results: dict[str, dict[str, Any]] = {}
    with process_server(str(HERE / "_server.py"), "--download-mb", str(args.download_mb)) as url:
        for kind in ("dest", "memory"):
            results[kind] = child(kind, url, args.download_mb)
    with process_server(__file__, "_upload_server") as url:
        results["upload"] = child("upload", url, args.upload_mb)
    labels = {
        "dest": "telecharger_groupe(dest=...)",
        "memory": "telecharger_groupe() + content()",
        "upload": "ajouter_fichier(path)",
    }
    for kind, row in results.items():
        verdict = "PASS" if row["ratio"] <= GOALS[kind] else "MISS"
        print(
            f"{verdict}  {labels[kind]:<34} {row['payload_mib']:6.0f} MiB file: peak RSS "
            f"+{row['growth_mib']:.1f} MiB = {row['ratio']:.2f}x (goal <= {GOALS[kind]}x), "
            f"{row['wall']:.2f} s"
        )


if __name__ == "__main__":
    main()
