"""Every Python code block of the README runs, against the sandbox, so the README cannot drift."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from factpulse_chorus.sandbox import sandbox_in_thread

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_the_readme_has_code_blocks() -> None:
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("source", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_block_runs(source: str, capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, Any] = {"__name__": "readme_block"}
    exec(compile(source, str(README), "exec"), namespace)
    # A block that defines pytest tests: run them with the fixtures they ask for.
    for name, test in list(namespace.items()):
        if not (name.startswith("test_") and callable(test)):
            continue
        marks = getattr(test, "pytestmark", [])
        options = next((m.kwargs for m in marks if m.name == "chorus_sandbox"), {})
        with sandbox_in_thread(**options) as sandbox:
            test(chorus_sandbox=sandbox)
    out = capsys.readouterr().out
    if "print(" in source:
        assert out.strip(), "the block prints something"
