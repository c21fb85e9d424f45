"""Group downloads decoded as they arrive (issue 14): into ``dest`` or into memory.

A purpose-built server on 127.0.0.1 sends ``telecharger-groupe`` answers in small chunks
(so base64 quartets and JSON escapes are cut across chunks); both clients. The file at
``dest`` must be byte-identical, the response must still give the file, and bodies the
scanner does not follow (a BOM, an escaped key, nested values) must still decode.
"""

from __future__ import annotations

import base64
import io
import json
import os
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from dual_client import KINDS, dual_client
from fake_server import API_KEY, fake_server

from factpulse_chorus._files import DownloadedFile
from factpulse_chorus._stream import DownloadSink, StreamedResponse

Answer = Callable[[web.Request], Awaitable[web.StreamResponse]]


def archive(size: int, seed: int = 1) -> bytes:
    """A real ZIP archive of about ``size`` bytes (stored: the size is the archive's)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as zipped:
        zipped.writestr("a/invoice.pdf", b"%PDF-1.7\n" + os.urandom(size))
        zipped.writestr("a/invoice.xml", f"<?xml version='1.0'?><i n='{seed}'/>")
    return buffer.getvalue()


def envelope(text: str, key: str = "fichierBase64", **fields: Any) -> bytes:
    """A 200 body whose file field holds ``text`` (already base64, maybe with escapes)."""
    head = json.dumps({"codeRetour": 0, "libelle": "GDP_MSG_00.000", **fields})[:-1]
    return f'{head}, "{key}": "{text}"}}'.encode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def chunked(body: bytes, *, size: int = 4093, status: int = 200) -> Answer:
    async def answer(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=status, headers={"Content-Type": "application/json"})
        response.content_length = len(body)
        await response.prepare(request)
        for start in range(0, len(body), size):
            await response.write(body[start : start + size])
        await response.write_eof()
        return response

    return answer


class Script:
    """Answers in turn (the last one again once they run out); counts the calls."""

    def __init__(self) -> None:
        self.answers: list[Answer] = []
        self.hits = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        self.hits += 1
        return await self.answers[min(self.hits, len(self.answers)) - 1](request)


@pytest.fixture
async def script() -> AsyncIterator[tuple[Script, str]]:
    served = Script()
    async with fake_server(served.handle) as (_fake, url):
        yield served, url


def files_in(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("kind", KINDS)
async def test_the_file_is_streamed_to_dest_byte_for_byte(
    kind: str, script: tuple[Script, str], tmp_path: Path
) -> None:
    served, url = script
    data = archive(3 * 1024 * 1024)
    served.answers = [chunked(envelope(b64(data)))]
    dest = tmp_path / "groupe.zip"
    dest.write_bytes(b"an older download")
    async with dual_client(kind, base_url=url, api_key=API_KEY) as client:
        response = await client.factures.telecharger_groupe([7412589], dest=dest)
    assert dest.read_bytes() == data
    assert files_in(tmp_path) == ["groupe.zip"]  # no temporary file left
    assert isinstance(response.raw, StreamedResponse)
    assert response.raw.file == DownloadedFile(size=len(data), head=data[:64], path=dest)
    assert response.raw.json == {"codeRetour": 0, "libelle": "GDP_MSG_00.000"}
    assert (response.return_code, response.message, response.file_base64) == (
        0,
        "GDP_MSG_00.000",
        None,
    )
    # The response still gives the file: read back from dest, the ZIP read in place.
    assert response.content() == data
    assert response.content_kind == "zip"
    assert response.zip_members() == ["a/invoice.pdf", "a/invoice.xml"]
    assert response.read_member("a/invoice.xml").startswith(b"<?xml")
    extracted = response.extract(tmp_path / "out")
    assert [p.name for p in extracted] == ["invoice.pdf", "invoice.xml"]
    assert response.save(tmp_path / "copy.zip").read_bytes() == data
    assert response.save(dest) == dest  # onto itself: nothing to do
    assert dest.read_bytes() == data


@pytest.mark.parametrize("kind", KINDS)
async def test_without_dest_the_decoded_file_is_held(
    kind: str, script: tuple[Script, str], tmp_path: Path
) -> None:
    served, url = script
    data = b"%PDF-1.7\n" + os.urandom(200_001)
    served.answers = [chunked(envelope(b64(data)), size=1001)]
    async with dual_client(kind, base_url=url, api_key=API_KEY) as client:
        response = await client.factures.telecharger_groupe([1], file_format="PDF")
    assert response.content() == data
    assert response.content() is response.content()  # held once, not decoded per call
    assert response.content_kind == "pdf"
    assert response.raw.file.path is None
    assert response.save(tmp_path / "f.pdf").read_bytes() == data
    assert files_in(tmp_path) == ["f.pdf"]


@pytest.mark.parametrize(
    "body",
    [
        # JSON escapes cut across chunks: \/ for /, \n line breaks, \u0041 for A, spaces.
        pytest.param("escapes", id="escapes"),
        pytest.param("fallback", id="native-name"),
        pytest.param("bom", id="utf8-bom"),
        pytest.param("escaped-key", id="escaped-key"),
        pytest.param("nested", id="nested-values-first"),
        pytest.param("both-names", id="both-names"),
    ],
)
async def test_every_form_of_the_body_decodes(
    body: str, script: tuple[Script, str], tmp_path: Path
) -> None:
    served, url = script
    data = archive(50_000, seed=7)
    text = b64(data)
    if body == "escapes":
        lines = [text[i : i + 76] for i in range(0, len(text), 76)]
        wire = "\\n".join(lines).replace("/", "\\/").replace("A", "\\u0041", 3) + "  "
        raw = envelope(" " + wire)
    elif body == "fallback":
        raw = envelope(text, key="fichierResultat")
    elif body == "bom":
        raw = b"\xef\xbb\xbf" + envelope(text)
    elif body == "escaped-key":
        raw = envelope(text, key="fichier\\u0042ase64")
    elif body == "nested":
        tricky = {"a": [1, {"b": '}"{,:'}], "fichierBase64x": "no", "t": True, "n": None}
        raw = envelope(text, nested=tricky, amount=1.5)
    else:  # the documented name wins over the native one, wherever it comes
        raw = envelope(text, key="fichierBase64")[:-1] + b', "fichierResultat": "QUFB"}'
    served.answers = [chunked(raw, size=7)]
    async with dual_client("async", base_url=url, api_key=API_KEY) as client:
        response = await client.factures.telecharger_groupe([1], dest=tmp_path / "f.zip")
        memory = await client.factures.telecharger_groupe([1])
    assert (tmp_path / "f.zip").read_bytes() == data
    assert memory.content() == data
    assert "fichierBase64" not in response.raw.json
    assert files_in(tmp_path) == ["f.zip"]


async def test_a_retry_restarts_the_file_from_zero(
    script: tuple[Script, str], tmp_path: Path
) -> None:
    served, url = script
    longer, shorter = archive(400_000, seed=1), archive(100_000, seed=2)
    first = envelope(b64(longer))

    async def cut(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        response.content_length = len(first)
        await response.prepare(request)
        await response.write(first[: len(first) * 9 // 10])  # past the shorter file's size
        assert request.transport is not None
        request.transport.close()
        return response

    served.answers = [cut, chunked(envelope(b64(shorter)))]
    dest = tmp_path / "groupe.zip"
    async with dual_client("async", base_url=url, api_key=API_KEY) as client:
        response = await client.factures.telecharger_groupe([1], dest=dest, max_retries=2)
    assert served.hits == 2
    assert dest.read_bytes() == shorter  # not the first attempt's bytes, nor their tail
    assert response.raw.file.size == len(shorter)
    assert files_in(tmp_path) == ["groupe.zip"]


@pytest.mark.parametrize("pieces", [1, 2, 3, 5, 64, 1000])
async def test_the_sink_decodes_as_the_whole_text_would_wherever_it_is_cut(pieces: int) -> None:
    data = os.urandom(3001)
    text = b64(data)
    for body in (envelope(text), envelope(text[:-2] + " " + text[-2:] + " ")):
        sink = DownloadSink((b"fichierBase64",), None)
        step = max(1, len(body) // pieces)
        await sink.begin()
        for start in range(0, len(body), step):
            await sink.feed(body[start : start + step])
        rest = await sink.finish(200, "application/json", ())
        assert rest == {"codeRetour": 0, "libelle": "GDP_MSG_00.000"}
        assert sink._buffer.getvalue() == data
