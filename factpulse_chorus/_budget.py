"""One rate budget for a fleet of watchers: :class:`RateBudget` and the gate a watcher of
``factures.watch(store, budget=...)`` asks before each read.

The budget lives in the store (``Store.take_budget`` / ``Store.pause_budget``: a token
bucket, a count per UTC day and a pause), so every process on every machine sharing the
store takes from one bucket: together they never exceed the account's calls per second and
per day, and a 429 seen by one of them pauses all of them for its ``Retry-After``. A
watcher asks before each read starts: a read never waits while it is under way.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, cast

import attrs

from ._exceptions import RequestValidationError, StoreError
from .store._bucket import check

if TYPE_CHECKING:
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

    A watcher asks it before each read starts and waits (its ``sleep``) as long as it
    says, holding its claimed invoices only if the wait ends well within their lease;
    else ``run_once`` gives them back and returns (run it again later: once the day's
    calls are spent, at 00:00 UTC) and ``run`` gives them back and sleeps until then.
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


class BudgetGate:
    """``budget`` in ``store``, as a watcher asks it: :meth:`ask` before each read starts
    (never during one: a read holds a lease), :meth:`pause` on a 429."""

    def __init__(self, store: object, budget: object) -> None:
        if not isinstance(budget, RateBudget):
            raise RequestValidationError("budget", "must be a RateBudget or None")
        if not callable(getattr(store, "take_budget", None)):
            raise RequestValidationError("budget", "needs a store with a rate budget")
        self._store = cast("Store", store)  # what the gate uses of it is checked above
        self._budget = budget

    async def ask(self, now: float) -> float:
        """One call at ``now``: ``0.0`` granted (and counted), else seconds to wait."""
        return await self._budget.take(self._store, now)

    async def pause(self, until: float) -> None:
        """Every watcher of the budget waits until ``until`` (a 429's ``Retry-After``)."""
        # The 429 is what the caller sees: a store failing here does not hide it (this
        # watcher pauses itself all the same).
        with contextlib.suppress(StoreError):
            await self._store.pause_budget(self._budget.name, until=until)
