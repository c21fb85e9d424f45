"""The ``factpulse-chorus`` command line against the sandbox.

Each command runs as ``python -m factpulse_chorus.cli ...`` would, with ``FACTPULSE_BASE_URL``
pointing at a sandbox in a thread of this process: in this process (``cli_support.run_cli``),
or in a subprocess for what only a real process shows (the entry point and what it prints
as the interpreter ends, signals, the library without the ``cli`` extra).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import TIME_LIMIT, environment, one_line_error, run_cli, run_process

from factpulse_chorus.sandbox import ThreadedSandbox, sandbox_in_thread

pytest.importorskip("click")
pytest.importorskip("rich")

COMMUNE = 25827464
COMMUNE_SIRET = "21999012400014"
SECRET = "s3cret-Wrong-Pa55"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[ThreadedSandbox]:
    with sandbox_in_thread(seed=7, routing_delay=(0, 0)) as sb:
        yield sb


def cli(
    sandbox: ThreadedSandbox | None, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return run_cli(args, env=environment(sandbox), input=stdin)


def ok_json(sandbox: ThreadedSandbox, *args: str, stdin: str | None = None) -> Any:
    done = cli(sandbox, *args, "--json", stdin=stdin)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def json_lines(text: str) -> list[Any]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# --- structures ----------------------------------------------------------------------------------


def test_structures_id_show_services_search(sandbox: ThreadedSandbox) -> None:
    found = ok_json(sandbox, "structures", "id", COMMUNE_SIRET)
    assert found["structure_id"] == COMMUNE
    shown = ok_json(sandbox, "structures", "show", str(COMMUNE))
    assert shown["parameters"]["service_code_required"] is True
    services = ok_json(sandbox, "structures", "services", str(COMMUNE))
    codes = {s["service_code"]: s["is_active"] for s in services["services"]}
    assert codes["FIN-001"] is True
    assert codes["CULT-OLD"] is False
    searched = ok_json(sandbox, "structures", "search", "--identifier", COMMUNE_SIRET)
    assert [s["structure_id"] for s in searched["structures"]] == [COMMUNE]
    human = cli(sandbox, "structures", "services", str(COMMUNE))
    assert human.returncode == 0
    assert "FIN-001" in human.stdout
    assert "Direction des finances" in human.stdout


def test_invalid_siret_is_a_usage_error_naming_the_field(sandbox: ThreadedSandbox) -> None:
    one_line_error(cli(sandbox, "structures", "id", "123"), 2, "SIRET")


# --- invoices ------------------------------------------------------------------------------------


def submit(sandbox: ThreadedSandbox, tmp_path: Path, number: str) -> dict[str, Any]:
    pdf = tmp_path / f"{number}.pdf"
    pdf.write_bytes(b"%PDF-1.7\n% test\n%%EOF\n")
    return ok_json(  # type: ignore[no-any-return]
        sandbox,
        "invoices", "submit", str(pdf),
        "--recipient-siret", COMMUNE_SIRET, "--service-code", "FIN-001",
        "--number", number, "--date", "2025-03-10",
        "--net", "1042.08", "--vat", "208.42", "--gross", "1250.50",
    )  # fmt: skip


def test_submit_then_show(sandbox: ThreadedSandbox, tmp_path: Path) -> None:
    deposit = submit(sandbox, tmp_path, "CLI-0001")
    assert deposit["structure_id"] == COMMUNE
    assert deposit["attachment_id"] > 0
    shown = ok_json(sandbox, "invoices", "show", str(deposit["invoice_id"]))
    assert shown["invoice_number"] == "CLI-0001"
    assert shown["total_gross_amount"] == "1250.50"
    assert shown["status"]["code"] in {
        "DEPOSEE",
        "EN_COURS_ACHEMINEMENT",
        "MISE_A_DISPOSITION",
    }
    human = cli(sandbox, "invoices", "show", str(deposit["invoice_id"]))
    assert human.returncode == 0
    assert "CLI-0001" in human.stdout
    assert "1250.50" in human.stdout


def test_submit_checks_the_amounts_before_sending(sandbox: ThreadedSandbox, tmp_path: Path) -> None:
    pdf = tmp_path / "bad.pdf"
    pdf.write_bytes(b"%PDF-1.7\n")
    done = cli(
        sandbox,
        "invoices", "submit", str(pdf), "--recipient-siret", COMMUNE_SIRET,
        "--service-code", "FIN-001", "--number", "CLI-BAD", "--date", "2025-03-10",
        "--net", "100", "--vat", "20", "--gross", "121",
    )  # fmt: skip
    one_line_error(done, 2, "--gross")


def test_search_all_follows_every_page(sandbox: ThreadedSandbox) -> None:
    for n in range(23):
        sandbox.domain.seed_invoice(invoice_number=f"CLI-PAGE-{n:03d}", status="DEPOSEE")
    first = ok_json(sandbox, "invoices", "search", "--page-size", "10")
    total = first["page_info"]["total"]
    assert total >= 23
    assert len(first["invoices"]) == 10
    done = cli(sandbox, "invoices", "search", "--all", "--page-size", "10", "--json")
    assert done.returncode == 0, done.stderr
    items = json_lines(done.stdout)
    assert len(items) == total
    assert len({item["invoice_id"] for item in items}) == total


def test_download_writes_a_zip(sandbox: ThreadedSandbox, tmp_path: Path) -> None:
    deposit = submit(sandbox, tmp_path, "CLI-ZIP")
    target = tmp_path / "out.zip"
    result = ok_json(
        sandbox, "invoices", "download", str(deposit["invoice_id"]), "--output", str(target)
    )
    assert result["kind"] == "zip"
    assert result["bytes"] == target.stat().st_size
    with zipfile.ZipFile(target) as archive:
        assert archive.namelist() == result["members"]
        assert any(name.endswith("CLI-ZIP.pdf") for name in archive.namelist())


def test_poll_reads_ids_from_stdin_and_prints_final_statuses(sandbox: ThreadedSandbox) -> None:
    paid = sandbox.domain.seed_invoice(status="MISE_EN_PAIEMENT")
    rejected = sandbox.domain.seed_invoice(status="REJETEE")
    stdin = f"# ids to follow\n{paid}\n\n{rejected}\n"
    done = cli(sandbox, "invoices", "poll", "-", "--interval", "0.05", "--json", stdin=stdin)
    assert done.returncode == 0, done.stderr
    lines = json_lines(done.stdout)
    statuses = {line["invoice_id"]: line["status"] for line in lines if "invoice_id" in line}
    assert statuses == {paid: "MISE_EN_PAIEMENT", rejected: "REJETEE"}
    assert lines[-1]["summary"]["final"] == {"MISE_EN_PAIEMENT": 1, "REJETEE": 1}


def test_poll_refuses_a_line_that_is_not_an_id(sandbox: ThreadedSandbox) -> None:
    one_line_error(cli(sandbox, "invoices", "poll", stdin="12\nabc\n"), 2, "line 2")


def test_unknown_invoice_is_one_line_and_exit_1(sandbox: ThreadedSandbox) -> None:
    # A real process: its exit code, and nothing more on stderr as the interpreter ends.
    done = run_process(["invoices", "show", "999999999"], env=environment(sandbox))
    one_line_error(done, 1, "20000")


# --- attachments, validator, recipient -----------------------------------------------------------


def test_attachments_upload(sandbox: ThreadedSandbox, tmp_path: Path) -> None:
    path = tmp_path / "annexe.pdf"
    path.write_bytes(b"%PDF-1.7\n% annexe\n")
    uploaded = ok_json(sandbox, "attachments", "upload", str(path))
    assert uploaded["attachment_id"] > 0
    one_line_error(cli(sandbox, "attachments", "upload", str(tmp_path / "missing.pdf")), 2, "file")


def test_validator_search_show_approve_refuse(sandbox: ThreadedSandbox) -> None:
    first = sandbox.domain.seed_invoice(status="A_VALIDER_1")
    second = sandbox.domain.seed_invoice(status="A_VALIDER_1")
    found = ok_json(sandbox, "validator", "search", "--status", "A_VALIDER_1")
    assert {first, second} <= {item["invoice_id"] for item in found["invoices"]}
    shown = ok_json(sandbox, "validator", "show", str(first))
    assert shown["invoice"]["status"] == "A_VALIDER_1"
    approved = ok_json(sandbox, "validator", "approve", str(first))
    assert approved["status"] == "VALIDEE_1"
    missing = cli(sandbox, "validator", "refuse", str(second))
    assert missing.returncode == 2
    assert "--reason" in missing.stderr
    refused = ok_json(sandbox, "validator", "refuse", str(second), "--reason", "Montant faux")
    assert refused["status"] == "REFUSEE_1"


def test_recipient_process(sandbox: ThreadedSandbox) -> None:
    invoice = sandbox.domain.seed_invoice(status="MISE_A_DISPOSITION")
    one_line_error(
        cli(sandbox, "recipient", "process", str(invoice), "--status", "SUSPENDUE"), 2, "--reason"
    )
    suspended = ok_json(
        sandbox, "recipient", "process", str(invoice), "--status", "SUSPENDUE",
        "--reason", "Bon de commande manquant",
    )  # fmt: skip
    assert suspended["new_status"] == "SUSPENDUE"
    human = cli(sandbox, "recipient", "process", str(invoice), "--status", "REJETEE",
                "--reason", "Doublon")  # fmt: skip
    assert human.returncode == 0
    assert "REJETEE" in human.stdout


# --- credentials and secrets ---------------------------------------------------------------------


def test_wrong_password_exits_1_without_printing_it(sandbox: ThreadedSandbox) -> None:
    done = cli(sandbox, "structures", "id", COMMUNE_SIRET, "--email", "demo", "--password", SECRET)
    one_line_error(done, 1, "AuthenticationError")
    assert SECRET not in done.stdout + done.stderr


def test_help_shows_env_var_names_not_values(sandbox: ThreadedSandbox) -> None:
    env = environment(sandbox) | {"FACTPULSE_PASSWORD": SECRET, "FACTPULSE_TOKEN": SECRET}
    done = run_cli(["invoices", "show", "--help"], env=env)
    assert done.returncode == 0
    assert "FACTPULSE_PASSWORD" in done.stdout
    assert "FACTPULSE_TOKEN" in done.stdout
    assert SECRET not in done.stdout


def test_the_library_imports_without_the_cli_extra() -> None:
    code = (
        "import sys; sys.modules['click'] = None; sys.modules['rich'] = None\n"
        "import factpulse_chorus, factpulse_chorus.sandbox\n"
        "factpulse_chorus.AsyncChorusClient, factpulse_chorus.ChorusClient\n"
        "from factpulse_chorus.cli import main\n"
        "sys.exit(main(['demo']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=TIME_LIMIT,
        check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "pip install 'factpulse-chorus[cli]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_in_process_run_leaves_this_process_as_it_was(sandbox: ThreadedSandbox) -> None:
    # What the tests running commands in this process rely on: each run starts as a new
    # process would (FACTPULSE_LOG read anew) and leaves nothing behind for the next test.
    logger = logging.getLogger("factpulse_chorus")

    def state() -> tuple[object, ...]:
        return dict(os.environ), list(logger.handlers), logger.level, sys.stdout, sys.stderr

    before = state()
    env = environment(sandbox) | {"FACTPULSE_LOG": "debug", "FACTPULSE_UNUSED": "x"}
    done = run_cli(["structures", "id", COMMUNE_SIRET, "--json"], env=env)
    assert done.returncode == 0, done.stderr
    assert "DEBUG factpulse_chorus: POST /api/token/ -> 200" in done.stderr
    assert json.loads(done.stdout)["structure_id"] == COMMUNE
    assert state() == before
    assert "FACTPULSE_UNUSED" not in os.environ


# --- sandbox and demo ----------------------------------------------------------------------------


def test_sandbox_command_serves_and_stops_on_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "factpulse_chorus.cli", "sandbox", "--port", "0", "--seed", "3"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment(None),
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "listening on http://127.0.0.1:" in first
        url = first.rsplit(" ", 1)[-1].strip()
        env = environment(None) | {"FACTPULSE_BASE_URL": url}
        found = run_cli(
            ["structures", "id", COMMUNE_SIRET, "--email", "demo", "--password", "demo", "--json"],
            env=env,
        )
        assert json.loads(found.stdout)["structure_id"] == COMMUNE
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=TIME_LIMIT) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_sandbox_command_reuses_the_sandbox_parser() -> None:
    done = cli(None, "sandbox", "--help")
    assert done.returncode == 0
    assert "factpulse-chorus sandbox" in done.stdout
    assert "--fault" in done.stdout
    bad = cli(None, "sandbox", "--fault", "nonsense")
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr


def test_demo_json_runs_the_whole_story() -> None:
    # A real process: the retries' log records must not reach its stderr (in this process,
    # pytest's handlers would take them).
    done = run_process(["demo", "--invoices", "200", "--json", "--faults"], env=environment(None))
    assert done.returncode == 0, done.stderr[-2000:]
    steps = json_lines(done.stdout)
    names = [step["step"] for step in steps]
    for expected in (
        "structure_found", "parameters", "submitted", "routed", "validation_seeded",
        "validated", "suspended", "completed", "paid", "downloaded", "batch_seeded",
    ):  # fmt: skip
        assert expected in names
    by_name = {step["step"]: step for step in steps}
    assert by_name["structure_found"]["structure_id"] == COMMUNE
    assert by_name["validated"]["approved"]["status"] == "VALIDEE_1"
    assert by_name["validated"]["refused"]["status"] == "REFUSEE_1"
    assert set(by_name["paid"]["statuses"].values()) == {"MISE_EN_PAIEMENT"}
    summary = steps[-1]
    assert summary["step"] == "summary"
    assert sum(summary["final"].values()) == 200
    assert summary["pending"] == 0
    assert summary["failed"] == 0
    assert summary["retries"] > 0  # --faults: 503s and 429s were retried
    assert "Traceback" not in done.stderr
    assert "retry" not in done.stderr


def test_demo_plain_output_without_a_tty() -> None:
    done = cli(None, "demo", "--invoices", "100")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Summary: 100 invoices polled" in done.stdout
    assert "validation branch" in done.stdout
    assert "MISE_EN_PAIEMENT" in done.stdout
    assert "\x1b[" not in done.stdout  # no terminal codes when not on a terminal
