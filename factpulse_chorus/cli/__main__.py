"""``python -m factpulse_chorus.cli``: the same as the ``factpulse-chorus`` command."""

from __future__ import annotations

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
