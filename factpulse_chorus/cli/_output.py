"""How the command line prints: rich tables for people, JSON for scripts, short errors.

Results are SDK models (attrs classes); :func:`jsonable` turns them into plain JSON data
(``Decimal`` as a string, dates in ISO form, status codes as their wire value) and leaves
out ``raw``, the untouched HTTP response.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any, NoReturn

import attrs
import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

EXIT_API_ERROR = 1
"""The API or Chorus Pro refused the request, or it could not be sent."""
EXIT_USAGE = 2
"""Bad arguments: refused before anything was sent (click uses 2 for usage errors too)."""


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data (attrs models become objects, without ``raw``)."""
    if attrs.has(type(value)):
        return {
            field.name: jsonable(getattr(value, field.name))
            for field in attrs.fields(type(value))
            if field.name != "raw"
        }
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(item) for item in value]
    return value


def text(value: Any) -> str:
    """A cell of a human-readable table."""
    if value is None:
        return "-"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


class Output:
    """Where a command writes: JSON on stdout (``--json``) or rich text for a person.

    Progress bars and errors go to stderr, so stdout stays parseable.
    """

    def __init__(self, *, as_json: bool) -> None:
        self.as_json = as_json
        self.console = Console(highlight=False, soft_wrap=False)
        self.errors = Console(stderr=True, highlight=False)

    def json(self, data: Any) -> None:
        """One JSON document on one line (also the JSON lines of a stream)."""
        sys.stdout.write(json.dumps(jsonable(data), ensure_ascii=False) + "\n")
        sys.stdout.flush()

    def table(
        self, title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        """A table; ``rows`` are cells of any type (see :func:`text`)."""
        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*(Text(text(cell)) for cell in row))
        self.console.print(table)

    def fields(self, title: str | None, pairs: Iterable[tuple[str, Any]]) -> None:
        """A two-column table: name, value."""
        table = Table(title=title, title_justify="left", show_header=False)
        table.add_column(style="bold")
        table.add_column()
        for name, value in pairs:
            table.add_row(name, Text(text(value)))
        self.console.print(table)

    def line(self, message: str) -> None:
        """A line of plain text for a person (nothing in JSON mode)."""
        if not self.as_json:
            self.console.print(message)

    def fail(self, message: str, code: int = EXIT_API_ERROR) -> NoReturn:
        """Print ``error: message`` on one line of stderr and exit with ``code``."""
        self.errors.print(f"error: {' '.join(message.split())}", markup=False, soft_wrap=True)
        raise click.exceptions.Exit(code)
