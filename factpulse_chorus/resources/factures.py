"""``client.factures``: invoices (``/factures/*`` except the validator endpoints)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterable, Mapping
from contextlib import aclosing
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import anyio.to_thread

from .._exceptions import (
    ChorusProBusinessError,
    FactPulseError,
    OutcomeUnknownError,
    RequestValidationError,
    ResponseDecodeError,
)
from .._logging import logger
from .._pagination import iterate_pages
from .._polling import InvoicePoller
from .._types import NOT_GIVEN, Headers, NotGivenOr, TimeoutTypes
from ..models.common import (
    FINAL_STATUSES,
    FileFormat,
    InvoiceStatusCode,
    SearchPagination,
    SortDirection,
)
from ..models.factures import (
    CompleterFactureRequest,
    CompleterFactureResponse,
    ConsulterFactureRequest,
    ConsulterFactureResponse,
    ConsulterResult,
    DeposerResult,
    FactureDestinataire,
    FactureFournisseur,
    FiltreDestinataire,
    FiltreFournisseur,
    PieceJointeComplementaire,
    PollEvent,
    RechercherDestinataireRequest,
    RechercherDestinataireResponse,
    RechercherFournisseurRequest,
    RechercherFournisseurResponse,
    RecyclerFactureRequest,
    RecyclerFactureResponse,
    SoumettreFactureRequest,
    SoumettreFactureResponse,
    TelechargerGroupeRequest,
    TelechargerGroupeResponse,
    TraiterFactureRecueRequest,
    TraiterFactureRecueResponse,
)
from ._base import AsyncResource, build_request, forward_arguments
from .transverses import FileInput

if TYPE_CHECKING:
    from ..models.common import ChorusProCredentials, TargetStatus


MAX_DOWNLOAD_IDS: Final = 10
"""``telecharger_groupe``: the documented recommended maximum of ids per download."""


_SAFE_RESENDS: Final = 2
"""With ``soumettre(safe_retry=True)``: resends at most, each after a look-up."""


def _pagination(
    page: int, page_size: int | None, sort_column: str | None, sort_direction: str | None
) -> SearchPagination:
    return SearchPagination(
        page=page,
        page_size=page_size,
        sort_column=sort_column,
        sort_direction=sort_direction,
    )


class AsyncFactures(AsyncResource):
    """Submit, follow, search, download and process invoices."""

    __slots__ = ()

    async def soumettre(
        self,
        *,
        invoice_number: str,
        invoice_date: date,
        structure_id: int,
        total_net_amount: Decimal,
        vat_amount: Decimal,
        total_gross_amount: Decimal,
        payment_due_date: date | None = None,
        service_code: str | None = None,
        engagement_number: str | None = None,
        main_attachment_id: int | None = None,
        main_attachment_label: str | None = None,
        comment: str | None = None,
        purchase_order_reference: str | None = None,
        contract_reference: str | None = None,
        safe_retry: bool = False,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> SoumettreFactureResponse:
        """Submit an invoice to a public structure. ``POST /factures/soumettre``.

        Amounts are sent as strings with two decimals; ``total_net_amount + vat_amount``
        must equal ``total_gross_amount``. Never resent blindly after the request may have
        reached the server: a timeout or a dropped connection raises
        :class:`OutcomeUnknownError` carrying ``invoice_number``.

        ``safe_retry=True`` (opt-in) handles that case instead: the SDK looks
        ``invoice_number`` up among the supplier's invoices (``rechercher_fournisseur``);
        if it is there, the existing invoice is returned (``message`` says so) and
        nothing is resent; if not, the submission is sent again (at most twice more).
        Chorus Pro refuses a second invoice with the same number from the same supplier,
        so a resend racing a late first attempt fails and is resolved by a new look-up.
        """
        request = SoumettreFactureRequest(
            invoice_number=invoice_number,
            invoice_date=invoice_date,
            payment_due_date=payment_due_date,
            structure_id=structure_id,
            service_code=service_code,
            engagement_number=engagement_number,
            total_net_amount=total_net_amount,
            vat_amount=vat_amount,
            total_gross_amount=total_gross_amount,
            main_attachment_id=main_attachment_id,
            main_attachment_label=main_attachment_label,
            comment=comment,
            purchase_order_reference=purchase_order_reference,
            contract_reference=contract_reference,
            credentials=self._credentials(credentials),
        )

        async def send() -> SoumettreFactureResponse:
            return await self._post(
                "/factures/soumettre",
                request,
                SoumettreFactureResponse,
                operation="factures.soumettre",
                idempotent=False,
                timeout=timeout,
                max_retries=max_retries,
                extra_headers=extra_headers,
                invoice_number=request.invoice_number,
            )

        if request.main_attachment_id is None:
            # The documented workflow submits the Factur-X PDF uploaded first (§5.5).
            logger.warning(
                "factures.soumettre: invoice %r has no main_attachment_id (the PDF uploaded "
                "with transverses.ajouter_fichier); Chorus Pro expects one",
                request.invoice_number,
            )
        try:
            return await send()
        except OutcomeUnknownError as unknown:
            if not safe_retry:
                raise
            outcome = unknown

        async def find() -> SoumettreFactureResponse | None:
            try:
                return await self._find_submitted(
                    request.invoice_number, credentials=credentials, timeout=timeout
                )
            except FactPulseError as exc:
                # Without an answer the outcome is still unknown: never let the look-up's
                # error (a 503, say) read as "not submitted".
                raise outcome from exc

        for _ in range(_SAFE_RESENDS):
            logger.warning(
                "factures.soumettre: outcome unknown (%s); looking invoice %r up before any resend",
                outcome.message,
                request.invoice_number,
            )
            existing = await find()
            if existing is not None:
                return existing
            try:
                return await send()
            except OutcomeUnknownError as again:
                outcome = again
            except ChorusProBusinessError:
                # The first attempt may have landed meanwhile: the number is now taken.
                existing = await find()
                if existing is not None:
                    return existing
                raise
        existing = await find()
        if existing is not None:
            return existing
        raise outcome

    async def _find_submitted(
        self,
        invoice_number: str,
        *,
        credentials: NotGivenOr[ChorusProCredentials | None],
        timeout: NotGivenOr[TimeoutTypes],
    ) -> SoumettreFactureResponse | None:
        """The supplier's invoice numbered ``invoice_number``, as a submission result."""
        found = await self.rechercher_fournisseur(
            numero_facture=invoice_number, credentials=credentials, timeout=timeout
        )
        for item in found.invoices:
            if item.numero_facture == invoice_number and item.invoice_id is not None:
                return SoumettreFactureResponse(
                    return_code=0,
                    message="Invoice already submitted (found by its number after an "
                    "unknown outcome; not resent)",
                    chorus_invoice_id=item.invoice_id,
                    deposit_flow_number=item.numero_flux_depot,
                    raw=found.raw,
                )
        return None

    async def deposer(
        self,
        pdf: FileInput,
        *,
        recipient_siret: str,
        invoice_number: str,
        invoice_date: date,
        total_net_amount: Decimal,
        vat_amount: Decimal,
        total_gross_amount: Decimal,
        payment_due_date: date | None = None,
        service_code: str | None = None,
        engagement_number: str | None = None,
        pdf_name: str | None = None,
        main_attachment_label: str | None = None,
        comment: str | None = None,
        purchase_order_reference: str | None = None,
        contract_reference: str | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> DeposerResult:
        """Deposit an invoice in one call: the documented four-step workflow (REFERENCE §5.5).

        1. ``structures.obtenir_id_depuis_siret(recipient_siret)``:
           :class:`StructureNotFoundError` when no structure, or several, match;
        2. ``structures.consulter``: when the recipient requires a service code or an
           engagement number and it is missing, :class:`RequestValidationError` (field
           ``service_code`` / ``engagement_number``);
        3. ``transverses.ajouter_fichier(pdf)`` (bytes, a path or a binary file object;
           ``pdf_name`` names it, by default the file's name or ``<invoice_number>.pdf``);
        4. ``soumettre`` with ``main_attachment_id``.

        The arguments are checked first, and the look-ups happen before the upload, so a
        refused deposit leaves no orphan attachment. Like ``soumettre``, the submission is
        never resent blindly (:class:`OutcomeUnknownError`).
        """
        # Check every argument before the first request (structure_id is a placeholder).
        SoumettreFactureRequest(
            invoice_number=invoice_number,
            invoice_date=invoice_date,
            payment_due_date=payment_due_date,
            structure_id=1,
            service_code=service_code,
            engagement_number=engagement_number,
            total_net_amount=total_net_amount,
            vat_amount=vat_amount,
            total_gross_amount=total_gross_amount,
            main_attachment_label=main_attachment_label,
            comment=comment,
            purchase_order_reference=purchase_order_reference,
            contract_reference=contract_reference,
        )
        options: dict[str, Any] = {
            "credentials": credentials,
            "timeout": timeout,
            "max_retries": max_retries,
            "extra_headers": extra_headers,
        }
        structures = self._client.structures
        found = await structures.obtenir_id_depuis_siret(recipient_siret, **options)
        structure = await structures.consulter(found.structure_id, **options)
        parameters = structure.parameters
        if parameters is not None:
            if parameters.service_code_required and not service_code:
                raise RequestValidationError(
                    "service_code",
                    f"structure {found.structure_id} ({recipient_siret}) requires a service "
                    "code (see structures.lister_services)",
                )
            if parameters.engagement_number_required and not engagement_number:
                raise RequestValidationError(
                    "engagement_number",
                    f"structure {found.structure_id} ({recipient_siret}) requires an "
                    "engagement number",
                )
        name = pdf_name
        if name is None and isinstance(pdf, (bytes, bytearray, memoryview)):
            name = f"{invoice_number.replace('/', '_')}.pdf"
        upload = await self._client.transverses.ajouter_fichier(pdf, nom=name, **options)
        if upload.attachment_id is None:
            raise ResponseDecodeError(
                "transverses.ajouter_fichier returned no pieceJointeIdFichier",
                status_code=upload.raw.status if upload.raw is not None else 200,
            )
        submission = await self.soumettre(
            invoice_number=invoice_number,
            invoice_date=invoice_date,
            structure_id=found.structure_id,
            total_net_amount=total_net_amount,
            vat_amount=vat_amount,
            total_gross_amount=total_gross_amount,
            payment_due_date=payment_due_date,
            service_code=service_code,
            engagement_number=engagement_number,
            main_attachment_id=upload.attachment_id,
            main_attachment_label=main_attachment_label,
            comment=comment,
            purchase_order_reference=purchase_order_reference,
            contract_reference=contract_reference,
            **options,
        )
        if submission.chorus_invoice_id is None:
            raise ResponseDecodeError(
                "factures.soumettre returned no chorusInvoiceId",
                status_code=submission.raw.status if submission.raw is not None else 200,
            )
        return DeposerResult(
            invoice_id=submission.chorus_invoice_id,
            deposit_flow_number=submission.deposit_flow_number,
            attachment_id=upload.attachment_id,
            structure_id=found.structure_id,
            structure_name=found.structure_name or structure.company_name,
            submission=submission,
        )

    async def consulter(
        self,
        chorus_invoice_id: int,
        *,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> ConsulterFactureResponse:
        """Status and main data of an invoice (supplier view). ``POST /factures/consulter``."""
        request = ConsulterFactureRequest(
            chorus_invoice_id=chorus_invoice_id, credentials=self._credentials(credentials)
        )
        return await self._post(
            "/factures/consulter",
            request,
            ConsulterFactureResponse,
            operation="factures.consulter",
            idempotent=True,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
        )

    async def consulter_many(
        self,
        invoice_ids: Iterable[int],
        *,
        concurrency: int = 16,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> list[ConsulterResult]:
        """:meth:`consulter` for many invoices, ``concurrency`` requests at a time.

        Returns one :class:`ConsulterResult` per id, in the order given: the response, or
        the :class:`FactPulseError` raised for that id (one failure never stops the
        others). Any other exception, or cancellation, stops every request.
        """
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise RequestValidationError("concurrency", "must be an integer >= 1")
        ids = list(invoice_ids)
        results: list[ConsulterResult | None] = [None] * len(ids)
        queue = iter(enumerate(ids))

        async def worker() -> None:
            for index, invoice_id in queue:  # a shared iterator: each id goes to one worker
                try:
                    response = await self.consulter(
                        invoice_id,
                        credentials=credentials,
                        timeout=timeout,
                        max_retries=max_retries,
                        extra_headers=extra_headers,
                    )
                except FactPulseError as exc:
                    results[index] = ConsulterResult(invoice_id=invoice_id, error=exc)
                else:
                    results[index] = ConsulterResult(invoice_id=invoice_id, response=response)

        workers = [asyncio.ensure_future(worker()) for _ in range(min(concurrency, len(ids)))]
        try:
            await asyncio.gather(*workers)
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        return [result for result in results if result is not None]

    def poll(
        self,
        invoice_ids: Iterable[int],
        *,
        final_statuses: Collection[InvoiceStatusCode | str] = FINAL_STATUSES,
        interval: float = 60.0,
        max_interval: float = 3600.0,
        backoff: float = 1.5,
        jitter: float = 0.1,
        concurrency: int = 32,
        max_rate: float | None = None,
        deadline: float | None = 2_592_000.0,
        max_errors: int | None = 10,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: int = 0,
        extra_headers: Headers | None = None,
    ) -> AsyncIterator[PollEvent]:
        """Follow invoices with :meth:`consulter` until each reaches a final status.

        Returns an :class:`InvoicePoller`, an async iterator (and async context manager)
        of events: :class:`StatusChanged` (the first status seen, then each change),
        :class:`FinalStatus` (``final_statuses``, by default REJETEE, MISE_EN_PAIEMENT,
        REFUSEE_1/2), :class:`PollError` (a failed read, retried later) and last
        :class:`PollFinished` with the :class:`PollSummary` (also ``poller.summary``).

        ``concurrency`` worker tasks share one schedule: an invoice is read again
        ``interval`` s after a change, the wait growing ×``backoff`` up to
        ``max_interval`` while nothing changes, ±``jitter``; an HTTP 429 pauses the whole
        batch for its ``Retry-After``; ``max_rate`` caps requests per second;
        ``deadline`` (s; 30 days by default, ``None`` for none) ends the poll, as
        REFERENCE §10.3 asks: some recipients never report ``MISE_EN_PAIEMENT``; an
        invoice is given up after ``max_errors`` failed reads in a row. ``max_retries``
        (default 0) is per read: the poller itself retries. Chorus Pro statuses change
        over hours: keep ``interval`` in minutes (REFERENCE §10.3).

        The result is typed as an async iterator so that the blocking client can wrap it
        (``for event in client.factures.poll(ids)``). Leaving ``async for`` with ``break``
        drops the poller, which cancels its workers when collected; to stop every request
        deterministically (and read ``summary``), build the poller yourself and use it as
        a context manager: ``async with InvoicePoller(client.factures.consulter, ids,
        interval=...) as poller: async for event in poller: ...``.
        """

        async def fetch(invoice_id: int) -> ConsulterFactureResponse:
            return await self.consulter(
                invoice_id,
                credentials=credentials,
                timeout=timeout,
                max_retries=max_retries,
                extra_headers=extra_headers,
            )

        return InvoicePoller(
            fetch,
            invoice_ids,
            final_statuses=final_statuses,
            interval=interval,
            max_interval=max_interval,
            backoff=backoff,
            jitter=jitter,
            concurrency=concurrency,
            max_rate=max_rate,
            deadline=deadline,
            max_errors=max_errors,
            clock=clock,
            sleep=sleep,
        )

    async def rechercher_fournisseur(
        self,
        *,
        numero_facture: str | None = None,
        statut_courant: Iterable[InvoiceStatusCode | str] | None = None,
        periode_date_facture_du: date | None = None,
        periode_date_facture_au: date | None = None,
        periode_date_depot_du: date | None = None,
        periode_date_depot_au: date | None = None,
        periode_date_heure_etat_courant_du: date | None = None,
        periode_date_heure_etat_courant_au: date | None = None,
        liste_destinataire: Iterable[FiltreDestinataire] | None = None,
        montant_ht_min: Decimal | None = None,
        montant_ht_max: Decimal | None = None,
        montant_ttc_min: Decimal | None = None,
        montant_ttc_max: Decimal | None = None,
        montant_a_payer_min: Decimal | None = None,
        montant_a_payer_max: Decimal | None = None,
        type_facture: str | None = None,
        numero_bon_commande: str | None = None,
        numero_marche: str | None = None,
        numero_facture_origine: str | None = None,
        numero_flux_depot: str | None = None,
        id_fournisseur: int | None = None,
        id_service_fournisseur: int | None = None,
        id_structure_valideur: int | None = None,
        mode_depot: str | None = None,
        rejet_traite: bool | None = None,
        recherche_siren_destinataire: bool | None = None,
        recuperer_taille: bool | None = None,
        page: int = 1,
        page_size: int | None = None,
        sort_column: str | None = None,
        sort_direction: SortDirection | str | None = None,
        extra: Mapping[str, Any] | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> RechercherFournisseurResponse:
        """One page of the invoices the caller issued, as a supplier.

        ``POST /factures/rechercher-fournisseur``. Filters are the native Chorus Pro
        ones (snake_case here); ``extra`` passes any other native key unchanged.
        ``page``/``page_size``/``sort_*`` go in ``rechercheFactureParFournisseur``.
        """
        request = build_request(
            RechercherFournisseurRequest,
            locals(),
            pagination=_pagination(page, page_size, sort_column, sort_direction),
            extra=extra or {},
            credentials=self._credentials(credentials),
        )
        return await self._post(
            "/factures/rechercher-fournisseur",
            request,
            RechercherFournisseurResponse,
            operation="factures.rechercher_fournisseur",
            idempotent=True,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
        )

    async def rechercher_destinataire(
        self,
        *,
        facture_telechargee_par_destinataire: bool | None = None,
        statut_courant: Iterable[InvoiceStatusCode | str] | None = None,
        periode_date_depot_du: date | None = None,
        periode_date_depot_au: date | None = None,
        periode_date_facture_du: date | None = None,
        periode_date_facture_au: date | None = None,
        periode_date_heure_etat_courant_du: date | None = None,
        periode_date_heure_etat_courant_au: date | None = None,
        liste_fournisseurs: Iterable[FiltreFournisseur] | None = None,
        recherche_siren_fournisseur: bool | None = None,
        id_destinataire: int | None = None,
        id_service_executant: int | None = None,
        id_structure_valideur: int | None = None,
        cadre_facturation: str | None = None,
        liste_type_facture: Iterable[str] | None = None,
        liste_type_facture_travaux: Iterable[str] | None = None,
        type_demande_paiement: str | None = None,
        montant_ht_min: Decimal | None = None,
        montant_ht_max: Decimal | None = None,
        montant_ttc_min: Decimal | None = None,
        montant_ttc_max: Decimal | None = None,
        montant_a_payer_min: Decimal | None = None,
        montant_a_payer_max: Decimal | None = None,
        numero_facture: str | None = None,
        numero_bon_commande: str | None = None,
        numero_marche: str | None = None,
        recuperer_taille: bool | None = None,
        page: int = 1,
        page_size: int | None = None,
        sort_column: str | None = None,
        sort_direction: SortDirection | str | None = None,
        extra: Mapping[str, Any] | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> RechercherDestinataireResponse:
        """One page of the invoices the caller received, as a recipient.

        ``POST /factures/rechercher-destinataire``; pagination goes in ``paramRecherche``
        and comes back at the top level (read as ``page_info`` all the same).
        """
        request = build_request(
            RechercherDestinataireRequest,
            locals(),
            pagination=_pagination(page, page_size, sort_column, sort_direction),
            extra=extra or {},
            credentials=self._credentials(credentials),
        )
        return await self._post(
            "/factures/rechercher-destinataire",
            request,
            RechercherDestinataireResponse,
            operation="factures.rechercher_destinataire",
            idempotent=True,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
        )

    async def pages_fournisseur(
        self,
        *,
        numero_facture: str | None = None,
        statut_courant: Iterable[InvoiceStatusCode | str] | None = None,
        periode_date_facture_du: date | None = None,
        periode_date_facture_au: date | None = None,
        periode_date_depot_du: date | None = None,
        periode_date_depot_au: date | None = None,
        periode_date_heure_etat_courant_du: date | None = None,
        periode_date_heure_etat_courant_au: date | None = None,
        liste_destinataire: Iterable[FiltreDestinataire] | None = None,
        montant_ht_min: Decimal | None = None,
        montant_ht_max: Decimal | None = None,
        montant_ttc_min: Decimal | None = None,
        montant_ttc_max: Decimal | None = None,
        montant_a_payer_min: Decimal | None = None,
        montant_a_payer_max: Decimal | None = None,
        type_facture: str | None = None,
        numero_bon_commande: str | None = None,
        numero_marche: str | None = None,
        numero_facture_origine: str | None = None,
        numero_flux_depot: str | None = None,
        id_fournisseur: int | None = None,
        id_service_fournisseur: int | None = None,
        id_structure_valideur: int | None = None,
        mode_depot: str | None = None,
        rejet_traite: bool | None = None,
        recherche_siren_destinataire: bool | None = None,
        recuperer_taille: bool | None = None,
        page_size: int | None = None,
        sort_column: str | None = None,
        sort_direction: SortDirection | str | None = None,
        extra: Mapping[str, Any] | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> AsyncIterator[RechercherFournisseurResponse]:
        """Every page of :meth:`rechercher_fournisseur`, fetched one at a time as you iterate.

        Same filters; ``page_size`` is ``nbResultatsParPage`` (server default when left
        out). Requests ``pageResultatDemandee = pageCourante + 1`` while
        ``pageCourante < pages`` (REFERENCE §6.1); raises :class:`ResponseDecodeError` if the
        server does not advance.
        """
        arguments = forward_arguments(locals())
        pages = iterate_pages(
            lambda page: self.rechercher_fournisseur(**arguments, page=page),
            "factures.rechercher_fournisseur",
        )
        async with aclosing(pages):
            async for result in pages:
                yield result

    async def iter_fournisseur(
        self,
        *,
        numero_facture: str | None = None,
        statut_courant: Iterable[InvoiceStatusCode | str] | None = None,
        periode_date_facture_du: date | None = None,
        periode_date_facture_au: date | None = None,
        periode_date_depot_du: date | None = None,
        periode_date_depot_au: date | None = None,
        periode_date_heure_etat_courant_du: date | None = None,
        periode_date_heure_etat_courant_au: date | None = None,
        liste_destinataire: Iterable[FiltreDestinataire] | None = None,
        montant_ht_min: Decimal | None = None,
        montant_ht_max: Decimal | None = None,
        montant_ttc_min: Decimal | None = None,
        montant_ttc_max: Decimal | None = None,
        montant_a_payer_min: Decimal | None = None,
        montant_a_payer_max: Decimal | None = None,
        type_facture: str | None = None,
        numero_bon_commande: str | None = None,
        numero_marche: str | None = None,
        numero_facture_origine: str | None = None,
        numero_flux_depot: str | None = None,
        id_fournisseur: int | None = None,
        id_service_fournisseur: int | None = None,
        id_structure_valideur: int | None = None,
        mode_depot: str | None = None,
        rejet_traite: bool | None = None,
        recherche_siren_destinataire: bool | None = None,
        recuperer_taille: bool | None = None,
        page_size: int | None = None,
        sort_column: str | None = None,
        sort_direction: SortDirection | str | None = None,
        extra: Mapping[str, Any] | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> AsyncIterator[FactureFournisseur]:
        """Every invoice matching the filters of :meth:`rechercher_fournisseur`, across all pages.

        Pages are fetched as needed (one in memory at a time); see :meth:`pages_fournisseur`.
        """
        arguments = forward_arguments(locals())
        pages = iterate_pages(
            lambda page: self.rechercher_fournisseur(**arguments, page=page),
            "factures.rechercher_fournisseur",
        )
        async with aclosing(pages):
            async for result in pages:
                for invoice in result.invoices:
                    yield invoice

    async def pages_destinataire(
        self,
        *,
        facture_telechargee_par_destinataire: bool | None = None,
        statut_courant: Iterable[InvoiceStatusCode | str] | None = None,
        periode_date_depot_du: date | None = None,
        periode_date_depot_au: date | None = None,
        periode_date_facture_du: date | None = None,
        periode_date_facture_au: date | None = None,
        periode_date_heure_etat_courant_du: date | None = None,
        periode_date_heure_etat_courant_au: date | None = None,
        liste_fournisseurs: Iterable[FiltreFournisseur] | None = None,
        recherche_siren_fournisseur: bool | None = None,
        id_destinataire: int | None = None,
        id_service_executant: int | None = None,
        id_structure_valideur: int | None = None,
        cadre_facturation: str | None = None,
        liste_type_facture: Iterable[str] | None = None,
        liste_type_facture_travaux: Iterable[str] | None = None,
        type_demande_paiement: str | None = None,
        montant_ht_min: Decimal | None = None,
        montant_ht_max: Decimal | None = None,
        montant_ttc_min: Decimal | None = None,
        montant_ttc_max: Decimal | None = None,
        montant_a_payer_min: Decimal | None = None,
        montant_a_payer_max: Decimal | None = None,
        numero_facture: str | None = None,
        numero_bon_commande: str | None = None,
        numero_marche: str | None = None,
        recuperer_taille: bool | None = None,
        page_size: int | None = None,
        sort_column: str | None = None,
        sort_direction: SortDirection | str | None = None,
        extra: Mapping[str, Any] | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> AsyncIterator[RechercherDestinataireResponse]:
        """Every page of :meth:`rechercher_destinataire`, fetched one at a time as you iterate.

        Same filters; ``page_size`` is ``nbResultatsParPage`` (server default when left
        out). Requests ``pageResultatDemandee = pageCourante + 1`` while
        ``pageCourante < pages`` (REFERENCE §6.1); raises :class:`ResponseDecodeError` if the
        server does not advance.
        """
        arguments = forward_arguments(locals())
        pages = iterate_pages(
            lambda page: self.rechercher_destinataire(**arguments, page=page),
            "factures.rechercher_destinataire",
        )
        async with aclosing(pages):
            async for result in pages:
                yield result

    async def iter_destinataire(
        self,
        *,
        facture_telechargee_par_destinataire: bool | None = None,
        statut_courant: Iterable[InvoiceStatusCode | str] | None = None,
        periode_date_depot_du: date | None = None,
        periode_date_depot_au: date | None = None,
        periode_date_facture_du: date | None = None,
        periode_date_facture_au: date | None = None,
        periode_date_heure_etat_courant_du: date | None = None,
        periode_date_heure_etat_courant_au: date | None = None,
        liste_fournisseurs: Iterable[FiltreFournisseur] | None = None,
        recherche_siren_fournisseur: bool | None = None,
        id_destinataire: int | None = None,
        id_service_executant: int | None = None,
        id_structure_valideur: int | None = None,
        cadre_facturation: str | None = None,
        liste_type_facture: Iterable[str] | None = None,
        liste_type_facture_travaux: Iterable[str] | None = None,
        type_demande_paiement: str | None = None,
        montant_ht_min: Decimal | None = None,
        montant_ht_max: Decimal | None = None,
        montant_ttc_min: Decimal | None = None,
        montant_ttc_max: Decimal | None = None,
        montant_a_payer_min: Decimal | None = None,
        montant_a_payer_max: Decimal | None = None,
        numero_facture: str | None = None,
        numero_bon_commande: str | None = None,
        numero_marche: str | None = None,
        recuperer_taille: bool | None = None,
        page_size: int | None = None,
        sort_column: str | None = None,
        sort_direction: SortDirection | str | None = None,
        extra: Mapping[str, Any] | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> AsyncIterator[FactureDestinataire]:
        """Every invoice matching the filters of :meth:`rechercher_destinataire`, across all pages.

        Pages are fetched as needed (one in memory at a time); see :meth:`pages_destinataire`.
        """
        arguments = forward_arguments(locals())
        pages = iterate_pages(
            lambda page: self.rechercher_destinataire(**arguments, page=page),
            "factures.rechercher_destinataire",
        )
        async with aclosing(pages):
            async for result in pages:
                for invoice in result.invoices:
                    yield invoice

    async def telecharger_groupe(
        self,
        invoice_ids: Iterable[int],
        *,
        format_fichier: FileFormat | str = FileFormat.ZIP,
        inclure_pieces_jointes: bool | None = None,
        dest: str | os.PathLike[str] | None = None,
        extra: Mapping[str, Any] | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> TelechargerGroupeResponse:
        """Download one or several invoices as a PDF, the XML, or a ZIP archive.

        ``POST /factures/telecharger-groupe`` (``listeIdentifiantsFactureCPP``,
        ``formatFichier``, ``inclurePiecesJointes``). The result decodes the base64 file
        (``content``), tells what it is from its magic bytes (``content_kind``), and
        lists, reads or extracts ZIP members (``zip_members``, ``read_member``,
        ``extract``). ``dest``: also write the file there (in a worker thread).

        At most 10 ids per call (the documented recommendation): more raise
        :class:`RequestValidationError` (field ``invoice_ids``) before anything is sent;
        split the list yourself, each call returning its own archive.
        """
        ids = tuple(invoice_ids)
        if len(ids) > MAX_DOWNLOAD_IDS:
            raise RequestValidationError(
                "invoice_ids",
                f"at most {MAX_DOWNLOAD_IDS} invoices per download (got {len(ids)}); "
                "split the list into several calls",
            )
        request = TelechargerGroupeRequest(
            liste_identifiants_facture_cpp=ids,
            format_fichier=format_fichier,
            inclure_pieces_jointes=inclure_pieces_jointes,
            extra=extra or {},
            credentials=self._credentials(credentials),
        )
        response = await self._post(
            "/factures/telecharger-groupe",
            request,
            TelechargerGroupeResponse,
            operation="factures.telecharger_groupe",
            idempotent=True,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
        )
        if dest is not None:
            await anyio.to_thread.run_sync(response.save, dest)
        return response

    async def traiter_facture_recue(
        self,
        invoice_id: int,
        *,
        nouveau_statut: TargetStatus | str,
        motif_rejet: str | None = None,
        commentaire: str | None = None,
        numero_dp_mandat: str | None = None,
        extra: Mapping[str, Any] | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> TraiterFactureRecueResponse:
        """Recipient: move a received invoice to a new status.

        ``POST /factures/traiter-facture-recue`` (``identifiantFactureCPP``,
        ``nouveauStatut``, ``motifRejet``, ``commentaire``). ``motif_rejet`` is required for
        ``SUSPENDUE`` and ``REJETEE``; ``SERVICE-FAIT`` is sent with its hyphen.
        """
        request = TraiterFactureRecueRequest(
            identifiant_facture_cpp=invoice_id,
            nouveau_statut=nouveau_statut,
            motif_rejet=motif_rejet,
            commentaire=commentaire,
            numero_dp_mandat=numero_dp_mandat,
            extra=extra or {},
            credentials=self._credentials(credentials),
        )
        return await self._post(
            "/factures/traiter-facture-recue",
            request,
            TraiterFactureRecueResponse,
            operation="factures.traiter_facture_recue",
            idempotent=False,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
        )

    async def completer(
        self,
        invoice_id: int,
        *,
        commentaire: str | None = None,
        liste_pieces_jointes: Iterable[PieceJointeComplementaire] | None = None,
        extra: Mapping[str, Any] | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> CompleterFactureResponse:
        """Supplier: complete a ``SUSPENDUE`` invoice with a comment and/or attachments.

        ``POST /factures/completer`` (``identifiantFactureCPP``, ``commentaire``,
        ``listePiecesJointes``). Upload the attachments first with
        ``transverses.ajouter_fichier``.
        """
        request = CompleterFactureRequest(
            identifiant_facture_cpp=invoice_id,
            commentaire=commentaire,
            liste_pieces_jointes=liste_pieces_jointes,
            extra=extra or {},
            credentials=self._credentials(credentials),
        )
        return await self._post(
            "/factures/completer",
            request,
            CompleterFactureResponse,
            operation="factures.completer",
            idempotent=False,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
        )

    async def recycler(
        self,
        invoice_id: int,
        *,
        id_structure_cpp: int | None = None,
        code_service: str | None = None,
        numero_engagement: str | None = None,
        extra: Mapping[str, Any] | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> RecyclerFactureResponse:
        """Supplier: re-route an ``A_RECYCLER`` invoice (new recipient, service or
        engagement number). ``POST /factures/recycler``."""
        request = RecyclerFactureRequest(
            identifiant_facture_cpp=invoice_id,
            id_structure_cpp=id_structure_cpp,
            code_service=code_service,
            numero_engagement=numero_engagement,
            extra=extra or {},
            credentials=self._credentials(credentials),
        )
        return await self._post(
            "/factures/recycler",
            request,
            RecyclerFactureResponse,
            operation="factures.recycler",
            idempotent=False,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
        )
