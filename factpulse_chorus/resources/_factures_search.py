"""The two invoice searches of ``client.factures``: one page, every page, every invoice.

Each search's filters are declared once, as a ``TypedDict`` (``models.factures``), and
taken as ``**filters`` by its three entry points; :func:`_search_request` checks their
names and builds the request model. :class:`AsyncFacturesSearches` is a base of
``AsyncFactures``: the methods are ``client.factures.rechercher_fournisseur`` and so on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, Final, TypeVar

from .._pagination import iterate_pages
from .._types import NOT_GIVEN, Headers, NotGivenOr, TimeoutTypes
from ..models._fields import check_filter_names
from ..models.common import SearchPagination
from ..models.factures import (
    FacturesRechercherDestinataireFilters,
    FacturesRechercherDestinataireRequest,
    FacturesRechercherDestinataireResponse,
    FacturesRechercherFournisseurFilters,
    FacturesRechercherFournisseurRequest,
    FacturesRechercherFournisseurResponse,
    RecipientInvoice,
    SupplierInvoice,
)
from ._base import AsyncResource

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ..models.common import ChorusProCredentials

__all__ = ["AsyncFacturesSearches"]

R = TypeVar("R")

_PAGINATION: Final = ("page_size", "sort_column", "sort_direction")


def _search_request(
    cls: Callable[..., R],
    declared: type,
    operation: str,
    filters: Mapping[str, Any],
    page: int,
    credentials: ChorusProCredentials | None,
) -> R:
    """The request model of a search from its ``**filters`` (declared once, as ``declared``).

    An unknown keyword is a :class:`RequestValidationError` naming it; ``None`` means "not
    filtered"; ``page_size``/``sort_*`` go with ``page`` into the pagination object.
    """
    check_filter_names(filters, declared, operation)
    values = {k: v for k, v in filters.items() if v is not None}
    pagination = SearchPagination(page=page, **{k: values.pop(k, None) for k in _PAGINATION})
    return cls(**values, pagination=pagination, credentials=credentials)


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
        request = _search_request(
            FacturesRechercherFournisseurRequest,
            FacturesRechercherFournisseurFilters,
            "factures.rechercher_fournisseur",
            filters,
            page,
            self._credentials(credentials),
        )
        return await self._post(
            "/factures/rechercher-fournisseur",
            request,
            FacturesRechercherFournisseurResponse,
            operation="factures.rechercher_fournisseur",
            idempotent=True,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
        )

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
        request = _search_request(
            FacturesRechercherDestinataireRequest,
            FacturesRechercherDestinataireFilters,
            "factures.rechercher_destinataire",
            filters,
            page,
            self._credentials(credentials),
        )
        return await self._post(
            "/factures/rechercher-destinataire",
            request,
            FacturesRechercherDestinataireResponse,
            operation="factures.rechercher_destinataire",
            idempotent=True,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
        )

    async def pages_fournisseur(
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
        ``pageCourante < pages`` (REFERENCE §6.1); raises :class:`ResponseDecodeError` if the
        server does not advance.
        """
        options = _options(credentials, timeout, max_retries, extra_headers)
        pages = iterate_pages(
            lambda page: self.rechercher_fournisseur(page=page, **options, **filters),
            "factures.rechercher_fournisseur",
        )
        async with aclosing(pages):
            async for result in pages:
                yield result

    async def iter_fournisseur(
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
        options = _options(credentials, timeout, max_retries, extra_headers)
        pages = iterate_pages(
            lambda page: self.rechercher_fournisseur(page=page, **options, **filters),
            "factures.rechercher_fournisseur",
        )
        async with aclosing(pages):
            async for result in pages:
                for invoice in result.invoices:
                    yield invoice

    async def pages_destinataire(
        self,
        *,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
        **filters: Unpack[FacturesRechercherDestinataireFilters],
    ) -> AsyncIterator[FacturesRechercherDestinataireResponse]:
        """Every page of :meth:`rechercher_destinataire`, fetched one at a time as you iterate.

        Same filters; ``page_size`` is ``nbResultatsParPage`` (server default when left
        out). Requests ``pageResultatDemandee = pageCourante + 1`` while
        ``pageCourante < pages`` (REFERENCE §6.1); raises :class:`ResponseDecodeError` if the
        server does not advance.
        """
        options = _options(credentials, timeout, max_retries, extra_headers)
        pages = iterate_pages(
            lambda page: self.rechercher_destinataire(page=page, **options, **filters),
            "factures.rechercher_destinataire",
        )
        async with aclosing(pages):
            async for result in pages:
                yield result

    async def iter_destinataire(
        self,
        *,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
        **filters: Unpack[FacturesRechercherDestinataireFilters],
    ) -> AsyncIterator[RecipientInvoice]:
        """Every invoice matching the filters of :meth:`rechercher_destinataire`, across all pages.

        Pages are fetched as needed (one in memory at a time); see :meth:`pages_destinataire`.
        """
        options = _options(credentials, timeout, max_retries, extra_headers)
        pages = iterate_pages(
            lambda page: self.rechercher_destinataire(page=page, **options, **filters),
            "factures.rechercher_destinataire",
        )
        async with aclosing(pages):
            async for result in pages:
                for invoice in result.invoices:
                    yield invoice


def _options(
    credentials: NotGivenOr[ChorusProCredentials | None],
    timeout: NotGivenOr[TimeoutTypes],
    max_retries: NotGivenOr[int],
    extra_headers: Headers | None,
) -> dict[str, Any]:
    """The per-call options, passed on unchanged to each page's request."""
    return {
        "credentials": credentials,
        "timeout": timeout,
        "max_retries": max_retries,
        "extra_headers": extra_headers,
    }
