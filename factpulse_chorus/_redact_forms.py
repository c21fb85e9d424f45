"""The regexes :func:`._redact.scrub` finds secrets with, and the linear-time search over them.

Each character of a secret is matched in any of the forms a server may echo it in
(:func:`char_forms`). Many of them start with a run of escaping backslashes, each maybe
encoded itself (``\\\\u00e9``, ``%5Cu00e9``): :data:`_BS`. Tried at each position of a long
run of those, the regex reads the run to its end each time: time quadratic in its length,
which a hostile server can make megabytes long. :class:`Scrubber` tries the full pattern
only where the run begins, and inside it only the forms that do not start with a backslash
(:meth:`Scrubber.sub` says why that finds the same matches).
"""

from __future__ import annotations

import functools
import re
from typing import Final

__all__ = ["Scrubber", "char_forms", "encoded_starts", "first_chars"]

MASK: Final = "***"


def _hex(number: int, width: int) -> str:
    """``number`` in hexadecimal, either case (``[eE]9``)."""
    digits = f"{number:0{width}x}"
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in digits)


_SHORT_ESCAPES: Final = {'"': '"', "\\": "\\", "/": "/", "\b": "b", "\f": "f"}
_SHORT_ESCAPES_MORE: Final = {"\n": "n", "\r": "r", "\t": "t", "'": "'"}
_ENTITIES: Final = {'"': "quot", "&": "amp", "<": "lt", ">": "gt", "'": "apos"}


def _ascii_forms(char: str) -> str:
    """An ASCII character as it is, percent-encoded (once or more) or as an HTML entity."""
    code = ord(char)
    forms = [
        re.escape(char),
        f"%(?:25)*{_hex(code, 2)}",
        f"&#0*{code};",
        f"&#[xX]0*{_hex(code, 0)};",
    ]
    if char in _ENTITIES:
        forms.append(f"&{_ENTITIES[char]};")
    return f"(?:{'|'.join(forms)})"


# One backslash as it is or encoded: one token of a run of escaping backslashes. No token
# starts inside another, and a run splits into tokens one way only.
_TOKEN: Final = _ascii_forms("\\")
# One or more backslashes (an escape, escaped again), each maybe encoded itself.
_BS: Final = f"{_TOKEN}+"


def _code_point_forms(code: int, lead: bool) -> list[str]:
    """Regex forms of one code point, but its UTF-8 bytes (see :func:`char_forms`).

    ``lead``: without the forms that start with :data:`_BS` (see :class:`Scrubber`).
    """
    # A form that starts with a new character must add it to encoded_starts, or texts
    # holding only that form would be searched for the secrets as they are, and miss it.
    char = chr(code)
    forms = [re.escape(char)]
    escaped: list[str] = []
    escapes = {**_SHORT_ESCAPES, **_SHORT_ESCAPES_MORE}
    if char in escapes:
        # \" \\ \/ \n, escaped once or more, the escaped character maybe encoded too
        escaped.append(_BS + _ascii_forms(escapes[char]))
    if code <= 0xFFFF:
        escaped.append(_BS + r"u" + _hex(code, 4))
    else:  # a JSON surrogate pair, or Python's \U0001xxxx
        high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
        escaped.append(rf"{_BS}u{_hex(high, 4)}{_BS}u{_hex(low, 4)}")
        escaped.append(_BS + r"U" + _hex(code, 8))
    if code <= 0xFF:
        escaped.append(_BS + r"x" + _hex(code, 2))
    if not lead:
        forms.extend(escaped)
    forms.append(rf"&#0*{code};|&#[xX]0*{_hex(code, 1) if code < 16 else _hex(code, 0)};")
    if char in _ENTITIES:
        forms.append(f"&{_ENTITIES[char]};")
    if char == " ":
        forms.append(r"\+")  # form encoding
    if code > 0xFF:
        forms.append(r"\?")  # lost when re-encoded to Latin-1 with errors="replace"
    return forms


def char_forms(char: str, lead: bool = False) -> str:
    """A regex matching ``char`` in any of the forms :func:`._redact.scrub` lists.

    ``lead``: without the forms that start with a run of escaping backslashes.
    """
    code = ord(char)
    forms = _code_point_forms(code, lead)
    utf8 = char.encode("utf-8", "surrogatepass")
    # Percent-encoding of the UTF-8 bytes, also encoded twice (%25C3%25A9).
    forms.append("".join(f"%(?:25)*{_hex(b, 2)}" for b in utf8))
    if code > 0x7F:
        # The UTF-8 bytes read as Latin-1 (mojibake), each byte in any of its forms; and
        # a character lost to the replacement character when decoding failed.
        bytes_forms = (_code_point_forms(b, lead and i == 0) for i, b in enumerate(utf8))
        forms.append("".join(f"(?:{'|'.join(f)})" for f in bytes_forms))
        forms.append("\ufffd")
    return f"(?:{'|'.join(forms)})"


def first_chars(char: str, lead: bool = False) -> set[str]:
    """The characters a match of :func:`char_forms` (``char``, ``lead``) can start with."""
    return {char} | encoded_starts(char, lead)


def encoded_starts(char: str, lead: bool = False) -> set[str]:
    """The characters a match of :func:`char_forms` other than ``char`` itself can start
    with: a backslash escape, percent-encoding, an HTML entity, and so on."""
    code = ord(char)
    firsts = {"%", "&"} if lead else {"\\", "%", "&"}
    if char == " ":
        firsts.add("+")
    if code > 0xFF:
        firsts.add("?")
    if code > 0x7F:  # its first UTF-8 byte read as Latin-1, or U+FFFD
        firsts.update((chr(char.encode("utf-8", "surrogatepass")[0]), "\ufffd"))
    return firsts


def _char_class(chars: set[str]) -> re.Pattern[str]:
    return re.compile(f"[{''.join(re.escape(c) for c in sorted(chars))}]")


class Scrubber:
    """Replaces the given secrets, in any of their forms, by ``"***"`` (:meth:`sub`).

    The regexes of the encoded forms are compiled when a text first needs them: a secret of
    a few hundred characters (a token) makes them take a large fraction of a second of CPU,
    and most texts need none of them.
    """

    def __init__(self, needles: tuple[str, ...]) -> None:
        # Longest first: a secret containing another one is masked whole.
        self._ordered: Final = sorted(needles, key=len, reverse=True)
        # Every form of a character but the character itself starts with one of these: in a
        # text without any, the secrets can only be there as they are.
        self._encoded: Final = _char_class(
            set().union(*(encoded_starts(c) for s in needles for c in s))
        )
        self._literal: Final = re.compile("|".join(map(re.escape, self._ordered)))
        # What a match can start with at all: a text without any is left as it is, found in
        # one fast scan (the regexes have no literal prefix to skip to: they try the pattern
        # at each character, 0.1 s a MB).
        self._starts: Final = _char_class(set().union(*(first_chars(s[0]) for s in needles)))

    @functools.cached_property
    def _secrets(self) -> str:
        return "|".join("".join(char_forms(c) for c in s) for s in self._ordered)

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        """The secrets, in any of their forms, as matched at any position."""
        return re.compile(self._secrets)

    @functools.cached_property
    def _outer(self) -> re.Pattern[str]:
        # The secrets, or else a run of two backslash tokens or more, skipped whole.
        return re.compile(f"(?:{self._secrets})|(?P<run>{_TOKEN}{{2,}})")

    @functools.cached_property
    def inner(self) -> re.Pattern[str]:
        """The secrets as matched inside a run: their first character in no form that
        starts with a backslash token."""
        return re.compile(
            "|".join(
                char_forms(s[0], lead=True) + "".join(map(char_forms, s[1:])) for s in self._ordered
            )
        )

    @functools.cached_property
    def _inner_starts(self) -> re.Pattern[str]:
        return _char_class(set().union(*(first_chars(s[0], True) for s in self._ordered)))

    def sub(self, text: str) -> str:
        """``text`` with the secrets masked: what ``self.pattern.sub("***", text)`` gives.

        A match that starts with a backslash token inside a run of them gives one that
        starts a token earlier, with the same end (the run of an escape is one token longer;
        a backslash becomes an escaped one). So where the pattern found nothing at the
        start of a run, it finds nothing in the run that starts with a token: inside the
        run, only the other forms are tried, where a match of them can start at all.
        """
        text = str.__str__(text)  # a plain str, as re.sub gives
        if self._encoded.search(text) is None:
            return self._literal.sub(MASK, text)
        if self._starts.search(text) is None:
            return text
        parts: list[str] = []
        done = pos = 0
        while (found := self._outer.search(text, pos)) is not None:
            pos = found.end()
            if found.lastgroup == "run":
                found = self._in_run(text, found.start() + 1, pos)
                if found is None:
                    continue
                pos = found.end()
            parts += (text[done : found.start()], MASK)
            done = pos
        if not parts:
            return text
        parts.append(text[done:])
        return "".join(parts)

    def _in_run(self, text: str, start: int, end: int) -> re.Match[str] | None:
        """The first match of a secret starting in ``text[start:end]``, inside a run."""
        for candidate in self._inner_starts.finditer(text, start, end):
            found = self.inner.match(text, candidate.start())
            if found is not None:
                return found
        return None
