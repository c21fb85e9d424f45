"""The public API type-checks for its users: mypy --strict and pyright (strict) on the
README's Python blocks and on typed usage files covering every endpoint on both clients.

A wrong status literal must be *reported*: the checkers are run on a file of mistakes and
each marked line must carry an error.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

HERE = Path(__file__).resolve().parent
README = HERE.parent.parent / "README.md"
USAGE_FILES = sorted(HERE.glob("usage_*.py"))
MISTAKES = HERE / "mistakes.py"
TIME_LIMIT = 600


def readme_blocks(folder: Path) -> list[Path]:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    paths = []
    for number, source in enumerate(blocks):
        path = folder / f"readme_block_{number}.py"
        path.write_text(source, encoding="utf-8")
        paths.append(path)
    return paths


def run_mypy(paths: list[Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-version",
         "3.10", "--show-error-codes", "--no-error-summary", *map(str, paths)],
        cwd=cwd, capture_output=True, text=True, timeout=TIME_LIMIT, check=False,
    )  # fmt: skip


def run_pyright(paths: list[Path], cwd: Path) -> dict[str, object]:
    executable = shutil.which("pyright", path=str(Path(sys.executable).parent)) or "pyright"
    (cwd / "pyrightconfig.json").write_text(
        json.dumps({"typeCheckingMode": "strict", "pythonVersion": "3.10"}), encoding="utf-8"
    )
    done = subprocess.run(
        [executable, "--outputjson", "--pythonpath", sys.executable, *map(str, paths)],
        cwd=cwd, capture_output=True, text=True, timeout=TIME_LIMIT, check=False,
    )  # fmt: skip
    result: dict[str, object] = json.loads(done.stdout)
    return result


def errors(pyright: dict[str, object]) -> list[str]:
    diagnostics = pyright.get("generalDiagnostics", [])
    assert isinstance(diagnostics, list)
    return [
        f"{Path(d['file']).name}:{d['range']['start']['line'] + 1}: {d['message']}"
        for d in diagnostics
        if d.get("severity") == "error"
    ]


@attrs.frozen
class Checked:
    """One run of each checker over the README's blocks, the usage files and the file of
    mistakes together (each run reads the package and its dependencies once)."""

    mypy: subprocess.CompletedProcess[str]
    pyright: list[str]  # "file:line: message" of each error


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Checked:
    folder = tmp_path_factory.mktemp("typed")
    paths = readme_blocks(folder)
    for source in (*USAGE_FILES, MISTAKES):
        paths.append(folder / source.name)
        shutil.copy(source, paths[-1])
    return Checked(run_mypy(paths, folder), errors(run_pyright(paths, folder)))


def test_there_are_usage_files_for_both_clients() -> None:
    names = {path.name for path in USAGE_FILES}
    assert {"usage_async.py", "usage_sync.py"} <= names


def test_mypy_strict_accepts_the_readme_and_the_usage_files(checked: Checked) -> None:
    done = checked.mypy
    elsewhere = [
        line
        for line in done.stdout.splitlines()
        if ": error:" in line and not line.startswith(f"{MISTAKES.name}:")
    ]
    # 1: errors were found (the mistakes'); 2 would be a crash or a usage error.
    assert done.returncode == 1, done.stdout[-4000:] + done.stderr[-2000:]
    assert elsewhere == [], done.stdout[-4000:]


def test_pyright_strict_accepts_the_readme_and_the_usage_files(checked: Checked) -> None:
    assert [e for e in checked.pyright if not e.startswith(f"{MISTAKES.name}:")] == []


def marked_lines() -> set[int]:
    lines = MISTAKES.read_text(encoding="utf-8").splitlines()
    return {number for number, line in enumerate(lines, 1) if line.rstrip().endswith("# error")}


def test_mypy_reports_every_mistake(checked: Checked) -> None:
    found = re.findall(r"^mistakes\.py:(\d+): error", checked.mypy.stdout, re.M)
    assert marked_lines()
    assert marked_lines() <= {int(m) for m in found}, checked.mypy.stdout


def test_pyright_reports_every_mistake(checked: Checked) -> None:
    found = [e for e in checked.pyright if e.startswith(f"{MISTAKES.name}:")]
    assert marked_lines() <= {int(e.split(":")[1]) for e in found}
