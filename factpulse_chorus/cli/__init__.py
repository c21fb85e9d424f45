"""The ``factpulse-chorus`` command line (``pip install 'factpulse-chorus[cli]'``).

``factpulse-chorus demo`` runs the whole Chorus Pro story against the embedded sandbox;
``factpulse-chorus sandbox`` serves the emulator; the other commands call FactPulse with
the client's settings (``FACTPULSE_*`` environment variables or ``--base-url``, ``--email``,
...). The library itself never imports this package, so click and rich stay optional.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Sequence

__all__ = ["main"]

_MISSING_EXTRA = (
    "factpulse-chorus: the command line needs click and rich: pip install 'factpulse-chorus[cli]'"
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 API error, 2 usage error).

    Every error is one line on stderr, ``error: ...``, naming the flag or argument at fault.
    """
    # The SDK's retry warnings are for applications that configure logging (or set
    # FACTPULSE_LOG): without this, Python's last-resort handler would print them.
    logging.getLogger("factpulse_chorus").addHandler(logging.NullHandler())
    try:
        import click

        from ._commands import cli
    except ImportError as exc:  # the optional extra is not installed
        if exc.name not in ("click", "rich"):
            raise
        print(_MISSING_EXTRA, file=sys.stderr)
        return 2
    args = list(argv) if argv is not None else sys.argv[1:]
    try:
        # Not standalone: click would print its usage errors on three lines.
        done = cli.main(args=args, prog_name="factpulse-chorus", standalone_mode=False)
    except click.ClickException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # a bare group (click 8.2+): its help
            exc.show()
            return exc.exit_code
        hint = ""
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            hint = f" (see '{exc.ctx.command_path} --help')"
        _error(exc.format_message() + hint)
        return exc.exit_code
    except click.Abort:  # Ctrl-C or end of input at a prompt
        _error("interrupted")
        return 130
    except BrokenPipeError:  # the reader went away (`| head`): nothing left to say
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - stops the flush at exit failing
        return 1
    return done if isinstance(done, int) else 0


def _error(message: str) -> None:
    print(f"error: {' '.join(message.split())}", file=sys.stderr)
