"""Models shared by every resource group: status codes and the other closed sets (with
their literal aliases), the response envelopes, credentials and pagination.

How a field maps to its wire name is declared with :func:`factpulse_chorus._wire.wire`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from types import MappingProxyType
from typing import Any, Literal

import attrs

from .._exceptions import RequestValidationError
from .._response import NO_RESPONSE
from .._response import RawResponse as RawResponse
from .._validation import check_bool as _check_bool
from .._validation import check_enum, check_text, optional, required
from .._validation import check_page as _check_page
from .._validation import check_page_size as _check_page_size
from .._wire import _OpenWireEnum, _WireEnum, wire


class InvoiceStatusCode(_OpenWireEnum):
    """A Chorus Pro invoice status code; an open set.

    ``SERVICE-FAIT`` and ``SERVICE_FAIT`` (any case) are the same member. Unknown codes
    are kept as pseudo-members: ``InvoiceStatusCode("NOUVEAU")`` has value
    ``"NOUVEAU"``, name ``"UNKNOWN"`` and ``is_known`` False.
    """

    BROUILLON = "BROUILLON"
    SOUMISE = "SOUMISE"
    DEPOSEE = "DEPOSEE"
    EN_COURS_ACHEMINEMENT = "EN_COURS_ACHEMINEMENT"
    A_VALIDER_1 = "A_VALIDER_1"
    A_VALIDER_2 = "A_VALIDER_2"
    VALIDEE_1 = "VALIDEE_1"
    VALIDEE_2 = "VALIDEE_2"
    REFUSEE_1 = "REFUSEE_1"
    REFUSEE_2 = "REFUSEE_2"
    ABSENCE_VALIDATION_1_HORS_DELAI = "ABSENCE_VALIDATION_1_HORS_DELAI"
    ABSENCE_VALIDATION_2_HORS_DELAI = "ABSENCE_VALIDATION_2_HORS_DELAI"
    ERREUR_FOURNISSEUR_SUR_VALIDEUR = "ERREUR_FOURNISSEUR_SUR_VALIDEUR"
    ERREUR_COTRAITANT_SUR_VALIDEUR = "ERREUR_COTRAITANT_SUR_VALIDEUR"
    MISE_A_DISPOSITION = "MISE_A_DISPOSITION"
    PRISE_EN_COMPTE_DESTINATAIRE = "PRISE_EN_COMPTE_DESTINATAIRE"
    COMPLETEE = "COMPLETEE"
    SUSPENDUE = "SUSPENDUE"
    A_RECYCLER = "A_RECYCLER"
    REJETEE = "REJETEE"
    VALIDEE = "VALIDEE"
    SERVICE_FAIT = "SERVICE-FAIT"
    TRANSMISE_MOA = "TRANSMISE_MOA"
    MANDATEE = "MANDATEE"
    MISE_A_DISPOSITION_COMPTABLE = "MISE_A_DISPOSITION_COMPTABLE"
    COMPTABILISEE = "COMPTABILISEE"
    MISE_EN_PAIEMENT = "MISE_EN_PAIEMENT"

    @property
    def is_final(self) -> bool:
        """The outcome is final: stop polling (REJETEE, MISE_EN_PAIEMENT, REFUSEE_1/2)."""
        return self in FINAL_STATUSES

    @property
    def needs_action(self) -> bool:
        """The supplier (or validator) must act: SUSPENDUE, A_RECYCLER, ERREUR_*."""
        return self in ACTION_STATUSES


#: Statuses after which nothing more happens: stop polling, the outcome is final.
FINAL_STATUSES: frozenset[InvoiceStatusCode] = frozenset(
    {
        InvoiceStatusCode.REJETEE,
        InvoiceStatusCode.MISE_EN_PAIEMENT,
        InvoiceStatusCode.REFUSEE_1,
        InvoiceStatusCode.REFUSEE_2,
    }
)
#: Statuses that wait for the supplier (or a validator) to act.
ACTION_STATUSES: frozenset[InvoiceStatusCode] = frozenset(
    {
        InvoiceStatusCode.SUSPENDUE,
        InvoiceStatusCode.A_RECYCLER,
        InvoiceStatusCode.ERREUR_FOURNISSEUR_SUR_VALIDEUR,
        InvoiceStatusCode.ERREUR_COTRAITANT_SUR_VALIDEUR,
    }
)


class _Decision(_WireEnum):
    """A decision on an invoice: a recipient's new status or a validator's action."""

    @property
    def requires_reason(self) -> bool:
        """Whether the decision needs a reason: SUSPENDUE and REJETEE a ``motifRejet``,
        REFUS and REJET a ``motifRefus``."""
        return self in _NEEDS_REASON[type(self)]


class TargetStatus(_Decision):
    """A status the recipient may request (``nouveauStatut`` of traiter-facture-recue).

    Closed set; ``SERVICE_FAIT`` is sent as documented, ``SERVICE-FAIT``.
    """

    MISE_A_DISPOSITION = "MISE_A_DISPOSITION"
    SUSPENDUE = "SUSPENDUE"
    REJETEE = "REJETEE"
    MANDATEE = "MANDATEE"
    MISE_EN_PAIEMENT = "MISE_EN_PAIEMENT"
    COMPTABILISEE = "COMPTABILISEE"
    MISE_A_DISPOSITION_COMPTABLE = "MISE_A_DISPOSITION_COMPTABLE"
    A_RECYCLER = "A_RECYCLER"
    COMPLETEE = "COMPLETEE"
    SERVICE_FAIT = "SERVICE-FAIT"
    PRISE_EN_COMPTE_DESTINATAIRE = "PRISE_EN_COMPTE_DESTINATAIRE"
    TRANSMISE_MOA = "TRANSMISE_MOA"


class ValidatorAction(_Decision):
    """``action`` of ``valideur/traiter``; VALIDATION and REFUS are the documented ones."""

    VALIDATION = "VALIDATION"
    REFUS = "REFUS"
    REJET = "REJET"
    SUSPENSION = "SUSPENSION"
    MISE_EN_RECYCLAGE = "MISE_EN_RECYCLAGE"
    MISE_EN_PAIEMENT = "MISE_EN_PAIEMENT"


# Per enum: members are str, so one set for both would match by value across the two.
_NEEDS_REASON: dict[type[_Decision], frozenset[_Decision]] = {
    TargetStatus: frozenset((TargetStatus.SUSPENDUE, TargetStatus.REJETEE)),
    ValidatorAction: frozenset((ValidatorAction.REFUS, ValidatorAction.REJET)),
}


class FileFormat(_WireEnum):
    """``formatFichier`` of ``telecharger-groupe``."""

    PDF = "PDF"
    XML = "XML"
    ZIP = "ZIP"


class SortDirection(_WireEnum):
    """``triSens`` of the search pagination."""

    ASCENDANT = "Ascendant"
    DESCENDANT = "Descendant"


class StructureStatus(_OpenWireEnum):
    """Status of a structure (``ACTIVE``/``INACTIVE``); unknown values are kept."""

    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


#: The same closed sets as string literals, for parameters: a typo is a type error and
#: editors complete the values. Each enum above accepts its literal (and the enum member).
InvoiceStatusCodeLiteral = Literal[
    "BROUILLON",
    "SOUMISE",
    "DEPOSEE",
    "EN_COURS_ACHEMINEMENT",
    "A_VALIDER_1",
    "A_VALIDER_2",
    "VALIDEE_1",
    "VALIDEE_2",
    "REFUSEE_1",
    "REFUSEE_2",
    "ABSENCE_VALIDATION_1_HORS_DELAI",
    "ABSENCE_VALIDATION_2_HORS_DELAI",
    "ERREUR_FOURNISSEUR_SUR_VALIDEUR",
    "ERREUR_COTRAITANT_SUR_VALIDEUR",
    "MISE_A_DISPOSITION",
    "PRISE_EN_COMPTE_DESTINATAIRE",
    "COMPLETEE",
    "SUSPENDUE",
    "A_RECYCLER",
    "REJETEE",
    "VALIDEE",
    "SERVICE-FAIT",
    "TRANSMISE_MOA",
    "MANDATEE",
    "MISE_A_DISPOSITION_COMPTABLE",
    "COMPTABILISEE",
    "MISE_EN_PAIEMENT",
]
TargetStatusLiteral = Literal[
    "MISE_A_DISPOSITION",
    "SUSPENDUE",
    "REJETEE",
    "MANDATEE",
    "MISE_EN_PAIEMENT",
    "COMPTABILISEE",
    "MISE_A_DISPOSITION_COMPTABLE",
    "A_RECYCLER",
    "COMPLETEE",
    "SERVICE-FAIT",
    "SERVICE_FAIT",
    "PRISE_EN_COMPTE_DESTINATAIRE",
    "TRANSMISE_MOA",
]
ValidatorActionLiteral = Literal[
    "VALIDATION", "REFUS", "REJET", "SUSPENSION", "MISE_EN_RECYCLAGE", "MISE_EN_PAIEMENT"
]
FileFormatLiteral = Literal["PDF", "XML", "ZIP"]
SortDirectionLiteral = Literal["Ascendant", "Descendant"]

#: ``language_code``: the language of labels, either case (each endpoint sends its own:
#: ``languageCode`` of structures.consulter in lower case, the native ``codeLangue`` upper).
LanguageCode = Literal["fr", "en", "FR", "EN"]


def language_field(case: Literal["lower", "upper"], wire_key: str | None = None) -> Any:
    """The ``language_code`` field of a request: checked, sent in the endpoint's case."""

    def convert(value: object) -> object:
        if isinstance(value, str) and value.lower() in ("fr", "en"):
            return value.lower() if case == "lower" else value.upper()
        return value

    def validate(_instance: object, attribute: Any, value: object) -> None:
        if value is not None and not (isinstance(value, str) and value.lower() in ("fr", "en")):
            raise RequestValidationError(attribute.name, "must be 'fr' or 'en' (either case)")

    return attrs.field(
        default=None,
        converter=convert,
        validator=validate,
        metadata=wire(wire_key) if wire_key else {},
    )


#: What a parameter taking one of these sets accepts: the enum member or its literal.
InvoiceStatusInput = InvoiceStatusCode | InvoiceStatusCodeLiteral
TargetStatusInput = TargetStatus | TargetStatusLiteral
ValidatorActionInput = ValidatorAction | ValidatorActionLiteral
FileFormatInput = FileFormat | FileFormatLiteral
SortDirectionInput = SortDirection | SortDirectionLiteral


# --- raw responses and base classes ----------------------------------------------------------


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data under the SDK's names.

    attrs models become objects (without ``raw``), enums their wire value, Decimals
    strings (exact), dates and date-times ISO 8601 strings, tuples lists.
    """
    if attrs.has(type(value)):
        return {
            field.name: jsonable(getattr(value, field.name))
            for field in attrs.fields(type(value))
            if field.name not in ("raw", "unparsed")
        }
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(item) for item in value]
    return value


class ResultData:
    """``to_dict()`` / ``to_json()`` for the SDK's result models."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """The model as JSON-safe data under the SDK's field names (not the wire names):
        Decimals as strings, dates ISO 8601, enums as their codes; ``raw`` and
        ``unparsed`` left out."""
        data = jsonable(self)
        assert isinstance(data, dict)
        return data

    def to_json(self, *, indent: int | None = None) -> str:
        """:meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)


@attrs.frozen(kw_only=True)
class APIResponse(ResultData):
    """Base of every response model.

    ``raw`` is the :class:`RawResponse` the model was decoded from (set by
    :func:`factpulse_chorus._converter.from_wire`); it takes no part in equality and
    is never (un)structured. For native endpoints, ``raw.json`` is the untouched body.
    A model built by hand has a placeholder ``raw`` with status 0.

    ``unparsed`` maps the JSON path of each lenient field (``wire(lenient=True)``) whose
    value could not be read (``"$.currentStatus.date"``) to the value as received; the
    field itself is None. Empty when everything was read. Not part of equality.
    """

    raw: RawResponse = attrs.field(default=NO_RESPONSE, eq=False, repr=False, kw_only=True)
    unparsed: Mapping[str, Any] = attrs.field(
        factory=lambda: MappingProxyType({}), eq=False, repr=False, hash=False, kw_only=True
    )


@attrs.frozen(kw_only=True)
class TypedResponse(APIResponse):
    """Envelope of the typed endpoints: ``returnCode`` (0 = success) and ``message``."""

    return_code: int
    message: str


@attrs.frozen(kw_only=True)
class NativeResponse(APIResponse):
    """Envelope of the native (untyped) endpoints.

    Wire ``codeRetour`` (0 = success) and ``libelle``, read as ``return_code`` and
    ``message`` like the typed envelope.
    """

    return_code: int | None = attrs.field(default=None, metadata=wire("codeRetour"))
    message: str | None = attrs.field(default=None, metadata=wire("libelle"))


# --- credentials -----------------------------------------------------------------------------


def _mask(value: str) -> str:
    if len(value) <= 8:
        return "***"
    return f"{value[:3]}***{value[-2:]}"


_credential = required(check_text, prefix="credentials.")


@attrs.frozen(kw_only=True, repr=False)
class ChorusProCredentials:
    """Zero-trust Chorus Pro credentials (wire ``credentials``).

    ``sandbox`` (wire ``sandbox``) defaults to True, the qualification environment,
    and is always sent; use :meth:`production` to target production. The repr
    masks the identifiers and never shows the secrets.
    """

    piste_client_id: str = attrs.field(validator=_credential)
    piste_client_secret: str = attrs.field(validator=_credential)
    chorus_pro_login: str = attrs.field(validator=_credential)
    chorus_pro_password: str = attrs.field(validator=_credential)
    sandbox: bool = attrs.field(
        default=True, validator=required(_check_bool, prefix="credentials.")
    )

    @classmethod
    def production(
        cls,
        *,
        piste_client_id: str,
        piste_client_secret: str,
        chorus_pro_login: str,
        chorus_pro_password: str,
    ) -> ChorusProCredentials:
        """Credentials for the Chorus Pro production environment (``sandbox=False``)."""
        return cls(
            piste_client_id=piste_client_id,
            piste_client_secret=piste_client_secret,
            chorus_pro_login=chorus_pro_login,
            chorus_pro_password=chorus_pro_password,
            sandbox=False,
        )

    def __repr__(self) -> str:
        return (
            f"ChorusProCredentials(piste_client_id={_mask(self.piste_client_id)!r}, "
            "piste_client_secret='***', "
            f"chorus_pro_login={_mask(self.chorus_pro_login)!r}, "
            f"chorus_pro_password='***', sandbox={self.sandbox!r})"
        )


# --- pagination ------------------------------------------------------------------------------


def _to_sort_direction(value: SortDirection | str | None) -> SortDirection | None:
    if value is None:
        return None
    return check_enum("pagination.sort_direction", SortDirection, value)


@attrs.frozen(kw_only=True)
class SearchPagination:
    """Pagination of the invoice searches.

    Wire: ``pageResultatDemandee``, ``nbResultatsParPage``, ``triColonne``, ``triSens``;
    the object's own key depends on the endpoint (``rechercheFactureParFournisseur``,
    ``paramRecherche``, ``pagination``). Unset fields are left to the server defaults.
    """

    page: int = attrs.field(
        default=1,
        validator=required(_check_page, prefix="pagination."),
        metadata=wire("pageResultatDemandee"),
    )
    page_size: int | None = attrs.field(
        default=None,
        validator=optional(_check_page_size, prefix="pagination."),
        metadata=wire("nbResultatsParPage"),
    )
    sort_column: str | None = attrs.field(
        default=None,
        validator=optional(check_text, prefix="pagination."),
        metadata=wire("triColonne"),
    )
    sort_direction: SortDirection | None = attrs.field(
        default=None, converter=_to_sort_direction, metadata=wire("triSens")
    )


@attrs.frozen(kw_only=True)
class PageInfo:
    """Pagination of a search response (``parametresRetour``, or the top level of
    ``rechercher-destinataire``): ``page`` (wire ``pageCourante``), ``page_count``
    (``pages``), ``page_size`` (``nbResultatsParPage``), ``total``."""

    page: int | None = attrs.field(default=None, metadata=wire("pageCourante"))
    page_count: int | None = attrs.field(default=None, metadata=wire("pages"))
    page_size: int | None = attrs.field(default=None, metadata=wire("nbResultatsParPage"))
    total: int | None = None

    @property
    def next_page(self) -> int | None:
        """The page to request next, or None when this is the last one (or unknown)."""
        if self.page is None or self.page_count is None:
            return None
        return self.page + 1 if self.page < self.page_count else None
