"""Developer tasks. A bare ``nox`` runs every check CI runs."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "generated", "tests"]
nox.options.reuse_existing_virtualenvs = True
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
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install(*LINT_TOOLS)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package and the generator."""
    session.install("-e", ".[cli]", *TYPE_TOOLS)
    session.run("mypy", "--strict", "factpulse_chorus")
    session.run("mypy", "--strict", "scripts/generate_sync.py")


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
