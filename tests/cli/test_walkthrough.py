"""The README's command-line walk-through works when pasted line by line into a fresh shell.

The block after the ``<!-- walk-through ... -->`` mark of the README is cut into the lines a
user pastes (a line ending in a backslash goes on) and fed one at a time to one bash process:
in a temporary folder, with this virtualenv's ``bin`` first on PATH, no ``FACTPULSE_*``
variable and no ``COLUMNS``, the port 8080 replaced by a free one. After each line bash prints
the line's exit code behind a marker; the test reads up to that marker (against a deadline)
and checks the exit code and what the step must print. Nothing sleeps: the sandbox is waited
for by its own ``listening on`` line.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("click")
pytest.importorskip("rich")

README = Path(__file__).resolve().parents[2] / "README.md"
MARK = "<!-- walk-through: tests/cli/test_walkthrough.py runs this block line by line -->"
STEP_SECONDS = 60.0  # a deadline for each line; each takes about one second
DONE = "@@walkthrough-step-done"

# What each pasted line is and must print (one entry a line, in order: a change of the
# walk-through must change this list too). {port} is the sandbox's port.
STEPS: list[tuple[str, tuple[str, ...]]] = [
    (r"factpulse-chorus sandbox --port {port} --routing-delay 0 0 &$", ()),
    (r"export FACTPULSE_BASE_URL=http://127\.0\.0\.1:{port} ", ()),
    (r"factpulse-chorus doctor$", ("OK login", "OK read")),
    (r"factpulse-chorus structures id 21999012400014$", ("25827464", "COMMUNE DE SAINT-EXEMPLE")),
    (r"factpulse-chorus sample-pdf F2025-0042\.pdf$", ("Wrote F2025-0042.pdf",)),
    (r"invoice=\$\(factpulse-chorus invoices submit F2025-0042\.pdf .* --ids\)$", ()),
    (r'factpulse-chorus invoices show "\$invoice"$', ("F2025-0042", "1250.50")),
    (r"factpulse-chorus invoices search --status MISE_A_DISPOSITION$", ("F2025-0042",)),
    (r'factpulse-chorus recipient process "\$invoice" --status MISE_EN_PAIEMENT$', (
        ": MISE_EN_PAIEMENT",
    )),
    (r"factpulse-chorus invoices search --number F2025-0042 --ids \| .* invoices poll ", (
        "MISE_EN_PAIEMENT", "1 requests",
    )),
    (r"kill %1$", ()),
]  # fmt: skip


def walkthrough_lines() -> list[str]:
    """The README block's lines as a user pastes them (continuations joined, comments out)."""
    text = README.read_text(encoding="utf-8")
    found = re.search(re.escape(MARK) + r"\n```bash\n(.*?)```", text, re.S)
    assert found, "the README's walk-through block (after its mark) is missing"
    lines: list[str] = []
    pending = ""
    for raw in found.group(1).splitlines():
        pending += raw
        if pending.endswith("\\"):
            pending += "\n"
            continue
        if pending.strip() and not pending.lstrip().startswith("#"):
            lines.append(pending)
        pending = ""
    assert not pending, "the walk-through ends in a continued line"
    return lines


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Shell:
    """One bash reading pasted lines; its output (stdout and stderr) read line by line."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            ["bash", "--norc", "--noprofile"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            cwd=cwd, env=env, text=True, encoding="utf-8", errors="replace",
            start_new_session=True,  # its group holds the background sandbox too
        )  # fmt: skip
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def paste(self, line: str) -> tuple[int, str]:
        """Run ``line`` as pasted; its exit code and everything printed meanwhile."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"{line}\nprintf '\\n{DONE} %s\\n' \"$?\"\n")
        self.process.stdin.flush()
        printed: list[str] = []
        while True:
            line_out = self.next_line(f"the end of: {line}")
            # Anywhere in the line: a background process (the sandbox saying it stopped)
            # may have written the start of a line just before the marker.
            before, marker, after = line_out.partition(DONE)
            if not marker:
                printed.append(line_out)
                continue
            if before:
                printed.append(before)
            return int(after.split()[-1]), "\n".join(printed)

    def wait_for(self, text: str) -> None:
        """Read on until a line holding ``text`` (it may have come already)."""
        while not any(text in line for line in self.seen):
            self.next_line(text)

    def next_line(self, what: str) -> str:
        try:
            line = self.lines.get(timeout=STEP_SECONDS)
        except queue.Empty:
            raise AssertionError(
                f"no output for {STEP_SECONDS} s waiting for {what}; the last lines:\n"
                + "\n".join(self.seen[-30:])
            ) from None
        assert line is not None, f"bash ended waiting for {what}:\n" + "\n".join(self.seen)
        self.seen.append(line)
        return line

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)  # bash and its background sandbox
        self.process.wait(timeout=STEP_SECONDS)
        self._reader.join(timeout=STEP_SECONDS)  # it ends with the output
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


@pytest.fixture
def shell(tmp_path: Path) -> Iterator[Shell]:
    bin_dir = Path(sys.executable).parent
    if shutil.which("factpulse-chorus", path=str(bin_dir)) is None:
        pytest.skip("the factpulse-chorus command is not installed in this environment")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACTPULSE_") and k != "COLUMNS"}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", HOME=str(tmp_path))
    opened = Shell(tmp_path, env)
    try:
        yield opened
    finally:
        opened.close()


def test_the_walkthrough_has_one_expected_step_a_line() -> None:
    lines = walkthrough_lines()
    assert len(lines) == len(STEPS), lines
    for line, (pattern, _) in zip(lines, STEPS, strict=True):
        assert re.match(pattern.format(port=8080), " ".join(line.split())), line


def test_the_readme_walkthrough_works_pasted_line_by_line(shell: Shell, tmp_path: Path) -> None:
    port = free_port()
    lines = [line.replace("8080", str(port)) for line in walkthrough_lines()]
    started = time.monotonic()
    assert shell.paste("set -o pipefail")[0] == 0  # a failing command inside a pipe fails too
    for line, (pattern, expected) in zip(lines, STEPS, strict=True):
        assert re.match(pattern.format(port=port), " ".join(line.split())), line
        code, printed = shell.paste(line)
        assert code == 0, f"{line}\nexit code {code}:\n{printed}"
        assert "Traceback" not in printed
        for text in expected:
            assert text in printed, f"{line}\nshould print {text!r}:\n{printed}"
        if line.endswith("&"):  # the sandbox, in the background: wait for it to listen
            shell.wait_for(f"listening on http://127.0.0.1:{port}")
        if "invoices search --status" in line:
            # One table row on one line: piped output is not wrapped at 80 columns.
            row = [text for text in printed.splitlines() if "F2025-0042" in text]
            assert len(row) == 1, printed
            for cell in ("MISE_A_DISPOSITION", "COMMUNE DE SAINT-EXEMPLE", "1250.50"):
                assert cell in row[0], printed
            assert len(row[0]) > 80
    pdf = (tmp_path / "F2025-0042.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    # `kill %1` stopped the sandbox cleanly (SIGTERM: exit code 0).
    code, _ = shell.paste("wait %1")
    assert code == 0
    shell.wait_for("Sandbox stopped.")
    # The sandbox logged every request it served: method, path, status, time.
    log = "\n".join(shell.seen)
    assert re.search(
        r"\d\d:\d\d:\d\d POST /api/v1/chorus-pro/factures/soumettre 200 [\d.]+ ms", log
    )
    assert re.search(r"POST /api/token/ 200 ", log)
    assert time.monotonic() - started < 10 * STEP_SECONDS
