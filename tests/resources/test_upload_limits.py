"""Issue 13, item 9: the 10 MiB upload limit never trusts a reported size.

A pipe, a FIFO or a file object that never ends is read to at most limit + 1 bytes, then
refused; a directory or an unreadable path is a RequestValidationError naming ``file``.
Nothing reaches the sandbox.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from factpulse_chorus import AsyncChorusClient, RequestValidationError
from factpulse_chorus._validation import MAX_ATTACHMENT_BYTES
from factpulse_chorus.sandbox import ThreadedSandbox

MiB = 1024 * 1024


def uploads(sandbox: ThreadedSandbox) -> dict[str, int]:
    return sandbox.stats()["requests"].get("transverses/ajouter-fichier", {})


class Endless:
    """A binary file object that never ends (like /dev/zero), counting what it hands out."""

    def __init__(self, chunk: int | None = None) -> None:
        self.chunk = chunk
        self.given = 0

    def read(self, size: int = -1) -> bytes:
        # Short reads, as a pipe or a socket gives them; never EOF.
        size = 64 * 1024 if size is None or size < 0 else size
        size = min(size, self.chunk) if self.chunk else size
        self.given += size
        if self.given > 40 * MiB:
            raise AssertionError("read far past the limit")
        return b"\0" * size


async def test_an_endless_file_object_is_read_to_the_limit_then_refused(
    client: AsyncChorusClient, chorus_sandbox: ThreadedSandbox
) -> None:
    endless = Endless(chunk=64 * 1024)
    with pytest.raises(RequestValidationError) as info:
        await client.transverses.ajouter_fichier(endless, name="zero.pdf")  # type: ignore[arg-type]
    assert info.value.field == "file"
    assert "10 MiB" in info.value.rule
    # Short reads are not taken for the end of the file, and reading stops at limit + 1.
    assert MAX_ATTACHMENT_BYTES < endless.given <= MAX_ATTACHMENT_BYTES + 1
    assert uploads(chorus_sandbox) == {}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a FIFO")
async def test_a_fifo_is_read_to_the_limit_then_refused(
    client: AsyncChorusClient, chorus_sandbox: ThreadedSandbox, tmp_path: Path
) -> None:
    fifo = tmp_path / "endless.pdf"
    os.mkfifo(fifo)
    written = [0]

    def writer() -> None:
        # Writes until the reader closes its end, 40 MiB at most (the test stays bounded).
        chunk = b"\0" * (64 * 1024)
        try:
            with open(fifo, "wb", buffering=0) as pipe:
                while written[0] < 40 * MiB:
                    written[0] += pipe.write(chunk)
        except BrokenPipeError:
            pass

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        with pytest.raises(RequestValidationError) as info:
            await client.transverses.ajouter_fichier(fifo)
    finally:
        thread.join(timeout=60)
    assert not thread.is_alive()
    assert info.value.field == "file"
    # The reader stopped past the limit: the writer got a broken pipe long before 40 MiB
    # (what it wrote beyond limit + 1 sits in the pipe's buffer, a few KiB).
    assert written[0] < MAX_ATTACHMENT_BYTES + 2 * MiB
    assert uploads(chorus_sandbox) == {}


async def test_a_directory_or_a_missing_path_is_refused_naming_file(
    client: AsyncChorusClient, chorus_sandbox: ThreadedSandbox, tmp_path: Path
) -> None:
    for path in (tmp_path, tmp_path / "missing.pdf", str(tmp_path)):
        with pytest.raises(RequestValidationError) as info:
            await client.transverses.ajouter_fichier(path)
        assert info.value.field == "file"
    assert uploads(chorus_sandbox) == {}


async def test_a_closed_or_text_file_object_is_refused_naming_file(
    client: AsyncChorusClient, chorus_sandbox: ThreadedSandbox, tmp_path: Path
) -> None:
    path = tmp_path / "f.pdf"
    path.write_bytes(b"%PDF-1.7")
    closed = path.open("rb")
    closed.close()
    text = path.open(encoding="ascii")
    try:
        for file in (closed, text):
            with pytest.raises(RequestValidationError) as info:
                await client.transverses.ajouter_fichier(file)  # type: ignore[arg-type]
            assert info.value.field == "file"
    finally:
        text.close()
    assert uploads(chorus_sandbox) == {}


async def test_a_file_at_the_limit_is_still_accepted(
    client: AsyncChorusClient, chorus_sandbox: ThreadedSandbox, tmp_path: Path
) -> None:
    # Short reads add up: a file of exactly the limit, handed out 64 KiB at a time, goes.
    class Exact(Endless):
        def read(self, size: int = -1) -> bytes:
            left = MAX_ATTACHMENT_BYTES - self.given
            return super().read(min(size, 64 * 1024, left)) if left > 0 else b""

    response = await client.transverses.ajouter_fichier(Exact(), name="exact.pdf")  # type: ignore[arg-type]
    assert response.attachment_id is not None
