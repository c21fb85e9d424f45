"""``invoices track / watch / status / reconcile`` and ``invoices submit --db``: batch work
kept in a store (an SQLite file, or a PostgreSQL database machines share), so that a cron
job or a restarted one carries on where the last one stopped.

``track`` and ``status`` only read and write the file: they need no credentials.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from datetime import datetime, timezone
from typing import IO, TYPE_CHECKING, Any

import click

from .._exceptions import DuplicateSubmissionError, RequestValidationError
from ._base import (
    CONTEXT,
    ApiCommandClass,
    api_command,
    guarded,
    json_option,
    read_ids,
    renamed,
)
from ._output import (
    EXIT_DEADLINE,
    EXIT_DUPLICATE,
    Output,
    Shown,
    fields_view,
    table_view,
)
from ._store_target import Target, open_store, shown
from ._store_target import db_option as db_option  # ``invoices submit --db`` takes it here

if TYPE_CHECKING:
    from rich.console import RenderableType

    from .._client import AsyncChorusClient
    from .._poll_events import PollEvent, PollSummary
    from ..store import Store, Submission


_GROUP = click.Group("invoices")
"""Where the commands are built; ``invoices`` (in :mod:`._invoices`) adds them."""


@contextlib.asynccontextmanager
async def ledger(out: Output, db: Target | None) -> AsyncIterator[Store | None]:
    """``invoices submit --db``: the store (``None`` without ``--db``); a number the ledger
    already holds ends the command with one line naming it and :data:`EXIT_DUPLICATE`."""
    if db is None:
        yield None
        return
    try:
        async with open_store(db) as store:
            yield store
    except DuplicateSubmissionError as exc:
        if exc.invoice_id is not None:
            message = f"already submitted as invoice {exc.invoice_id}"
        else:
            message = "being submitted by another process"
        out.fail(f"--number {exc.invoice_number}: {message} (nothing sent)", EXIT_DUPLICATE)


def when(timestamp: float | None) -> str | None:
    """A store time (POSIX seconds) as ISO 8601 UTC, to the second."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="seconds")


def _store_only(name: str) -> Callable[[Callable[..., Coroutine[Any, Any, Shown]]], click.Command]:
    """Register ``async def command(out, **arguments) -> Shown`` as ``invoices name``: a
    command that reads or writes the store only (no client, so no credentials)."""

    def decorate(function: Callable[..., Coroutine[Any, Any, Shown]]) -> click.Command:
        @functools.wraps(function)
        def command(as_json: bool, **arguments: Any) -> None:
            out = Output(as_json=as_json)

            def call() -> None:
                with renamed({"invoice_ids": "IDS"}):
                    out.show(asyncio.run(function(out, **arguments)))

            guarded(out, call)

        wrapped = json_option()(command)
        return _GROUP.command(name, cls=ApiCommandClass, context_settings=CONTEXT)(wrapped)

    return decorate


# --- invoices track --------------------------------------------------------------------------


def _given_ids(raw: tuple[str, ...], stdin: IO[str]) -> list[int]:
    if raw in ((), ("-",)):
        return list(read_ids(stdin))
    ids = []
    for position, value in enumerate(raw, start=1):
        try:
            ids.append(int(value))
        except ValueError:
            raise RequestValidationError(
                "invoice_ids", f"argument {position}: {value[:40]!r} is not an invoice id"
            ) from None
    return ids


@click.argument("ids", metavar="[IDS]...", nargs=-1)
@db_option(create=True)
@_store_only("track")
async def invoices_track(out: Output, ids: tuple[str, ...], db: Target) -> Shown:
    """Add invoices to the store for `invoices watch`: ids as arguments, or one a line on
    stdin (- or none given). Ids already tracked keep their schedule. No request is sent."""
    given = _given_ids(ids, sys.stdin)
    if not given:
        raise RequestValidationError("invoice_ids", "no invoice id given")
    async with open_store(db) as store:
        new = await store.track(given, now=time.time())
        watched = await store.watched_count()
    distinct = len(set(given))
    result = {"db": shown(db), "new": new, "given": distinct, "watched": watched}
    return result, (
        f"{new} newly tracked ({distinct - new} already tracked), {watched} watched in " + shown(db)
    )


# --- invoices watch --------------------------------------------------------------------------


def _clock(speed: float) -> tuple[Callable[[], float], Callable[[float], Awaitable[None]]]:
    """The watcher's clock and sleep: wall time, or ``speed`` times faster (a sandbox run
    with the same ``--clock-speed`` changes its invoices that much sooner)."""
    if speed == 1.0:
        return time.time, asyncio.sleep
    start, origin = time.time(), time.monotonic()

    def clock() -> float:
        return start + (time.monotonic() - origin) * speed

    async def sleep(seconds: float) -> None:
        await asyncio.sleep(seconds / speed)

    return clock, sleep


def _event_line(event: PollEvent) -> str | None:
    from .._poll_events import FinalStatus, PollError, StatusChanged

    if isinstance(event, StatusChanged) and not event.current.is_final:
        previous = event.previous.value if event.previous is not None else "unread"
        return f"{event.invoice_id}: {previous} -> {event.current.value}"
    if isinstance(event, FinalStatus):
        return f"{event.invoice_id}: final {event.status.value}"
    if isinstance(event, PollError):
        gave_up = ", given up" if event.gave_up else ", retried later"
        return f"{event.invoice_id}: {type(event.error).__name__}: {event.error}{gave_up}"
    return None


class _Progress:
    """What ``watch`` says while it runs, on stderr: a bar at a terminal (invoices final or
    given up, of those watched), else one line an event; nothing with ``--quiet``."""

    def __init__(self, out: Output, *, quiet: bool, total: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._out = out
        self._lines = not quiet and not out.errors.is_terminal
        self._bar = Progress(
            TextColumn("Watching"), BarColumn(), MofNCompleteColumn(),
            console=out.errors, disable=quiet or self._lines,
        )  # fmt: skip
        self._task = self._bar.add_task("watch", total=total)

    def __enter__(self) -> _Progress:
        self._bar.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._bar.__exit__(None, None, None)

    def event(self, event: PollEvent) -> None:
        from .._poll_events import FinalStatus, PollError

        if isinstance(event, FinalStatus) or (isinstance(event, PollError) and event.gave_up):
            self._bar.advance(self._task)
        line = _event_line(event) if self._lines else None
        if line is not None:
            self._out.errors.print(line, markup=False, highlight=False, soft_wrap=True)


def _counts(counts: dict[str | None, int]) -> dict[str, int]:
    return {status or "unread": n for status, n in sorted(counts.items(), key=lambda c: -c[1])}


def _watch_view(db: Target, state: dict[str, Any], summary: PollSummary) -> RenderableType:
    from rich.console import Group

    title = f"Invoices in {shown(db)}"
    statuses = table_view(title, ("status", "invoices"), state["statuses"].items())
    figures = fields_view(
        "This run",
        (
            ("requests", summary.requests),
            ("failed reads", f"{summary.errors} ({summary.rate_limited} rate-limited)"),
            ("final this run", sum(summary.final.values())),
            ("given up", len(summary.failed)),
            ("still watched", state["watched"]),
            ("due now", state["due"]),
            ("next check", state["next_check"]),
            ("elapsed", f"{summary.elapsed:.1f} s"),
        ),
    )
    return Group(statuses, figures)


async def _store_state(store: Store, now: float) -> dict[str, Any]:
    return {
        "statuses": _counts(await store.status_counts()),
        "watched": await store.watched_count(),
        "due": await store.due_count(now=now),
        "next_check": when(await store.next_due()),
    }


@db_option(create=False)
@click.option("--once", is_flag=True, help="Read what is due now, record it, exit (for cron).")
@click.option("--max-requests", type=click.IntRange(1), help="Stop after this many reads.")
@click.option(
    "--concurrency", type=click.IntRange(1), default=8, help="Most invoices read at once."
)
@click.option(
    "--rate", type=click.FloatRange(min=0, min_open=True), metavar="PER_SECOND",
    help="Reads per second at most, for every watcher on this --db together.",
)  # fmt: skip
@click.option(
    "--daily-budget", type=click.IntRange(1), metavar="N",
    help="Reads per UTC day at most, for every watcher on this --db together.",
)  # fmt: skip
@click.option(
    "--clock-speed", type=click.FloatRange(min=0, min_open=True), default=1.0, metavar="FACTOR",
    help="Run the watcher's clock FACTOR times faster: only to follow a sandbox started "
    "with the same --clock-speed.",
)  # fmt: skip
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@api_command(
    _GROUP,
    "watch",
    json_help="Print one JSON object: the store's counts and this run's summary.",
)
async def invoices_watch(
    client: AsyncChorusClient,
    out: Output,
    db: Target,
    once: bool,
    max_requests: int | None,
    concurrency: int,
    rate: float | None,
    daily_budget: int | None,
    clock_speed: float,
    quiet: bool,
) -> None:
    """Follow the tracked invoices to a final status, each read when its status says it may
    have changed; --once reads only what is due. Exit code 1 if an invoice was given up
    on, 3 if --max-requests (or, with --once, the budget's wait) stopped it with invoices
    still due. --rate and --daily-budget are the fleet's: every `invoices watch` on the same
    --db shares them; a read waits for them before it starts."""
    from .._budget import RateBudget

    clock, sleep = _clock(clock_speed)
    budget = None
    if rate is not None or daily_budget is not None:
        budget = RateBudget(per_second=rate, per_day=daily_budget)
    async with open_store(db) as store:
        watcher = client.factures.watch(
            store,
            concurrency=concurrency,
            max_requests=max_requests,
            clock=clock,
            sleep=sleep,
            budget=budget,
        )
        with _Progress(out, quiet=quiet, total=await store.watched_count()) as progress:
            async with watcher, watcher.run(once=once) as run:  # leases released on the way out
                async for event in run:
                    progress.event(event)
        summary = run.summary
        state = await _store_state(store, clock())
    out.show(({**state, "run": summary}, _watch_view(db, state, summary)))
    if summary.failed:
        out.fail(f"{len(summary.failed)} invoices given up: their reads kept failing")
    if max_requests is not None and summary.requests >= max_requests and state["due"]:
        out.fail(f"--max-requests reached with {state['due']} invoices still due", EXIT_DEADLINE)
    elif once and budget is not None and state["due"]:
        # The budget's wait outlived the leases: the run gave its invoices back unread.
        out.fail(f"the rate budget waits: {state['due']} invoices still due, run again later",
                 EXIT_DEADLINE)  # fmt: skip


# --- invoices status -------------------------------------------------------------------------


def _unsettled(rows: list[Submission], now: float) -> list[Submission]:
    """Submissions whose outcome is unknown: uncertain, or sent by a process that is gone."""
    from ..store import SubmissionState

    def gone(row: Submission) -> bool:
        return row.lease_until is None or row.lease_until <= now

    return [
        row
        for row in rows
        if row.state == SubmissionState.UNCERTAIN
        or (row.state == SubmissionState.SENT and gone(row))
    ]


def _submission_rows(rows: list[Submission]) -> Iterator[tuple[Any, ...]]:
    for row in rows:
        yield (
            row.supplier or "-", row.invoice_number, row.state, row.invoice_id,
            when(row.sent_at), row.last_error,
        )  # fmt: skip


SUBMISSION_COLUMNS = ("supplier", "number", "state", "invoice", "sent at", "last error")


@db_option(create=False)
@_store_only("status")
async def invoices_status(out: Output, db: Target) -> Shown:
    """What the store holds: invoices by status, what is due now and when the next check
    is, submissions by state and those whose outcome is unknown. No request is sent."""
    now = time.time()
    async with open_store(db) as store:
        state = await _store_state(store, now)
        submissions = await store.submissions()
    by_state: dict[str, int] = {}
    for row in submissions:
        by_state[row.state.value] = by_state.get(row.state.value, 0) + 1
    unsettled = _unsettled(submissions, now)
    result = {"db": shown(db), **state, "submissions": by_state, "uncertain": unsettled}
    from rich.console import Group

    views: list[RenderableType] = [
        table_view(f"Invoices in {shown(db)}", ("status", "invoices"), state["statuses"].items()),
        fields_view(
            None,
            (
                ("still watched", state["watched"]),
                ("due now", state["due"]),
                ("next check", state["next_check"]),
                ("submissions", ", ".join(f"{n} {s}" for s, n in by_state.items()) or None),
            ),
        ),
    ]
    if unsettled:
        title = f"{len(unsettled)} uncertain submissions (`invoices reconcile` settles them)"
        views.append(table_view(title, SUBMISSION_COLUMNS, _submission_rows(unsettled)))
    return result, Group(*views)


# --- invoices reconcile ----------------------------------------------------------------------


@db_option(create=False)
@click.option(
    "--settle", type=click.FloatRange(min=0), default=30.0,
    help="Seconds after sending before a number not found counts as never created.",
)  # fmt: skip
@api_command(_GROUP, "reconcile")
async def invoices_reconcile(
    client: AsyncChorusClient, out: Output, db: Target, settle: float
) -> None:
    """Settle the submissions whose outcome is unknown (a timeout, a crash after sending):
    look each number up; found, it is created; long enough absent, it may be sent again.
    Exit code 3 if some are still uncertain (too recent: run it again later)."""
    from ..store import SubmissionState

    async with open_store(db) as store:
        rows = await client.factures.reconcile(store, settle=settle)
    title = f"{len(rows)} submissions reconciled" if rows else "No uncertain submission"
    out.show(({"submissions": rows}, table_view(title, SUBMISSION_COLUMNS, _submission_rows(rows))))
    left = [row for row in rows if row.state == SubmissionState.UNCERTAIN]
    if left:
        out.fail(f"{len(left)} submissions still uncertain: run it again later", EXIT_DEADLINE)


STORE_COMMANDS = tuple(_GROUP.commands.values())
"""track, watch, status, reconcile: for the ``invoices`` group."""
