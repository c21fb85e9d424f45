"""``client.factures``: invoices (``/factures/*`` except the validator endpoints)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from .._exceptions import RequestValidationError
from .._stream import download
from .._types import NOT_GIVEN, Headers, NotGivenOr, RequestOptions, TimeoutTypes
from ..models.common import FileFormat
from ..models.factures import (
    AdditionalAttachment,
    FacturesCompleterRequest,
    FacturesCompleterResponse,
    FacturesDeposerResult,
    FacturesRecyclerRequest,
    FacturesRecyclerResponse,
    FacturesSoumettreRequest,
    FacturesSoumettreResponse,
    FacturesTelechargerGroupeRequest,
    FacturesTelechargerGroupeResponse,
    FacturesTraiterFactureRecueRequest,
    FacturesTraiterFactureRecueResponse,
)
from . import _factures_submit, _ledger
from ._base import API_ROOT, call_options
from ._factures_read import AsyncFacturesReads
from ._factures_submit import SafeRetry

if TYPE_CHECKING:
    from .._files import FileInput
    from ..models.common import (
        ChorusProCredentials,
        FileFormatInput,
        TargetStatusInput,
    )
    from ..store import Store, Submission

MAX_DOWNLOAD_IDS: Final = 10
"""``telecharger_groupe``: the documented recommended maximum of ids per download."""


class AsyncFactures(AsyncFacturesReads):
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
        attachment_id: int | None = None,
        attachment_label: str | None = None,
        comment: str | None = None,
        purchase_order_reference: str | None = None,
        contract_reference: str | None = None,
        safe_retry: bool | SafeRetry = False,
        store: Store | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> FacturesSoumettreResponse:
        """Submit an invoice to a public structure; the result's ``invoice_id`` is the new
        invoice's. ``POST /factures/soumettre``.

        ``attachment_id`` is the Factur-X PDF's, from ``transverses.ajouter_fichier``.
        Amounts are sent as strings with two decimals; ``total_net_amount + vat_amount``
        must equal ``total_gross_amount``. Never resent blindly after the request may have
        reached the server: a timeout or a dropped connection raises
        :class:`OutcomeUnknownError` carrying ``invoice_number``.

        ``safe_retry=True`` (opt-in) handles that case instead: the SDK looks
        ``invoice_number`` up among the supplier's invoices (``rechercher_fournisseur``)
        several times over a settle period (by default 4 look-ups over 30 s; a
        :class:`SafeRetry` sets them), since a first attempt may land late. If it is
        found, the existing invoice is returned (``message`` says so) and nothing is
        resent; if not, the submission is sent again (at most twice more, each after
        the same look-ups). A first attempt landing after the last look-up is caught by
        Chorus Pro refusing a second invoice with the same number from the same supplier
        (the SDK then looks it up again): against a server that does not refuse repeated
        numbers that late landing would be a duplicate.

        ``store`` (a :class:`Store`: :class:`SQLiteStore` or :class:`PostgresStore`) makes
        the submission exactly-once, also across processes and machines: the number is
        reserved in the store's ledger before anything is sent, and one already created, or
        in flight in another call, raises
        :class:`DuplicateSubmissionError` at once, sending nothing. A refusal is recorded
        (the number may be sent again); an unknown outcome leaves it uncertain until
        :meth:`reconcile`, or the next submission of that number, looks it up (found:
        :class:`DuplicateSubmissionError` with its ``invoice_id``).
        """
        policy = _factures_submit.safe_retry_policy(safe_retry)
        arguments = locals()
        request = self._build(FacturesSoumettreRequest, arguments)
        if store is not None:
            return await _ledger.submit(self, store, request, arguments, policy)
        return await _factures_submit.submit(self, request, arguments, policy)

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
        attachment_label: str | None = None,
        comment: str | None = None,
        purchase_order_reference: str | None = None,
        contract_reference: str | None = None,
        store: Store | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> FacturesDeposerResult:
        """Deposit an invoice in one call: the four-step workflow FactPulse documents.

        1. ``structures.obtenir_id_depuis_siret(recipient_siret)``:
           :class:`StructureNotFoundError` when no structure, or several, match;
        2. ``structures.consulter``: when the recipient requires a service code or an
           engagement number and it is missing, :class:`RequestValidationError` (field
           ``service_code`` / ``engagement_number``);
        3. ``transverses.ajouter_fichier(pdf)`` (bytes, a path or a binary file object;
           ``pdf_name`` names it, by default the file's name or ``<invoice_number>.pdf``);
        4. ``soumettre`` with that ``attachment_id``.

        The arguments are checked first, and the look-ups happen before the upload, so a
        refused deposit leaves no orphan attachment. Like ``soumettre``, the submission is
        never resent blindly (:class:`OutcomeUnknownError`). With ``store``, the number is
        reserved as in :meth:`soumettre` before the first request: a duplicate raises
        :class:`DuplicateSubmissionError` with no look-up and no upload.
        """
        submission: dict[str, Any] = {
            "invoice_number": invoice_number,
            "invoice_date": invoice_date,
            "payment_due_date": payment_due_date,
            "service_code": service_code,
            "engagement_number": engagement_number,
            "total_net_amount": total_net_amount,
            "vat_amount": vat_amount,
            "total_gross_amount": total_gross_amount,
            "attachment_label": attachment_label,
            "comment": comment,
            "purchase_order_reference": purchase_order_reference,
            "contract_reference": contract_reference,
        }
        # Check every argument before the first request (structure_id is a placeholder).
        FacturesSoumettreRequest(**submission, structure_id=1)
        options = call_options(locals())
        steps: dict[str, Any] = {"recipient_siret": recipient_siret, "pdf_name": pdf_name}
        steps.update(submission=submission, options=options)
        if store is not None:
            return await _ledger.deposit(self, store, pdf, **steps)
        return await _factures_submit.deposit(self, pdf, **steps)

    async def reconcile(
        self,
        store: Store,
        *,
        settle: float = 30.0,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> list[Submission]:
        """Settle the submissions ``store``'s ledger holds as uncertain for this call's
        supplier (the ``chorus_pro_login`` of the credentials), and those a stopped process
        left sent once their lease has run out. Each number is looked up
        (``rechercher_fournisseur``) until ``settle`` s after it was sent: found, it is
        recorded as created with its ``invoice_id``; still missing, as absent (it may be
        submitted again); a failed look-up leaves it uncertain. Returns those rows as
        they are after.
        """
        return await _ledger.reconcile(self, store, settle, call_options(locals()))

    async def telecharger_groupe(
        self,
        invoice_ids: Iterable[int],
        *,
        file_format: FileFormatInput = FileFormat.ZIP,
        include_attachments: bool | None = None,
        dest: str | os.PathLike[str] | None = None,
        extra: Mapping[str, Any] | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> FacturesTelechargerGroupeResponse:
        """Download one or several invoices as a PDF, the XML, or a ZIP archive.

        ``POST /factures/telecharger-groupe``. The base64 file is decoded as the answer
        arrives, never held as text: into memory, or with ``dest`` straight into a
        temporary file next to ``dest``, renamed over it once the whole answer has been
        read and checked (the memory used stays a few MiB, whatever the file's size). On
        any error nothing is left at ``dest`` and a file already there is unchanged;
        ``dest`` that cannot be written raises :class:`FileWriteError` before anything is
        sent. The result gives the file (``content()``: with ``dest``, read back from
        it), tells what it is from its magic bytes (``content_kind``), and lists, reads
        or extracts ZIP members (``zip_members``, ``read_member``, ``extract``: with
        ``dest``, read from that file in place).

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
        request = FacturesTelechargerGroupeRequest(
            invoice_ids=ids,
            file_format=file_format,
            include_attachments=include_attachments,
            extra=extra or {},
            credentials=self._credentials(credentials),
        )
        return await download(
            self._request,
            API_ROOT + "/factures/telecharger-groupe",
            request,
            FacturesTelechargerGroupeResponse,
            field="file_base64",
            dest=dest,
            operation="factures.telecharger_groupe",
            options=RequestOptions.build(
                timeout=timeout, max_retries=max_retries, extra_headers=extra_headers
            ),
        )

    async def traiter_facture_recue(
        self,
        invoice_id: int,
        new_status: TargetStatusInput,
        *,
        reason: str | None = None,
        comment: str | None = None,
        payment_mandate_number: str | None = None,
        extra: Mapping[str, Any] | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> FacturesTraiterFactureRecueResponse:
        """Recipient: move a received invoice to ``new_status``.

        ``POST /factures/traiter-facture-recue``. ``reason`` is required for ``SUSPENDUE``
        and ``REJETEE``; ``SERVICE-FAIT`` is sent with its hyphen.
        """
        return await self._write(
            "/factures/traiter-facture-recue",
            FacturesTraiterFactureRecueRequest,
            FacturesTraiterFactureRecueResponse,
            locals(),
        )

    async def completer(
        self,
        invoice_id: int,
        *,
        comment: str | None = None,
        attachments: Iterable[AdditionalAttachment] | None = None,
        extra: Mapping[str, Any] | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> FacturesCompleterResponse:
        """Supplier: complete a ``SUSPENDUE`` invoice with a comment and/or attachments.

        ``POST /factures/completer``. Upload the attachments first with
        ``transverses.ajouter_fichier``: each :class:`AdditionalAttachment` carries the
        ``attachment_id`` it returned.
        """
        return await self._write(
            "/factures/completer", FacturesCompleterRequest, FacturesCompleterResponse, locals()
        )

    async def recycler(
        self,
        invoice_id: int,
        *,
        structure_id: int | None = None,
        service_code: str | None = None,
        engagement_number: str | None = None,
        extra: Mapping[str, Any] | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> FacturesRecyclerResponse:
        """Supplier: re-route an ``A_RECYCLER`` invoice (new recipient ``structure_id``,
        ``service_code`` or ``engagement_number``). ``POST /factures/recycler``."""
        return await self._write(
            "/factures/recycler", FacturesRecyclerRequest, FacturesRecyclerResponse, locals()
        )
