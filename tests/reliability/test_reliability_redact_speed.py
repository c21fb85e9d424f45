"""Hostile bodies made to exhaust the masking of secrets: it stays linear, and never raises.

* Time: runs of escaping backslashes (or of their encodings, or of the first characters of
  the forms a secret is matched in) are scrubbed about as fast as plain text. Measured as
  a ratio to plain text of the same size, in a child process with a timeout: a regression
  fails instead of hanging the suite.
* Depth: a JSON body nested 100,000 deep (or just under what the JSON reader takes) from
  the token endpoint or an API endpoint, success or error, gives a result or a
  FactPulseError, never a RecursionError; with both JSON readers.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from fake_server import catch_all, make_jwt, serve

from factpulse_chorus import AsyncChorusClient, FactPulseError
from factpulse_chorus._config import RetryPolicy
from factpulse_chorus._redact import redact_scrub, scrub

SECRETS = ["S3cr3t-Passw0rd", "my-api-key-123456", "héllo wörld €", 'Pw é"\\ +%/ fp-TAIL1']
# 64 KiB: linear scrubbing takes milliseconds; a quadratic one, minutes or hours.
SIZE = 1 << 16
# Plain text holding characters a match may start with, so that it is really searched.
WORDS = "The quick brown fox & Sam jumps over 100% of the lazy dogs; héllo, S3cr3t. "
PATHOLOGICAL = {
    "backslashes": "\\",
    "escaped backslashes": "\\\\",
    "alternating \\u": "\\u",
    "\\x runs": "\\x",
    "\\U runs": "\\U",
    "percent signs": "%",
    "encoded backslashes": "%5C",
    "twice-encoded backslashes": "%255c",
    "encoded escapes": "%5Cu",
    "entity backslashes": "&#92;",
    "hex entity backslashes": "&#x5C;",
    "mixed backslash tokens": "\\%5C&#92;&#x5c;%25255C",
    "ampersands": "&",
    "entity starts": "&#",
    "percent 25 runs": "%25",
    "plus signs": "+",
    "question marks": "?",
    "replacement characters": "\ufffd",
    "mojibake lead bytes": "Ã",
    "first characters of the secrets": "SmhP",
    "backslashes then a secret start": "\\" * 999 + "S",
    "escaped secret prefixes": "\\\\u0053\\\\u0033",
}
MAX_RATIO = 20


def _seconds(text: str) -> float:
    started = time.perf_counter()
    scrub(text, SECRETS)
    redact_scrub({"message": text}, SECRETS)
    return time.perf_counter() - started


def ratios() -> None:
    """Print, for each pathological text, the time to scrub 64 KiB of it over that of
    64 KiB of plain text (best of 2 each)."""
    plain = (WORDS * (SIZE // len(WORDS) + 1))[:SIZE]
    scrub("warm the pattern cache", SECRETS)
    reference = min(_seconds(plain) for _ in range(2))
    for name, unit in PATHOLOGICAL.items():
        hostile = (unit * (SIZE // len(unit) + 1))[:SIZE]
        print(json.dumps([name, min(_seconds(hostile) for _ in range(2)) / reference]))


def test_pathological_texts_scrub_about_as_fast_as_plain_text() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import test_reliability_redact_speed as t; t.ratios()"],
        cwd=Path(__file__).parent,
        env={**os.environ, "PYTHONPATH": _pythonpath()},
        capture_output=True,
        text=True,
        timeout=300,  # hours of work when quadratic; seconds when linear
        check=True,
    )
    measured = dict(json.loads(line) for line in done.stdout.splitlines())
    assert set(measured) == set(PATHOLOGICAL)
    slow = {name: round(ratio, 1) for name, ratio in measured.items() if ratio > MAX_RATIO}
    assert not slow, f"times plain text: {slow}"


def _pythonpath() -> str:
    here = Path(__file__).parent
    return os.pathsep.join([str(here), str(here.parent), os.environ.get("PYTHONPATH", "")])


# -- bodies too deep to walk ------------------------------------------------------------------

FAST = RetryPolicy(base_delay=0.001, max_delay=0.005, max_retry_after=0.05)
PASSWORD = "deep-Pa55word-zz"
DEPTHS = (500, 900, 990, 2000, 100_000)
LOGIN: dict[str, Any] = {"email": "someone@example.com", "password": PASSWORD}
OPTIONS: dict[str, Any] = {"max_retries": 0, "retry_policy": FAST, "timeout": 30.0}


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def _bodies(depth: int) -> list[tuple[int, str]]:
    deep = _deep(depth)
    return [
        (200, deep),
        (200, '{"returnCode": 0, "message": "ok", "nested": ' + deep + "}"),
        (200, '{"returnCode": 1, "message": "refused", "nested": ' + deep + "}"),
        (400, '{"detail": ' + deep + "}"),
        (500, deep),
    ]


def deep_scenario() -> None:
    """Every call answered with deep bodies: a result or a FactPulseError, nothing else."""
    reply: dict[str, tuple[int, str]] = {}
    seen: list[Any] = []

    async def handle(request: web.Request) -> web.StreamResponse:
        await request.read()
        where = "login" if request.path.startswith("/api/token") else "api"
        status, body = reply[where]
        return web.Response(status=status, text=body, content_type="application/json")

    def check(outcome: BaseException | None) -> None:
        if outcome is None:
            return
        assert isinstance(outcome, FactPulseError), repr(type(outcome))
        for text in (str(outcome), repr(outcome), repr(outcome.args)):
            assert PASSWORD not in text

    async def call(client: AsyncChorusClient) -> BaseException | None:
        try:
            await client.structures.consulter(25827464)
        except BaseException as exc:  # what leaves the SDK is what we check
            return exc
        return None

    async def run() -> None:
        token = make_jwt({"token_type": "access", "exp": time.time() + 3600})
        async with serve(catch_all(handle)) as url:
            for depth in DEPTHS:
                for status, body in _bodies(depth):
                    # The token endpoint answering deep: refused, or its hook still fed.
                    reply["login"] = (
                        status,
                        body.replace('"message"', f'"access": "{token}", "m"'),
                    )
                    reply["api"] = (200, '{"returnCode": 0}')
                    async with AsyncChorusClient(
                        base_url=url, **LOGIN, **OPTIONS, on_response=seen.append
                    ) as login_client:
                        check(await call(login_client))
                    # An API endpoint answering deep, success and error.
                    reply["api"] = (status, body)
                    async with AsyncChorusClient(base_url=url, api_key="k", **OPTIONS) as client:
                        check(await call(client))
        assert seen  # the login's hook ran, on what it could be shown

    asyncio.run(run())


BACKENDS = [
    pytest.param("stdlib", id="stdlib"),
    pytest.param(
        "",
        id="orjson",
        marks=pytest.mark.skipif(
            importlib.util.find_spec("orjson") is None, reason="orjson is not installed"
        ),
    ),
]


@pytest.mark.parametrize("backend", BACKENDS)
def test_deep_bodies_give_a_result_or_a_factpulse_error(backend: str) -> None:
    code = "import test_reliability_redact_speed as t, factpulse_chorus._json as j;"
    code += "t.deep_scenario(); print(j.BACKEND)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).parent,
        env={**os.environ, "PYTHONPATH": _pythonpath(), "FACTPULSE_CHORUS_JSON": backend},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-1] == ("json" if backend == "stdlib" else "orjson")


def test_a_structure_too_deep_to_walk_has_that_part_masked() -> None:
    nested: list[Any] = []
    for _ in range(100_000):
        nested = [nested]
    body = {"returnCode": 1, "message": "S3cr3t-Passw0rd", "nested": nested}
    for shown in (scrub(body, SECRETS), redact_scrub(body, SECRETS)):
        assert shown["message"] == "***"
        assert shown["returnCode"] == 1
        inner = shown["nested"]
        while type(inner) is list and inner:  # walked down as deep as it goes
            inner = inner[0]
        assert inner == "***"
