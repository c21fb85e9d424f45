"""``client.valideur``: the validator's endpoints (``/factures/valideur/*``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import aclosing
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .._pagination import iterate_pages
from .._types import NOT_GIVEN, Headers, NotGivenOr, TimeoutTypes
from ..models.common import InvoiceStatusCode, SearchPagination, SortDirection, ValidatorAction
from ..models.valideur import (
    FactureValideur,
    ValideurConsulterRequest,
    ValideurConsulterResponse,
    ValideurRechercherRequest,
    ValideurRechercherResponse,
    ValideurTraiterRequest,
    ValideurTraiterResponse,
)
from ._base import AsyncResource, build_request, forward_arguments

if TYPE_CHECKING:
    from ..models.common import ChorusProCredentials


class AsyncValideur(AsyncResource):
    """Find, read and approve or refuse the invoices awaiting your validation."""

    __slots__ = ()

    async def rechercher(
        self,
        *,
        id_structure_valideur: int | None = None,
        statut_courant: Iterable[InvoiceStatusCode | str] | None = None,
        id_destinataire: int | None = None,
        id_service_executant: int | None = None,
        id_fournisseur: int | None = None,
        id_service_fournisseur: int | None = None,
        id_structure_moa: int | None = None,
        id_structure_moe: int | None = None,
        periode_date_depot_du: date | None = None,
        periode_date_depot_au: date | None = None,
        periode_date_facture_du: date | None = None,
        periode_date_facture_au: date | None = None,
        numero_facture: str | None = None,
        numero_engagement: str | None = None,
        numero_marche: str | None = None,
        liste_type_facture: Iterable[str] | None = None,
        liste_type_facture_travaux: Iterable[str] | None = None,
        montant_ht_min: Decimal | None = None,
        montant_ht_max: Decimal | None = None,
        montant_ttc_min: Decimal | None = None,
        montant_ttc_max: Decimal | None = None,
        montant_a_payer_min: Decimal | None = None,
        montant_a_payer_max: Decimal | None = None,
        recherche_siren_destinataire: bool | None = None,
        recherche_siren_fournisseur: bool | None = None,
        type_demande_paiement: str | None = None,
        page: int = 1,
        page_size: int | None = None,
        sort_column: str | None = None,
        sort_direction: SortDirection | str | None = None,
        extra: Mapping[str, Any] | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> ValideurRechercherResponse:
        """One page of the invoices awaiting the caller's validation.

        ``POST /factures/valideur/rechercher``; pagination goes in ``pagination``.
        Note the amount filters' wire casing here: ``montantAPayerMin``/``Max``.
        """
        request = build_request(
            ValideurRechercherRequest,
            locals(),
            pagination=SearchPagination(
                page=page,
                page_size=page_size,
                sort_column=sort_column,
                sort_direction=sort_direction,
            ),
            extra=extra or {},
            credentials=self._credentials(credentials),
        )
        return await self._post(
            "/factures/valideur/rechercher",
            request,
            ValideurRechercherResponse,
            operation="valideur.rechercher",
            idempotent=True,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
        )

    async def pages_rechercher(
        self,
        *,
        id_structure_valideur: int | None = None,
        statut_courant: Iterable[InvoiceStatusCode | str] | None = None,
        id_destinataire: int | None = None,
        id_service_executant: int | None = None,
        id_fournisseur: int | None = None,
        id_service_fournisseur: int | None = None,
        id_structure_moa: int | None = None,
        id_structure_moe: int | None = None,
        periode_date_depot_du: date | None = None,
        periode_date_depot_au: date | None = None,
        periode_date_facture_du: date | None = None,
        periode_date_facture_au: date | None = None,
        numero_facture: str | None = None,
        numero_engagement: str | None = None,
        numero_marche: str | None = None,
        liste_type_facture: Iterable[str] | None = None,
        liste_type_facture_travaux: Iterable[str] | None = None,
        montant_ht_min: Decimal | None = None,
        montant_ht_max: Decimal | None = None,
        montant_ttc_min: Decimal | None = None,
        montant_ttc_max: Decimal | None = None,
        montant_a_payer_min: Decimal | None = None,
        montant_a_payer_max: Decimal | None = None,
        recherche_siren_destinataire: bool | None = None,
        recherche_siren_fournisseur: bool | None = None,
        type_demande_paiement: str | None = None,
        page_size: int | None = None,
        sort_column: str | None = None,
        sort_direction: SortDirection | str | None = None,
        extra: Mapping[str, Any] | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> AsyncIterator[ValideurRechercherResponse]:
        """Every page of :meth:`rechercher`, fetched one at a time as you iterate.

        Same filters; ``page_size`` is ``nbResultatsParPage`` (server default when left
        out). Requests ``pageResultatDemandee = pageCourante + 1`` while
        ``pageCourante < pages`` (REFERENCE §6.1); raises :class:`ResponseDecodeError` if the
        server does not advance.
        """
        arguments = forward_arguments(locals())
        pages = iterate_pages(
            lambda page: self.rechercher(**arguments, page=page), "valideur.rechercher"
        )
        async with aclosing(pages):
            async for result in pages:
                yield result

    async def iter_rechercher(
        self,
        *,
        id_structure_valideur: int | None = None,
        statut_courant: Iterable[InvoiceStatusCode | str] | None = None,
        id_destinataire: int | None = None,
        id_service_executant: int | None = None,
        id_fournisseur: int | None = None,
        id_service_fournisseur: int | None = None,
        id_structure_moa: int | None = None,
        id_structure_moe: int | None = None,
        periode_date_depot_du: date | None = None,
        periode_date_depot_au: date | None = None,
        periode_date_facture_du: date | None = None,
        periode_date_facture_au: date | None = None,
        numero_facture: str | None = None,
        numero_engagement: str | None = None,
        numero_marche: str | None = None,
        liste_type_facture: Iterable[str] | None = None,
        liste_type_facture_travaux: Iterable[str] | None = None,
        montant_ht_min: Decimal | None = None,
        montant_ht_max: Decimal | None = None,
        montant_ttc_min: Decimal | None = None,
        montant_ttc_max: Decimal | None = None,
        montant_a_payer_min: Decimal | None = None,
        montant_a_payer_max: Decimal | None = None,
        recherche_siren_destinataire: bool | None = None,
        recherche_siren_fournisseur: bool | None = None,
        type_demande_paiement: str | None = None,
        page_size: int | None = None,
        sort_column: str | None = None,
        sort_direction: SortDirection | str | None = None,
        extra: Mapping[str, Any] | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> AsyncIterator[FactureValideur]:
        """Every invoice awaiting validation that matches the filters of :meth:`rechercher`,
        across all pages (fetched as needed; see :meth:`pages_rechercher`)."""
        arguments = forward_arguments(locals())
        pages = iterate_pages(
            lambda page: self.rechercher(**arguments, page=page), "valideur.rechercher"
        )
        async with aclosing(pages):
            async for result in pages:
                for invoice in result.invoices:
                    yield invoice

    async def consulter(
        self,
        invoice_id: int,
        *,
        code_langue: str | None = None,
        extra: Mapping[str, Any] | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> ValideurConsulterResponse:
        """The full native detail of an invoice, for its validator (``facture``).

        ``POST /factures/valideur/consulter`` (``idFacture``, ``codeLangue``).
        """
        request = ValideurConsulterRequest(
            id_facture=invoice_id,
            code_langue=code_langue,
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
        *,
        action: ValidatorAction | str,
        motif_refus: str | None = None,
        complement_info: str | None = None,
        id_piece_jointe: int | None = None,
        id_valideur: int | None = None,
        type_valideur: str | None = None,
        extra: Mapping[str, Any] | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> ValideurTraiterResponse:
        """Approve (``VALIDATION``) or refuse (``REFUS``, ``motif_refus`` required) an
        invoice. ``POST /factures/valideur/traiter``."""
        request = ValideurTraiterRequest(
            id_facture=invoice_id,
            action=action,
            motif_refus=motif_refus,
            complement_info=complement_info,
            id_piece_jointe=id_piece_jointe,
            id_valideur=id_valideur,
            type_valideur=type_valideur,
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
