"""Ctrl-C during a blocking call: the request is cancelled, nothing leaks, the client lives on."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from factpulse_chorus import ChorusClient
from factpulse_chorus.sandbox import Fault, ThreadedSandbox

ROUTE = "factures/consulter"
LEAK_MARKERS = ("Unclosed client session", "Unclosed connector", "Task was destroyed")


def route_stats(sandbox: ThreadedSandbox) -> dict[str, int]:
    counts: dict[str, int] = sandbox.stats()["requests"].get(ROUTE, {})
    return counts


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def in_flight(sandbox: ThreadedSandbox) -> Callable[[], bool]:
    """True once the sandbox holds the slow request (it counts the latency before waiting)."""
    return lambda: route_stats(sandbox).get("fault:latency", 0) >= 1


def portal_task_count(client: ChorusClient) -> int:
    return client._portal.run_sync(lambda: len(asyncio.all_tasks()))


def test_keyboard_interrupt_cancels_the_request(chorus_sandbox: ThreadedSandbox) -> None:
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    baseline = set(threading.enumerate())
    invoice = chorus_sandbox.domain.seed_invoice()
    client = ChorusClient(base_url=chorus_sandbox.url, email="demo", password="demo")
    try:
        client.factures.consulter(invoice)  # logged in, session open
        tasks = portal_task_count(client)
        chorus_sandbox.add_fault(Fault("latency", route=ROUTE, delay=5.0, count=1))
        main = threading.main_thread().ident
        assert main is not None

        def interrupt() -> None:
            wait_for(in_flight(chorus_sandbox), 5)
            signal.pthread_kill(main, signal.SIGINT)  # what Ctrl-C does

        killer = threading.Thread(target=interrupt)
        killer.start()
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            client.factures.consulter(invoice)
        interrupted_after = time.monotonic() - started
        killer.join()

        assert interrupted_after < 4  # well before the 5 s of the slow request
        assert portal_task_count(client) == tasks  # the request's task is gone
        # The sandbox sees the connection closed once its latency is over: never answered.
        assert wait_for(lambda: route_stats(chorus_sandbox).get("client_disconnected") == 1, 15)
        assert route_stats(chorus_sandbox)["ok"] == 1
        # The client carries on.
        assert client.factures.consulter(invoice).invoice_id == invoice
        assert route_stats(chorus_sandbox)["ok"] == 2
        session = client._async._shared.current_session
    finally:
        client.close()
    assert session is not None
    assert session.closed
    assert client._async._shared.current_session is None
    assert set(threading.enumerate()) == baseline


SCRIPT = """
import sys
from factpulse_chorus import ChorusClient

url, invoice, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
client = ChorusClient(base_url=url, email="demo", password="demo")
if mode == "with":
    with client:
        print("calling", flush=True)
        client.factures.consulter(invoice)
else:  # "forgotten": never closed; the finalizer closes it at exit
    print("calling", flush=True)
    client.factures.consulter(invoice)
print("done", flush=True)
"""


def run_script(tmp_path: Path, sandbox: ThreadedSandbox, mode: str) -> subprocess.Popen[str]:
    script = tmp_path / "call.py"
    script.write_text(textwrap.dedent(SCRIPT))
    invoice = sandbox.domain.seed_invoice()
    return subprocess.Popen(
        # -X dev shows every ResourceWarning and asyncio's "Task was destroyed" messages.
        [sys.executable, "-X", "dev", str(script), sandbox.url, str(invoice), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("mode", ["with", "forgotten"])
def test_sigint_stops_a_script_promptly_and_cleanly(
    tmp_path: Path, chorus_sandbox: ThreadedSandbox, mode: str
) -> None:
    # The answer would take 120 s: ending well before it shows the request was cancelled,
    # with room for a loaded machine's slow shutdown.
    chorus_sandbox.add_fault(Fault("latency", route=ROUTE, delay=120.0, count=1))
    process = run_script(tmp_path, chorus_sandbox, mode)
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "calling\n"
        assert wait_for(in_flight(chorus_sandbox), 10)
        killed = time.monotonic()
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert time.monotonic() - killed < 60  # the request was cancelled, not waited for
    # An unhandled KeyboardInterrupt ends Python by SIGINT, after a clean shutdown.
    assert process.returncode == -signal.SIGINT, stderr
    assert "KeyboardInterrupt" in stderr
    assert "done" not in stdout
    for marker in LEAK_MARKERS:
        assert marker not in stderr, stderr


def test_a_forgotten_client_is_closed_at_exit(
    tmp_path: Path, chorus_sandbox: ThreadedSandbox
) -> None:
    process = run_script(tmp_path, chorus_sandbox, "forgotten")
    stdout, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr
    assert stdout == "calling\ndone\n"
    for marker in (*LEAK_MARKERS, "ResourceWarning", "Exception ignored"):
        assert marker not in stderr, stderr
