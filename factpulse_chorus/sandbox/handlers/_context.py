"""What every handler works on, and the decorator that turns a refusal into its reply."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import _search
from .._directory import Directory
from .._lifecycle import Lifecycle, SimClock
from .._records import Invoice, Options, Refusal, unknown_invoice
from .._store import Store

__all__ = ["Context", "Handler", "endpoint"]


@dataclass(frozen=True, slots=True)
class Context:
    """The store, the directory, the life-cycle engine, the clock and the options."""

    store: Store
    directory: Directory
    lifecycle: Lifecycle
    clock: SimClock
    options: Options

    def invoice(self, invoice_id: int, now: float) -> Invoice:
        """The invoice, its due transitions applied; the native ``20000`` refusal if unknown."""
        invoice = self.store.invoices.get(invoice_id)
        if invoice is None:
            raise unknown_invoice()
        self.lifecycle.settle(invoice, now)
        return invoice

    def search(
        self,
        login: str,
        body: dict[str, Any],
        role: _search.Role,
        item: Callable[[Directory, Invoice], dict[str, Any]],
    ) -> tuple[list[dict[str, Any]], dict[str, int]]:
        """One page of a search as ``login`` sees it now (each invoice as ``item`` renders
        it) and its pagination block."""
        page, pagination = _search.search(
            self.store,
            self.directory,
            self.lifecycle,
            login=login,
            body=body,
            role=role,
            now=self.clock.timestamp(),
        )
        return [item(self.directory, invoice) for invoice in page], pagination


Handler = Callable[[Context, str, dict[str, Any]], dict[str, Any]]


def endpoint(handler: Handler) -> Handler:
    """Turn a raised :class:`Refusal` into its reply body."""

    @functools.wraps(handler)
    def wrapper(context: Context, login: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            return handler(context, login, body)
        except Refusal as refusal:
            return refusal.body

    return wrapper
