"""``client.valideur``: the validator's endpoints (``/factures/valideur/*``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, Final

from .._types import NOT_GIVEN, Headers, NotGivenOr, TimeoutTypes
from ..models.valideur import (
    ValideurConsulterRequest,
    ValideurConsulterResponse,
    ValideurRechercherFilters,
    ValideurRechercherRequest,
    ValideurRechercherResponse,
    ValideurTraiterRequest,
    ValideurTraiterResponse,
)
from ._base import AsyncResource, Search, page_items

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ..models.common import ChorusProCredentials, LanguageCode, ValidatorActionInput
    from ..models.valideur import ValidatorInvoice

_SEARCH: Final = Search(
    "/factures/valideur/rechercher",
    ValideurRechercherRequest,
    ValideurRechercherFilters,
    ValideurRechercherResponse,
)


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
        return await self._search(_SEARCH, locals())

    def pages_rechercher(
        self,
        *,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
        **filters: Unpack[ValideurRechercherFilters],
    ) -> AsyncIterator[ValideurRechercherResponse]:
        """Every page of :meth:`rechercher` (same filters; ``page_size`` per page), fetched
        as you iterate: page ``pageCourante + 1`` is asked for while ``pageCourante < pages``,
        and a server that does not advance is a :class:`ResponseDecodeError`."""
        return self._pages(_SEARCH, locals())

    def iter_rechercher(
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
        return page_items(self._pages(_SEARCH, locals()))

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
        return await self._read(
            "/factures/valideur/consulter",
            ValideurConsulterRequest,
            ValideurConsulterResponse,
            locals(),
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
        return await self._write(
            "/factures/valideur/traiter", ValideurTraiterRequest, ValideurTraiterResponse, locals()
        )
