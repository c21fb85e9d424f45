"""Models shared by every resource group.

Wire names are camelCase and derived from the snake_case attribute names
(``numero_facture`` -> ``numeroFacture``). Irregular ones (``montantHT``,
``identifiantFactureCPP``, ...) are declared next to the field with :func:`wire`,
which is also where alternative names accepted on read (``fallback``), the money
format and inlined objects are declared. :mod:`factpulse_chorus._converter` reads
that metadata; nothing else knows about wire names.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import Enum
from types import MappingProxyType
from typing import Any, Literal

import attrs

from .._exceptions import RequestValidationError
from .._response import NO_RESPONSE, RawResponse
from .._validation import check_bool as _check_bool
from .._validation import check_enum, check_json_value, check_text, optional, required
from .._validation import check_page as _check_page
from .._validation import check_page_size as _check_page_size

__all__ = [
    "ACTION_STATUSES",
    "FINAL_STATUSES",
    "APIResponse",
    "ChorusProCredentials",
    "FileFormat",
    "FileFormatInput",
    "FileFormatLiteral",
    "InvoiceStatusCode",
    "InvoiceStatusCodeLiteral",
    "InvoiceStatusInput",
    "LanguageCode",
    "NativeResponse",
    "PageInfo",
    "RawResponse",
    "SearchPagination",
    "SortDirection",
    "SortDirectionInput",
    "SortDirectionLiteral",
    "StructureStatus",
    "TargetStatus",
    "TargetStatusInput",
    "TargetStatusLiteral",
    "TypedResponse",
    "ValidatorAction",
    "ValidatorActionInput",
    "ValidatorActionLiteral",
    "language_field",
]

# --- wire-name metadata ----------------------------------------------------------------------

WIRE = "factpulse_chorus.wire"
FALLBACK = "factpulse_chorus.fallback"
MONEY = "factpulse_chorus.money"
INLINE = "factpulse_chorus.inline"
LENIENT = "factpulse_chorus.lenient"

MoneyFormat = Literal["number", "string", "fixed2"]


def wire(
    name: str | None = None,
    *,
    fallback: tuple[str, ...] = (),
    money: MoneyFormat | None = None,
    inline: bool = False,
    lenient: bool = False,
) -> dict[str, Any]:
    """Field metadata for the converter.

    ``name``: the wire name when it is not the camelCase of the attribute name.
    ``fallback``: other wire names read when ``name`` is absent or null.
    ``money``: how a Decimal is written: ``"number"`` (JSON number, the default,
    native bodies), ``"string"`` (exact decimal string) or ``"fixed2"`` (string with
    exactly two decimals, typed request bodies).
    ``inline``: the nested object may also be spread over the enclosing object's
    top level (read when ``name`` is absent; written there).
    ``lenient``: a response field whose format the sources do not fix (REFERENCE §12:
    dates, amounts, sizes). Besides the documented form, the common French variants are
    read (``01/04/2025``, ``1 250,50``); a value that still does not fit leaves the field
    None, is kept as received in the response's ``unparsed`` and is logged once, instead
    of failing the response. The field must default to None.
    """
    meta: dict[str, Any] = {}
    if name is not None:
        meta[WIRE] = name
    if fallback:
        meta[FALLBACK] = fallback
    if money is not None:
        meta[MONEY] = money
    if inline:
        meta[INLINE] = True
    if lenient:
        meta[LENIENT] = True
    return meta


def lenient_field(name: str | None = None) -> Any:
    """An optional response field (default None) read leniently: see ``wire(lenient=True)``."""
    return attrs.field(default=None, metadata=wire(name, lenient=True))


@functools.cache
def camel(name: str) -> str:
    """snake_case -> camelCase: ``numero_facture`` -> ``numeroFacture``.

    Digits stay as they are: ``id_valideur1`` -> ``idValideur1``.
    """
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def wire_name(attribute: attrs.Attribute[Any]) -> str:
    """The wire name of an attrs attribute."""
    name = attribute.metadata.get(WIRE)
    return name if isinstance(name, str) else camel(attribute.name)


_RESERVED: dict[type, frozenset[str]] = {}


def _reserved_keys(cls: type) -> frozenset[str]:
    keys = _RESERVED.get(cls)
    if keys is None:
        names: set[str] = {"credentials"}
        for attribute in attrs.fields(cls):
            if attribute.name != "extra":
                names.add(wire_name(attribute))
                names.update(attribute.metadata.get(FALLBACK, ()))
        keys = _RESERVED[cls] = frozenset(names)
    return keys


def check_extra(instance: object, extra: Mapping[str, Any]) -> None:
    """Refuse ``extra`` keys that name a declared field (use the keyword argument instead)."""
    if not extra:
        return
    reserved = _reserved_keys(type(instance))
    for key in extra:
        if not isinstance(key, str):
            raise RequestValidationError("extra", "keys must be strings (JSON object keys)")
        if key in reserved:
            raise RequestValidationError(
                "extra", f"key {key!r} is a declared field: pass it as a keyword argument"
            )
    check_json_value("extra", extra)


def freeze_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """A read-only copy of a mapping (``None`` -> empty)."""
    return MappingProxyType(dict(value or {}))


def _extra_validator(instance: Any, _attribute: Any, value: Mapping[str, Any]) -> None:
    check_extra(instance, value)


def extra_field() -> Any:
    """The ``extra`` pass-through field of native request bodies."""
    return attrs.field(
        factory=dict, converter=freeze_mapping, validator=_extra_validator, hash=False
    )


# --- enums -----------------------------------------------------------------------------------

_NORMALISED: dict[type, dict[str, Any]] = {}
_PSEUDO_LIMIT = 1024


def _normalise(value: str) -> str:
    return value.strip().upper().replace("-", "_")


class _WireEnum(str, Enum):
    """A str Enum whose lookup ignores case, surrounding spaces and ``-`` vs ``_``."""

    def __str__(self) -> str:
        return str.__str__(self)

    def __format__(self, format_spec: str) -> str:
        return str.__format__(self, format_spec)

    @classmethod
    def _lookup(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        table = _NORMALISED.get(cls)
        if table is None:
            table = _NORMALISED[cls] = {_normalise(m.value): m for m in cls}
        return table.get(_normalise(value))

    @classmethod
    def _missing_(cls, value: object) -> Any:
        return cls._lookup(value)


class _OpenWireEnum(_WireEnum):
    """A :class:`_WireEnum` that keeps unknown codes as pseudo-members named ``UNKNOWN``."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        member = cls._lookup(value)
        if member is not None or not isinstance(value, str):
            return member
        pseudo = str.__new__(cls, value)
        pseudo._name_ = "UNKNOWN"
        pseudo._value_ = value
        # Cache so that the same unknown code is the same object, within a bound.
        if len(cls._value2member_map_) < _PSEUDO_LIMIT:
            return cls._value2member_map_.setdefault(value, pseudo)
        return pseudo

    @property
    def is_known(self) -> bool:
        """False for a code this version of the SDK does not know (kept as received)."""
        return self._name_ in type(self)._member_map_


class InvoiceStatusCode(_OpenWireEnum):
    """A Chorus Pro invoice status code (REFERENCE §10.1); an open set.

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


#: Statuses after which nothing more happens (REFERENCE §10.3).
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


class TargetStatus(_WireEnum):
    """A status the recipient may request (``nouveauStatut`` of traiter-facture-recue, §6.5).

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

    @property
    def requires_reason(self) -> bool:
        """SUSPENDUE and REJETEE need a ``motifRejet``."""
        return self in (TargetStatus.SUSPENDUE, TargetStatus.REJETEE)


class ValidatorAction(_WireEnum):
    """``action`` of ``valideur/traiter`` (§6.11); VALIDATION and REFUS are the documented ones."""

    VALIDATION = "VALIDATION"
    REFUS = "REFUS"
    REJET = "REJET"
    SUSPENSION = "SUSPENSION"
    MISE_EN_RECYCLAGE = "MISE_EN_RECYCLAGE"
    MISE_EN_PAIEMENT = "MISE_EN_PAIEMENT"

    @property
    def requires_reason(self) -> bool:
        """REFUS and REJET need a ``motifRefus``."""
        return self in (ValidatorAction.REFUS, ValidatorAction.REJET)


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
        Decimals as strings, dates ISO 8601, enums as their codes; ``raw`` left out."""
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
    """Zero-trust Chorus Pro credentials (wire ``credentials``, §3.2).

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
    """Pagination of the invoice searches (§6.1).

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


# --- request field helpers shared by the resource modules ------------------------------------


def status_tuple(
    value: Iterable[InvoiceStatusCode | str] | str | None,
) -> tuple[InvoiceStatusCode, ...] | None:
    """Converter of ``statutCourant`` filters: a code or codes -> tuple of status codes."""
    if value is None:
        return None
    items = (value,) if isinstance(value, str) else tuple(value)
    return tuple(_status_item(item) for item in items)


def _status_item(item: object) -> InvoiceStatusCode:
    if not isinstance(item, str) or not item.strip():
        raise RequestValidationError("status", "must be status codes (non-blank strings)")
    return InvoiceStatusCode(item)


def int_tuple(value: Iterable[int] | int) -> tuple[int, ...]:
    """Converter: an id or ids -> tuple (elements are checked by the validator)."""
    return (value,) if isinstance(value, int) else tuple(value)


def int_tuple_or_none(value: Iterable[int] | int | None) -> tuple[int, ...] | None:
    """Converter like :func:`int_tuple`, keeping None (unset)."""
    return None if value is None else int_tuple(value)


def str_tuple_or_none(value: Iterable[str] | str | None) -> tuple[str, ...] | None:
    """Converter: a string or strings -> tuple, keeping None (unset)."""
    if value is None:
        return None
    return (value,) if isinstance(value, str) else tuple(value)


def mapping_or_none(value: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """Converter: a read-only copy of a mapping, keeping None (unset)."""
    return None if value is None else MappingProxyType(dict(value))


def check_filter_names(filters: Mapping[str, object], declared: type, method: str) -> None:
    """Refuse a keyword that is not one of the filters ``declared`` (a ``TypedDict``).

    The search methods take their filters as ``**filters``, declared once per search as a
    TypedDict; type checkers catch a misspelt keyword, and this catches it at run time.
    """
    allowed: frozenset[str] = getattr(declared, "__optional_keys__", frozenset()) | getattr(
        declared, "__required_keys__", frozenset()
    )
    for name in filters:
        if name not in allowed:
            raise RequestValidationError(
                name, f"is not a filter of {method} (known: {', '.join(sorted(allowed))})"
            )
