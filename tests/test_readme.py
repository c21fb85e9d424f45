"""Every Python code block of the README runs, against the sandbox, so the README cannot drift.

Plain blocks run in a fresh interpreter with a time limit (a hang fails the test instead of
stalling the suite); blocks that define pytest tests run here, with the fixtures they ask for.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from factpulse_chorus.sandbox import sandbox_in_thread

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
TIME_LIMIT = 120  # seconds per block; each takes about one


def test_the_readme_has_code_blocks() -> None:
    assert len(BLOCKS) >= 6


@pytest.mark.parametrize("source", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_block_runs(source: str) -> None:
    if re.search(r"^def test_", source, re.M):
        run_as_pytest_tests(source)
        return
    done = subprocess.run(
        [sys.executable, "-c", source],
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    if "print(" in source:
        assert done.stdout.strip(), "the block prints something"
    assert "Unclosed" not in done.stderr
    assert "Traceback" not in done.stderr


def run_as_pytest_tests(source: str) -> None:
    namespace: dict[str, Any] = {"__name__": "readme_block"}
    exec(compile(source, str(README), "exec"), namespace)
    tests = [v for k, v in namespace.items() if k.startswith("test_") and callable(v)]
    assert tests
    for test in tests:
        marks = getattr(test, "pytestmark", [])
        options = next((m.kwargs for m in marks if m.name == "chorus_sandbox"), {})
        with sandbox_in_thread(**options) as sandbox:
            test(chorus_sandbox=sandbox)


def test_the_glossary_is_written_from_the_models() -> None:
    script = README.parent / "scripts" / "glossary.py"
    done = subprocess.run(
        [sys.executable, str(script), "--check"],
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
