"""pytest fixtures for the sandbox (entry point ``factpulse_chorus_sandbox``).

pytest imports this module in every project that installs factpulse-chorus, so it imports
nothing heavy: the sandbox (and aiohttp) load only when a fixture is used.

* ``chorus_sandbox``: a fresh threaded sandbox per test; options from
  ``@pytest.mark.chorus_sandbox(seed=1, strict=True, ...)``. Works in sync and async tests.
* ``chorus_sandbox_factory``: ``chorus_sandbox_factory(**options)`` starts one more sandbox;
  all of them stop at teardown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ._runner import ThreadedSandbox


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``chorus_sandbox`` marker (for ``--strict-markers``)."""
    config.addinivalue_line(
        "markers", "chorus_sandbox(**options): Sandbox options for the chorus_sandbox fixture"
    )


@pytest.fixture
def chorus_sandbox_factory() -> Iterator[Callable[..., ThreadedSandbox]]:
    """Start sandboxes on demand: ``sb = chorus_sandbox_factory(seed=1, strict=True)``."""
    from ._runner import sandbox_in_thread

    with ExitStack() as stack:

        def factory(**options: Any) -> ThreadedSandbox:
            return stack.enter_context(sandbox_in_thread(**options))

        yield factory


@pytest.fixture
def chorus_sandbox(
    request: pytest.FixtureRequest, chorus_sandbox_factory: Callable[..., ThreadedSandbox]
) -> ThreadedSandbox:
    """A running sandbox (own thread and loop) for one test: ``chorus_sandbox.url``..."""
    marker = request.node.get_closest_marker("chorus_sandbox")
    options: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    return chorus_sandbox_factory(**options)
