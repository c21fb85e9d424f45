"""Structures: search, details, services, SIRET -> id (typed endpoints 1-4)."""

from __future__ import annotations

import attrs

from .._validation import check_bool, check_id, check_siren, check_siret, check_text, optional
from .._validation import required as _required
from .._wire import wire
from .common import (
    APIResponse,
    ChorusProCredentials,
    LanguageCode,
    StructureStatus,
    TypedResponse,
    language_field,
)


def _check_identifier(field: str, identifier: str, identifier_type: str | None) -> None:
    kind = (identifier_type or "").strip().upper()
    if kind == "SIRET":
        check_siret(field, identifier)
    elif kind == "SIREN":
        check_siren(field, identifier)
    else:
        check_text(field, identifier)


# --- 1. structures/rechercher ----------------------------------------------------------------


@attrs.frozen(kw_only=True)
class StructuresRechercherRequest:
    """Body of ``structures/rechercher`` (``SearchStructureRequest``).

    A SIRET (or SIREN) identifier is checked when ``structure_identifier_type`` says so.
    """

    structure_identifier: str | None = attrs.field(default=None, validator=optional(check_text))
    structure_identifier_type: str | None = attrs.field(
        default=None, validator=optional(check_text)
    )
    company_name: str | None = attrs.field(default=None, validator=optional(check_text))
    restrict_private_structures: bool | None = attrs.field(
        default=None, validator=optional(check_bool)
    )
    credentials: ChorusProCredentials | None = None

    def __attrs_post_init__(self) -> None:
        if self.structure_identifier is not None:
            _check_identifier(
                "structure_identifier", self.structure_identifier, self.structure_identifier_type
            )


@attrs.frozen(kw_only=True)
class StructureInfo:
    """One structure found (``StructureInfo``); ``structure_id`` is the ``idStructureCPP``."""

    structure_id: int
    structure_identifier: str
    structure_name: str
    structure_identifier_type: str
    status: StructureStatus


@attrs.frozen(kw_only=True)
class StructuresRechercherResponse(TypedResponse):
    """200 body of ``structures/rechercher`` (``SearchStructureResponse``)."""

    structures: tuple[StructureInfo, ...] = ()
    total: int = 0


# --- 2. structures/consulter -----------------------------------------------------------------


@attrs.frozen(kw_only=True)
class StructuresConsulterRequest:
    """Body of ``structures/consulter`` (``GetStructureRequest``)."""

    structure_id: int = attrs.field(validator=_required(check_id))
    language_code: LanguageCode | None = language_field("lower")
    credentials: ChorusProCredentials | None = None


@attrs.frozen(kw_only=True)
class StructureParameters:
    """What invoices to a structure must carry (``StructureParameters``)."""

    service_code_required: bool = False
    engagement_number_required: bool = False
    engagement_or_service_management: bool = False


@attrs.frozen(kw_only=True)
class StructuresConsulterResponse(TypedResponse):
    """200 body of ``structures/consulter`` (``GetStructureResponse``)."""

    structure_id: int | None = None
    structure_identifier: str | None = None
    structure_label: str | None = None
    company_name: str | None = None
    vat_number: str | None = None
    structure_email: str | None = None
    parameters: StructureParameters | None = None


# --- 3. structures/{id_structure_cpp}/services -----------------------------------------------


@attrs.frozen(kw_only=True)
class StructuresListerServicesRequest:
    """Path parameter of ``GET structures/{id_structure_cpp}/services`` (no body is sent)."""

    structure_id: int = attrs.field(validator=_required(check_id), metadata=wire("idStructureCPP"))


@attrs.frozen(kw_only=True)
class StructureService:
    """One service of a structure (``StructureService``)."""

    service_id: int
    service_code: str
    service_label: str
    is_active: bool


@attrs.frozen(kw_only=True)
class StructuresListerServicesResponse(TypedResponse):
    """200 body of ``structures/{id}/services`` (``SearchServicesResponse``)."""

    services: tuple[StructureService, ...] = ()
    total: int = 0

    @property
    def active_services(self) -> tuple[StructureService, ...]:
        """The services that can still receive invoices."""
        return tuple(service for service in self.services if service.is_active)


# --- 4. structures/obtenir-id-depuis-siret ---------------------------------------------------


@attrs.frozen(kw_only=True)
class StructuresObtenirIdDepuisSiretRequest:
    """Body of ``structures/obtenir-id-depuis-siret`` (``GetChorusProIdRequest``).

    ``siret`` is checked as a SIRET (or a SIREN when ``identifier_type="SIREN"``).
    """

    siret: str = attrs.field(validator=_required(check_text))
    identifier_type: str | None = attrs.field(default=None, validator=optional(check_text))
    credentials: ChorusProCredentials | None = None

    def __attrs_post_init__(self) -> None:
        _check_identifier("siret", self.siret, self.identifier_type or "SIRET")


@attrs.frozen(kw_only=True)
class StructuresObtenirIdDepuisSiretResponse(APIResponse):
    """200 body of ``structures/obtenir-id-depuis-siret`` (``GetChorusProIdResponse``).

    No return code here: ``structure_id == 0`` means "not found, or several".
    """

    structure_id: int
    structure_identifier: str
    structure_name: str | None = None
    message: str

    @property
    def found(self) -> bool:
        """Whether exactly one structure matched (``structureId != 0``)."""
        return self.structure_id != 0
