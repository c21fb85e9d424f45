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

from typing import TYPE_CHECKING

from .._lazy import lazy_exports  # standard library only: nothing of the client

if TYPE_CHECKING:
    from ._auth import Account as Account
    from ._domain import Domain as Domain
    from ._faults import Fault as Fault
    from ._lifecycle import SimClock as SimClock
    from ._runner import Sandbox as Sandbox
    from ._runner import ThreadedSandbox as ThreadedSandbox
    from ._runner import sandbox_in_thread as sandbox_in_thread

_EXPORTS: dict[str, tuple[str, ...]] = {
    "._auth": ("Account",),
    "._domain": ("Domain",),
    "._faults": ("Fault",),
    "._lifecycle": ("SimClock",),
    "._runner": ("Sandbox", "ThreadedSandbox", "sandbox_in_thread"),
}
_LAZY, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(_LAZY)
