"""Walking the pages of the invoice searches.

The rule: read the pagination (``parametresRetour``, or the top level for
``rechercher-destinataire``: the models expose both as ``page_info``), then request
``pageResultatDemandee = pageCourante + 1`` while ``pageCourante < pages``. A server that
answers another page than the one asked for, or forgets the pagination of a non-empty
page, raises :class:`ResponseDecodeError` rather than looping or stopping silently.
Pages are fetched one at a time, when the consumer asks for them: memory stays bounded
by one page.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Sized
from typing import Any, Protocol, TypeVar

from ._exceptions import ResponseDecodeError
from .models.common import PageInfo

__all__ = ["iterate_pages"]


class _Page(Protocol):
    @property
    def page_info(self) -> PageInfo | None: ...

    @property
    def invoices(self) -> Sized: ...


P = TypeVar("P", bound=_Page)


def _status(page: Any) -> int:
    raw = getattr(page, "raw", None)
    return raw.status if raw is not None else 200


async def iterate_pages(
    fetch: Callable[[int], Awaitable[P]], operation: str
) -> AsyncGenerator[P, None]:
    """Yield ``fetch(1)``, ``fetch(2)``, ... until the server's last page.

    ``operation`` names the search in errors. Raises :class:`ResponseDecodeError` when
    the server does not advance (it returns another page than the one requested) or
    leaves out the pagination of a page that has results.
    """
    wanted = 1
    while True:
        page = await fetch(wanted)
        info = page.page_info
        if info is None or info.page is None or info.page_count is None:
            if len(page.invoices) == 0 and wanted == 1:
                yield page  # nothing found: some servers then leave the pagination out
                return
            raise ResponseDecodeError(
                f"{operation}: page {wanted} has no pagination (pageCourante/pages), so the "
                "remaining pages cannot be requested",
                status_code=_status(page),
            )
        if info.page != wanted:
            raise ResponseDecodeError(
                f"{operation}: asked for page {wanted}, the server returned page "
                f"{info.page} (of {info.page_count}); stopping rather than looping",
                status_code=_status(page),
            )
        yield page
        following = info.next_page
        if following is None:
            return
        wanted = following
