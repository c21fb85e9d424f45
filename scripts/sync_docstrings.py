"""The docstring rules of ``generate_sync.py``: an async client's docstring made true for the
blocking client, then written as a docstring. Its own module so that each file reads in one
sitting; ``generate_sync.py`` re-exports what the tests use.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Callable
from typing import Final

LINE_LENGTH: Final = 100  # pyproject.toml's; ruff does not reflow docstrings
PAIRED_NAMES: Final = {"aclose": "close", "__aenter__": "__enter__", "__aexit__": "__exit__"}
Rewrite = tuple[str, str | Callable[[re.Match[str]], str]]
DOC_REWRITES: Final[list[Rewrite]] = [
    (r"\basync\s+(with|for|iterator|iterable|context\s+manager)\b", r"\1"),
    (r"\b(A|a)sync client\b", lambda m: ("B" if m[1] == "A" else "b") + "locking client"),
    (r"\bawait\s+", ""),
    *((rf"(?<!\w){old}\b", new) for old, new in PAIRED_NAMES.items()),
]
ASYNC_WORDING: Final = re.compile(
    r"\bawait\b|\basync\s+(for|with|def|iter|context)|\b__a\w+__|(?<!\w)aclose\b|\bAsync[A-Z]"
)


class GeneratorError(Exception):
    """The async surface has something the generator has no rule for."""


def blocking_doc(doc: str | None, sync_names: dict[str, str], where: str) -> str:
    """``doc`` for the blocking client: ``await``, ``async with``/``for``, "async iterator/context
    manager", ``aclose`` and async class names rewritten; paragraphs starting "With the async
    client:" left out, "With the blocking client: " dropped from those starting with it."""
    paragraphs = []
    for paragraph in inspect.cleandoc(doc or "").split("\n\n"):
        if paragraph.startswith("With the blocking client: "):
            rest = paragraph.removeprefix("With the blocking client: ")
            paragraphs.append(rest[:1].upper() + rest[1:])
        elif not paragraph.startswith("With the async client:"):
            paragraphs.append(paragraph)
    text = "\n\n".join(paragraphs)
    for old, new in sync_names.items():
        if not old.startswith("Async") and re.search(rf"\b{old}\(", text):
            raise GeneratorError(
                f"{where}: the docstring builds {old}(...), which the blocking client cannot: "
                "reword it, or put it in a 'With the async client:' paragraph"
            )
        text = re.sub(rf"\b{old}\b", new, text)
    for pattern, replacement in DOC_REWRITES:
        text = re.sub(pattern, replacement, text)
    if left := ASYNC_WORDING.search(text):
        raise GeneratorError(
            f"{where}: the docstring still says {left[0]!r} for the blocking client: add a rule"
            " to scripts/generate_sync.py or a 'With the async client:' paragraph"
        )
    return text


def docstring(text: str, indent: int) -> str:
    """``text`` as a docstring; a paragraph a rewrite made too long is rewrapped."""
    width, paragraphs = LINE_LENGTH - indent - 3, text.split("\n\n")
    for i, paragraph in enumerate(paragraphs):
        if any(len(line) > width for line in paragraph.split("\n")):
            paragraphs[i] = textwrap.fill(paragraph, width, break_on_hyphens=False)
    text = "\n\n".join(paragraphs).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    text = text[:-1] + '\\"' if text.endswith('"') else text
    return f'"""{text}\n"""' if "\n" in text else f'"""{text}"""'
