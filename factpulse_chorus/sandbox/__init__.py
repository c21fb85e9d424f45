"""An offline, in-memory emulator of the FactPulse Chorus Pro API (aiohttp.web).

Three ways to run it::

    async with Sandbox(seed=0) as sb:           # in your event loop
        ...                                     # sb.url, sb.domain, sb.clock, sb.stats()
    with sandbox_in_thread(seed=0) as sb:       # its own loop in a daemon thread
        ...
    python -m factpulse_chorus.sandbox --port 8080   # standalone server

and, for pytest, the ``chorus_sandbox`` / ``chorus_sandbox_factory`` fixtures.
The default account is ``demo`` / ``demo`` (any ``client_uid``). This package uses only
the standard library and aiohttp; names are imported lazily so that importing it is cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._auth import Account
    from ._domain import Domain
    from ._faults import Fault
    from ._lifecycle import SimClock
    from ._runner import Sandbox, ThreadedSandbox, sandbox_in_thread

__all__ = [
    "Account",
    "Domain",
    "Fault",
    "Sandbox",
    "SimClock",
    "ThreadedSandbox",
    "sandbox_in_thread",
]

_LAZY = {
    "Account": "._auth",
    "Sandbox": "._runner",
    "ThreadedSandbox": "._runner",
    "sandbox_in_thread": "._runner",
    "Fault": "._faults",
    "Domain": "._domain",
    "SimClock": "._lifecycle",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
