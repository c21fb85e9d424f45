"""Developer tasks. A bare ``nox`` runs every check CI runs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nox

if sys.version_info >= (3, 11):
    import tomllib
else:  # nox itself depends on tomli before 3.11
    import tomli as tomllib  # type: ignore[import-not-found, no-redef, unused-ignore]

nox.options.sessions = [
    "lint",
    "typecheck",
    "generated",
    "docs",
    "tests",
    "tests_lowest",
    "tests_py312",
    "tests_py313",
]
nox.options.reuse_existing_virtualenvs = True
# uv builds the virtualenvs and installs into them in seconds rather than minutes on a fresh
# clone; the README's `pip install 'nox[uv]'` brings it. Without uv: virtualenv and pip.
nox.options.default_venv_backend = "uv|virtualenv"
# A supported Python that cannot be found fails the run; none is ever downloaded instead.
nox.options.error_on_missing_interpreters = True
nox.options.download_python = "never"
# Bytecode is written and reused, whatever the machine's default: with PYTHONDONTWRITEBYTECODE
# set, every process of the suite (the xdist workers, and the ~170 worker, child and CLI
# processes the tests start) compiles aiohttp, the package and the rewritten tests from
# source again, ~30 s of CPU in a bare `nox`.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def find_python(version: str) -> str:
    """The interpreter for ``version`` ("3.12"): pyenv's newest patch release of it if pyenv
    has one, else the first ``pythonX.Y`` on PATH that starts, else the bare name (nox then
    fails the session: "Python interpreter python3.12 not found").

    A ``pythonX.Y`` on PATH is tried before it is taken because pyenv's shims exist for
    every installed version but run only the ones pyenv selects (``pyenv global``,
    PYENV_VERSION): CI's ``PATH=...:/root/.pyenv/shims`` has a ``python3.12`` that fails.
    """
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    installed = [
        (tuple(int(part) for part in found.parts[-3].split(".")), found)
        for found in root.glob(f"versions/{version}.*/bin/python{version}")
        if re.fullmatch(rf"{re.escape(version)}\.\d+", found.parts[-3])
    ]
    if installed:
        return str(max(installed)[1])
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        found = shutil.which(f"python{version}", path=entry) if entry else None
        if found and subprocess.run([found, "-c", ""], capture_output=True).returncode == 0:
            return found
    return f"python{version}"


# The supported Pythons (pyproject.toml's classifiers list the same): the whole suite on
# 3.11 (`tests`, CI's default Python); on 3.10 with the lowest dependencies
# (`tests_lowest`), SUBSET plus the tests of the transport, the models and the store,
# where the floors of aiohttp, cattrs and psycopg show (`nox -s tests_lowest -- tests`
# runs the whole suite there); on 3.12 and 3.13, SUBSET. A bare `nox` takes about 2½
# minutes on 2 cores, half of it the whole suite.
PYTHON_LOWEST, PYTHON_MAIN = find_python("3.10"), find_python("3.11")
PYTHON_312, PYTHON_313 = find_python("3.12"), find_python("3.13")

# One ruff for linting and for the generator, whose output depends on its version
# (scripts/generate_sync.py checks it runs this one).
RUFF = "ruff==0.17.6"
LINT_TOOLS = [RUFF]
# pytest-xdist workers: at least 4 for the whole suite, as many of its tests wait on a server
# or a subprocess rather than compute (on 2 cores, 4 workers finish it about 20% sooner than
# 2); one more than the cores for the subsets, whose tests are short (4 start and collect
# for longer than they save). Work stealing: an idle worker takes tests queued behind a
# long one (the whole suite takes 91 s on 2 cores instead of 119 with the default).
WORKERS = str(max(4, os.cpu_count() or 1))
SUBSET_WORKERS = str((os.cpu_count() or 1) + 1)
DIST = ("--dist", "worksteal")
TYPE_TOOLS = ["mypy>=1.10", "pytest>=8", "hypothesis>=6.100"]
# The versions the strict docs build was made green with: a newer mkdocstrings or griffe may
# warn about what these accept, and a warning fails `mkdocs build --strict`.
DOC_TOOLS = [
    "mkdocs==1.6.1",
    "mkdocs-material==9.8.2",
    "mkdocstrings==1.0.8",
    "mkdocstrings-python==2.0.11",
    "griffelib==2.4.1",
]


@nox.session(python=PYTHON_MAIN)
def tests(session: nox.Session) -> None:
    """Run the test suite against the embedded sandbox."""
    # [postgres]: tests/store run on PostgreSQL too (a throw-away cluster, or the server of
    # FACTPULSE_TEST_POSTGRES_URL: nox passes the environment on).
    session.install("-e", ".[test,postgres]", RUFF)  # RUFF: the tests run the generator
    # `nox -s tests -- -n 0 tests/sync` runs serially instead.
    session.run("pytest", "-n", WORKERS, *DIST, *session.posargs)


def lowest_constraints() -> list[str]:
    """``name==floor`` for every runtime dependency and the ``cli`` and ``postgres`` extras,
    from pyproject.toml.

    Each must be written ``name>=X.Y.Z`` (or ``name[extras]>=X.Y.Z``) with X.Y.Z a published
    release, so that the floor we declare is the version this session installs and tests.
    """
    with open("pyproject.toml", "rb") as file:
        project = tomllib.load(file)["project"]
    pins = []
    extras = project["optional-dependencies"]
    for requirement in [*project["dependencies"], *extras["cli"], *extras["postgres"]]:
        found = re.fullmatch(
            r"([A-Za-z0-9_.-]+)(?:\[[A-Za-z0-9_,.-]+\])?>=([0-9][0-9.]*)",
            requirement.replace(" ", ""),
        )
        if found is None:
            raise ValueError(f"pyproject.toml: write {requirement!r} as name>=X.Y.Z")
        pins.append(f"{found[1]}=={found[2]}")
    return pins


@nox.session(python=PYTHON_LOWEST)
def tests_lowest(session: nox.Session) -> None:
    """SUBSET, the transport, the models and the store (stopping at the first failure) on
    the lowest version of every runtime dependency pyproject.toml allows: the floors we
    declare are floors we test. ``-- tests`` runs the whole suite on them."""
    constraints = Path(session.create_tmp()) / "lowest.txt"
    constraints.write_text("\n".join(lowest_constraints()) + "\n", encoding="utf-8")
    session.install("-c", str(constraints), "-e", ".[test,postgres]", RUFF)
    # A uv-made virtualenv has no pip of its own: list through uv then.
    lister = ["uv", "pip"] if session.venv_backend == "uv" else ["python", "-m", "pip"]
    session.run(*lister, "list", "--format=freeze", silent=False)
    chosen = session.posargs or [*SUBSET, *LOWEST_EXTRA]
    session.run("pytest", "-x", "-q", "-n", SUBSET_WORKERS, *DIST, *chosen)


# What runs on 3.12 and 3.13, within the time of a bare `nox`: a few files of every folder
# of tests/, chosen among the quick ones, for what differs between Pythons: every endpoint
# through both clients, the blocking runtime (threads, fork), the event loop under the
# transport and the poller, the sandbox server and its signals, the scrubbing of secrets,
# the command line, and the typing usage files run as programs. Not the sandbox's domain
# (plain Python over dicts: what 3.11 runs holds) nor the regexes of the secrets' forms
# (the same engine since 3.11; 3.10's, older, runs them in tests_lowest).
SUBSET = [
    "tests/client/test_client_endpoints.py",
    "tests/client/test_client_endpoints_factures.py",
    "tests/client/test_client_lifecycle.py",
    "tests/client/test_exports.py",
    "tests/transport/test_auth.py",
    "tests/transport/test_json_backends.py",
    "tests/transport/test_transport_retries.py",
    "tests/resources/test_deposer.py",
    "tests/resources/test_download_stream.py",
    "tests/resources/test_files.py",
    "tests/resources/test_pagination.py",
    "tests/models/test_models_lenient.py",
    "tests/models/test_models_validation.py",
    "tests/models/test_models_wire_out.py",
    "tests/polling/test_poll_argument_rules.py",
    "tests/polling/test_polling.py",
    "tests/sync/test_sync_client.py",
    "tests/sync/test_sync_fork.py",
    "tests/sync/test_sync_portal.py",
    "tests/sandbox/test_sandbox_faults.py",
    "tests/sandbox/test_sandbox_http_endpoints.py",
    "tests/sandbox/test_sandbox_http_requests.py",
    "tests/sandbox/test_sandbox_http_runners.py",
    "tests/reliability/test_reliability_secrets.py",
    "tests/cli/test_cli.py::test_submit_then_show",
    "tests/cli/test_cli_errors.py::test_the_exit_codes_are_documented",
    "tests/typing/test_usage_runs.py",
]


# On 3.10 besides SUBSET: the regexes of the secrets' forms (3.10's engine), and where the
# floors show: the transport (aiohttp), the models (cattrs), the store's invoices, ledger and
# budget on both backends (psycopg; its argument, file and scale tests are the same whatever
# the driver).
LOWEST_EXTRA = [
    "tests/reliability/test_reliability_secret_forms.py",
    "tests/transport",
    "tests/models",
    "tests/store/test_store_invoices.py",
    "tests/store/test_store_ledger.py",
    "tests/store/test_store_budget.py",
    "tests/store/test_store_postgres.py",
]


def run_subset(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    # `nox -s tests_py313 -- tests/sync` runs other tests on that Python instead.
    session.run("pytest", "-q", "-n", SUBSET_WORKERS, *DIST, *(session.posargs or SUBSET))


@nox.session(python=PYTHON_312)
def tests_py312(session: nox.Session) -> None:
    """SUBSET of the suite on Python 3.12."""
    run_subset(session)


@nox.session(python=PYTHON_313)
def tests_py313(session: nox.Session) -> None:
    """SUBSET of the suite on Python 3.13."""
    run_subset(session)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site into build/site; any warning (a broken link or
    reference, a docstring mkdocstrings cannot read) fails the build."""
    session.install(*DOC_TOOLS, RUFF)  # RUFF: mkdocstrings lays out long signatures with it
    # The docs are read from the source (griffe parses it): the package is not installed.
    session.run("mkdocs", "build", "--strict", env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install(*LINT_TOOLS)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package and the scripts."""
    session.install("-e", ".[cli,speedups,otel,postgres]", *TYPE_TOOLS)
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
    """Every benchmark and the issue-14 goals table (not in CI; ``nox -s bench -- --help``,
    ``nox -s bench -- --quick`` for a check that every goal is computed)."""
    # [speedups] brings orjson: the decoding goal with a fast JSON reader needs it.
    # [postgres] and pytest: the fleet part runs a PostgreSQL cluster (tests/postgres_server.py).
    session.install("-e", ".[speedups,postgres]", "factpulse==4.4.0", "pytest")
    session.run("python", "benchmarks/bench.py", *session.posargs)
