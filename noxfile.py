"""Developer tasks. A bare ``nox`` runs every check CI runs."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "generated", "tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

LINT_TOOLS = ["ruff>=0.5"]
TYPE_TOOLS = ["mypy>=1.10", "pytest>=8", "hypothesis>=6.100"]


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite against the embedded sandbox."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install(*LINT_TOOLS)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package."""
    session.install("-e", ".[cli]", *TYPE_TOOLS)
    session.run("mypy", "--strict", "factpulse_chorus")


@nox.session
def generate(session: nox.Session) -> None:
    """Regenerate the blocking ChorusClient (``nox -s generate -- --check`` only checks)."""
    session.install("-e", ".")
    session.run("python", "-m", "factpulse_chorus._generate_sync", *session.posargs)


@nox.session
def generated(session: nox.Session) -> None:
    """Fail when the generated sync facade differs from what the generator writes."""
    session.install("-e", ".")
    session.run("python", "-m", "factpulse_chorus._generate_sync", "--check")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against the official SDK (not in CI; ``nox -s bench -- --help``)."""
    session.install("-e", ".", "factpulse==4.4.0")
    session.run("python", "benchmarks/bench.py", *session.posargs)
