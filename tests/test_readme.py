"""Every Python code block of the README runs, against the sandbox, so the README cannot drift.

Plain blocks run in a fresh interpreter with a time limit (a hang fails the test instead of
stalling the suite); blocks that define pytest tests run under a real pytest, in an empty
directory, with the fixtures of the installed plugin (as in a user's project).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
TIME_LIMIT = 120  # seconds per block; each takes about one


def test_the_readme_has_code_blocks() -> None:
    assert len(BLOCKS) >= 6


@pytest.mark.parametrize("source", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_block_runs(source: str, tmp_path: Path) -> None:
    if re.search(r"^def test_", source, re.M):
        run_as_pytest_tests(source, tmp_path)
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


def run_as_pytest_tests(source: str, directory: Path) -> None:
    (directory / "test_readme_block.py").write_text(source, encoding="utf-8")
    # -W error: an unclosed session fails; the -o silences pytest-asyncio's own warning.
    options = ["-p", "no:cacheprovider", "-W", "error"]
    options += ["-o", "asyncio_default_fixture_loop_scope=function"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *options, "test_readme_block.py"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
        check=False,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    tests = len(re.findall(r"^(?:async )?def test_", source, re.M))
    assert f"{tests} passed" in done.stdout, done.stdout[-2000:]


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
