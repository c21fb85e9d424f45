"""Canned FactPulse server for the benchmarks, run in its own process.

    python benchmarks/_server.py [--final-after N] [--download-mb MB]

Listens on 127.0.0.1 (a free port, printed as ``PORT <n>`` on stdout) and answers:

* ``POST /api/token/``: a token valid until 2100;
* ``POST .../factures/consulter``: one precomputed body; with ``--final-after N`` the
  status of each ``chorusInvoiceId`` becomes final (MISE_EN_PAIEMENT) at its N-th read;
* ``POST .../factures/telecharger-groupe``: a body of ``MB`` MiB of content in base64,
  built once at start;
* ``GET /_stats``: this process's CPU seconds (user + system), so that the benchmark can
  tell how busy the server was while a client ran.

Canned bytes keep the server's own cost per call small and constant: the client process
is what is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
from collections import Counter

from _payloads import (
    CONSULTER_BODY,
    CONSULTER_PATH,
    TELECHARGER_PATH,
    TOKEN_BODY,
    TOKEN_PATH,
    consulter,
    download,
)
from aiohttp import web

JSON = "application/json"


def build_app(final_after: int, download_mb: int) -> web.Application:
    reads: Counter[int] = Counter()
    download_body = download(download_mb * 2**20) if download_mb else b""

    async def token(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=TOKEN_BODY, content_type=JSON)

    async def consulter_fixed(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=CONSULTER_BODY, content_type=JSON)

    async def consulter_polled(request: web.Request) -> web.Response:
        invoice_id = int(json.loads(await request.read())["chorusInvoiceId"])
        reads[invoice_id] += 1
        status = "MISE_EN_PAIEMENT" if reads[invoice_id] >= final_after else "MISE_A_DISPOSITION"
        body = json.dumps(consulter(invoice_id, status)).encode()
        return web.Response(body=body, content_type=JSON)

    async def telecharger(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=download_body, content_type=JSON)

    async def stats(request: web.Request) -> web.Response:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu = usage.ru_utime + usage.ru_stime
        return web.json_response({"cpu": cpu, "reads": sum(reads.values())})

    app = web.Application(client_max_size=1 << 20)
    app.router.add_post(TOKEN_PATH, token)
    app.router.add_post(CONSULTER_PATH, consulter_polled if final_after else consulter_fixed)
    app.router.add_post(TELECHARGER_PATH, telecharger)
    app.router.add_get("/_stats", stats)
    return app


async def serve(final_after: int, download_mb: int) -> None:
    runner = web.AppRunner(build_app(final_after, download_mb), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    port = runner.addresses[0][1]
    print(f"PORT {port}", flush=True)
    try:
        await asyncio.Event().wait()  # until the benchmark terminates us
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--final-after", type=int, default=0)
    parser.add_argument("--download-mb", type=int, default=0)
    args = parser.parse_args()
    try:
        asyncio.run(serve(args.final_after, args.download_mb))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
