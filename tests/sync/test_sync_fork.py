"""ChorusClient and os.fork(): the child gets a clear error, never a hang; the parent carries on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from factpulse_chorus import ChorusClient, ClientClosedError
from factpulse_chorus.sandbox import ThreadedSandbox

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork() is POSIX only")

CHILD_TIMEOUT = 20.0  # seconds; a hung child is killed and the test fails
LEAK_MARKERS = ("Unclosed", "Task was destroyed", "ResourceWarning", "Exception ignored")


def fork() -> int:
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a process that runs threads may deadlock the
        # child: that is the very situation under test (the portal and sandbox threads).
        warnings.simplefilter("ignore", DeprecationWarning)
        return os.fork()


def wait_for_exit(pid: int, timeout: float) -> int | None:
    """The exit code of the child ``pid``, or None (after killing it) if it outlives ``timeout``."""
    status: list[int] = []
    reaper = threading.Thread(target=lambda: status.append(os.waitpid(pid, 0)[1]))
    reaper.start()
    reaper.join(timeout)
    if reaper.is_alive():
        os.kill(pid, signal.SIGKILL)
        reaper.join()
        return None
    return os.waitstatus_to_exitcode(status[0])


def in_child(body: Callable[[], int]) -> int | None:
    """Run ``body`` in a forked child; its return value is the child's exit code.

    The child leaves by ``os._exit``, whatever happens: it must never go back to pytest.
    """
    pid = fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        code = 70
        try:
            code = body()
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    return wait_for_exit(pid, CHILD_TIMEOUT)


@pytest.fixture
def used_client(chorus_sandbox: ThreadedSandbox) -> tuple[ChorusClient, int]:
    """A client with a live session and a pooled connection, and an invoice to read."""
    invoice = chorus_sandbox.domain.seed_invoice(invoice_number="SYNC-FORK-1")
    client = ChorusClient(base_url=chorus_sandbox.url, email="demo", password="demo")
    assert client.factures.consulter(invoice).invoice_id == invoice
    return client, invoice


def test_a_call_in_a_forked_child_raises_a_clear_error(
    used_client: tuple[ChorusClient, int], chorus_sandbox: ThreadedSandbox
) -> None:
    client, invoice = used_client

    def child() -> int:
        try:
            client.factures.consulter(invoice)
        except ClientClosedError as exc:
            if "fork" not in str(exc) or "new ChorusClient" not in str(exc):
                return 2
        else:
            return 1
        # Every way in says the same, and a view is refused too.
        for attempt in (lambda: client.with_options(timeout=1.0), client.__enter__):
            try:
                attempt()
            except ClientClosedError:
                continue
            return 3
        # A new client made in the child works.
        with ChorusClient(base_url=chorus_sandbox.url, email="demo", password="demo") as own:
            if own.factures.consulter(invoice).invoice_number != "SYNC-FORK-1":
                return 4
        return 0

    try:
        assert in_child(child) == 0
        # The parent's client, its session and its pooled connection are untouched.
        assert client.factures.consulter(invoice).invoice_id == invoice
    finally:
        client.close()


def test_closing_in_a_forked_child_returns_at_once_and_spares_the_parent(
    used_client: tuple[ChorusClient, int],
) -> None:
    client, invoice = used_client
    view = client.with_options(max_retries=0)

    def child() -> int:
        view.close()
        client.close()  # what the finalizer does at exit: nothing of the parent's is run
        client.close()
        return 0

    try:
        assert in_child(child) == 0
        assert client.factures.consulter(invoice).invoice_id == invoice
        assert view.factures.consulter(invoice).invoice_id == invoice
    finally:
        client.close()
    assert client.is_closed


SCRIPT = """
import os
import sys
import threading
import warnings

from factpulse_chorus import ChorusClient, ClientClosedError

url, invoice, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
client = ChorusClient(base_url=url, email="demo", password="demo")
client.factures.consulter(invoice)  # a live session and a pooled connection, inherited
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads running
    pid = os.fork()
if pid == 0:
    if mode == "calls":
        try:
            client.factures.consulter(invoice)
        except ClientClosedError as exc:
            print("child refused:", "fork" in str(exc), flush=True)
    sys.exit(0)  # a normal interpreter exit: atexit, finalizers, module teardown
status = []
reaper = threading.Thread(target=lambda: status.append(os.waitpid(pid, 0)[1]), daemon=True)
reaper.start()
reaper.join({timeout})
if reaper.is_alive():
    os.kill(pid, 9)
    print("child hung", flush=True)
    sys.exit(3)
print("child exit code", os.waitstatus_to_exitcode(status[0]), flush=True)
print("parent ok", client.factures.consulter(invoice).invoice_id == invoice, flush=True)
if mode == "calls":
    client.close()  # else: the parent's own exit closes it (its finalizer)
"""


@pytest.mark.parametrize("mode", ["untouched", "calls"])
def test_a_forked_child_exits_normally_without_hanging(
    tmp_path: Path, chorus_sandbox: ThreadedSandbox, mode: str
) -> None:
    script = tmp_path / "fork.py"
    script.write_text(textwrap.dedent(SCRIPT.format(timeout=CHILD_TIMEOUT)))
    invoice = chorus_sandbox.domain.seed_invoice()
    process = subprocess.run(
        # -X dev shows every ResourceWarning and asyncio's "Task was destroyed" messages.
        [sys.executable, "-X", "dev", str(script), chorus_sandbox.url, str(invoice), mode],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT + 20,
        check=False,
    )
    assert process.returncode == 0, process.stdout + process.stderr
    expected = ["child exit code 0", "parent ok True"]
    if mode == "calls":
        expected.insert(0, "child refused: True")
    assert process.stdout.splitlines() == expected, process.stderr
    for marker in LEAK_MARKERS:
        assert marker not in process.stderr, process.stderr
