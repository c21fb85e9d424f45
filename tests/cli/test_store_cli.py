"""``invoices track / watch / status / reconcile`` and ``submit --db``.

Each command runs as ``factpulse-chorus ...`` would (``cli_support.run_cli``, in this
process) against a sandbox in a thread, with a store file in ``tmp_path``, as a cron job.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import environment, one_line_error, run_cli
from postgres_server import fresh_database, server_url

from factpulse_chorus.sandbox import ThreadedSandbox, sandbox_in_thread

pytest.importorskip("click")
pytest.importorskip("rich")

COMMUNE_SIRET = "21999012400014"
FINAL = {"MISE_EN_PAIEMENT", "REJETEE", "REFUSEE_1", "REFUSEE_2"}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[ThreadedSandbox]:
    with sandbox_in_thread(seed=15, routing_delay=(0, 0), record_requests=True) as sb:
        yield sb


def cli(
    sandbox: ThreadedSandbox | None, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return run_cli(args, env=environment(sandbox), input=stdin)


def ok_json(sandbox: ThreadedSandbox | None, *args: str, stdin: str | None = None) -> Any:
    done = cli(sandbox, *args, "--json", stdin=stdin)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def submit_args(tmp_path: Path, number: str, db: Path | None) -> list[str]:
    pdf = tmp_path / f"{number}.pdf"
    pdf.write_bytes(b"%PDF-1.7\n% test\n%%EOF\n")
    return [
        "invoices", "submit", str(pdf), *(["--db", str(db)] if db else []),
        "--recipient-siret", COMMUNE_SIRET, "--service-code", "FIN-001",
        "--number", number, "--date", "2025-03-10",
        "--net", "1042.08", "--vat", "208.42", "--gross", "1250.50",
    ]  # fmt: skip


# --- track and status: the store only -----------------------------------------------------------


def test_track_and_status_need_no_credentials(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    done = cli(None, "invoices", "track", "--db", str(db), "101", "102")
    assert done.returncode == 0, done.stderr
    assert "2 newly tracked" in done.stdout
    # `-` (or no id at all) reads one id a line from stdin, as `invoices poll` does.
    again = ok_json(None, "invoices", "track", "--db", str(db), "-", stdin="# more\n102\n\n103\n")
    assert again == {"db": str(db), "new": 1, "given": 2, "watched": 3}
    piped = ok_json(None, "invoices", "track", "--db", str(db), stdin="104\n")
    assert piped["new"] == 1
    status = ok_json(None, "invoices", "status", "--db", str(db))
    assert status["statuses"] == {"unread": 4}
    assert status["watched"] == 4
    assert status["due"] == 4
    assert status["next_check"] is not None
    assert status["submissions"] == {}
    assert status["uncertain"] == []
    human = cli(None, "invoices", "status", "--db", str(db))
    assert human.returncode == 0, human.stderr
    assert "unread" in human.stdout
    assert "due now" in human.stdout


def test_track_refuses_what_is_not_an_id(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    one_line_error(cli(None, "invoices", "track", "--db", str(db), "7", "x7"), 2, "IDS", "'x7'")
    one_line_error(cli(None, "invoices", "track", "--db", str(db), stdin="7\nabc\n"), 2, "line 2")
    one_line_error(cli(None, "invoices", "track", "--db", str(db), stdin=""), 2, "no invoice id")


def test_a_bad_db_path_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    for command in ("status", "watch", "reconcile"):
        done = cli(None, "invoices", command, "--db", str(missing))
        one_line_error(done, 2, "--db", "no such file")
    done = cli(None, "invoices", "track", "--db", str(tmp_path / "no" / "jobs.db"), "1")
    one_line_error(done, 2, "--db", "no such folder")
    one_line_error(cli(None, "invoices", "track", "--db", str(tmp_path), "1"), 2, "--db")
    not_a_store = tmp_path / "notes.db"
    not_a_store.write_text("not a database, and kept as it is\n" * 100)
    one_line_error(cli(None, "invoices", "status", "--db", str(not_a_store)), 1, "StoreError")
    assert not_a_store.read_text() == "not a database, and kept as it is\n" * 100


# --- watch ---------------------------------------------------------------------------------------


def test_track_then_watch_once_records_the_statuses(
    sandbox: ThreadedSandbox, tmp_path: Path
) -> None:
    paid = sandbox.domain.seed_invoice(status="MISE_EN_PAIEMENT")
    rejected = sandbox.domain.seed_invoice(status="REJETEE")
    waiting = sandbox.domain.seed_invoice(status="MISE_A_DISPOSITION")
    db = tmp_path / "jobs.db"
    ok_json(None, "invoices", "track", "--db", str(db), str(paid), str(rejected), str(waiting))
    ran = ok_json(sandbox, "invoices", "watch", "--db", str(db), "--once")
    assert ran["statuses"] == {"MISE_EN_PAIEMENT": 1, "REJETEE": 1, "MISE_A_DISPOSITION": 1}
    assert ran["run"]["requests"] == 3
    assert ran["run"]["final"] == {"MISE_EN_PAIEMENT": 1, "REJETEE": 1}
    assert ran["watched"] == 1
    assert ran["due"] == 0
    # The next cron tick finds nothing due: no request at all.
    tick = cli(sandbox, "invoices", "watch", "--db", str(db), "--once")
    assert tick.returncode == 0, tick.stderr
    assert "MISE_A_DISPOSITION" in tick.stdout
    assert "requests" in tick.stdout
    status = ok_json(None, "invoices", "status", "--db", str(db))
    assert status["statuses"] == ran["statuses"]
    assert status["due"] == 0
    assert status["next_check"] > time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())


def test_watch_prints_plain_progress_lines_when_stderr_is_not_a_terminal(
    sandbox: ThreadedSandbox, tmp_path: Path
) -> None:
    paid = sandbox.domain.seed_invoice(status="MISE_EN_PAIEMENT")
    db = tmp_path / "jobs.db"
    ok_json(None, "invoices", "track", "--db", str(db), str(paid))
    done = cli(sandbox, "invoices", "watch", "--db", str(db), "--once")
    assert done.returncode == 0, done.stderr
    assert f"{paid}: final MISE_EN_PAIEMENT" in done.stderr
    assert "MISE_EN_PAIEMENT" in done.stdout  # the summary table
    ok_json(None, "invoices", "track", "--db", str(db), str(sandbox.domain.seed_invoice()))
    quiet = cli(sandbox, "invoices", "watch", "--db", str(db), "--once", "--quiet")
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""


def test_watch_max_requests_leaves_the_rest_due_and_exits_3(
    sandbox: ThreadedSandbox, tmp_path: Path
) -> None:
    ids = [sandbox.domain.seed_invoice(status="MISE_EN_PAIEMENT") for _ in range(4)]
    db = tmp_path / "jobs.db"
    ok_json(None, "invoices", "track", "--db", str(db), *map(str, ids))
    done = cli(
        sandbox, "invoices", "watch", "--db", str(db), "--once", "--max-requests", "2",
        "--concurrency", "1", "--json",
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert json.loads(done.stdout)["run"]["requests"] == 2
    assert done.stderr.strip().splitlines()[-1].startswith("error: --max-requests reached")
    rest = ok_json(sandbox, "invoices", "watch", "--db", str(db), "--once")
    assert rest["statuses"] == {"MISE_EN_PAIEMENT": 4}
    assert rest["watched"] == 0


def test_watch_follows_invoices_to_their_final_status(tmp_path: Path) -> None:
    # Days of the sandbox's life in seconds: the watcher's clock runs as fast
    # (--clock-speed), so its minutes-to-a-day waits match the recipient's steps of a day.
    speed = 200_000
    with sandbox_in_thread(
        seed=3, clock_speed=speed, routing_delay=(600, 3600), auto_process=True,
        auto_process_delay=(86_400, 129_600), auto_reject_rate=0.3, auto_suspend_rate=0.0,
    ) as fast:  # fmt: skip
        ids = [fast.domain.seed_invoice(status="DEPOSEE") for _ in range(6)]
        db = tmp_path / "jobs.db"
        ok_json(None, "invoices", "track", "--db", str(db), *map(str, ids))
        done = cli(
            fast, "invoices", "watch", "--db", str(db), "--clock-speed", str(speed), "--json"
        )
        assert done.returncode == 0, done.stderr
        summary = json.loads(done.stdout)
        assert summary["watched"] == 0
        assert set(summary["statuses"]) <= FINAL
        assert sum(summary["statuses"].values()) == len(ids)
        assert sum(summary["run"]["final"].values()) == len(ids)
        assert summary["run"]["requests"] > len(ids)  # followed, not found final at once
        sandbox_statuses = {i: fast.domain.invoice_snapshot(i)["status"] for i in ids}
    histories = asyncio.run(stored_histories(db, ids))
    assert {i: history[-1] for i, history in histories.items()} == sandbox_statuses
    assert any(len(history) > 2 for history in histories.values()), histories


async def stored_histories(db: Path, ids: list[int]) -> dict[int, list[str]]:
    from factpulse_chorus.store import SQLiteStore

    async with SQLiteStore(db) as store:
        found = {i: await store.get(i) for i in ids}
    return {i: [seen.status for seen in t.history] for i, t in found.items() if t is not None}


# --- submit --db and reconcile --------------------------------------------------------------------


def test_submit_through_the_ledger_refuses_a_second_time_without_a_request(
    sandbox: ThreadedSandbox, tmp_path: Path
) -> None:
    db = tmp_path / "ledger.db"
    first = ok_json(sandbox, *submit_args(tmp_path, "CLI-DB-0001", db))
    invoice_id = first["invoice_id"]
    sent = len(sandbox.received())
    done = cli(sandbox, *submit_args(tmp_path, "CLI-DB-0001", db))
    line = one_line_error(done, 5, "CLI-DB-0001", str(invoice_id), "nothing sent")
    assert "demo" not in line
    assert len(sandbox.received()) == sent  # refused before any request
    assert sandbox.stats()["invoices_created"] >= 1
    status = ok_json(None, "invoices", "status", "--db", str(db))
    assert status["submissions"] == {"created": 1}
    assert status["uncertain"] == []


def test_reconcile_settles_a_submission_left_sent_by_a_crashed_process(
    sandbox: ThreadedSandbox, tmp_path: Path
) -> None:
    from factpulse_chorus.store import SQLiteStore, SubmissionState

    # The invoice exists on the server; the process that sent it died before recording it.
    created = ok_json(sandbox, *submit_args(tmp_path, "CLI-DB-CRASH", None))
    db = tmp_path / "ledger.db"
    long_ago = time.time() - 3600

    async def crashed_after_sending() -> None:
        async with SQLiteStore(db) as store:
            await store.reserve("", "CLI-DB-CRASH", owner="gone", now=long_ago, lease=60)
            await store.mark("", "CLI-DB-CRASH", SubmissionState.SENT, owner="gone", now=long_ago)

    asyncio.run(crashed_after_sending())
    before = ok_json(None, "invoices", "status", "--db", str(db))
    assert [row["invoice_number"] for row in before["uncertain"]] == ["CLI-DB-CRASH"]
    human = cli(None, "invoices", "status", "--db", str(db))
    assert "uncertain submissions" in human.stdout
    settled = ok_json(sandbox, "invoices", "reconcile", "--db", str(db))
    rows = {row["invoice_number"]: row for row in settled["submissions"]}
    assert rows["CLI-DB-CRASH"]["state"] == "created"
    assert rows["CLI-DB-CRASH"]["invoice_id"] == created["invoice_id"]
    after = ok_json(None, "invoices", "status", "--db", str(db))
    assert after["uncertain"] == []
    assert after["submissions"] == {"created": 1}
    # Its number is now refused at once, with the invoice the server holds.
    done = cli(sandbox, *submit_args(tmp_path, "CLI-DB-CRASH", db))
    one_line_error(done, 5, "CLI-DB-CRASH", str(created["invoice_id"]))
    nothing = cli(sandbox, "invoices", "reconcile", "--db", str(db))
    assert nothing.returncode == 0, nothing.stderr
    assert "No uncertain submission" in nothing.stdout


# --- --db postgresql://... and the fleet's budget ------------------------------------------------


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[str]:
    with server_url() as url:  # a throw-away server for this module (see postgres_server.py)
        yield url


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    with fresh_database(postgres_server) as url:
        yield url


def masked(url: str) -> tuple[str, str]:
    """The URL's password, and the URL as the commands show it."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    assert parts.password
    user, _, host = parts.netloc.rpartition("@")
    shown = parts._replace(netloc=f"{user.partition(':')[0]}:***@{host}").geturl()
    return parts.password, shown


def test_the_commands_take_a_postgresql_url_and_never_show_its_password(
    sandbox: ThreadedSandbox, postgres_url: str, tmp_path: Path
) -> None:
    password, shown = masked(postgres_url)
    paid = sandbox.domain.seed_invoice(status="MISE_EN_PAIEMENT")
    waiting = sandbox.domain.seed_invoice(status="MISE_A_DISPOSITION")
    outputs = []
    tracked = cli(None, "invoices", "track", "--db", postgres_url, str(paid), str(waiting))
    assert tracked.returncode == 0, tracked.stderr
    assert f"2 newly tracked (0 already tracked), 2 watched in {shown}" in tracked.stdout
    outputs.append(tracked)
    ran = cli(sandbox, "invoices", "watch", "--db", postgres_url, "--once", "--json")
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["statuses"] == {"MISE_EN_PAIEMENT": 1, "MISE_A_DISPOSITION": 1}
    outputs.append(ran)
    status = cli(None, "invoices", "status", "--db", postgres_url, "--json")
    assert json.loads(status.stdout)["db"] == shown
    assert json.loads(status.stdout)["watched"] == 1
    outputs += [status, cli(None, "invoices", "status", "--db", postgres_url)]
    assert shown in outputs[-1].stdout.replace("\n", "")
    outputs.append(cli(sandbox, *submit_args(tmp_path, "CLI-PG-0001", None)[:3], "--db",
                       postgres_url, *submit_args(tmp_path, "CLI-PG-0001", None)[3:]))  # fmt: skip
    assert outputs[-1].returncode == 0, outputs[-1].stderr
    again = cli(sandbox, *submit_args(tmp_path, "CLI-PG-0001", None), "--db", postgres_url)
    one_line_error(again, 5, "CLI-PG-0001", "nothing sent")
    outputs.append(again)
    reconciled = cli(sandbox, "invoices", "reconcile", "--db", postgres_url)
    assert reconciled.returncode == 0, reconciled.stderr
    outputs.append(reconciled)
    # A server that refuses the password: one line, the password masked in it too.
    wrong = postgres_url.replace(f":{password}@", f":{password}x@")
    refused = cli(None, "invoices", "status", "--db", wrong)
    one_line_error(refused, 1, "StoreError")
    outputs.append(refused)
    for done in outputs:
        assert password not in done.stdout + done.stderr


def test_watch_rate_paces_the_reads_and_the_budget_flags_are_checked(
    sandbox: ThreadedSandbox, postgres_url: str
) -> None:
    ids = [str(sandbox.domain.seed_invoice(status="MISE_A_DISPOSITION")) for _ in range(4)]
    ok_json(None, "invoices", "track", "--db", postgres_url, *ids)
    # 4 reads at 2 a second (one at once): 1.5 s at least on the watcher's clock (100x).
    paced = ok_json(
        sandbox, "invoices", "watch", "--db", postgres_url, "--once", "--rate", "2",
        "--clock-speed", "100",
    )  # fmt: skip
    assert paced["run"]["requests"] == 4
    assert paced["run"]["elapsed"] >= 1.5
    for flag, value in (("--rate", "0"), ("--daily-budget", "0")):
        done = cli(None, "invoices", "watch", "--db", postgres_url, flag, value)
        one_line_error(done, 2, flag)


def test_watch_daily_budget_waits_for_the_next_utc_day(
    sandbox: ThreadedSandbox, postgres_url: str
) -> None:
    import psycopg

    # 2 reads a UTC day: the next 2 wait for 00:00 UTC (a day is under a second at 200000x).
    ids = [str(sandbox.domain.seed_invoice(status="MISE_EN_PAIEMENT")) for _ in range(5)]
    ok_json(None, "invoices", "track", "--db", postgres_url, *ids)
    today = time.time() // 86400
    daily = ok_json(
        sandbox, "invoices", "watch", "--db", postgres_url, "--daily-budget", "2",
        "--concurrency", "1", "--clock-speed", "200000",
    )  # fmt: skip
    assert daily["run"]["requests"] == 5
    assert daily["watched"] == 0
    with psycopg.connect(postgres_url) as connection:
        rows = connection.execute("SELECT name, day, day_count FROM rate_budget").fetchall()
    assert len(rows) == 1
    name, day, count = rows[0]
    assert name == "default"
    # 2, 2, then the last one: three UTC days at least (more if the machine is slow: a day
    # is 0.4 s here), never more than 2 a day; tests/watch counts each day exactly.
    assert day >= today + 2
    assert 1 <= count <= 2


def test_watch_once_with_the_day_spent_exits_3_at_once(
    sandbox: ThreadedSandbox, postgres_url: str
) -> None:
    # A cron tick: 2 reads a UTC day, 3 due. It reads 2 and returns at once (on the real
    # clock: a wait for 00:00 UTC would hang here), the third left due, exit 3.
    ids = [str(sandbox.domain.seed_invoice(status="MISE_EN_PAIEMENT")) for _ in range(3)]
    ok_json(None, "invoices", "track", "--db", postgres_url, *ids)
    args = ("invoices", "watch", "--db", postgres_url, "--once", "--daily-budget", "2", "--json")
    done = cli(sandbox, *args)
    assert done.returncode == 3, done.stderr
    assert "run again later" in done.stderr
    shown = json.loads(done.stdout)
    assert shown["run"]["requests"] == 2
    assert shown["due"] == 1
    assert len(shown["run"]["pending"]) == 1
