"""One rate budget for a fleet of watchers: :class:`RateBudget` and the gate each read of
``factures.watch(store, budget=...)`` goes through.

The budget lives in the store (``Store.take_budget`` / ``Store.pause_budget``: a token
bucket, a count per UTC day and a pause), so every process on every machine sharing the
store takes from one bucket: together they never exceed the account's calls per second and
per day, and a 429 seen by one of them pauses all of them for its ``Retry-After``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import attrs

from ._exceptions import RateLimitError, RequestValidationError, StoreError
from .store._bucket import check

if TYPE_CHECKING:
    from ._poll_scheduler import Fetch
    from .models.factures import FacturesConsulterResponse
    from .store import Store

# No __all__: the package's export map (``factpulse_chorus._EXPORTS``) lists the public names.


def _name(_instance: object, _attribute: object, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise RequestValidationError("name", "must be a non-blank string")


@attrs.frozen(kw_only=True)
class RateBudget:
    """The account's calls, shared by every watcher using one store (any process, any
    machine): at most ``per_second`` a second on average, ``burst`` at once, and
    ``per_day`` a UTC calendar day (``None``: no such limit). Watchers giving the same
    ``name`` share one budget. Even with no limit, a 429 seen by one watcher pauses
    every watcher of the budget for its ``Retry-After``.

    A read waits (the watcher's ``sleep``) until the budget grants it; once the day's
    calls are spent, reads wait for 00:00 UTC.
    """

    per_second: float | None = None
    per_day: int | None = None
    burst: int = 1
    name: str = attrs.field(default="default", validator=_name)

    def __attrs_post_init__(self) -> None:
        check(per_second=self.per_second, burst=self.burst, per_day=self.per_day)

    async def take(self, store: Store, now: float) -> float:
        """Ask ``store`` for one call at ``now``: ``0.0`` granted, else seconds to wait."""
        return await store.take_budget(
            self.name,
            now=now,
            per_second=self.per_second,
            burst=self.burst,
            per_day=self.per_day,
        )


def gated(
    fetch: Fetch,
    store: Store,
    budget: RateBudget,
    *,
    clock: Callable[[], float],
    sleep: Callable[[float], Awaitable[Any]],
    default_pause: float,
) -> Fetch:
    """``fetch`` asking ``budget`` (in ``store``) before each read, waiting with ``sleep``
    as long as it says; a 429 pauses the budget for its ``Retry-After`` (``default_pause``
    when the server gave none) before it reaches the watcher, which handles it as ever."""
    if not isinstance(budget, RateBudget):
        raise RequestValidationError("budget", "must be a RateBudget or None")

    async def read(invoice_id: int) -> FacturesConsulterResponse:
        while (wait := await budget.take(store, clock())) > 0:
            await sleep(wait)
        try:
            return await fetch(invoice_id)
        except RateLimitError as exc:
            pause = exc.retry_after if exc.retry_after is not None else default_pause
            # The 429 is what the caller must see: a store that fails here does not hide it
            # (this watcher pauses itself all the same).
            with contextlib.suppress(StoreError):
                await store.pause_budget(budget.name, until=clock() + pause)
            raise

    return read
