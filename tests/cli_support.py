"""What the command-line tests share: the environment a command runs in, running a command,
the one-line error check.

Most tests run a command with :func:`run_cli`, in this process (a subprocess costs about
0.4 s of imports): what the command sees (arguments, environment, stdin, stdout, stderr,
the exit code) is what ``python -m factpulse_chorus.cli ...`` would see, against a sandbox
in a thread of the test process (or none). A few tests run :func:`run_process`, a real
``python -m ...``, for what only a process shows: the entry point itself, signals, a real
pipe, what is printed when the interpreter ends, the library without the ``cli`` extra.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence

from factpulse_chorus import _logging
from factpulse_chorus.sandbox import ThreadedSandbox

TIME_LIMIT = 60


def environment(sandbox: ThreadedSandbox | None) -> dict[str, str]:
    """This process's environment without FACTPULSE_*, pointed at ``sandbox`` when given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACTPULSE_")}
    env["COLUMNS"] = "200"  # no wrapped table cells in what the tests read
    if sandbox is not None:
        env.update(FACTPULSE_BASE_URL=sandbox.url, FACTPULSE_EMAIL="demo")
        env["FACTPULSE_PASSWORD"] = "demo"
    return env


def run_process(
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    input: str | None = None,
    module: str = "factpulse_chorus.cli",
) -> subprocess.CompletedProcess[str]:
    """``python -m module args`` in a subprocess with exactly ``env``; ``input`` on its stdin."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        input=input, capture_output=True, text=True, env=dict(env), timeout=TIME_LIMIT,
        check=False,
    )  # fmt: skip


def run_cli(
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """``factpulse-chorus args`` in this process, as :func:`run_process` would run it:
    ``env`` is the whole environment meanwhile, ``input`` (or nothing) is stdin, stdout and
    stderr are captured, and the exit code is what ``python -m`` would exit with.

    What a run changes is put back: the environment, the standard streams, the
    ``factpulse_chorus`` loggers (the command line and the sandbox command add handlers).
    """
    from factpulse_chorus.cli import main  # click and rich: the tests importorskip them

    stdin = _Stream("<stdin>", (input or "").encode())
    stdout, stderr = _Stream("<stdout>"), _Stream("<stderr>")
    with _environ(env), _loggers_kept(), _streams(stdin, stdout, stderr):
        try:
            code: object = main(list(args))
        except SystemExit as exc:  # what sys.exit(main()) would do with it
            code = exc.code
        if code is not None and not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
    return subprocess.CompletedProcess(
        ["factpulse-chorus", *args], code or 0, stdout.text(), stderr.text()
    )


class _Stream(io.TextIOWrapper):
    """A standard stream in memory, named as the real one (``invoices poll`` tells stdin
    by its name)."""

    def __init__(self, name: str, data: bytes = b"") -> None:
        self._bytes = io.BytesIO(data)
        super().__init__(self._bytes, encoding="utf-8")
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def text(self) -> str:
        """Everything written, decoded as ``text=True`` decodes a subprocess's output."""
        self.flush()
        return self._bytes.getvalue().decode("utf-8").replace("\r\n", "\n")


@contextlib.contextmanager
def _environ(env: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` is ``env`` meanwhile. Only the variables that differ are touched:
    the test's sandbox thread may read the environment at the same time."""
    saved = dict(os.environ)
    for name in saved.keys() - env.keys():
        del os.environ[name]
    os.environ.update({name: value for name, value in env.items() if saved.get(name) != value})
    try:
        yield
    finally:
        for name in os.environ.keys() - saved.keys():
            del os.environ[name]
        os.environ.update({n: v for n, v in saved.items() if os.environ.get(n) != v})


@contextlib.contextmanager
def _loggers_kept() -> Iterator[None]:
    """The ``factpulse_chorus`` loggers as they were; FACTPULSE_LOG read anew, as at the
    start of a process (the SDK reads it once)."""
    loggers = [logging.getLogger("factpulse_chorus")]
    loggers += [
        found
        for name, found in logging.Logger.manager.loggerDict.items()
        if name.startswith("factpulse_chorus.") and isinstance(found, logging.Logger)
    ]
    saved = [(lg, list(lg.handlers), lg.level, lg.propagate, lg.disabled) for lg in loggers]
    configured = _logging._configured
    _logging._configured = False
    try:
        yield
    finally:
        _logging._configured = configured
        for logger, handlers, level, propagate, disabled in saved:
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate, logger.disabled = propagate, disabled


@contextlib.contextmanager
def _streams(stdin: _Stream, stdout: _Stream, stderr: _Stream) -> Iterator[None]:
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = stdin, stdout, stderr
    try:
        yield
    finally:
        if sys.stdout not in (stdout, *saved):  # a broken pipe's stand-in (os.devnull)
            sys.stdout.close()
        sys.stdin, sys.stdout, sys.stderr = saved


def one_line_error(done: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    """Assert the command failed with ``code`` and one ``error: ...`` line holding ``words``."""
    assert done.returncode == code, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    for word in words:
        assert word in lines[0]
    return lines[0]
