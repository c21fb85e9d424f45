"""What the command-line tests share: the environment a command runs in, the one-line error check.

Both tests/cli modules run ``python -m factpulse_chorus.cli ...`` in subprocesses, as a user
would, against a sandbox in a thread of the test process (or none).
"""

from __future__ import annotations

import os
import subprocess

from factpulse_chorus.sandbox import ThreadedSandbox


def environment(sandbox: ThreadedSandbox | None) -> dict[str, str]:
    """This process's environment without FACTPULSE_*, pointed at ``sandbox`` when given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACTPULSE_")}
    env["COLUMNS"] = "200"  # no wrapped table cells in what the tests read
    if sandbox is not None:
        env.update(FACTPULSE_BASE_URL=sandbox.url, FACTPULSE_EMAIL="demo")
        env["FACTPULSE_PASSWORD"] = "demo"
    return env


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
