"""The ``factpulse-chorus`` command line (``pip install 'factpulse-chorus[cli]'``).

``factpulse-chorus demo`` runs the whole Chorus Pro story against the embedded sandbox;
``factpulse-chorus sandbox`` serves the emulator; the other commands call FactPulse with
the client's settings (``FACTPULSE_*`` environment variables or ``--base-url``, ``--email``,
...). The library itself never imports this package, so click and rich stay optional.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

__all__ = ["main"]

_MISSING_EXTRA = (
    "factpulse-chorus: the command line needs click and rich: pip install 'factpulse-chorus[cli]'"
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 API error, 2 usage error)."""
    # The SDK's retry warnings are for applications that configure logging (or set
    # FACTPULSE_LOG): without this, Python's last-resort handler would print them.
    logging.getLogger("factpulse_chorus").addHandler(logging.NullHandler())
    try:
        from ._commands import cli
    except ImportError as exc:  # the optional extra is not installed
        if exc.name not in ("click", "rich"):
            raise
        print(_MISSING_EXTRA, file=sys.stderr)
        return 2
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="factpulse-chorus")
    except SystemExit as exc:  # click always leaves through sys.exit in standalone mode
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
