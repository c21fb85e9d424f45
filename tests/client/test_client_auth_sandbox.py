"""Auth against the sandbox, on both clients: expiry, single flight, 401 replay."""

from __future__ import annotations

import asyncio

import pytest
from dual_client import ClientFactory

from factpulse_chorus import AsyncChorusClient, AuthenticationError
from factpulse_chorus.sandbox import Account, Sandbox


async def test_one_login_for_a_thousand_concurrent_calls(client_factory: ClientFactory) -> None:
    async with Sandbox(seed=1) as sb, client_factory(sb.url) as client:
        results = await asyncio.gather(
            *(client.structures.consulter(25827464) for _ in range(1000))
        )
        assert all(r.structure_id == 25827464 for r in results)
        assert sb.stats()["logins"] == 1


async def test_expired_token_is_renewed_once_for_concurrent_callers(
    client_factory: ClientFactory,
) -> None:
    async with Sandbox(seed=1, token_lifetime=0.6) as sb, client_factory(sb.url) as client:
        await client.structures.consulter(25827464)
        await asyncio.sleep(0.8)  # past the token's exp
        # The renewed token must outlive the burst below, however slow a loaded machine
        # makes it: with 0.6 s it could expire again before the last caller used it.
        sb._state.auth.token_lifetime = 1800.0
        results = await asyncio.gather(*(client.structures.consulter(25827464) for _ in range(200)))
        assert len(results) == 200
        assert sb.stats()["logins"] == 2
        assert sb.stats()["requests"]["structures/consulter"].get("401", 0) <= 200


async def test_wrong_password_raises_authentication_error_without_the_password(
    client_factory: ClientFactory,
) -> None:
    async with (
        Sandbox(seed=1) as sb,
        client_factory(sb.url, email="demo", password="hunter2-SECRET") as client,
    ):
        with pytest.raises(AuthenticationError) as info:
            await client.structures.consulter(25827464)
        assert info.value.status_code == 401
        assert "hunter2-SECRET" not in str(info.value)
        assert "hunter2-SECRET" not in repr(client)


async def test_rejected_ready_token_raises_after_no_relogin(client_factory: ClientFactory) -> None:
    async with Sandbox(seed=1) as sb, client_factory(sb.url, token="not-a-jwt") as client:
        with pytest.raises(AuthenticationError):
            await client.factures.consulter(1234567)
        assert sb.stats()["logins"] == 0


async def test_api_key_scheme(client_factory: ClientFactory) -> None:
    accounts = [Account("demo", "demo")]
    async with (
        Sandbox(seed=1, accounts=accounts, api_keys={"k-123": "demo"}) as sb,
        client_factory(sb.url, api_key="k-123") as client,
    ):
        result = await client.structures.consulter(25827464)
        assert result.structure_id == 25827464
        assert sb.stats()["logins"] == 0


async def test_client_leaves_no_task_behind() -> None:
    """Async only: the blocking client's tasks live on its portal (tests/sync checks those)."""
    before = len(asyncio.all_tasks())
    async with Sandbox(seed=1) as sb:
        client = AsyncChorusClient(base_url=sb.url, email="demo", password="demo")
        await asyncio.gather(*(client.structures.consulter(25827464) for _ in range(20)))
        await client.aclose()
        await client.aclose()  # idempotent
    await asyncio.sleep(0)
    assert len(asyncio.all_tasks()) == before
