"""The bytes of one exchange: a request body encoded once, handed anew to each attempt, and
a response body read under the ``max_response_size`` cap (whole, or fed to a
:class:`~factpulse_chorus._types.BodySink`)."""

from __future__ import annotations

import io
from typing import Any, Final

import aiohttp

from ._exceptions import RequestValidationError
from ._retry import BodyTooLarge
from ._types import BodySink
from ._upload import FileBody, FileUpload
from ._wire_values import encode_json

__all__ = ["attempt_payload", "encode_body", "read_body", "stream_body"]

_LARGE_BODY: Final = 1024 * 1024
"""Bodies of bytes above this size are streamed from a BytesIO (an upload's body is a
:class:`FileBody`, always streamed: see :mod:`._upload`)."""


def encode_body(body: Any) -> bytes | FileBody:
    try:
        if isinstance(body, FileUpload):  # sent in parts: its base64 is never held whole
            return body.encode(encode_json)
        # Decimals are written from their exact digits, never through a float.
        return encode_json(body).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise RequestValidationError("body", f"must be JSON-serialisable ({exc})") from exc


def attempt_payload(data: bytes | FileBody | None) -> Any:
    """What one attempt hands aiohttp as the body: made anew per attempt, so that a retry
    writes the same bytes again."""
    if data is None or (type(data) is bytes and len(data) <= _LARGE_BODY):
        return data
    if isinstance(data, FileBody):
        return data.payload()
    # aiohttp warns that a large raw-bytes body blocks the loop while it is written; a
    # BytesIO is streamed in chunks instead.
    return io.BytesIO(data)


async def read_body(response: aiohttp.ClientResponse, limit: int | None) -> bytes:
    """The whole body, or :class:`BodyTooLarge` as soon as more than ``limit`` bytes of it
    (decompressed: what aiohttp hands over) have arrived."""
    if limit is None:
        return await response.read()
    # The same loop as StreamReader.read(), plus a count: no cost on the normal path.
    content = response.content
    chunk = await content.readany()
    size = len(chunk)
    if size > limit:
        raise BodyTooLarge(limit)
    if not chunk or (content.at_eof() and content.exception() is None):
        return chunk  # a small body arrives whole: one read, nothing joined
    chunks = [chunk]
    while chunk := await content.readany():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def stream_body(response: aiohttp.ClientResponse, limit: int | None, sink: BodySink) -> bytes:
    """:func:`read_body` into ``sink``: each chunk counted, then fed; nothing is held."""
    await sink.begin()
    content = response.content
    size = 0
    while chunk := await content.readany():
        size += len(chunk)
        if limit is not None and size > limit:
            raise BodyTooLarge(limit)
        await sink.feed(chunk)
    return b""
