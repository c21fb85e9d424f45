"""The sandbox's runners: threaded (from sync and async code), the pytest fixtures, the
standalone process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from typing import Any

import aiohttp
import pytest
from sandbox_http_support import API

from factpulse_chorus.sandbox import sandbox_in_thread

# --- Runners ----------------------------------------------------------------------------------


async def _hit(url: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as s:
        async with s.post(url + "/api/token/", json={"username": "demo", "password": "demo"}) as r:
            token = (await r.json())["access"]
        headers = {"Authorization": f"Bearer {token}"}
        async with s.post(
            url + API + "factures/consulter", json={"chorusInvoiceId": 1}, headers=headers
        ) as r:
            return r.status, await r.json()


def test_sandbox_in_thread_from_sync_code() -> None:
    with sandbox_in_thread(seed=1, token_lifetime=60) as sb:
        assert sb.url.startswith("http://127.0.0.1:")
        invoice = sb.domain.seed_invoice(status="A_VALIDER_1")  # runs on the sandbox loop
        assert sb.invoice_count() == 1
        before = sb.clock.now()
        sb.clock.advance(3600)
        assert (sb.clock.now() - before).total_seconds() >= 3600
        status, _ = asyncio.run(_hit(sb.url))
        assert status == 200
        assert sb.domain.invoice_snapshot(invoice) is not None
        from factpulse_chorus.sandbox import Fault

        sb.add_fault(Fault("status", status=503, route="factures/consulter"))
        assert asyncio.run(_hit(sb.url))[0] == 503
        sb.clear_faults()
        assert sb.faults == []
        stats = sb.stats()
        assert stats["logins"] == 2
        assert stats["requests"]["factures/consulter"] == {
            "business_error": 1,
            "fault:status:503": 1,
        }
    assert not any(t.name == "chorus-sandbox" and t.is_alive() for t in threading.enumerate())


async def test_sandbox_in_thread_from_async_code() -> None:
    with sandbox_in_thread() as sb:
        status, data = await _hit(sb.url)
        assert status == 200
        assert data["returnCode"] != 0


def test_chorus_sandbox_fixture_sync(chorus_sandbox: Any) -> None:
    status, _ = asyncio.run(_hit(chorus_sandbox.url))
    assert status == 200
    assert chorus_sandbox.stats()["logins"] == 1


@pytest.mark.chorus_sandbox(strict=True, seed=5)
async def test_chorus_sandbox_fixture_async_with_marker(chorus_sandbox: Any) -> None:
    assert chorus_sandbox.strict is True
    assert (await _hit(chorus_sandbox.url))[0] == 200


async def test_chorus_sandbox_factory(chorus_sandbox_factory: Any) -> None:
    first = chorus_sandbox_factory(seed=1)
    second = chorus_sandbox_factory(seed=2, strict=True)
    assert first.url != second.url
    assert not first.strict
    assert second.strict
    assert (await _hit(second.url))[0] == 200


def test_standalone_server_stops_on_sigint_and_sigterm() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for sig in (signal.SIGINT, signal.SIGTERM):
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "factpulse_chorus.sandbox",
                "--port",
                "0",
                "--seed",
                "3",
                "--fault",
                "latency:delay=0.01",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            assert proc.stdout is not None
            assert proc.stderr is not None
            first = proc.stdout.readline()
            assert "listening on http://127.0.0.1:" in first, first + proc.stderr.read()
            url = first.rsplit(" ", 1)[1].strip()
            assert "username 'demo', password 'demo'" in proc.stdout.readline()
            assert asyncio.run(_hit(url))[0] == 200
            proc.send_signal(sig)
            out, err_text = proc.communicate(timeout=10)
            assert proc.returncode == 0, err_text
            assert "Sandbox stopped." in out
            assert "Traceback" not in err_text
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


def test_standalone_rejects_bad_fault_spec() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "factpulse_chorus.sandbox", "--fault", "explode"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "unknown fault kind" in result.stderr
