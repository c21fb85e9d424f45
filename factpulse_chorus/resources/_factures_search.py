"""The two invoice searches of ``client.factures``: one page, every page, every invoice.

Each search's filters are declared once, as a ``TypedDict`` (``models.factures``), and
taken as ``**filters`` by its three entry points, which all go through the one search
driver of :class:`AsyncResource` (``_search``/``_pages``). :class:`AsyncFacturesSearches`
is a base of ``AsyncFactures``: the methods are ``client.factures.rechercher_fournisseur``
and so on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Final

from .._types import NOT_GIVEN, Headers, NotGivenOr, TimeoutTypes
from ..models.factures import (
    FacturesRechercherDestinataireFilters,
    FacturesRechercherDestinataireRequest,
    FacturesRechercherDestinataireResponse,
    FacturesRechercherFournisseurFilters,
    FacturesRechercherFournisseurRequest,
    FacturesRechercherFournisseurResponse,
)
from ._base import AsyncResource, Search, page_items

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ..models.common import ChorusProCredentials
    from ..models.factures import RecipientInvoice, SupplierInvoice

__all__ = ["AsyncFacturesSearches"]

_SUPPLIER: Final = Search(
    "/factures/rechercher-fournisseur",
    FacturesRechercherFournisseurRequest,
    FacturesRechercherFournisseurFilters,
    FacturesRechercherFournisseurResponse,
)
_RECIPIENT: Final = Search(
    "/factures/rechercher-destinataire",
    FacturesRechercherDestinataireRequest,
    FacturesRechercherDestinataireFilters,
    FacturesRechercherDestinataireResponse,
)


class AsyncFacturesSearches(AsyncResource):
    """``rechercher_*`` (one page), ``pages_*`` (every page) and ``iter_*`` (every invoice)
    of the supplier and recipient searches."""

    __slots__ = ()

    async def rechercher_fournisseur(
        self,
        *,
        page: int = 1,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
        **filters: Unpack[FacturesRechercherFournisseurFilters],
    ) -> FacturesRechercherFournisseurResponse:
        """One page of the invoices the caller issued, as a supplier.

        ``POST /factures/rechercher-fournisseur``. ``filters``: the keywords of
        :class:`FacturesRechercherFournisseurFilters` (an unknown one is a
        :class:`RequestValidationError`); ``extra`` passes any other native key unchanged.
        ``page``/``page_size``/``sort_*`` go in ``rechercheFactureParFournisseur``. For
        every page, use :meth:`pages_fournisseur` or :meth:`iter_fournisseur`.
        """
        return await self._search(_SUPPLIER, locals())

    async def rechercher_destinataire(
        self,
        *,
        page: int = 1,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
        **filters: Unpack[FacturesRechercherDestinataireFilters],
    ) -> FacturesRechercherDestinataireResponse:
        """One page of the invoices the caller received, as a recipient.

        ``POST /factures/rechercher-destinataire``. ``filters``: the keywords of
        :class:`FacturesRechercherDestinataireFilters`; pagination goes in
        ``paramRecherche`` and comes back at the top level (read as ``page_info`` all the
        same). For every page, use :meth:`pages_destinataire` or :meth:`iter_destinataire`.
        """
        return await self._search(_RECIPIENT, locals())

    def pages_fournisseur(
        self,
        *,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
        **filters: Unpack[FacturesRechercherFournisseurFilters],
    ) -> AsyncIterator[FacturesRechercherFournisseurResponse]:
        """Every page of :meth:`rechercher_fournisseur`, fetched one at a time as you iterate.

        Same filters; ``page_size`` is ``nbResultatsParPage`` (server default when left
        out). Requests ``pageResultatDemandee = pageCourante + 1`` while
        ``pageCourante < pages``; raises :class:`ResponseDecodeError` if the server does not
        advance.
        """
        return self._pages(_SUPPLIER, locals())

    def iter_fournisseur(
        self,
        *,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
        **filters: Unpack[FacturesRechercherFournisseurFilters],
    ) -> AsyncIterator[SupplierInvoice]:
        """Every invoice matching the filters of :meth:`rechercher_fournisseur`, across all pages.

        Pages are fetched as needed (one in memory at a time); see :meth:`pages_fournisseur`.
        """
        return page_items(self._pages(_SUPPLIER, locals()))

    def pages_destinataire(
        self,
        *,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
        **filters: Unpack[FacturesRechercherDestinataireFilters],
    ) -> AsyncIterator[FacturesRechercherDestinataireResponse]:
        """Every page of :meth:`rechercher_destinataire` (same filters), fetched as you
        iterate and walked as :meth:`pages_fournisseur` walks its own."""
        return self._pages(_RECIPIENT, locals())

    def iter_destinataire(
        self,
        *,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
        **filters: Unpack[FacturesRechercherDestinataireFilters],
    ) -> AsyncIterator[RecipientInvoice]:
        """The invoices of :meth:`pages_destinataire`, one by one (a page in memory at a time)."""
        return page_items(self._pages(_RECIPIENT, locals()))
