"""Streamed downloads that go wrong (issue 14): the errors of the in-memory path, and
never a partial file at ``dest`` (an older file there stays as it was).

Each fault is served by a purpose-built aiohttp app on 127.0.0.1: a body cut
mid-base64, invalid base64 or JSON mid-stream, a 500, a body past max_response_size, a
missing field, a business error, a cancelled call; both clients.
"""

from __future__ import annotations

import asyncio
import base64
import os
from pathlib import Path

import pytest
from aiohttp import web
from dual_client import KINDS, dual_client
from fake_server import API_KEY, json_response
from resources.test_download_stream import Answer, Script, chunked, envelope, files_in, script

from factpulse_chorus import (
    ChorusProBusinessError,
    FileWriteError,
    ResponseDecodeError,
    ResponseTooLargeError,
    ServerError,
)

__all__ = ["script"]  # the fixture, shared

DATA = b"PK\x03\x04" + os.urandom(300_000)
TEXT = base64.b64encode(DATA).decode()
HALF = len(TEXT) // 2


def cut_at(body: bytes, at: int) -> Answer:
    """Says it sends ``body`` whole, sends ``at`` bytes of it, then closes the connection."""

    async def answer(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        response.content_length = len(body)
        await response.prepare(request)
        await response.write(body[:at])
        assert request.transport is not None
        request.transport.close()
        return response

    return answer


def status(code: int) -> Answer:
    async def answer(request: web.Request) -> web.StreamResponse:
        return json_response({"detail": "boom"}, status=code)

    return answer


FAULTS: dict[str, tuple[Answer, type[Exception], str]] = {
    "cut-mid-base64": (
        cut_at(envelope(TEXT), 40 + HALF),
        ResponseDecodeError,
        "closed before the whole body",
    ),
    "invalid-base64-mid-stream": (
        chunked(envelope(TEXT[:HALF] + "!!!!" + TEXT[HALF:])),
        ResponseDecodeError,
        "not valid base64",
    ),
    "padding-then-more": (
        chunked(envelope("QQ==" + TEXT)),
        ResponseDecodeError,
        "not valid base64",
    ),
    "a-500": (status(500), ServerError, "500"),
    "malformed-json-after": (
        chunked(envelope(TEXT)[:-1] + b', "x": }'),
        ResponseDecodeError,
        "invalid JSON",
    ),
    "unterminated": (chunked(envelope(TEXT)[:-2]), ResponseDecodeError, "invalid JSON"),
    "control-character-in-the-file": (
        chunked(envelope(TEXT[:HALF] + "\n" + TEXT[HALF:])),
        ResponseDecodeError,
        "invalid JSON",
    ),
    "bad-escape-in-the-file": (
        chunked(envelope(TEXT[:HALF] + "\\x" + TEXT[HALF:])),
        ResponseDecodeError,
        "invalid JSON",
    ),
    "missing-field": (
        chunked(envelope(TEXT, key="autreChamp")),
        ResponseDecodeError,
        "carries no fichierBase64",
    ),
    "field-not-a-string": (
        chunked(b'{"codeRetour": 0, "fichierBase64": 12}'),
        ResponseDecodeError,
        "fichierBase64",
    ),
    "business-error": (
        chunked(envelope(TEXT, codeRetour=20001)),
        ChorusProBusinessError,
        "GDP_MSG_00.000",
    ),
    "too-large": (chunked(envelope(TEXT * 4)), ResponseTooLargeError, "larger than"),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_a_failed_download_leaves_no_file_and_the_old_one_intact(
    kind: str, fault: str, script: tuple[Script, str], tmp_path: Path
) -> None:
    served, url = script
    answer, error, message = FAULTS[fault]
    served.answers = [answer]
    dest = tmp_path / "groupe.zip"
    dest.write_bytes(b"an older download")
    options = {"base_url": url, "api_key": API_KEY, "max_response_size": 1024 * 1024}
    async with dual_client(kind, **options) as client:
        with pytest.raises(error, match=message):
            await client.factures.telecharger_groupe([1], dest=dest, max_retries=0)
        # Without dest: the same error.
        with pytest.raises(error, match=message):
            await client.factures.telecharger_groupe([1], max_retries=0)
    assert dest.read_bytes() == b"an older download"
    assert files_in(tmp_path) == ["groupe.zip"]  # no temporary file left


async def test_reads_are_retried_after_a_cut_or_a_503(
    script: tuple[Script, str], tmp_path: Path
) -> None:
    served, url = script
    served.answers = [cut_at(envelope(TEXT), 40 + HALF), status(503), chunked(envelope(TEXT))]
    dest = tmp_path / "groupe.zip"
    async with dual_client("async", base_url=url, api_key=API_KEY) as client:
        await client.factures.telecharger_groupe([1], dest=dest, max_retries=3)
    assert served.hits == 3
    assert dest.read_bytes() == DATA
    assert files_in(tmp_path) == ["groupe.zip"]


async def test_a_dest_that_cannot_be_written_fails_before_anything_is_sent(
    script: tuple[Script, str], tmp_path: Path
) -> None:
    served, url = script
    served.answers = [chunked(envelope(TEXT))]
    async with dual_client("async", base_url=url, api_key=API_KEY) as client:
        with pytest.raises(FileWriteError) as info:
            await client.factures.telecharger_groupe([1], dest=tmp_path)
        assert info.value.path == str(tmp_path)
        with pytest.raises(FileWriteError):
            await client.factures.telecharger_groupe([1], dest=tmp_path / "no" / "f.zip")
    assert served.hits == 0
    assert files_in(tmp_path) == []


async def test_a_cancelled_download_removes_its_temporary_file(
    script: tuple[Script, str], tmp_path: Path
) -> None:
    served, url = script
    body = envelope(TEXT)
    sent, release = asyncio.Event(), asyncio.Event()

    async def stall(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        response.content_length = len(body)
        await response.prepare(request)
        await response.write(body[: len(body) // 2])
        sent.set()
        await release.wait()
        return response

    served.answers = [stall]
    async with dual_client("async", base_url=url, api_key=API_KEY) as client:
        call = asyncio.ensure_future(
            client.factures.telecharger_groupe([1], dest=tmp_path / "f.zip")
        )
        await sent.wait()
        assert len(files_in(tmp_path)) == 1  # the temporary file, being written
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        release.set()
    assert files_in(tmp_path) == []


@pytest.mark.parametrize("where", ["before", "in-the-file"])
async def test_an_echoed_secret_is_masked_in_the_error(
    where: str, script: tuple[Script, str], tmp_path: Path
) -> None:
    served, url = script
    text = TEXT[:100] + ("\n" if where == "in-the-file" else "") + TEXT[100:200]
    body = envelope(text, echo=API_KEY)
    served.answers = [chunked(body if where == "in-the-file" else body[:-1] + b",}")]
    async with dual_client("async", base_url=url, api_key=API_KEY) as client:
        with pytest.raises(ResponseDecodeError, match="invalid JSON") as info:
            await client.factures.telecharger_groupe([1], dest=tmp_path / "f.zip")
    assert API_KEY not in str(info.value)
    assert API_KEY not in repr(info.value.__dict__)
    assert files_in(tmp_path) == []
