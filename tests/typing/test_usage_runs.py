"""The typed usage files do what they say: run against the sandbox on both clients."""

from __future__ import annotations

import usage_async
import usage_sync

from factpulse_chorus import AsyncChorusClient, ChorusClient
from factpulse_chorus.sandbox import Sandbox, sandbox_in_thread

FAST = {"routing_delay": (0, 0), "clock_speed": 1_000_000, "auto_process": True}


async def test_the_async_usage_file_runs() -> None:
    async with (
        Sandbox(seed=3, **FAST) as sb,
        AsyncChorusClient(base_url=sb.url, email="demo", password="demo") as client,
    ):
        to_validate = sb.domain.seed_invoice(invoice_number="F-TYPED-V")
        seen = await usage_async.every_endpoint(client, to_validate)
        assert "validated" in seen
        assert "F-TYPED-V" in seen
        assert await usage_async.every_page(client) > 0
        ids = [sb.domain.seed_invoice(status="DEPOSEE") for _ in range(5)]
        assert await usage_async.poll_until_final(client, ids) == 5
        assert len(await usage_async.many(client, ids)) == 5


def test_the_blocking_usage_file_runs() -> None:
    with (
        sandbox_in_thread(seed=3, **FAST) as sb,
        ChorusClient(base_url=sb.url, email="demo", password="demo") as client,
    ):
        to_validate = sb.domain.seed_invoice(invoice_number="F-TYPED-V")
        seen = usage_sync.every_endpoint(client, to_validate)
        assert "validated" in seen
        assert "F-TYPED-V" in seen
        assert usage_sync.every_page(client) > 0
        ids = [sb.domain.seed_invoice(status="DEPOSEE") for _ in range(5)]
        assert usage_sync.poll_until_final(client, ids) == 5
        assert len(usage_sync.many(client, ids)) == 5
