"""An upload's body without its base64 held in memory (issue 14).

The request's JSON is written once with :data:`PLACEHOLDER` as the file's field and split
around it: what is sent is that head, the file's base64 made a piece at a time while it is
written, and the tail. The bytes on the wire are the very bytes of the whole JSON text
encoded at once (base64 is ASCII, so its JSON string is itself between quotes), and
``Content-Length`` is known beforehand. Only the file's bytes are held: each attempt
(a retry included) writes the body again from them.
"""

from __future__ import annotations

import binascii
import secrets
from collections.abc import Callable, Iterator
from typing import Any, Final

from aiohttp import payload
from aiohttp.abc import AbstractStreamWriter

__all__ = ["PLACEHOLDER", "FileBody", "FileUpload"]

PLACEHOLDER: Final = f"factpulse-file-{secrets.token_hex(16)}"
"""Stands for the file's base64 in the request model and its wire dict; drawn at random
for each process, so that no other value of a body can hold it by chance."""

_QUOTED: Final = f'"{PLACEHOLDER}"'
_PIECE: Final = 3 * 128 * 1024
"""File bytes encoded per write: a multiple of 3, so that the pieces' base64 joined is the
whole file's (no padding inside); 512 KiB of base64 each."""


class FileUpload:
    """A request body one field of which is a file: its wire dict (``envelope``, the file's
    field holding :data:`PLACEHOLDER`) and the file's bytes (``content``)."""

    __slots__ = ("content", "envelope", "field")

    def __init__(self, envelope: dict[str, Any], field: str, content: bytes) -> None:
        self.envelope = envelope
        self.field = field
        self.content = content

    def __repr__(self) -> str:  # never the file, nor the envelope (credentials)
        return f"<FileUpload {self.field}: {len(self.content)} bytes>"

    def encode(self, dumps: Callable[[Any], str]) -> FileBody | bytes:
        """The body, the envelope written by ``dumps`` (TypeError/ValueError as it raises)."""
        head, found, tail = dumps(self.envelope).partition(_QUOTED)
        if not found or _QUOTED in tail:  # the file's field is not a string of its own
            text = binascii.b2a_base64(self.content, newline=False).decode("ascii")
            return dumps({**self.envelope, self.field: text}).encode("utf-8")
        return FileBody(f'{head}"'.encode(), self.content, f'"{tail}'.encode())


class FileBody:
    """An encoded body: ``head``, the base64 of ``content``, ``tail`` (see the module)."""

    __slots__ = ("content", "head", "size", "tail")

    def __init__(self, head: bytes, content: bytes, tail: bytes) -> None:
        self.head = head
        self.content = content
        self.tail = tail
        self.size = len(head) + (len(content) + 2) // 3 * 4 + len(tail)

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"<FileBody: {self.size} bytes, a file of {len(self.content)}>"

    def chunks(self) -> Iterator[bytes]:
        """The body's bytes in order, the base64 made piece by piece (a new pass each call)."""
        yield self.head
        view = memoryview(self.content)
        for start in range(0, len(view), _PIECE):
            yield binascii.b2a_base64(view[start : start + _PIECE], newline=False)
        yield self.tail

    def payload(self) -> payload.Payload:
        """A fresh aiohttp payload writing the body (one per attempt)."""
        return _FilePayload(self)


class _FilePayload(payload.Payload):
    """Writes a :class:`FileBody`; its size is the request's ``Content-Length``."""

    _autoclose = True  # holds nothing to close

    def __init__(self, body: FileBody) -> None:
        super().__init__(body, content_type="application/json")
        self._body = body
        self._size = body.size

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return b"".join(self._body.chunks()).decode(encoding, errors)

    async def write(self, writer: AbstractStreamWriter) -> None:
        await self.write_with_length(writer, None)

    async def write_with_length(
        self, writer: AbstractStreamWriter, content_length: int | None
    ) -> None:
        left = content_length
        for chunk in self._body.chunks():
            if left is not None:
                if left <= 0:
                    return
                chunk = chunk[:left]
                left -= len(chunk)
            await writer.write(chunk)
