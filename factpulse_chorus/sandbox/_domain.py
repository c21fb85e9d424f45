"""The sandbox's business domain, as one object: :class:`Domain`.

A small facade over the pieces, each with one job: the records (``_records``), the store
(``_store``), the life-cycle engine and its clock (``_lifecycle``), the search engine
(``_search``), the views (``_views``) and the endpoint handlers (``handlers/``). The HTTP
layer calls ``domain.<group>_<route>(login, body)``; tests and demos seed invoices and read
their snapshots here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from . import _views
from ._directory import DEMO_SUPPLIER_ID, SAINT_EXEMPLE_ID, VALIDATOR_ID, Directory
from ._lifecycle import Lifecycle, SimClock
from ._records import Options
from ._store import Store
from .handlers import factures, structures, transverses, valideur
from .handlers._context import Context

__all__ = ["Domain", "SimClock"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


class _Route(Generic[_P, _R]):
    """A handler read off a :class:`Domain` as a method bound to the domain's context.

    A plain (non-data) descriptor: assigning the attribute on an instance replaces it there,
    which is how tests spy on what the HTTP layer passes.
    """

    def __init__(self, handler: Callable[Concatenate[Context, _P], _R]) -> None:
        self._handler = handler
        self.__doc__ = handler.__doc__

    @overload
    def __get__(self, domain: None, owner: type[Domain]) -> _Route[_P, _R]: ...

    @overload
    def __get__(self, domain: Domain, owner: type[Domain]) -> Callable[_P, _R]: ...

    def __get__(
        self, domain: Domain | None, owner: type[Domain]
    ) -> _Route[_P, _R] | Callable[_P, _R]:
        if domain is None:
            return self
        handler, context = self._handler, domain.context

        def bound(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            return handler(context, *args, **kwargs)

        return bound


class Domain:
    """In-memory Chorus Pro: structures, invoices and attachments, driven by a :class:`SimClock`.

    Options beyond the contract: ``auto_reject_rate`` / ``auto_suspend_rate`` (share of
    invoices the simulated recipients reject or suspend), ``max_group_ids`` /
    ``max_group_bytes`` (``telecharger-groupe`` limits) and ``max_attachment_bytes``.
    """

    structures_rechercher = _Route(structures.rechercher)
    structures_consulter = _Route(structures.consulter)
    structures_lister_services = _Route(structures.lister_services)
    structures_obtenir_id_depuis_siret = _Route(structures.obtenir_id_depuis_siret)
    factures_soumettre = _Route(factures.soumettre)
    factures_consulter = _Route(factures.consulter)
    factures_rechercher_fournisseur = _Route(factures.rechercher_fournisseur)
    factures_rechercher_destinataire = _Route(factures.rechercher_destinataire)
    factures_telecharger_groupe = _Route(factures.telecharger_groupe)
    factures_traiter_facture_recue = _Route(factures.traiter_facture_recue)
    factures_completer = _Route(factures.completer)
    factures_recycler = _Route(factures.recycler)
    transverses_ajouter_fichier = _Route(transverses.ajouter_fichier)
    valideur_rechercher = _Route(valideur.rechercher)
    valideur_consulter = _Route(valideur.consulter)
    valideur_traiter = _Route(valideur.traiter)

    def __init__(
        self,
        *,
        seed: int = 0,
        clock: SimClock | None = None,
        routing_delay: tuple[float, float] = (60.0, 600.0),
        platform_reject_rate: float = 0.0,
        auto_process: bool = False,
        auto_process_delay: tuple[float, float] = (3600.0, 86400.0),
        completer_status: str = "MISE_A_DISPOSITION",
        vocabulary: str = "native",
        directory: Directory | None = None,
        auto_reject_rate: float = 0.1,
        auto_suspend_rate: float = 0.1,
        max_group_ids: int = 10,
        max_group_bytes: int = 120 * 1024 * 1024,
        max_attachment_bytes: int = 10 * 1024 * 1024,
    ) -> None:
        options = Options(
            routing_delay=routing_delay,
            platform_reject_rate=platform_reject_rate,
            auto_process=auto_process,
            auto_process_delay=auto_process_delay,
            completer_status=completer_status,
            vocabulary=vocabulary,
            auto_reject_rate=auto_reject_rate,
            auto_suspend_rate=auto_suspend_rate,
            max_group_ids=max_group_ids,
            max_group_bytes=max_group_bytes,
            max_attachment_bytes=max_attachment_bytes,
        )
        self.seed = seed
        self.context = Context(
            store=Store(seed),
            directory=directory if directory is not None else Directory(seed),
            lifecycle=Lifecycle(seed, options),
            clock=clock if clock is not None else SimClock(),
            options=options,
        )

    @property
    def clock(self) -> SimClock:
        """The simulated clock every status date comes from."""
        return self.context.clock

    @property
    def directory(self) -> Directory:
        """The structures, their services and the logins acting for them."""
        return self.context.directory

    @property
    def counters(self) -> dict[str, int]:
        """``invoices_created`` (submitted), ``invoices_seeded``, ``attachments_created``,
        ``duplicate_numbers_refused`` (submissions refused as a number the supplier used)."""
        return self.context.store.counters

    # == test and demo helpers ===============================================================

    def seed_invoice(
        self,
        *,
        supplier_structure_id: int = DEMO_SUPPLIER_ID,
        recipient_structure_id: int = SAINT_EXEMPLE_ID,
        status: str = "A_VALIDER_1",
        validators: Sequence[int] = (VALIDATOR_ID,),
        invoice_number: str | None = None,
        **fields: Any,
    ) -> int:
        """Create an invoice directly in ``status`` (no submission checks); return its id.

        ``fields`` (snake_case): invoice_id, invoice_date, payment_due_date, service_code,
        engagement_number, total_net_amount, vat_amount, total_gross_amount, attachment_id,
        attachment_label, comment, purchase_order_reference, contract_reference,
        billing_framework, downloaded_by_recipient, status_comment, owner_login. Missing
        amounts, dates and routing values get plausible seeded defaults. Raises ``TypeError``
        for an unknown field and ``ValueError`` for inconsistent values.
        """
        context = self.context
        return context.store.seed_invoice(
            context.directory,
            context.lifecycle,
            context.clock.timestamp(),
            supplier_structure_id=supplier_structure_id,
            recipient_structure_id=recipient_structure_id,
            status=status,
            validators=validators,
            invoice_number=invoice_number,
            fields=fields,
        )

    def invoice_count(self) -> int:
        """Number of invoices (submitted and seeded)."""
        return len(self.context.store.invoices)

    def invoice_ids(self) -> list[int]:
        """Every invoice id, in creation order."""
        return list(self.context.store.invoices)

    def invoice_snapshot(self, invoice_id: int) -> dict[str, Any] | None:
        """JSON-ready view of one invoice (status, history, routing, flags), or ``None``."""
        invoice = self.context.store.invoices.get(invoice_id)
        if invoice is None:
            return None
        self.context.lifecycle.settle(invoice, self.context.clock.timestamp())
        return _views.snapshot(invoice)
