"""The two halves of a streamed download's decoding (used by :mod:`._stream`).

:class:`Scanner` follows the top level of a JSON object as its bytes arrive and hands the
string values of the file keys to :class:`Base64Decoder`, which decodes base64 cut
anywhere exactly as ``base64.b64decode(validate=True)`` decodes the whole text.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import Final

__all__ = ["BAD", "Base64Decoder", "Scanner"]

_SNIPPET: Final = 200 + 1024
_CONTROL: Final = re.compile(rb"[\x00-\x1f]")  # not allowed raw in a JSON string
_SPECIAL: Final = re.compile(rb'["{}\[\],:]')
_QUOTE_OR_ESCAPE: Final = re.compile(rb'["\\]')
_WHITESPACE: Final = b" \t\n\r"
_ESCAPED_SPACE: Final = frozenset(b"nrtf")  # \n \r \t \f: whitespace, dropped like any
BAD: Final = b"!"  # what an escape that is not base64 feeds the decoder: "not base64"


class Base64Decoder:
    """Decodes base64 fed in pieces of any size, as ``base64.b64decode(validate=True)``
    would the whole text with its spaces removed and its padding completed."""

    def __init__(self, emit: Callable[[bytes], None]) -> None:
        self._emit = emit
        self.reset()

    def reset(self) -> None:
        self._carry = b""
        self._ended = False  # padding seen: nothing may follow
        self.bad = False
        self.control = False  # a raw control character: invalid JSON, not just bad base64

    def _fail(self, data: bytes) -> None:
        self.bad = True
        self.control = self.control or _CONTROL.search(data) is not None

    def feed(self, data: bytes) -> None:
        if self.bad:
            self.control = self.control or _CONTROL.search(data) is not None
            return
        if b" " in data:
            data = data.replace(b" ", b"")
        if not data:
            return
        if self._ended:
            self._fail(data)
            return
        if self._carry:
            data = self._carry + data
        cut = len(data) - len(data) % 4
        block, self._carry = (data, b"") if cut == len(data) else (data[:cut], data[cut:])
        if not block:
            return
        try:
            decoded = base64.b64decode(block, validate=True)
        except (binascii.Error, ValueError):
            self._fail(data)
            return
        self._ended = block.endswith(b"=")
        self._emit(decoded)

    def close(self) -> None:
        """The value ended: decode what is left, padded."""
        carry, self._carry = self._carry, b""
        if self.bad or not carry:
            return
        if self._ended:
            self._fail(carry)
            return
        self._ended = True
        try:
            self._emit(base64.b64decode(carry + b"=" * (-len(carry) % 4), validate=True))
        except (binascii.Error, ValueError):
            self._fail(carry)


class Scanner:
    """Follows a JSON object's top level, copying everything to ``rest`` but the string
    values of ``keys`` (each replaced by ``null``), which go to the decoder.

    It only follows valid JSON: on anything else it gives up (``passthrough``: the rest
    of the body is kept whole), and the JSON reader then says what is wrong."""

    def __init__(
        self,
        keys: tuple[bytes, ...],
        decoder: Base64Decoder,
        start_value: Callable[[bytes], bool],
    ) -> None:
        self._keys = keys
        self._decoder = decoder
        self._start_value = start_value  # True: decode this value (else it is skipped)
        self.rest = bytearray()
        self.passthrough = False  # gave up: everything is kept, parsed whole
        self.json_error: str | None = None
        self.last_is_string: dict[bytes, bool] = {}  # per file key: its last value a string
        self._depth = 0
        self._role = "key"  # at depth 1: key, colon, value, after
        self._string: str | None = None  # key, value, nested, file, skip
        self._escaped = False  # a backslash ended the previous chunk (plain strings)
        self._pending = b""  # an escape cut by the end of a chunk (file strings)
        self._key = bytearray()
        self._current = b""

    def feed(self, chunk: bytes) -> None:
        if self._pending:
            chunk, self._pending = self._pending + chunk, b""
        if self.passthrough:
            self.rest += chunk
            return
        pos, end = 0, len(chunk)
        while pos < end:
            if self._string is not None:
                pos = self._in_string(chunk, pos)
                continue
            match = _SPECIAL.search(chunk, pos)
            stop = end if match is None else match.start()
            if stop > pos:
                if self._depth == 1 and chunk[pos:stop].strip(_WHITESPACE):
                    if self._role == "value":
                        self._role = "after"
                    elif self._role != "after":
                        self._give_up(chunk, pos)
                        return
                self.rest += chunk[pos:stop]
            if match is None:
                return
            if not self._structure(chunk[stop], chunk, stop):
                return
            pos = stop + 1

    def _give_up(self, chunk: bytes, pos: int) -> None:
        self.passthrough = True
        self.rest += chunk[pos:]

    def _structure(self, char: int, chunk: bytes, at: int) -> bool:
        """One structural character; False when the scanner gave up."""
        depth, role = self._depth, self._role
        if depth >= 2:
            if char == 0x22:  # "
                self._string = "nested"
            elif char in b"{[":
                self._depth += 1
            elif char in b"}]":
                self._depth -= 1
                if self._depth == 1:
                    self._role = "after"
            self.rest.append(char)
            return True
        if depth == 0:
            if char != 0x7B or self.rest.strip(_WHITESPACE):  # {, first thing in the body
                self._give_up(chunk, at)
                return False
            self._depth, self._role = 1, "key"
        elif char == 0x22 and role == "key":
            self._string = "key"
            self._key.clear()
        elif char == 0x22 and role == "value":
            if self._current in self._keys:
                self._start_file()
                return True
            self._string = "value"
        elif char in b"{[" and role == "value":
            self._depth = 2
        elif char == 0x3A and role == "colon":  # :
            self._role = "value"
        elif char == 0x2C and role == "after":  # ,
            self._role = "key"
        elif char == 0x7D and role in ("after", "key"):  # }
            self._depth, self._role = 0, "done"
        else:
            self._give_up(chunk, at)
            return False
        self.rest.append(char)
        return True

    def _start_file(self) -> None:
        self.rest += b"null"
        self.last_is_string[self._current] = True
        streaming = self._start_value(self._current)
        self._string = "file" if streaming else "skip"

    def _in_string(self, chunk: bytes, pos: int) -> int:
        """Consume string bytes from ``pos``; returns where the scan goes on."""
        kind = self._string
        if kind in ("file", "skip"):
            return self._in_file_string(chunk, pos)
        if self._escaped:
            self._escaped = False
            self._copy_string(chunk[pos : pos + 1])
            return pos + 1
        match = _QUOTE_OR_ESCAPE.search(chunk, pos)
        if match is None:
            self._copy_string(chunk[pos:])
            return len(chunk)
        at = match.start()
        if chunk[at] == 0x5C:  # a backslash: the next byte is escaped, whatever it is
            self._copy_string(chunk[pos : at + 2])
            self._escaped = at + 1 >= len(chunk)
            return at + 2
        self._copy_string(chunk[pos:at])
        self.rest.append(0x22)
        if kind == "key":
            self._current = bytes(self._key)
            if self._current in self._keys:
                self.last_is_string[self._current] = False
            self._role = "colon"
        elif kind == "value":
            self._role = "after"
        self._string = None
        return at + 1

    def _copy_string(self, data: bytes) -> None:
        self.rest += data
        if self._string == "key":
            self._key += data

    def _in_file_string(self, chunk: bytes, pos: int) -> int:
        end = len(chunk)
        quote = chunk.find(b'"', pos)
        stop = end if quote < 0 else quote
        escape_at = chunk.find(b"\\", pos, stop)  # memchr: the file string is long
        at = stop if escape_at < 0 else escape_at
        if at > pos:
            self._value(chunk[pos:at])
        if at == end:
            return end
        if at == quote:
            self._string, self._role = None, "after"
            return at + 1
        need = 6 if chunk[at + 1 : at + 2] == b"u" else 2
        if end - at < need:
            self._pending = chunk[at:]  # the escape goes on in the next chunk
            return end
        self._value(self._unescape(chunk[at + 1 : at + need]))
        return at + need

    def _unescape(self, escape: bytes) -> bytes:
        """What an escape in the file string stands for, as the decoder should see it."""
        if escape == b"/":
            return b"/"
        if escape[0] in _ESCAPED_SPACE:
            return b""
        if escape in (b'"', b"\\", b"b"):
            return BAD
        if escape[:1] == b"u":
            try:
                char = chr(int(escape[1:], 16))
            except ValueError:
                self.json_error = self.json_error or "an invalid \\u escape"
                return BAD
            if char.isspace():
                return b""
            return char.encode() if char.isascii() and char.isprintable() else BAD
        self.json_error = self.json_error or "an invalid escape"
        return BAD

    def _value(self, data: bytes) -> None:
        if self._string == "file":
            self._decoder.feed(data)
        elif self.json_error is None and _CONTROL.search(data):
            self.json_error = "a control character in a string"
