"""The SDK prints nothing unless logging is configured (or FACTPULSE_LOG asks for it)."""

from __future__ import annotations

import os
import subprocess
import sys

from factpulse_chorus.sandbox import Fault, sandbox_in_thread

SCRIPT = """
import asyncio, sys
from factpulse_chorus import AsyncChorusClient
from factpulse_chorus._config import RetryPolicy

async def main():
    async with AsyncChorusClient(base_url=sys.argv[1], email="demo", password="demo",
                                 retry_policy=RetryPolicy(base_delay=0.001)) as client:
        await client.structures.consulter(25827464)  # a 503 first: one retry warning

asyncio.run(main())
"""


def run(url: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "FACTPULSE_LOG"} | env
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, url],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        check=True,
    )


def test_retry_warnings_are_silent_by_default_and_shown_on_request() -> None:
    with sandbox_in_thread(seed=1) as sandbox:
        sandbox.add_fault(Fault("status", status=503, route="structures/consulter", count=1))
        assert run(sandbox.url).stderr == ""
        sandbox.add_fault(Fault("status", status=503, route="structures/consulter", count=1))
        shown = run(sandbox.url, FACTPULSE_LOG="warning").stderr
        assert "retry 1 of 2" in shown
