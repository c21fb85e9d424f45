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


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("typed")
    paths = readme_blocks(folder)
    for usage in USAGE_FILES:
        paths.append(folder / usage.name)
        shutil.copy(usage, paths[-1])
    return paths


def test_there_are_usage_files_for_both_clients() -> None:
    names = {path.name for path in USAGE_FILES}
    assert {"usage_async.py", "usage_sync.py"} <= names


def test_mypy_strict_accepts_the_readme_and_the_usage_files(checked: list[Path]) -> None:
    done = run_mypy(checked, checked[0].parent)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_pyright_strict_accepts_the_readme_and_the_usage_files(checked: list[Path]) -> None:
    found = errors(run_pyright(checked, checked[0].parent))
    assert found == []


def marked_lines() -> set[int]:
    lines = MISTAKES.read_text(encoding="utf-8").splitlines()
    return {number for number, line in enumerate(lines, 1) if line.rstrip().endswith("# error")}


def test_mypy_reports_every_mistake(tmp_path: Path) -> None:
    target = tmp_path / MISTAKES.name
    shutil.copy(MISTAKES, target)
    done = run_mypy([target], tmp_path)
    reported = {int(m) for m in re.findall(r"^mistakes\.py:(\d+): error", done.stdout, re.M)}
    assert marked_lines()
    assert marked_lines() <= reported, done.stdout


def test_pyright_reports_every_mistake(tmp_path: Path) -> None:
    target = tmp_path / MISTAKES.name
    shutil.copy(MISTAKES, target)
    reported = {int(e.split(":")[1]) for e in errors(run_pyright([target], tmp_path))}
    assert marked_lines() <= reported
