"""The example payloads of the API reference, kept as JSON files under ``tests/data/``.

``tests/data/examples/<endpoint>.<request|response>.json`` are verbatim copies of the
reference's examples (REFERENCE.md §11), so the suite runs on a fresh clone; a test checks
the copies against the shared spec where that is present.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
EXAMPLES = DATA / "examples"


@functools.cache
def _text(name: str) -> str:
    return (EXAMPLES / f"{name}.json").read_text(encoding="utf-8")


def example(name: str) -> Any:
    """A fresh copy of one example (``"factures-consulter.response"``): tests may mutate it."""
    return json.loads(_text(name))


def example_names() -> list[str]:
    """Every example's name, sorted."""
    return sorted(path.stem for path in EXAMPLES.glob("*.json"))
