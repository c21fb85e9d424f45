"""``client.valideur``: the validator's endpoints (``/factures/valideur/*``)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from .._pagination import iterate_pages
from .._types import NOT_GIVEN, Headers, NotGivenOr, TimeoutTypes
from ..models._fields import check_filter_names
from ..models.common import SearchPagination
from ..models.valideur import (
    ValidatorInvoice,
    ValideurConsulterRequest,
    ValideurConsulterResponse,
    ValideurRechercherFilters,
    ValideurRechercherRequest,
    ValideurRechercherResponse,
    ValideurTraiterRequest,
    ValideurTraiterResponse,
)
from ._base import AsyncResource, build_request

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ..models.common import ChorusProCredentials, LanguageCode, ValidatorActionInput

_SEARCH = "valideur.rechercher"


def _call_options(
    credentials: NotGivenOr[ChorusProCredentials | None],
    timeout: NotGivenOr[TimeoutTypes],
    max_retries: NotGivenOr[int],
    extra_headers: Headers | None,
) -> dict[str, Any]:
    """The per-call options a page walk passes on to every page's request."""
    return {
        "credentials": credentials,
        "timeout": timeout,
        "max_retries": max_retries,
        "extra_headers": extra_headers,
    }


class AsyncValideur(AsyncResource):
    """Find, read and approve or refuse the invoices awaiting your validation."""

    __slots__ = ()

    async def rechercher(
        self,
        *,
        page: int = 1,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
        **filters: Unpack[ValideurRechercherFilters],
    ) -> ValideurRechercherResponse:
        """One page of the invoices awaiting the caller's validation.

        ``POST /factures/valideur/rechercher``. The filters are those of
        :class:`ValideurRechercherFilters` (an unknown one is a
        :class:`RequestValidationError`); ``page``, ``page_size``, ``sort_column`` and
        ``sort_direction`` go in the body's ``pagination``.
        """
        check_filter_names(filters, ValideurRechercherFilters, _SEARCH)
        request = build_request(
            ValideurRechercherRequest,
            filters,
            pagination=SearchPagination(
                page=page,
                page_size=filters.get("page_size"),
                sort_column=filters.get("sort_column"),
                sort_direction=filters.get("sort_direction"),
            ),
            extra=filters.get("extra") or {},
            credentials=self._credentials(credentials),
        )
        return await self._post(
            "/factures/valideur/rechercher",
            request,
            ValideurRechercherResponse,
            operation=_SEARCH,
            idempotent=True,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
        )

    def _walk(
        self, options: Mapping[str, Any], filters: ValideurRechercherFilters
    ) -> AsyncGenerator[ValideurRechercherResponse, None]:
        # Checked here too, so a misspelt filter fails on the first page, whoever iterates.
        check_filter_names(filters, ValideurRechercherFilters, _SEARCH)
        return iterate_pages(lambda page: self.rechercher(page=page, **options, **filters), _SEARCH)

    async def pages_rechercher(
        self,
        *,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
        **filters: Unpack[ValideurRechercherFilters],
    ) -> AsyncIterator[ValideurRechercherResponse]:
        """Every page of :meth:`rechercher`, fetched one at a time as you iterate.

        Same filters; ``page_size`` is ``nbResultatsParPage`` (server default when left
        out). Requests ``pageResultatDemandee = pageCourante + 1`` while
        ``pageCourante < pages`` (REFERENCE §6.1); raises :class:`ResponseDecodeError` if the
        server does not advance.
        """
        options = _call_options(credentials, timeout, max_retries, extra_headers)
        pages = self._walk(options, filters)
        async with aclosing(pages):
            async for result in pages:
                yield result

    async def iter_rechercher(
        self,
        *,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
        **filters: Unpack[ValideurRechercherFilters],
    ) -> AsyncIterator[ValidatorInvoice]:
        """Every invoice awaiting validation that matches the filters of :meth:`rechercher`,
        across all pages (fetched as needed; see :meth:`pages_rechercher`)."""
        options = _call_options(credentials, timeout, max_retries, extra_headers)
        pages = self._walk(options, filters)
        async with aclosing(pages):
            async for result in pages:
                for invoice in result.invoices:
                    yield invoice

    async def consulter(
        self,
        invoice_id: int,
        *,
        language_code: LanguageCode | None = None,
        extra: Mapping[str, Any] | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> ValideurConsulterResponse:
        """The full native detail of an invoice, for its validator (``.invoice``).

        ``POST /factures/valideur/consulter`` (``idFacture``; ``language_code`` is
        ``codeLangue``, ``"FR"`` or ``"EN"``).
        """
        request = ValideurConsulterRequest(
            invoice_id=invoice_id,
            language_code=language_code,
            extra=extra or {},
            credentials=self._credentials(credentials),
        )
        return await self._post(
            "/factures/valideur/consulter",
            request,
            ValideurConsulterResponse,
            operation="valideur.consulter",
            idempotent=True,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
        )

    async def traiter(
        self,
        invoice_id: int,
        action: ValidatorActionInput,
        *,
        reason: str | None = None,
        comment: str | None = None,
        attachment_id: int | None = None,
        validator_id: int | None = None,
        validator_type: str | None = None,
        extra: Mapping[str, Any] | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> ValideurTraiterResponse:
        """Approve (``"VALIDATION"``) or refuse (``"REFUS"``, ``reason`` required) an
        invoice. ``POST /factures/valideur/traiter``; ``reason`` is ``motifRefus``,
        ``comment`` ``complementInfo``, ``attachment_id`` ``idPieceJointe``."""
        request = ValideurTraiterRequest(
            invoice_id=invoice_id,
            action=action,
            reason=reason,
            comment=comment,
            attachment_id=attachment_id,
            validator_id=validator_id,
            validator_type=validator_type,
            extra=extra or {},
            credentials=self._credentials(credentials),
        )
        return await self._post(
            "/factures/valideur/traiter",
            request,
            ValideurTraiterResponse,
            operation="valideur.traiter",
            idempotent=False,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
        )
