"""Client lifecycle: lazy session, reuse, closing, views, user sessions, reprs."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging

import aiohttp
import pytest
from aiohttp import web
from fake_server import (
    API_KEY,
    EMAIL,
    PASSWORD,
    FakeFactPulse,
    fake_server,
    json_response,
    send,
    serve,
    serve_in_thread,
)

from factpulse_chorus._client import AsyncChorusClient
from factpulse_chorus._exceptions import ClientClosedError, OutcomeUnknownError
from factpulse_chorus._types import NOT_GIVEN, RequestOptions, Timeout
from factpulse_chorus.models.common import RawResponse


async def call(client: AsyncChorusClient, **options: object) -> RawResponse:
    return await send(client, options=RequestOptions.build(**options))  # type: ignore[arg-type]


async def test_session_is_created_lazily_and_reused() -> None:
    async with fake_server() as (_fake, url):
        client = AsyncChorusClient(base_url=url, email=EMAIL, password=PASSWORD)
        assert client.state == "unopened"
        assert client._shared.current_session is None
        async with client:
            assert client._shared.current_session is None  # entering does not open it
            await call(client)
            session = client._shared.current_session
            assert isinstance(session, aiohttp.ClientSession)
            assert client.state == "open"
            await asyncio.gather(*(call(client) for _ in range(10)))
            assert client._shared.current_session is session
        assert client.state == "closed"
        assert session.closed


async def test_aclose_is_idempotent_and_closed_client_refuses_calls() -> None:
    async with fake_server() as (fake, url):
        client = AsyncChorusClient(base_url=url, email=EMAIL, password=PASSWORD)
        await call(client)
        await client.aclose()
        await client.aclose()
        assert client.is_closed
        with pytest.raises(ClientClosedError, match="client is closed; create a new"):
            await call(client)
        with pytest.raises(ClientClosedError):
            async with client:
                pass
        with pytest.raises(ClientClosedError):
            client.with_options(timeout=1.0)
        assert fake.hits["factures/consulter"] == 1


async def test_closing_an_unopened_client_is_fine() -> None:
    client = AsyncChorusClient(base_url="http://127.0.0.1:9", token="t")
    await client.aclose()
    assert client.state == "closed"
    with pytest.raises(ClientClosedError):
        await call(client)


async def test_user_session_is_used_and_never_closed() -> None:
    async with fake_server() as (_fake, url):
        async with aiohttp.ClientSession() as session:
            async with AsyncChorusClient(
                base_url=url, email=EMAIL, password=PASSWORD, session=session
            ) as client:
                await call(client)
                assert client._shared.current_session is session
            assert not session.closed
            async with session.post(url + "/api/token/", json={}) as response:
                assert response.status == 401  # still usable by its owner
        assert session.closed


async def test_closed_user_session_gives_a_clear_error() -> None:
    async with fake_server() as (_fake, url):
        session = aiohttp.ClientSession()
        await session.close()
        async with AsyncChorusClient(base_url=url, api_key=API_KEY, session=session) as client:
            with pytest.raises(ClientClosedError, match="aiohttp session"):
                await call(client)


async def test_with_options_shares_session_and_token() -> None:
    async with fake_server() as (fake, url):
        async with AsyncChorusClient(base_url=url, email=EMAIL, password=PASSWORD) as client:
            view = client.with_options(timeout=5.0, max_retries=0, extra_headers={"X-Trace": "abc"})
            assert view.timeout == Timeout(connect=None, read=None, total=5.0)
            assert view.max_retries == 0
            assert client.max_retries == 2
            await call(view)
            await call(client)
            assert view._shared.current_session is client._shared.current_session
            assert fake.logins == 1  # one token for both
            assert fake.requests[0]["headers"]["X-Trace"] == "abc"
            assert "X-Trace" not in fake.requests[1]["headers"]
            # Closing the view closes only the view.
            await view.aclose()
            assert view.is_closed
            with pytest.raises(ClientClosedError):
                await call(view)
            await call(client)
            other = client.with_options()
        # Closing the parent closes every view.
        assert other.is_closed
        with pytest.raises(ClientClosedError):
            await call(other)


async def test_with_options_credentials_and_timeout_none() -> None:
    client = AsyncChorusClient(base_url="http://127.0.0.1:9", token="t")
    marker = object()
    client._default_credentials = marker  # type: ignore[assignment]
    assert client.with_options()._default_credentials is marker
    assert client.with_options(credentials=None)._default_credentials is None
    unlimited = client.with_options(timeout=None)
    assert unlimited.timeout == Timeout(connect=None, read=None, total=None)
    await client.aclose()


async def test_per_call_options_override_client_defaults() -> None:
    async with fake_server() as (fake, url):
        async with AsyncChorusClient(base_url=url, email=EMAIL, password=PASSWORD) as client:
            await call(client, extra_headers={"X-One": "1"}, timeout=None, max_retries=0)
            await call(client, timeout=NOT_GIVEN)
        assert fake.requests[0]["headers"]["X-One"] == "1"
        assert "X-One" not in fake.requests[1]["headers"]


async def test_no_leftover_tasks_and_no_resource_warning() -> None:
    before = asyncio.all_tasks()
    async with fake_server(login_delay=0.01) as (_fake, url):
        for _ in range(3):
            client = AsyncChorusClient(base_url=url, email=EMAIL, password=PASSWORD)
            await asyncio.gather(*(call(client) for _ in range(20)))
            await client.aclose()
            del client
            gc.collect()  # filterwarnings=error: an unclosed session would fail here
    await asyncio.sleep(0)
    assert asyncio.all_tasks() - before == set()


async def test_closing_during_login_fails_waiters_cleanly() -> None:
    async with fake_server(login_delay=5.0) as (fake, url):
        client = AsyncChorusClient(base_url=url, email=EMAIL, password=PASSWORD)
        pending = [asyncio.create_task(call(client)) for _ in range(3)]
        for _ in range(200):
            if fake.logins:
                break
            await asyncio.sleep(0.01)
        await client.aclose()
        results = await asyncio.gather(*pending, return_exceptions=True)
        assert all(isinstance(r, ClientClosedError) for r in results), results


def test_repr_shows_url_and_mode_but_no_secret() -> None:
    client = AsyncChorusClient(
        base_url="https://factpulse.fr/", email=EMAIL, password=PASSWORD, client_uid="uid-1"
    )
    text = repr(client)
    assert (
        text
        == "AsyncChorusClient(base_url='https://factpulse.fr', auth='password', state='unopened')"
    )
    for secret in (EMAIL, PASSWORD, "uid-1"):
        assert secret not in text
        assert secret not in repr(client._config)
        assert secret not in repr(client._config.auth)
    assert API_KEY not in repr(AsyncChorusClient(base_url="http://x.test", api_key=API_KEY))
    assert "view=True" in repr(client.with_options(max_retries=1))


def test_factpulse_log_env_attaches_one_stderr_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    from factpulse_chorus import _logging

    logger = logging.getLogger("factpulse_chorus")
    handlers, level = list(logger.handlers), logger.level
    monkeypatch.setattr(_logging, "_configured", False)
    monkeypatch.setenv("FACTPULSE_LOG", "debug")
    try:
        AsyncChorusClient(base_url="http://x.test", token="t")
        AsyncChorusClient(base_url="http://x.test", token="t")
        added = [h for h in logger.handlers if h not in handlers]
        assert len(added) == 1
        assert logger.level == logging.DEBUG
    finally:
        logger.handlers[:] = handlers
        logger.setLevel(level)


async def test_cancelled_aclose_during_a_login_still_closes_the_session() -> None:
    from aiohttp import web

    login_started = asyncio.Event()

    async def slow_login(request: web.Request) -> web.Response:
        login_started.set()
        await asyncio.sleep(2)
        return web.json_response({"access": "x", "refresh": "y"})

    app = web.Application()
    app.router.add_post("/api/token/", slow_login)
    async with serve(app) as url:
        client = AsyncChorusClient(base_url=url, email="a@b.c", password="pw", max_retries=0)
        call = asyncio.create_task(client.factures.consulter(1234567))
        await login_started.wait()
        session = client._transport._shared._session
        assert session is not None
        closing = asyncio.create_task(client.aclose())
        await asyncio.sleep(0)
        closing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await closing
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await call
        assert session.closed
        await client.aclose()  # idempotent afterwards


# -- event loops (issue 13, item 1) -------------------------------------------------------


async def write(client: AsyncChorusClient) -> RawResponse:
    return await send(client, idempotent=False)


def test_a_second_asyncio_run_opens_new_connections_and_keeps_the_token() -> None:
    fake = FakeFactPulse()
    with serve_in_thread(fake.app()) as url:
        client = AsyncChorusClient(base_url=url, email=EMAIL, password=PASSWORD)
        asyncio.run(call(client))  # the loop ends with a keep-alive connection open
        first = client._shared.current_session
        asyncio.run(write(client))  # a write: must not be "may have been processed"
        asyncio.run(call(client))
        assert client._shared.current_session is not first
        assert first is not None
        assert first.closed
        assert fake.logins == 1  # the token outlives the loop
        assert fake.hits["factures/consulter"] == 3
        asyncio.run(client.aclose())
        assert client.state == "closed"
    gc.collect()  # filterwarnings=error: a socket or session left open would fail here


def test_a_login_cut_by_the_end_of_its_loop_is_redone_in_the_next() -> None:
    fake = FakeFactPulse()
    with serve_in_thread(fake.app()) as url:
        client = AsyncChorusClient(base_url=url, email=EMAIL, password=PASSWORD)

        async def start_login_and_leave() -> None:
            # asyncio.run() cancels the task still logging in when this returns.
            asyncio.get_running_loop().create_task(call(client))
            await asyncio.sleep(0)

        asyncio.run(start_login_and_leave())
        asyncio.run(write(client))
        asyncio.run(client.aclose())
    gc.collect()


def test_another_loop_while_the_first_is_open_is_a_clear_error_never_an_unknown_outcome() -> None:
    fake = FakeFactPulse()
    with serve_in_thread(fake.app()) as url:
        client = AsyncChorusClient(base_url=url, email=EMAIL, password=PASSWORD)
        first = asyncio.new_event_loop()
        try:
            first.run_until_complete(call(client))
            for send in (write, call):
                with pytest.raises(ClientClosedError, match="another event loop"):
                    asyncio.run(send(client))
            assert fake.hits["factures/consulter"] == 1  # nothing else was sent
            first.run_until_complete(call(client))  # still fine in its own loop
            first.run_until_complete(client.aclose())
        finally:
            first.close()


def test_a_user_session_of_a_closed_loop_is_a_clear_error() -> None:
    fake = FakeFactPulse()
    with serve_in_thread(fake.app()) as url:

        async def make_session() -> aiohttp.ClientSession:
            return aiohttp.ClientSession()

        session = asyncio.run(make_session())
        client = AsyncChorusClient(base_url=url, api_key=API_KEY, session=session)
        with pytest.raises(ClientClosedError, match="another event loop"):
            asyncio.run(write(client))
        assert fake.hits["factures/consulter"] == 0
        asyncio.run(client.aclose())
        asyncio.run(session.close())


# -- closing while calls wait for a connection (issue 13, item 3) ---------------------------


async def test_aclose_fails_calls_waiting_for_a_connection_with_client_closed() -> None:
    entered, release = asyncio.Event(), asyncio.Event()

    async def hold(request: web.Request) -> web.StreamResponse:
        entered.set()
        await release.wait()
        return json_response({"returnCode": 0})

    async with fake_server() as (fake, url):
        fake.handler = hold
        client = AsyncChorusClient(base_url=url, email=EMAIL, password=PASSWORD, connection_limit=1)
        in_flight = asyncio.create_task(write(client))  # takes the only connection
        await entered.wait()
        waiting = [asyncio.create_task(call(client) if i % 2 else write(client)) for i in range(40)]
        asked = asyncio.create_task(call(client))
        for _ in range(50):  # let every call reach its wait for the connection
            await asyncio.sleep(0)
        asked.cancel()  # a cancellation the caller asks for stays one
        await client.aclose()
        results = await asyncio.wait_for(
            asyncio.gather(in_flight, asked, *waiting, return_exceptions=True), 10
        )
        release.set()
    sent, cancelled, *rest = results
    assert isinstance(sent, OutcomeUnknownError), sent  # it was really sent
    assert isinstance(cancelled, asyncio.CancelledError)
    assert all(isinstance(r, ClientClosedError) for r in rest), rest
    assert fake.hits["factures/consulter"] == 1
