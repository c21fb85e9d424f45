"""A group download decoded as it arrives, never held whole (``factures.telecharger_groupe``).

The answer is a JSON object whose file is one huge base64 string. :class:`DownloadSink` is
the transport's body sink for it: each chunk of a 2xx body is scanned; the string value
of a top-level file key (``fichierBase64``, or its fallback ``fichierResultat``) is
base64-decoded straight into memory or into a temporary file next to ``dest``, and every
other byte is kept, the file value replaced by ``null``, to be parsed as JSON at the end
by the same reader and the same checks as any other body. So the size cap, the retries
(each attempt restarts the file from zero), the JSON, business and decoding errors are
those of the in-memory path, and the file is renamed over ``dest`` only once the whole
answer has been read and checked.

A body the scanner does not follow (not an object, another encoding, escapes in the key)
is kept whole and decoded after parsing, as before: slower, never wrong.
"""

from __future__ import annotations

import io
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Final, TypeVar

import anyio.to_thread
import attrs

from ._converter import from_wire, to_wire
from ._errors import decode_json
from ._exceptions import FileWriteError, ResponseDecodeError
from ._files import NO_FILE_MESSAGE, NOT_BASE64_MESSAGE, DownloadedFile
from ._filewrite import StagedFile
from ._redact import scrub
from ._response import RawResponse
from ._stream_scan import BAD, Base64Decoder, Scanner
from ._types import RequestOptions
from ._wire import FALLBACK, wire_name

__all__ = ["DownloadSink", "StreamedResponse", "download"]

T = TypeVar("T")

_FLUSH: Final = 1024 * 1024
"""Decoded bytes are written to the file (in a worker thread) by pieces of this size."""
_HEAD: Final = 64
"""Decoded bytes kept for ``content_kind``."""
_SNIPPET: Final = 200 + 1024


@attrs.frozen
class StreamedResponse(RawResponse):
    """The :class:`RawResponse` of a streamed download: ``json`` is the body without the
    file field; ``file`` is the file, decoded (in memory, or where ``dest`` named)."""

    file: DownloadedFile | None = attrs.field(default=None, kw_only=True)


def file_keys(cls: type, field: str) -> tuple[bytes, ...]:
    """The wire names of ``cls.field``, in the order the model reads them."""
    attribute = attrs.fields_dict(cls)[field]
    names = (wire_name(attribute), *attribute.metadata.get(FALLBACK, ()))
    return tuple(name.encode() for name in names)


async def download(
    send: Callable[..., Awaitable[RawResponse]],
    path: str,
    request: Any,
    response_cls: type[T],
    *,
    field: str,
    dest: str | os.PathLike[str] | None,
    operation: str,
    options: RequestOptions,
) -> T:
    """POST ``request`` to ``path`` (a read) and return ``response_cls``, the file field
    ``field`` decoded as it arrives, into memory or into ``dest``.

    ``dest`` is written only when the whole answer has been read and checked; on any
    error (or cancellation) the temporary file is removed and ``dest`` is unchanged.
    """
    sink = DownloadSink(file_keys(response_cls, field), dest)
    try:
        await sink.open()
        raw = await send(
            "POST",
            path,
            json=to_wire(request),
            idempotent=True,
            operation=operation,
            options=options,
            sink=sink,
        )
        response = from_wire(raw.json, response_cls, raw=raw)
        return attrs.evolve(response, raw=await sink.commit(raw))  # type: ignore[misc]
    finally:
        await sink.close()


class DownloadSink:
    """The body sink of one download (see the module docstring): into memory, or into a
    temporary file next to ``dest``, renamed over it by :meth:`commit`.

    Use: ``open()`` (creates the temporary file: a ``dest`` that cannot be written fails
    before anything is sent), the request with ``sink=``, ``commit(raw)``; ``close()`` in
    a ``finally`` (removes the temporary file unless committed).
    """

    def __init__(self, keys: tuple[bytes, ...], dest: str | os.PathLike[str] | None) -> None:
        self._keys = keys
        self._dest = None if dest is None else Path(dest)
        self._staged: StagedFile | None = None
        self._write_error: FileWriteError | None = None
        self._written = False  # bytes are in the temporary file
        self._dirty = False  # ... that must go before the next write: an earlier value's
        self.decoder = Base64Decoder(self._emit)
        self._begin_state()

    def _begin_state(self) -> None:
        self._scanner = Scanner(self._keys, self.decoder, self.start_value)
        self.decoder.reset()
        self._buffer = io.BytesIO()
        self._pending = bytearray()
        self._head = b""
        self._size = 0
        self._key: bytes | None = None  # the file key whose value is being decoded
        self._found = False

    async def open(self) -> None:
        if self._dest is not None:
            self._staged = await anyio.to_thread.run_sync(StagedFile, self._dest)

    async def close(self) -> None:
        staged, self._staged = self._staged, None
        if staged is not None:
            await anyio.to_thread.run_sync(staged.discard)

    # --- the transport's side (``BodySink``) -----------------------------------------------

    async def begin(self) -> None:
        """A 2xx body starts: whatever an earlier attempt decoded is dropped."""
        self._begin_state()
        self._dirty = self._dirty or self._written

    async def feed(self, chunk: bytes) -> None:
        self._scanner.feed(chunk)
        if len(self._pending) >= _FLUSH:
            await self._flush()

    async def finish(self, status: int, content_type: str, secrets: tuple[str, ...]) -> Any:
        """The body's JSON without the file field; ResponseDecodeError when not JSON."""
        scanner = self._scanner
        parsed = decode_json(bytes(scanner.rest), status, content_type, secrets=secrets)
        if scanner.json_error is not None or self.decoder.control:
            # The rest reads, the file's string does not: worded as decode_json would.
            raise self._invalid_json(scanner, status, content_type, secrets)
        if not isinstance(parsed, dict):
            return parsed
        streamed = scanner.last_is_string
        chosen = next(
            (k for k in self._keys if streamed.get(k) or parsed.get(k.decode()) is not None),
            None,
        )
        if chosen is not None and not streamed.get(chosen):
            value = parsed[chosen.decode()]
            if isinstance(value, str):  # kept whole (passthrough): decoded now
                await self._decode_whole(chosen, value)
                del parsed[chosen.decode()]
            else:
                chosen = None  # not a string: the model refuses it
        elif chosen is not None and chosen != self._key:
            # A later null hid the value decoded, and the scan skipped the fallback
            # name's: too rare to keep both.
            raise ResponseDecodeError(
                "the response carries the file under several names", status_code=status
            )
        for key in self._keys:
            if streamed.get(key):
                parsed.pop(key.decode(), None)
        self._found = chosen is not None
        return parsed

    def _invalid_json(
        self, scanner: Scanner, status: int, content_type: str, secrets: tuple[str, ...]
    ) -> ResponseDecodeError:
        detail = scanner.json_error or "a control character in a string"
        reason = (
            f"invalid JSON ({detail} in the file field)"
            if "json" in content_type.lower()
            else "the body is not JSON"
        )
        snippet = scrub(bytes(scanner.rest[:_SNIPPET]).decode("utf-8", "replace"), secrets)
        return ResponseDecodeError(
            reason, status_code=status, content_type=content_type, snippet=str(snippet)[:200]
        )

    # --- the caller's side ----------------------------------------------------------------

    async def commit(self, raw: RawResponse) -> StreamedResponse:
        """The file, checked and in place: ResponseDecodeError when missing or not base64,
        FileWriteError when it cannot be written (the temporary file is then removed)."""
        if not getattr(self, "_found", False):
            raise ResponseDecodeError(NO_FILE_MESSAGE, status_code=raw.status)
        self.decoder.close()
        if self.decoder.bad:
            raise ResponseDecodeError(NOT_BASE64_MESSAGE, status_code=raw.status)
        if self._write_error is not None:
            raise self._write_error
        staged = self._staged
        if staged is None:
            file = DownloadedFile(size=self._size, head=self._head, content=self._buffer.getvalue())
        else:
            await self._flush()
            if self._write_error is not None:
                raise self._write_error
            path = await anyio.to_thread.run_sync(staged.commit)
            self._staged = None
            file = DownloadedFile(size=self._size, head=self._head, path=path)
        fields = {a.name: getattr(raw, a.name) for a in attrs.fields(RawResponse)}
        return StreamedResponse(**fields, file=file)

    # --- internals ------------------------------------------------------------------------

    def start_value(self, key: bytes) -> bool:
        """A string value of file key ``key`` starts: decode it (True) or skip it."""
        current = self._key
        if current is not None and self._keys.index(key) > self._keys.index(current):
            return False  # a fallback name after the main one: the model reads the main
        self._key = key
        if current is not None:  # a later value for the same or a better name: it wins
            self._restart_output()
        return True

    def _restart_output(self) -> None:
        self.decoder.reset()
        self._buffer = io.BytesIO()
        self._pending = bytearray()
        self._dirty = self._dirty or self._written
        self._head, self._size = b"", 0

    async def _decode_whole(self, key: bytes, value: str) -> None:
        self._key = key
        self._restart_output()
        text = "".join(value.split())
        for start in range(0, len(text), _FLUSH):
            piece = text[start : start + _FLUSH]
            self.decoder.feed(piece.encode() if piece.isascii() else BAD)
            if len(self._pending) >= _FLUSH:
                await self._flush()

    def _emit(self, data: bytes) -> None:
        if len(self._head) < _HEAD:
            self._head += data[: _HEAD - len(self._head)]
        self._size += len(data)
        if self._staged is None:
            self._buffer.write(data)
        elif self._write_error is None:
            self._pending += data

    async def _flush(self) -> None:
        data, self._pending = self._pending, bytearray()
        dirty, self._dirty = self._dirty, False
        self._written = self._written and not dirty
        if dirty or data:
            await self._run(lambda: self._write(data, restart=dirty))

    def _write(self, data: bytearray, *, restart: bool) -> None:
        staged = self._staged
        if staged is not None:
            if restart:  # a retry, or a later value: the file starts again from zero
                staged.restart()
            if data:
                staged.write(data)
                self._written = True

    async def _run(self, work: Callable[[], None]) -> None:
        """Blocking file work in a worker thread; a failure is kept for :meth:`commit`
        (the answer is still read to its end, so its own errors come first, as before)."""
        if self._write_error is not None or self._staged is None:
            return
        try:
            await anyio.to_thread.run_sync(work)
        except FileWriteError as exc:
            self._write_error = exc
            self._staged = None  # removed by StagedFile already
