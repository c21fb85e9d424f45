"""The ``factpulse_chorus`` logger and the ``FACTPULSE_LOG`` switch.

The SDK logs one DEBUG line per HTTP attempt and one WARNING per retry, on the logger
``factpulse_chorus``. Nothing is shown unless the application configures logging, or
sets ``FACTPULSE_LOG=debug|info|warning``, which attaches a stderr handler at that
level (once per process). Request bodies and credentials are never logged.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Final

__all__ = ["configure_from_env", "logger"]

logger: Final = logging.getLogger("factpulse_chorus")
# A library stays silent unless the application configures logging: without this,
# Python's last-resort handler would print our retry warnings to stderr.
logger.addHandler(logging.NullHandler())

_LEVELS: Final = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
_configured = False


def configure_from_env() -> None:
    """Attach a stderr handler when ``FACTPULSE_LOG`` asks for one (only the first time)."""
    global _configured
    if _configured:
        return
    _configured = True
    level = _LEVELS.get(os.environ.get("FACTPULSE_LOG", "").strip().lower())
    if level is None:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
