"""``--db``: the store of the batch commands, an SQLite file path or a PostgreSQL URL.

A path is checked at parse time like every path option (``_base.FILE_TO_READ`` /
``FILE_TO_WRITE``: nothing is sent for a path that cannot be used); a ``postgresql://``
(or ``postgres://``) URL is opened by :func:`factpulse_chorus.store.open_store`, and only
ever shown with its password masked.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ._base import FILE_TO_READ, FILE_TO_WRITE

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["StoreTarget", "db_option", "open_store", "shown"]

URL_SCHEMES = ("postgresql://", "postgres://")

Target = Path | str
"""What ``--db`` gives a command: a checked file path, or a PostgreSQL URL."""

if TYPE_CHECKING:
    _ParamType = click.ParamType[Any, Any]  # generic since click 8.2 (the floor is 8.1)
else:
    _ParamType = click.ParamType


class StoreTarget(_ParamType):
    """A store file path (``check``: the path options' own check) or a PostgreSQL URL."""

    name = "store"

    def __init__(self, *, create: bool) -> None:
        chosen = FILE_TO_WRITE if create else FILE_TO_READ
        self.check: Callable[[click.Context | None, click.Parameter | None, Path], Path] = chosen[
            "callback"
        ]

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, Path):
            return self.check(ctx, param, value)
        if isinstance(value, str) and value.startswith(URL_SCHEMES):
            return value
        return self.check(ctx, param, Path(value))


def db_option(
    *, create: bool, help_text: str | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--db PATH|URL``, required unless ``help_text`` says what it adds; ``create``: the
    file may not exist yet (its folder is checked before anything is sent)."""
    default = "The store: an SQLite file" + (", created if missing" if create else "")
    return click.option(
        "--db",
        required=help_text is None,
        metavar="PATH|URL",
        type=StoreTarget(create=create),
        help=(help_text or default).rstrip(".") + ", or a postgresql:// URL.",
    )


def open_store(db: Target) -> Store:
    """The store of ``--db`` (imported here: a command without ``--db`` never loads it)."""
    from ..store import open_store as open_target

    return open_target(db)


def shown(db: Target) -> str:
    """``--db`` as it may be printed: a URL's password masked."""
    if isinstance(db, str) and db.startswith(URL_SCHEMES):
        from ..store._pg_connect import Target as Url  # no driver needed to mask it

        return Url(db).shown
    return str(db)
