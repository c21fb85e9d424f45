"""Developer tasks. A bare ``nox`` runs every check CI runs."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nox

if sys.version_info >= (3, 11):
    import tomllib
else:  # nox itself depends on tomli before 3.11
    import tomli as tomllib  # type: ignore[import-not-found, no-redef, unused-ignore]

nox.options.sessions = ["lint", "typecheck", "generated", "tests", "tests_lowest"]
nox.options.reuse_existing_virtualenvs = True
# uv builds the virtualenvs and installs into them in seconds rather than minutes on a fresh
# clone; the README's `pip install 'nox[uv]'` brings it. Without uv: virtualenv and pip.
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.error_on_missing_interpreters = True

# One ruff for linting and for the generator, whose output depends on its version
# (scripts/generate_sync.py checks it runs this one).
RUFF = "ruff==0.17.6"
LINT_TOOLS = [RUFF]
TYPE_TOOLS = ["mypy>=1.10", "pytest>=8", "hypothesis>=6.100"]


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite against the embedded sandbox."""
    session.install("-e", ".[test]", RUFF)  # RUFF: the tests run the generator
    # Every core (pytest-xdist); `nox -s tests -- -n 0 tests/sync` runs serially instead.
    session.run("pytest", "-n", "auto", *session.posargs)


def lowest_constraints() -> list[str]:
    """``name==floor`` for every runtime dependency and the ``cli`` extra, from pyproject.toml.

    Each must be written ``name>=X.Y.Z`` with X.Y.Z a published release, so that the floor
    we declare is the version this session installs and tests.
    """
    with open("pyproject.toml", "rb") as file:
        project = tomllib.load(file)["project"]
    pins = []
    for requirement in [*project["dependencies"], *project["optional-dependencies"]["cli"]]:
        found = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9][0-9.]*)", requirement.replace(" ", ""))
        if found is None:
            raise ValueError(f"pyproject.toml: write {requirement!r} as name>=X.Y.Z")
        pins.append(f"{found[1]}=={found[2]}")
    return pins


@nox.session
def tests_lowest(session: nox.Session) -> None:
    """The suite (stopping at the first failure) on the lowest version of every runtime
    dependency pyproject.toml allows: the floors we declare are floors we test."""
    constraints = Path(session.create_tmp()) / "lowest.txt"
    constraints.write_text("\n".join(lowest_constraints()) + "\n", encoding="utf-8")
    session.install("-c", str(constraints), "-e", ".[test]", RUFF)
    # A uv-made virtualenv has no pip of its own: list through uv then.
    lister = ["uv", "pip"] if session.venv_backend == "uv" else ["python", "-m", "pip"]
    session.run(*lister, "list", "--format=freeze", silent=False)
    session.run("pytest", "-x", "-q", "-n", "auto", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install(*LINT_TOOLS)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package and the scripts."""
    session.install("-e", ".[cli]", *TYPE_TOOLS)
    session.run("mypy", "--strict", "factpulse_chorus")
    session.run("mypy", "--strict", "scripts/generate_sync.py", "scripts/glossary.py")


@nox.session
def generate(session: nox.Session) -> None:
    """Regenerate the blocking ChorusClient (``nox -s generate -- --check`` only checks)."""
    session.install("-e", ".", RUFF)
    session.run("python", "scripts/generate_sync.py", *session.posargs)


@nox.session
def generated(session: nox.Session) -> None:
    """Fail when the generated sync facade differs from what the generator writes."""
    session.install("-e", ".", RUFF)
    session.run("python", "scripts/generate_sync.py", "--check")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against the official SDK (not in CI; ``nox -s bench -- --help``)."""
    session.install("-e", ".", "factpulse==4.4.0")
    session.run("python", "benchmarks/bench.py", *session.posargs)
