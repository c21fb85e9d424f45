"""What a first run and a script meet: piped output, amounts, --help, exit codes, the
password on stdin, ``--ids``, ``sample-pdf`` and the standalone sandbox's request log.

Each command runs as ``python -m factpulse_chorus.cli ...`` would, in this process
(``cli_support.run_cli``), against a sandbox in a thread of this process (or none); the
standalone sandbox (stopped by a signal) and one password read from a real pipe run as
real processes.
"""

from __future__ import annotations

import json
import queue
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from cli_support import TIME_LIMIT, environment, one_line_error, run_cli, run_process

from factpulse_chorus.sandbox import ThreadedSandbox, sandbox_in_thread

pytest.importorskip("click")
pytest.importorskip("rich")

import click

from factpulse_chorus.cli._commands import cli as root
from factpulse_chorus.cli._output import money

COMMUNE_SIRET = "21999012400014"
CONNECTION = ["--base-url", "--email", "--password", "--password-stdin", "--client-uid",
              "--token", "--api-key"]  # fmt: skip


@pytest.fixture(scope="module")
def sandbox() -> Iterator[ThreadedSandbox]:
    with sandbox_in_thread(seed=17, routing_delay=(0, 0)) as sb:
        yield sb


def run(
    sandbox: ThreadedSandbox | None,
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    return run_cli(args, env=env if env is not None else environment(sandbox), input=stdin)


def submit(sandbox: ThreadedSandbox, tmp_path: Path, number: str, *extra: str) -> str:
    pdf = tmp_path / "invoice.pdf"
    assert run(None, "sample-pdf", str(pdf)).returncode == 0
    done = run(
        sandbox,
        "invoices", "submit", str(pdf), "--recipient-siret", COMMUNE_SIRET,
        "--service-code", "FIN-001", "--number", number, "--date", "2025-03-10",
        "--net", "1042.08", "--vat", "208.42", "--gross", "1250.50", *extra,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


# --- amounts and piped output ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [("1250.5", "1250.50"), ("1250.50", "1250.50"), ("1E+3", "1000.00"), ("-0.5", "-0.50"),
     ("1234567.891", "1234567.891"), ("0", "0.00")],
)  # fmt: skip
def test_money_is_two_decimals_a_dot_no_separator(value: str, shown: str) -> None:
    assert money(Decimal(value)) == shown


def test_piped_tables_are_not_wrapped_and_amounts_have_two_decimals(
    sandbox: ThreadedSandbox, tmp_path: Path
) -> None:
    submit(sandbox, tmp_path, "FIRST-RUN-WIDE")
    env = environment(sandbox)
    del env["COLUMNS"]  # what a user's pipe has: no COLUMNS, not a terminal
    done = run(sandbox, "invoices", "search", "--number", "FIRST-RUN-WIDE", env=env)
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if "FIRST-RUN-WIDE" in line]
    assert len(rows) == 1  # the sandbox answers 1250.5: shown as every amount is
    for cell in ("MISE_A_DISPOSITION", "COMMUNE DE SAINT-EXEMPLE", "1250.50"):
        assert cell in rows[0]
    assert len(rows[0]) > 80
    assert "…" not in done.stdout


# --- --help ----------------------------------------------------------------------------------


def every_command(group: click.Group = root) -> Iterator[click.Command]:
    for command in group.commands.values():
        if isinstance(command, click.Group):
            yield from every_command(command)
        else:
            yield command


def test_help_lists_own_options_as_written_then_json_then_connection() -> None:
    for command in every_command():
        with click.Context(command) as ctx:
            flags = [flag for p in command.get_params(ctx) for flag in p.opts if "--" in flag]
        if command.name == "sandbox":  # its own parser's help: checked below
            continue
        assert flags[-1] == "--help", command.name
        if "--base-url" not in flags:
            continue
        assert flags[-len(CONNECTION) - 1 : -1] == CONNECTION, command.name
        assert flags[-len(CONNECTION) - 2] == "--json", command.name
    search = run(None, "invoices", "search", "--help").stdout
    order = ["--number", "--status", "--from", "--to", "--page ", "--page-size", "--all",
             "--ids", "--json", *CONNECTION, "--help"]  # fmt: skip
    listed = re.findall(r"^  (?:-h, )?(--[\w-]+)", search, re.M)
    assert listed == [flag.strip() for flag in order]
    assert "[default: 1" in search
    poll = " ".join(run(None, "invoices", "poll", "--help").stdout.split())
    for default in ("[default: 60.0", "[default: 3600.0", "[default: 32"):
        assert default in poll
    assert "3 if the deadline came first" in poll
    sandbox_help = " ".join(run(None, "sandbox", "--help").stdout.split())
    for default in ("(default: 8080)", "(default: 60 600)", "--quiet"):
        assert default in sandbox_help


# --- exit codes of invoices poll -------------------------------------------------------------


def test_poll_deadline_reached_is_exit_3(sandbox: ThreadedSandbox) -> None:
    waiting = sandbox.domain.seed_invoice(status="MISE_A_DISPOSITION")
    done = run(sandbox, "invoices", "poll", "--interval", "0.05", "--deadline", "0.5", "--json",
               stdin=f"{waiting}\n")  # fmt: skip
    one_line_error(done, 3, "1 invoices not final", "deadline reached")


def test_poll_of_an_invoice_that_cannot_be_read_is_exit_1(sandbox: ThreadedSandbox) -> None:
    # --max-interval: the 10 failed reads before giving up wait 0.05 s each, not 0.05 s
    # growing by half each time (5.7 s in all).
    done = run(sandbox, "invoices", "poll", "--interval", "0.05", "--max-interval", "0.05",
               "--deadline", "30", "--json", stdin="999999999\n")  # fmt: skip
    line = one_line_error(done, 1, "1 given up")
    assert "deadline" not in line


# --- --password-stdin ------------------------------------------------------------------------


def test_password_stdin_reads_the_password_and_takes_the_email_from_the_env(
    sandbox: ThreadedSandbox,
) -> None:
    env = environment(sandbox)
    del env["FACTPULSE_PASSWORD"]
    # A real process reading a real pipe.
    done = run_process(["structures", "id", COMMUNE_SIRET, "--password-stdin", "--json"],
                       input="demo\n", env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["structure_id"] == 25827464
    wrong = run(sandbox, "structures", "id", COMMUNE_SIRET, "--password-stdin",
                stdin="s3cret-Wrong-Pa55\n", env=env)  # fmt: skip
    one_line_error(wrong, 1, "AuthenticationError")
    assert "s3cret-Wrong-Pa55" not in wrong.stdout + wrong.stderr


@pytest.mark.parametrize(
    ("args", "drop", "stdin", "words"),
    [
        (["--password", "demo"], (), "demo\n", ("--password", "--password-stdin")),
        ([], (), "demo\n", ("FACTPULSE_PASSWORD is set",)),
        ([], ("FACTPULSE_PASSWORD", "FACTPULSE_EMAIL"), "demo\n", ("--email",)),
        ([], ("FACTPULSE_PASSWORD",), "", ("no password",)),
    ],
)
def test_password_stdin_conflicts_are_usage_errors(
    sandbox: ThreadedSandbox,
    args: list[str],
    drop: tuple[str, ...],
    stdin: str,
    words: tuple[str, ...],
) -> None:
    env = {k: v for k, v in environment(sandbox).items() if k not in drop}
    before = sandbox.stats()["logins"]
    done = run(sandbox, "structures", "id", COMMUNE_SIRET, "--password-stdin", *args,
               stdin=stdin, env=env)  # fmt: skip
    one_line_error(done, 2, *words)
    assert sandbox.stats()["logins"] == before  # refused before anything was sent


def test_poll_cannot_read_ids_from_stdin_holding_the_password(sandbox: ThreadedSandbox) -> None:
    env = environment(sandbox)
    del env["FACTPULSE_PASSWORD"]
    done = run(sandbox, "invoices", "poll", "--password-stdin", stdin="demo\n", env=env)
    one_line_error(done, 2, "FILE", "password")


# --- --ids, sample-pdf -----------------------------------------------------------------------


def test_ids_print_only_invoice_ids_for_poll(sandbox: ThreadedSandbox, tmp_path: Path) -> None:
    invoice = submit(sandbox, tmp_path, "FIRST-RUN-IDS", "--ids").strip()
    assert invoice.isdigit()
    found = run(sandbox, "invoices", "search", "--number", "FIRST-RUN-IDS", "--ids")
    assert found.stdout.split() == [invoice]
    every = run(sandbox, "invoices", "search", "--number", "FIRST-RUN-IDS", "--all", "--ids")
    assert every.stdout.split() == [invoice]
    one_line_error(run(sandbox, "invoices", "search", "--ids", "--json"), 2, "--ids", "--json")


def test_sample_pdf_writes_a_small_valid_pdf(tmp_path: Path) -> None:
    target = tmp_path / "F (é) [1].pdf"
    done = run(None, "sample-pdf", str(target))
    assert done.returncode == 0, done.stderr
    assert f"Wrote {target}" in done.stdout
    data = target.read_bytes()
    assert data.startswith(b"%PDF-1.7\n")
    assert data.rstrip().endswith(b"%%EOF")
    assert re.search(rb"startxref\n(\d+)\n", data)
    one_line_error(run(None, "sample-pdf", str(tmp_path / "missing" / "x.pdf")), 2, "PATH")


# --- the standalone sandbox's request log ----------------------------------------------------


def serve(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "factpulse_chorus.cli", "sandbox", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment(None),
    )  # fmt: skip
    assert process.stdout is not None
    first = process.stdout.readline()
    assert "listening on" in first, first
    return process, first.rsplit(" ", 1)[-1].strip()


def login(url: str) -> None:
    body = json.dumps({"username": "demo", "password": "demo"}).encode()
    request = urllib.request.Request(
        f"{url}/api/token/?x=1", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=TIME_LIMIT) as response:
        assert response.status == 200


def stop(process: subprocess.Popen[str]) -> str:
    """SIGTERM, then everything the sandbox wrote on stderr."""
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=TIME_LIMIT)
    assert process.returncode == 0, err
    return err


def test_sandbox_logs_each_request_on_stderr() -> None:
    process, url = serve()
    lines: queue.Queue[str] = queue.Queue()
    try:
        assert process.stderr is not None
        stderr = process.stderr
        threading.Thread(target=lambda: lines.put(stderr.readline()), daemon=True).start()
        login(url)
        line = lines.get(timeout=TIME_LIMIT)  # written once the answer is sent
        assert re.fullmatch(r"\d\d:\d\d:\d\d POST /api/token/ 200 \d+\.\d ms\n", line), line
        assert "demo" not in line  # the path only: no query string, no body
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(timeout=TIME_LIMIT)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    assert process.returncode == 0


def test_sandbox_quiet_logs_nothing() -> None:
    process, url = serve("--quiet")
    login(url)
    assert stop(process) == ""
