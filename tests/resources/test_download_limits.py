"""Downloaded files: ZIP bombs, full disks and failed renames (issue 13, items 15 and 16).

A purpose-built server on 127.0.0.1 answers ``factures/telecharger-groupe`` with archives
built here: members are streamed to disk within size limits (typed error past them), and
every file is written to a temporary file renamed over its target, so a failure leaves
nothing half-written and the old file intact.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import sys
import textwrap
import tracemalloc
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from fake_server import API_KEY, fake_server, json_response

from factpulse_chorus import (
    ArchiveTooLargeError,
    AsyncChorusClient,
    FileWriteError,
    ResponseDecodeError,
)
from factpulse_chorus._files import MAX_MEMBER_BYTES
from factpulse_chorus.models.factures import FacturesTelechargerGroupeResponse

MIB = 1024 * 1024
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 256  # 64 KiB, hardly compressible


def zip_of(members: dict[str, int | bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """An archive whose members are the given bytes, or that many zero bytes (streamed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name, data in members.items():
            with archive.open(name, "w", force_zip64=True) as member:
                if isinstance(data, bytes):
                    member.write(data)
                    continue
                left = data
                while left:
                    member.write(bytes(min(MIB, left)))
                    left -= min(MIB, left)
    return buffer.getvalue()


class Downloads:
    """The server's answer to every download: the file set by the test."""

    def __init__(self) -> None:
        self.file = b""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = {"codeRetour": 0, "libelle": "ok"}
        body["fichierBase64"] = base64.b64encode(self.file).decode()
        return json_response(body)


@pytest.fixture
async def server() -> AsyncIterator[tuple[Downloads, str]]:
    downloads = Downloads()
    async with fake_server(downloads.handle) as (_fake, url):
        yield downloads, url


async def download(url: str, **kwargs: object) -> FacturesTelechargerGroupeResponse:
    async with AsyncChorusClient(base_url=url, api_key=API_KEY) as client:
        return await client.factures.telecharger_groupe([1234567], **kwargs)  # type: ignore[arg-type]


def files_in(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


# --- item 15: ZIP members streamed, within limits -------------------------------------------


async def test_a_zip_bomb_is_refused_by_the_default_limits(
    server: tuple[Downloads, str], tmp_path: Path
) -> None:
    downloads, url = server
    downloads.file = zip_of({"ok.xml": b"<?xml version='1.0'?><ok/>", "bomb.pdf": 160 * MIB})
    assert len(downloads.file) < 400_000  # 160 MiB in a few hundred KB
    response = await download(url)
    tracemalloc.start()
    try:
        with pytest.raises(ArchiveTooLargeError) as info:
            response.extract(tmp_path / "out")
        assert info.value.member == "bomb.pdf"
        assert info.value.parameter == "max_member_bytes"
        assert info.value.limit == MAX_MEMBER_BYTES
        with pytest.raises(ArchiveTooLargeError):
            response.read_member("bomb.pdf")
        assert response.read_member("ok.xml").startswith(b"<?xml")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * MIB  # nothing was decompressed whole
    assert isinstance(info.value, ResponseDecodeError)  # caught with the other bad archives
    assert files_in(tmp_path) == []


async def test_members_are_streamed_to_disk_not_held_in_memory(
    server: tuple[Downloads, str], tmp_path: Path
) -> None:
    downloads, url = server
    downloads.file = zip_of({"a/big.pdf": 48 * MIB, "b/small.xml": b"<?xml?><x/>"})
    response = await download(url)
    tracemalloc.start()
    try:
        files = response.extract(tmp_path / "out")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 12 * MIB  # chunks of 1 MiB, never the 48 MiB member
    assert files_in(tmp_path / "out") == ["a/big.pdf", "b/small.xml"]
    assert [f.stat().st_size for f in files] == [48 * MIB, len(b"<?xml?><x/>")]


@pytest.mark.parametrize(
    ("members", "limits", "parameter"),
    [
        ({"one.pdf": 3 * MIB}, {"max_member_bytes": MIB}, "max_member_bytes"),
        (
            {"a.pdf": MIB, "b.pdf": MIB, "c.pdf": MIB},
            {"max_total_bytes": 2 * MIB + 1},
            "max_total_bytes",
        ),
    ],
)
async def test_configured_limits_raise_a_typed_error_and_write_nothing(
    server: tuple[Downloads, str],
    tmp_path: Path,
    members: dict[str, int | bytes],
    limits: dict[str, int],
    parameter: str,
) -> None:
    downloads, url = server
    downloads.file = zip_of({"first.xml": b"<?xml?><first/>", **members})
    response = await download(url)
    out = tmp_path / "out"
    out.mkdir()
    (out / "first.xml").write_bytes(b"old")
    with pytest.raises(ArchiveTooLargeError) as info:
        response.extract(out, **limits)
    assert info.value.parameter == parameter
    assert files_in(tmp_path) == ["out/first.xml"]  # no temporary file left
    assert (out / "first.xml").read_bytes() == b"old"  # not replaced by the new one
    # Within the limits it works, and a member can be read under its own limit.
    assert len(response.extract(out, max_member_bytes=4 * MIB, max_total_bytes=8 * MIB)) == 1 + len(
        members
    )
    with pytest.raises(ArchiveTooLargeError):
        response.read_member(next(iter(members)), max_bytes=MIB - 1)


def test_too_many_members_and_unbounded_compression_methods_are_refused(tmp_path: Path) -> None:
    many = FacturesTelechargerGroupeResponse(
        file_base64=base64.b64encode(zip_of(dict.fromkeys(map(str, range(10_001)), b""))).decode()
    )
    with pytest.raises(ArchiveTooLargeError, match="more than 10000 members"):
        many.extract(tmp_path / "many")
    bzip = FacturesTelechargerGroupeResponse(
        file_base64=base64.b64encode(zip_of({"x.pdf": MIB}, zipfile.ZIP_BZIP2)).decode()
    )
    with pytest.raises(ResponseDecodeError, match="unsupported compression"):
        bzip.read_member("x.pdf")
    with pytest.raises(ResponseDecodeError, match="unsupported compression"):
        bzip.extract(tmp_path / "bzip")
    assert files_in(tmp_path) == []


def test_member_names_that_clash_are_refused_before_writing(tmp_path: Path) -> None:
    clash = FacturesTelechargerGroupeResponse(
        file_base64=base64.b64encode(zip_of({"a": b"file", "a/b.pdf": b"x"})).decode()
    )
    with pytest.raises(ResponseDecodeError, match="also a folder"):
        clash.extract(tmp_path / "out")
    assert files_in(tmp_path) == []


# --- item 16: written atomically, a typed error, the old file intact ------------------------

# Run in a child process: RLIMIT_FSIZE makes any write past `limit` bytes fail (EFBIG), a
# full disk as far as the SDK can tell, without touching the test process or needing root.
CHILD = textwrap.dedent(
    """
    import json, resource, signal, sys
    from factpulse_chorus import ChorusClient, FactPulseError
    url, key, dest, folder, limit = sys.argv[1:]
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails instead of killing us
    results = []
    with ChorusClient(base_url=url, api_key=key) as client:
        resource.setrlimit(resource.RLIMIT_FSIZE, (int(limit), resource.RLIM_INFINITY))
        try:
            client.factures.telecharger_groupe([1234567], dest=dest)
        except Exception as exc:
            results.append([type(exc).__name__, getattr(exc, "path", None), str(exc)])
            isinstance(exc, FactPulseError) or results.append(["not a FactPulseError"])
        download = client.factures.telecharger_groupe([1234567])
        for call in (lambda: download.save(dest), lambda: download.extract(folder)):
            try:
                call()
            except Exception as exc:
                results.append([type(exc).__name__, getattr(exc, "path", None), str(exc)])
    print(json.dumps(results))
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
async def test_disk_full_mid_write_leaves_the_old_file_intact(
    server: tuple[Downloads, str], tmp_path: Path
) -> None:
    downloads, url = server
    downloads.file = zip_of({"keep.xml": b"<?xml?><new/>", "big.pdf": PDF}, zipfile.ZIP_STORED)
    dest = tmp_path / "invoices.zip"
    dest.write_bytes(b"PK old, good archive")
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "keep.xml").write_bytes(b"<?xml?><old/>")
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD,
        url,
        API_KEY,
        str(dest),
        str(folder),
        str(16 * 1024),  # larger than the old files, smaller than the download
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    out, err = await asyncio.wait_for(child.communicate(), timeout=60)
    assert child.returncode == 0, err.decode()
    results = json.loads(out.decode().strip().splitlines()[-1])
    assert [r[0] for r in results] == ["FileWriteError"] * 3, results
    assert [r[1] for r in results] == [str(dest), str(dest), str(folder / "big.pdf")]
    assert "File too large" in results[0][2]
    assert dest.read_bytes() == b"PK old, good archive"  # the old file, intact
    assert (folder / "keep.xml").read_bytes() == b"<?xml?><old/>"
    assert files_in(tmp_path) == ["invoices.zip", "out/keep.xml"]  # no temporary file left


async def test_a_target_that_cannot_be_replaced_is_a_typed_error(
    server: tuple[Downloads, str], tmp_path: Path
) -> None:
    downloads, url = server
    downloads.file = PDF
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "inside.txt").write_bytes(b"keep")
    with pytest.raises(FileWriteError) as info:
        await download(url, file_format="PDF", dest=folder)
    assert info.value.path == str(folder)
    with pytest.raises(FileWriteError) as missing:
        await download(url, file_format="PDF", dest=tmp_path / "missing" / "f.pdf")
    assert missing.value.path == str(tmp_path / "missing" / "f.pdf")
    assert missing.value.errno is not None
    assert files_in(tmp_path) == ["taken/inside.txt"]
    # And the normal case: the file replaces the old one whole.
    (tmp_path / "f.pdf").write_bytes(b"old")
    await download(url, file_format="PDF", dest=tmp_path / "f.pdf")
    assert (tmp_path / "f.pdf").read_bytes() == PDF
    assert files_in(tmp_path) == ["f.pdf", "taken/inside.txt"]
