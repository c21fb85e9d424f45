"""How the command line prints: rich tables for people, JSON for scripts, short errors.

Results are SDK models (attrs classes), printed as their ``to_dict()`` form (``Decimal`` as
a string, dates in ISO form, status codes as their wire value, no ``raw``).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from decimal import Decimal
from enum import Enum
from typing import Any, NoReturn

import click
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from ..models.common import jsonable

EXIT_API_ERROR = 1
"""The API or Chorus Pro refused the request, or it could not be sent."""
EXIT_USAGE = 2
"""Bad arguments: refused before anything was sent (click uses 2 for usage errors too)."""
EXIT_DEADLINE = 3
"""Not done yet, run it again later: ``invoices poll``'s deadline came before every invoice
was final (nothing failed); ``invoices watch --max-requests`` stopped with invoices still due;
``invoices reconcile`` left submissions uncertain."""
EXIT_DUPLICATE = 5
"""``invoices submit --db``: the store's ledger holds the number already (created, or being
submitted by another process); nothing was sent. (4 is ``doctor``'s.)"""

_CENT = Decimal("0.01")


def money(value: Decimal) -> str:
    """An amount as people and scripts read it everywhere: ``1250.50`` (at least two
    decimals, a dot, no thousands separator, never an exponent; more decimals are kept)."""
    if not value.is_finite():
        return str(value)
    exponent = value.as_tuple().exponent
    shown = value.quantize(_CENT) if isinstance(exponent, int) and exponent > -2 else value
    return f"{shown:f}"


def text(value: Any) -> str:
    """A cell of a human-readable table."""
    if value is None:
        return "-"
    if isinstance(value, Decimal):  # every Decimal the SDK returns is an amount
        return money(value)
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def table_view(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    """A table; ``rows`` are cells of any type (see :func:`text`)."""
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(Text(text(cell)) for cell in row))
    return table


def fields_view(title: str | None, pairs: Iterable[tuple[str, Any]]) -> Table:
    """A two-column table: name, value."""
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    for name, value in pairs:
        table.add_row(name, Text(text(value)))
    return table


_UNWRAPPED = 100_000
"""The width of piped output: wide enough that no table cell or line is ever wrapped."""


def console() -> Console:
    """The console of stdout: a terminal's width; piped, never wrapped (rich would wrap at
    80 columns), unless ``COLUMNS`` says otherwise."""
    out = Console(highlight=False, soft_wrap=False)
    if not out.is_terminal and not os.environ.get("COLUMNS", "").isdigit():
        out.width = _UNWRAPPED
    return out


Shown = tuple[Any, RenderableType]
"""What a command returns to be printed: the result for ``--json``, and for a person a
table or a line (a string, read as rich markup like :meth:`Output.line`)."""


class Output:
    """Where a command writes: JSON on stdout (``--json``) or rich text for a person.

    Progress bars and errors go to stderr, so stdout stays parseable.
    """

    def __init__(self, *, as_json: bool) -> None:
        self.as_json = as_json
        self.console = console()
        self.errors = Console(stderr=True, highlight=False)

    def json(self, data: Any) -> None:
        """One JSON document on one line (also the JSON lines of a stream)."""
        sys.stdout.write(json.dumps(jsonable(data), ensure_ascii=False) + "\n")
        sys.stdout.flush()

    def show(self, shown: Shown) -> None:
        """A command's answer: its result as JSON with ``--json``, else its view."""
        result, view = shown
        if self.as_json:
            self.json(result)
        else:
            self.console.print(view)

    def table(
        self, title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        """A table (see :func:`table_view`)."""
        self.console.print(table_view(title, columns, rows))

    def fields(self, title: str | None, pairs: Iterable[tuple[str, Any]]) -> None:
        """A two-column table: name, value."""
        self.console.print(fields_view(title, pairs))

    def line(self, message: str) -> None:
        """A line of plain text for a person (nothing in JSON mode)."""
        if not self.as_json:
            self.console.print(message)

    def fail(self, message: str, code: int = EXIT_API_ERROR) -> NoReturn:
        """Print ``error: message`` on one line of stderr and exit with ``code``."""
        self.errors.print(f"error: {' '.join(message.split())}", markup=False, soft_wrap=True)
        raise click.exceptions.Exit(code)
