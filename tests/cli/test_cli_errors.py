"""The command line's contract for mistakes: checked before sending, one line, the flag named.

Each command runs as ``python -m factpulse_chorus.cli ...`` would, in this process
(``cli_support.run_cli``), against a sandbox in a thread of this process (or none, for what
must fail before any connection); the sandbox that cannot listen runs as a real process.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import environment, one_line_error, run_cli, run_process

from factpulse_chorus.sandbox import ThreadedSandbox, sandbox_in_thread

pytest.importorskip("click")
pytest.importorskip("rich")

import click

from factpulse_chorus.cli._commands import cli as root

README = Path(__file__).resolve().parents[2] / "README.md"
COMMUNE_SIRET = "21999012400014"
ELEVEN_IDS = [str(n) for n in range(1, 12)]  # one more than a download takes


@pytest.fixture(scope="module")
def sandbox() -> Iterator[ThreadedSandbox]:
    with sandbox_in_thread(seed=11, routing_delay=(0, 0)) as sb:
        yield sb


def run(sandbox: ThreadedSandbox | None, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(args, env=environment(sandbox))


def sent(sandbox: ThreadedSandbox) -> int:
    """Requests the sandbox received so far, logins included."""
    requests = sandbox.stats()["requests"]
    return sum(sum(outcomes.values()) for outcomes in requests.values())


def every_command(group: click.Group = root, path: str = "") -> Iterator[tuple[str, click.Command]]:
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from every_command(command, f"{path}{name} ")
        else:
            yield f"{path}{name}", command


# --- item 22: every file to read or write is checked before anything is sent --------------------


def paths_cases(tmp: Path) -> list[tuple[list[str], str]]:
    pdf = tmp / "ok.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%%EOF\n")
    submit = [
        "--recipient-siret", COMMUNE_SIRET, "--service-code", "FIN-001", "--number", "CLI-P",
        "--date", "2025-03-10", "--net", "100", "--vat", "20", "--gross", "120",
    ]  # fmt: skip
    return [
        (["invoices", "download", "1", "--output", str(tmp / "missing" / "x.zip")], "--output"),
        (["invoices", "download", "1", "--output", str(tmp)], "--output"),
        (["invoices", "submit", str(tmp / "missing.pdf"), *submit], "PDF"),
        (["invoices", "submit", str(tmp), *submit], "PDF"),
        (["attachments", "upload", str(tmp / "missing.pdf")], "PATH"),
        (["attachments", "upload", str(tmp)], "PATH"),
        (["invoices", "poll", str(tmp / "missing-ids.txt")], "FILE"),
    ]


@pytest.mark.parametrize("case", range(7))
def test_a_bad_path_is_refused_before_anything_is_sent(
    sandbox: ThreadedSandbox, tmp_path: Path, case: int
) -> None:
    args, flag = paths_cases(tmp_path)[case]
    before = sent(sandbox)
    one_line_error(run(sandbox, *args), 2, flag)
    assert sent(sandbox) == before  # not even a login
    assert not (tmp_path / "missing").exists()


def test_every_path_parameter_is_checked_at_parse_time() -> None:
    # The class, not the cases above: a new command taking a path gets the same check.
    from factpulse_chorus.cli import _base

    checked = {_base.FILE_TO_READ["callback"], _base.FILE_TO_WRITE["callback"]}
    seen = 0
    for name, command in every_command():
        for param in command.params:
            if isinstance(param.type, click.Path):
                seen += 1
                assert param.callback in checked, (name, param.name)
            elif isinstance(param.type, click.File):  # click opens it while parsing
                seen += 1
    assert seen >= 4


def test_download_into_an_existing_folder_still_works(
    sandbox: ThreadedSandbox, tmp_path: Path
) -> None:
    invoice = sandbox.domain.seed_invoice(status="MISE_A_DISPOSITION")
    target = tmp_path / "group.zip"
    done = run(sandbox, "invoices", "download", str(invoice), "--output", str(target), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["bytes"] == target.stat().st_size


def test_json_output_is_what_help_and_readme_say() -> None:
    # Each command's --json help says one JSON document (an object, or doctor's list) or
    # JSON lines; the README lists the same JSON-lines commands (demo: one object a step).
    streams = set()
    for name, command in every_command():
        option = next((p for p in command.params if p.name == "as_json"), None)
        if option is None:
            continue
        help_text = getattr(option, "help", "") or ""
        one_document = re.match(r"Print one JSON (object|list)\b", help_text)
        assert one_document or "JSON lines" in help_text, name
        if "JSON lines" in help_text:
            streams.add(name)
    assert "demo" in streams
    section = README.read_text(encoding="utf-8").split("## Command line", 1)[1]
    sentence = re.search(r"JSON lines for streams: ([^;)]*)", section)
    assert sentence is not None
    listed = {re.sub(r" --.*", "", item) for item in re.findall(r"`([^`]+)`", sentence.group(1))}
    assert listed == streams


def test_demo_json_prints_json_lines_as_documented() -> None:
    done = run(None, "demo", "--invoices", "20", "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert len(lines) > 1
    steps = [json.loads(line) for line in lines]
    assert steps[-1]["step"] == "summary"


# --- item 23: one line, the flag the user typed, documented exit codes ---------------------------


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["invoices", "show"], "INVOICE_ID"),
        (["invoices", "show", "abc"], "INVOICE_ID"),
        (["invoices", "search", "--page", "0"], "--page"),
        (["invoices", "search", "--bogus"], "--bogus"),
        (["invoices", "search", "--from", "10/03/2025"], "--from"),
        (["demo", "--invoices", "0"], "--invoices"),
        (["no-such-command"], "no-such-command"),
        (["validator", "refuse", "5"], "--reason"),
        (["sandbox", "--port", "x"], "--port"),
        (["sandbox", "--fault", "nonsense"], "--fault"),
    ],
)
def test_usage_errors_are_one_line_naming_the_flag(args: list[str], flag: str) -> None:
    one_line_error(run(None, *args), 2, flag)


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["validator", "show", "0"], "INVOICE_ID"),
        (["validator", "approve", "0"], "INVOICE_ID"),
        (["validator", "refuse", "5", "--reason", " "], "--reason"),
        (["validator", "approve", "5", "--comment", "x" * 3000], "--comment"),
        (["validator", "search", "--status", ""], "--status"),
        (["invoices", "search", "--status", ""], "--status"),
        (["recipient", "process", "5", "--status", "BOGUS"], "--status"),
        (["recipient", "process", "5", "--status", "SUSPENDUE"], "--reason"),
        (["structures", "id", "123"], "SIRET"),
        (["structures", "show", "0"], "STRUCTURE_ID"),
        (["invoices", "download", *ELEVEN_IDS, "-o", "x.zip"], "INVOICE_IDS"),
        (["invoices", "show", "1", "--base-url", "ftp://example.invalid"], "--base-url"),
    ],
)
def test_sdk_refusals_name_the_flag_not_the_python_parameter(
    sandbox: ThreadedSandbox, args: list[str], flag: str
) -> None:
    before = sent(sandbox)
    line = one_line_error(run(sandbox, *args), 2, flag)
    assert sent(sandbox) == before
    # Never the SDK's name of the same thing.
    assert not re.search(r"\b(invoice_id|invoice_ids|new_status|structure_id|base_url)\b", line)


@pytest.mark.parametrize("module", ["factpulse_chorus.cli", "factpulse_chorus.sandbox"])
def test_sandbox_on_a_busy_port_is_one_line_and_exit_1(module: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        args = ["sandbox"] if module.endswith("cli") else []
        # A real process each: both entry points, and the exit code the server's ends with.
        done = run_process([*args, "--port", str(port)], env=environment(None), module=module)
    one_line_error(done, 1, f"127.0.0.1:{port}")
    assert done.stdout == ""


def test_bare_command_still_shows_the_help() -> None:
    done = run(None)
    assert "Usage: factpulse-chorus" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_the_exit_codes_are_documented() -> None:
    help_text = run(None, "--help").stdout
    for code in ("0 done", "1 refused", "2 bad arguments", "130 interrupted"):
        assert code in " ".join(help_text.split())
    section = README.read_text(encoding="utf-8").split("## Command line", 1)[1]
    section = " ".join(section.split("\n## ", 1)[0].split())
    assert "130" in section
    assert "cannot listen" in section
