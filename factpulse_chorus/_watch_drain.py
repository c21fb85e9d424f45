"""One pass of a watcher's run (:class:`Drain`): claim what is due, read it at most the
window at a time, record the results; the watcher itself is in ``_watcher``.

With a rate budget the pass asks it before each read starts, so a read never waits while
under way and a wait is spent outside any read. The claimed invoices' leases run all the
same: a wait that would end past the time they must be started by (half their lease) gives
them back instead, and the pass ends (``run`` then sleeps until the budget allows).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from typing import TYPE_CHECKING, Any

from ._exceptions import FactPulseError
from ._watch_run import Emit, Outcome, Recorder, WatchCounts
from .store._records import TrackedInvoice

if TYPE_CHECKING:
    from ._watcher import AsyncInvoiceWatcher


class Drain:
    """Read what is due until nothing is, the requests are spent or ``until`` has come
    (:meth:`run`: whether anything was claimed). With ``since``, only what was due then: a
    cron tick's work is bounded. Invoices claimed but left unread (``until``, or a budget
    wait too long for their leases) are released."""

    def __init__(
        self,
        watcher: AsyncInvoiceWatcher,
        counts: WatchCounts,
        emit: Emit,
        since: float | None,
        until: float | None,
    ) -> None:
        self._w = watcher
        self._counts = counts
        self._since = since
        self._until = until
        self._tasks: set[asyncio.Task[Outcome]] = set()
        self._queued: collections.deque[tuple[TrackedInvoice, float]] = collections.deque()
        self._recorder = Recorder(watcher._store, watcher._owner, watcher._clock, emit)
        self._pacer: asyncio.Task[None] | None = None  # a budget wait, beside the reads
        self._exhausted = self._claimed_any = self._dropped = False
        self._stale = 0  # claimed, never started, dropped: claimed again as many, at now

    async def run(self) -> bool:
        w, recorder = self._w, self._recorder
        try:
            while True:
                now = w._clock()
                until = self._until
                if until is not None and now >= until:
                    self._give_back(pending=False)
                go = now >= w._pause_until and (until is None or now < until)
                if go and not self._queued and not self._exhausted:
                    await self._claim(now)
                if go and self._pacer is None:
                    await self._start()
                waiting: set[asyncio.Task[Any]] = {*self._tasks, *self._pacers()}
                if not waiting:
                    await recorder.flush()  # nothing in flight: what is done is recorded
                    if w._pause_until > now and (until is None or now < until):
                        await w._sleep(w._pause_until - now)  # a 429: everyone waits
                        self._exhausted = False
                        continue
                    if not self._queued and (self._exhausted or w._budget(self._counts) == 0):
                        if self._dropped:
                            await w._store.release(w._owner)  # claimed, never read
                        return self._claimed_any
                    continue
                done, _ = await asyncio.wait(
                    waiting, timeout=recorder.wait(), return_when=asyncio.FIRST_COMPLETED
                )
                if self._pacer in done:
                    self._pacer = None
                finished = [task for task in self._tasks if task in done]
                self._tasks.difference_update(finished)
                recorder.add([task.result() for task in finished])
                await recorder.flush(w._batch)
        except BaseException:
            pending = [*self._tasks, *self._pacers()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            with contextlib.suppress(FactPulseError):  # the first error is the one to see
                await asyncio.shield(w._store.release(w._owner))
            raise

    async def _claim(self, now: float) -> None:
        w = self._w
        room = w._budget(self._counts)
        if room <= 0:
            return
        await self._recorder.flush()  # the claim sees this watcher's results
        # After a stall the dropped invoices' leases have run out, past ``since``: claimed
        # at ``now``, as many (the earliest due, most likely the same).
        stale = self._stale
        due = now if self._since is None or stale else self._since
        wanted = min(stale, room) if stale else w._claim_size(room)
        claimed = await w._store.claim_due(  # the lease runs from now all the same
            now=due, limit=wanted, owner=w._owner, lease=w._lease + now - due
        )
        self._exhausted = not stale and len(claimed) < wanted
        self._stale = 0
        self._claimed_any = self._claimed_any or bool(claimed)
        self._queued.extend((invoice, now + w._lease / 2) for invoice in claimed)

    async def _start(self) -> None:
        """Start reads up to the window, each once the budget (if any) grants it."""
        w, queued = self._w, self._queued
        while queued and len(self._tasks) < w._window.current:
            invoice, start_by = queued[0]
            now = w._clock()
            if now >= start_by:  # held half its lease (a stall): maybe another's soon
                queued.popleft()
                self._stale += 1
                continue
            if w._gate is not None and (wait := await w._gate.ask(now)) > 0:
                if now + wait < start_by:  # within the leases: wait beside the reads
                    self._pacer = asyncio.ensure_future(self._pace(now + wait))
                else:  # past them: give the claims back; ``run`` sleeps till then
                    w._budget_wake = max(w._budget_wake, now + wait)
                    self._give_back(pending=True)
                return
            queued.popleft()
            self._counts.requests += 1
            self._tasks.add(asyncio.ensure_future(w._check(invoice, self._counts)))

    def _pacers(self) -> list[asyncio.Task[None]]:
        return [] if self._pacer is None else [self._pacer]

    def _give_back(self, *, pending: bool) -> None:
        """Leave the queued invoices unread (still due; with ``pending``, in the run's
        ``pending`` too): their leases are released once nothing is in flight (a release
        drops them all)."""
        for invoice, _start_by in self._queued if pending else ():
            self._counts.pending[invoice.invoice_id] = None
        self._dropped = self._dropped or bool(self._queued)
        self._exhausted = True
        self._queued.clear()

    async def _pace(self, wake: float) -> None:
        now = self._w._clock()  # on the watcher's clock from now, whatever ran meanwhile
        if wake > now:
            await self._w._sleep(wake - now)
