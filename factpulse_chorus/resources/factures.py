"""``client.factures``: invoices (``/factures/*`` except the validator endpoints)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .._types import NOT_GIVEN, Headers, NotGivenOr, TimeoutTypes
from ..models.common import FileFormat, InvoiceStatusCode, SearchPagination, SortDirection
from ..models.factures import (
    CompleterFactureRequest,
    CompleterFactureResponse,
    ConsulterFactureRequest,
    ConsulterFactureResponse,
    FiltreDestinataire,
    FiltreFournisseur,
    PieceJointeComplementaire,
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
from ._base import AsyncResource, build_request

if TYPE_CHECKING:
    from ..models.common import ChorusProCredentials, TargetStatus


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
        total_net_amount: Decimal | str,
        vat_amount: Decimal | str,
        total_gross_amount: Decimal | str,
        payment_due_date: date | None = None,
        service_code: str | None = None,
        engagement_number: str | None = None,
        main_attachment_id: int | None = None,
        main_attachment_label: str | None = None,
        comment: str | None = None,
        purchase_order_reference: str | None = None,
        contract_reference: str | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> SoumettreFactureResponse:
        """Submit an invoice to a public structure. ``POST /factures/soumettre``.

        Amounts are sent as strings with two decimals; ``total_net_amount + vat_amount``
        must equal ``total_gross_amount``. Never resent after the request may have
        reached the server: a timeout or a dropped connection raises
        :class:`OutcomeUnknownError` carrying ``invoice_number``.
        """
        request = SoumettreFactureRequest(
            invoice_number=invoice_number,
            invoice_date=invoice_date,
            payment_due_date=payment_due_date,
            structure_id=structure_id,
            service_code=service_code,
            engagement_number=engagement_number,
            total_net_amount=total_net_amount,  # type: ignore[arg-type]  # converter
            vat_amount=vat_amount,  # type: ignore[arg-type]
            total_gross_amount=total_gross_amount,  # type: ignore[arg-type]
            main_attachment_id=main_attachment_id,
            main_attachment_label=main_attachment_label,
            comment=comment,
            purchase_order_reference=purchase_order_reference,
            contract_reference=contract_reference,
            credentials=self._credentials(credentials),
        )
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

    async def telecharger_groupe(
        self,
        invoice_ids: Iterable[int],
        *,
        format_fichier: FileFormat | str = FileFormat.ZIP,
        inclure_pieces_jointes: bool | None = None,
        extra: Mapping[str, Any] | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> TelechargerGroupeResponse:
        """Download one or several invoices as a PDF, the XML, or a ZIP archive.

        ``POST /factures/telecharger-groupe`` (``listeIdentifiantsFactureCPP``,
        ``formatFichier``, ``inclurePiecesJointes``). The result decodes the base64 file
        (``content``) and tells what it is from its magic bytes (``content_kind``).
        """
        request = TelechargerGroupeRequest(
            liste_identifiants_facture_cpp=tuple(invoice_ids),
            format_fichier=format_fichier,
            inclure_pieces_jointes=inclure_pieces_jointes,
            extra=extra or {},
            credentials=self._credentials(credentials),
        )
        return await self._post(
            "/factures/telecharger-groupe",
            request,
            TelechargerGroupeResponse,
            operation="factures.telecharger_groupe",
            idempotent=True,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
        )

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
