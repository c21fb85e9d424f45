"""``client.structures``: Chorus Pro structure look-ups (``/structures/*``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._exceptions import RequestValidationError, StructureNotFoundError
from .._types import NOT_GIVEN, Headers, NotGivenOr, TimeoutTypes
from ..models.structures import (
    StructuresConsulterRequest,
    StructuresConsulterResponse,
    StructuresListerServicesRequest,
    StructuresListerServicesResponse,
    StructuresObtenirIdDepuisSiretRequest,
    StructuresObtenirIdDepuisSiretResponse,
    StructuresRechercherRequest,
    StructuresRechercherResponse,
)
from ._base import AsyncResource

if TYPE_CHECKING:
    from ..models.common import ChorusProCredentials, LanguageCode


class AsyncStructures(AsyncResource):
    """Find public structures, their submission requirements and their services."""

    __slots__ = ()

    async def rechercher(
        self,
        *,
        structure_identifier: str | None = None,
        structure_identifier_type: str | None = None,
        company_name: str | None = None,
        restrict_private_structures: bool | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> StructuresRechercherResponse:
        """Search structures by identifier (SIRET, SIREN, ...), type or company name.

        ``POST /structures/rechercher``. FactPulse returns only the first page of matches
        (at most 10 structures); ``total`` says how many there are in all.
        """
        return await self._read(
            "/structures/rechercher",
            StructuresRechercherRequest,
            StructuresRechercherResponse,
            locals(),
        )

    async def consulter(
        self,
        structure_id: int,
        *,
        language_code: LanguageCode | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> StructuresConsulterResponse:
        """Details of a structure and whether invoices to it need a service code or an
        engagement number (``parameters``). ``POST /structures/consulter``."""
        return await self._read(
            "/structures/consulter",
            StructuresConsulterRequest,
            StructuresConsulterResponse,
            locals(),
        )

    async def lister_services(
        self,
        structure_id: int,
        *,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> StructuresListerServicesResponse:
        """The services of a structure, active or not (filter on ``is_active``).

        ``GET /structures/{id_structure_cpp}/services``. A GET carries no body, so this
        endpoint always uses the credentials stored in FactPulse: zero-trust
        ``credentials`` (given here or set on the client) are refused before sending;
        pass ``credentials=None`` to call it from a client that has default credentials.
        """
        if self._credentials(credentials) is not None:
            raise RequestValidationError(
                "credentials",
                "structures.lister_services is a GET endpoint and cannot carry zero-trust "
                "credentials; FactPulse uses the stored ones: pass credentials=None",
            )
        request = StructuresListerServicesRequest(structure_id=structure_id)
        return await self._get(
            f"/structures/{request.structure_id}/services",
            StructuresListerServicesResponse,
            operation="structures.lister_services",
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
        )

    async def obtenir_id_depuis_siret(
        self,
        siret: str,
        *,
        identifier_type: str | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> StructuresObtenirIdDepuisSiretResponse:
        """The Chorus Pro structure id of a SIRET (or of another identifier with
        ``identifier_type``). ``POST /structures/obtenir-id-depuis-siret``.

        Raises :class:`StructureNotFoundError` when no structure, or more than one,
        matches (the API's ``structureId == 0``): a 0 is never returned as an id.
        """
        response = await self._read(
            "/structures/obtenir-id-depuis-siret",
            StructuresObtenirIdDepuisSiretRequest,
            StructuresObtenirIdDepuisSiretResponse,
            locals(),
        )
        if response.structure_id == 0:
            raise StructureNotFoundError(
                siret,
                response.message,
                body=response.raw.json,
                request_id=response.raw.request_id,
            )
        return response
