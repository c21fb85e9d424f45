"""Shared tables and strategies of the model/converter tests (tests/models/): every endpoint's
request and response class, the exact request wire names, hypothesis strategies built from
the attrs fields."""

from __future__ import annotations

import base64
import json
import types
from collections.abc import Callable, Mapping
from datetime import date, timedelta, timezone
from decimal import Decimal
from typing import Any, Union, get_args, get_origin

import attrs
from hypothesis import HealthCheck, assume, settings
from hypothesis import strategies as st
from payloads import example_names

from factpulse_chorus import RequestValidationError
from factpulse_chorus._converter import encode_json, from_wire, to_wire
from factpulse_chorus.models import common, factures, structures, transverses, valideur
from factpulse_chorus.models.common import (
    ChorusProCredentials,
    InvoiceStatusCode,
    PageInfo,
    SearchPagination,
    StructureStatus,
)

HYPOTHESIS = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def wire_round_trip(obj: Any) -> Any:
    """to_wire -> real JSON text -> from_wire."""
    return from_wire(json.loads(encode_json(to_wire(obj))), type(obj))


CREDENTIALS = ChorusProCredentials(
    piste_client_id="3f2a9c1e-5b7d-4e8f-a6c2-91d0b4e7f123",
    piste_client_secret="FAKE-piste-secret-8d41c2e9b7a6",
    chorus_pro_login="TECH_84213765500010@cpro.fr",
    chorus_pro_password="FAKE-cpro-password-Q7m2",
)

# --- every endpoint: request class, response class, example name ------------------------------

GROUPS = {"structures": structures, "factures": factures, "transverses": transverses,
          "valideur": valideur}  # fmt: skip
# "structures-services" is the example of ``structures.lister_services``.
METHOD_OF_EXAMPLE = {"services": "lister-services"}


def endpoint(name: str) -> tuple[str, type | None, type]:
    """Example ``name``'s request class (None: the example has no request) and response class,
    found by the naming rule ``<Group><Method>Request`` / ``<Group><Method>Response``."""
    group, _, method = name.partition("-")
    words = [group, *METHOD_OF_EXAMPLE.get(method, method).split("-")]
    prefix = "".join(word.capitalize() for word in words)
    module = GROUPS[group]
    request = getattr(module, f"{prefix}Request") if f"{name}.request" in example_names() else None
    return name, request, getattr(module, f"{prefix}Response")


ENDPOINTS = [
    endpoint(name)
    for name in [
        "structures-rechercher",
        "structures-consulter",
        "structures-services",
        "structures-obtenir-id-depuis-siret",
        "factures-soumettre",
        "factures-consulter",
        "factures-rechercher-fournisseur",
        "factures-rechercher-destinataire",
        "factures-telecharger-groupe",
        "factures-traiter-facture-recue",
        "factures-completer",
        "factures-recycler",
        "transverses-ajouter-fichier",
        "valideur-rechercher",
        "valideur-consulter",
        "valideur-traiter",
    ]
]

# The wire name of every request attribute, in attribute order (``extra`` excluded).
REQUEST_WIRE_NAMES: dict[type, str] = {
    ChorusProCredentials: (
        "pisteClientId pisteClientSecret chorusProLogin chorusProPassword sandbox"
    ),
    SearchPagination: "pageResultatDemandee nbResultatsParPage triColonne triSens",
    structures.StructuresRechercherRequest: (
        "structureIdentifier structureIdentifierType companyName restrictPrivateStructures "
        "credentials"
    ),
    structures.StructuresConsulterRequest: "structureId languageCode credentials",
    structures.StructuresListerServicesRequest: "idStructureCPP",
    structures.StructuresObtenirIdDepuisSiretRequest: "siret identifierType credentials",
    factures.FacturesSoumettreRequest: (
        "invoiceNumber invoiceDate paymentDueDate structureId serviceCode engagementNumber "
        "totalNetAmount vatAmount totalGrossAmount mainAttachmentId mainAttachmentLabel comment "
        "purchaseOrderReference contractReference credentials"
    ),
    factures.FacturesConsulterRequest: "chorusInvoiceId credentials",
    factures.RecipientFilter: "idDestinataire listeIdServiceExecutant raisonSocialeStuctDmd",
    factures.FacturesRechercherFournisseurRequest: (
        "numeroFacture periodeDateFactureDu periodeDateFactureAu periodeDateDepotDu "
        "periodeDateDepotAu statutCourant montantHTMin montantHTMax montantTTCMin montantTTCMax "
        "numeroMarche idStructureValideur periodeDateHeureEtatCourantDu "
        "periodeDateHeureEtatCourantAu montantApayerMin montantApayerMax numeroBonCommande "
        "recupererTaille "
        "listeDestinataire typeFacture numeroFactureOrigine numeroFluxDepot idFournisseur "
        "idServiceFournisseur modeDepot rejetTraite rechercheSirenDestinataire "
        "idUtilisateurCreateur cadreFacturation coordonneeBancaire "
        "rechercheFactureParFournisseur credentials"
    ),
    factures.SupplierFilter: "idFournisseur listeIdService",
    factures.FacturesRechercherDestinataireRequest: (
        "numeroFacture periodeDateFactureDu periodeDateFactureAu periodeDateDepotDu "
        "periodeDateDepotAu statutCourant montantHTMin montantHTMax montantTTCMin montantTTCMax "
        "numeroMarche idStructureValideur periodeDateHeureEtatCourantDu "
        "periodeDateHeureEtatCourantAu montantApayerMin montantApayerMax numeroBonCommande "
        "recupererTaille "
        "factureTelechargeeParDestinataire listeFournisseurs rechercheSirenFournisseur "
        "idDestinataire idServiceExecutant cadreFacturation listeTypeFacture "
        "listeTypeFactureTravaux typeDemandePaiement paramRecherche credentials"
    ),
    factures.FacturesTelechargerGroupeRequest: (
        "listeIdentifiantsFactureCPP inclurePiecesJointes formatFichier credentials"
    ),
    factures.FacturesTraiterFactureRecueRequest: (
        "identifiantFactureCPP nouveauStatut motifRejet commentaire numeroDPMandat credentials"
    ),
    factures.AdditionalAttachment: "pieceJointeIdFichier pieceJointeNom",
    factures.FacturesCompleterRequest: (
        "identifiantFactureCPP commentaire listePiecesJointes credentials"
    ),
    factures.FacturesRecyclerRequest: (
        "identifiantFactureCPP idStructureCPP codeService numeroEngagement credentials"
    ),
    transverses.TransversesAjouterFichierRequest: (
        "pieceJointeFichier pieceJointeNom pieceJointeTypeMime pieceJointeExtension credentials"
    ),
    valideur.ValideurRechercherRequest: (
        "numeroFacture periodeDateFactureDu periodeDateFactureAu periodeDateDepotDu "
        "periodeDateDepotAu statutCourant montantHTMin montantHTMax montantTTCMin montantTTCMax "
        "numeroMarche idStructureValideur idDestinataire idServiceExecutant idFournisseur "
        "idServiceFournisseur idStructureMoa idStructureMoe numeroEngagement listeTypeFacture "
        "listeTypeFactureTravaux montantAPayerMin montantAPayerMax rechercheSirenDestinataire "
        "rechercheSirenFournisseur typeDemandePaiement cadreFacturation pagination credentials"
    ),
    valideur.ValideurConsulterRequest: "idFacture codeLangue credentials",
    valideur.ValideurTraiterRequest: (
        "idFacture action motifRefus complementInfo idPieceJointe idValideur typeValideur "
        "credentials"
    ),
}

REQUEST_CLASSES = [cls for _, cls, _ in ENDPOINTS if cls is not None] + [
    structures.StructuresListerServicesRequest
]
RESPONSE_CLASSES = [cls for _, _, cls in ENDPOINTS]
NESTED_RESPONSE_CLASSES = [
    PageInfo,
    structures.StructureInfo,
    structures.StructureParameters,
    structures.StructureService,
    factures.InvoiceStatus,
    factures.SupplierInvoice,
    factures.RecipientInvoice,
    valideur.ValidatorInvoice,
    valideur.InvoiceDetail,
]


def expected_names(cls: type) -> dict[str, str]:
    fields = [a.name for a in attrs.fields(cls) if a.name != "extra"]
    names = REQUEST_WIRE_NAMES[cls].split()
    assert len(fields) == len(names), cls
    return dict(zip(fields, names, strict=True))


# --- hypothesis strategies built from the attrs fields ---------------------------------------

_TEXT = st.text(max_size=12)
_NON_BLANK = st.text(min_size=1, max_size=12).filter(lambda s: s.strip())
_IDS = st.integers(min_value=1, max_value=2**53)
_AMOUNTS = st.decimals(
    min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False
)
_OFFSETS = st.integers(min_value=-23 * 60, max_value=23 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
_DATETIMES = st.datetimes(timezones=st.none() | st.just(timezone.utc) | _OFFSETS)
_JSON_SCALARS = st.none() | st.booleans() | st.integers(-(10**6), 10**6) | _TEXT
_STATUS_CODES = st.sampled_from(list(InvoiceStatusCode)) | _NON_BLANK.map(InvoiceStatusCode)


def _digits_with_luhn(prefix_length: int) -> st.SearchStrategy[str]:
    def complete(prefix: str) -> str:
        for key in "0123456789":
            candidate = prefix + key
            total = 0
            for position, char in enumerate(reversed(candidate)):
                digit = int(char) * (2 if position % 2 else 1)
                total += digit - 9 if digit > 9 else digit
            if total % 10 == 0:
                return candidate
        raise AssertionError("unreachable")

    return st.text("0123456789", min_size=prefix_length, max_size=prefix_length).map(complete)


VALID_SIRETS = _digits_with_luhn(13)


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    if get_origin(tp) in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return tp, False


def strategy_for(tp: Any, *, request: bool) -> st.SearchStrategy[Any]:
    inner, optional = _unwrap_optional(tp)
    strategy = _strategy_for(inner, request=request)
    return st.none() | strategy if optional else strategy


def _strategy_for(tp: Any, *, request: bool) -> st.SearchStrategy[Any]:
    origin = get_origin(tp)
    if origin is tuple:
        return st.lists(strategy_for(get_args(tp)[0], request=request), max_size=3).map(tuple)
    if origin in (Mapping, dict) or tp is Mapping:
        return st.dictionaries(_TEXT, _JSON_SCALARS, max_size=3)
    if tp is int:
        return _IDS if request else st.integers(-(2**63), 2**63)
    if tp is str:
        return _NON_BLANK if request else st.text(max_size=20)
    if tp is bool:
        return st.booleans()
    if tp is Decimal:
        return _AMOUNTS
    if tp is date:
        return st.dates() if request else st.dates() | _DATETIMES
    if tp is InvoiceStatusCode:
        return _STATUS_CODES
    if tp is StructureStatus:
        return st.sampled_from(list(StructureStatus)) | _NON_BLANK.map(StructureStatus)
    if isinstance(tp, type) and issubclass(tp, common._WireEnum):
        return st.sampled_from(list(tp))
    if attrs.has(tp):
        return model_strategy(tp, request=request)
    raise NotImplementedError(tp)  # pragma: no cover - a new field type needs a strategy


# Request fields whose values follow a rule the generic strategies do not know.
REQUEST_OVERRIDES: dict[str, st.SearchStrategy[Any]] = {
    "invoice_number": st.from_regex(r"[A-Za-z0-9_/+\-]{1,20}", fullmatch=True),
    "siret": VALID_SIRETS,
    "identifier_type": st.sampled_from([None, "SIRET", "UE_HORS_FRANCE"]),
    "structure_identifier_type": st.sampled_from([None, "UE_HORS_FRANCE", "AUTRE"]),
    "language_code": st.sampled_from([None, "fr", "en"]),
    "code_langue": st.sampled_from([None, "FR", "EN"]),
    "page_size": st.none() | st.integers(1, 200),
    "page": st.integers(1, 10_000),
    "file_base64": st.binary(max_size=64).map(lambda b: base64.b64encode(b).decode()),
    "extension": _NON_BLANK.filter(lambda s: not s.startswith(".")),
    "periode_date_heure_etat_courant_du": st.none() | st.dates() | _DATETIMES,
    "periode_date_heure_etat_courant_au": st.none() | st.dates() | _DATETIMES,
    "liste_identifiants_facture_cpp": st.lists(_IDS, min_size=1, max_size=4).map(tuple),
    "extra": st.dictionaries(
        st.sampled_from(["idUtilisateurCourant", "champNatifFutur", "x"]), _JSON_SCALARS
    ),
    "credentials": st.none()
    | st.builds(
        ChorusProCredentials,
        piste_client_id=_NON_BLANK,
        piste_client_secret=_NON_BLANK,
        chorus_pro_login=_NON_BLANK,
        chorus_pro_password=_NON_BLANK,
        sandbox=st.booleans(),
    ),
}


def _resolved_fields(cls: type) -> tuple[attrs.Attribute[Any], ...]:
    attrs.resolve_types(cls)
    return tuple(attrs.fields(cls))


@st.composite
def _build(draw: Callable[..., Any], cls: type, request: bool) -> Any:
    kwargs: dict[str, Any] = {}
    for a in _resolved_fields(cls):
        if a.name == "raw":
            continue
        if request and a.name in REQUEST_OVERRIDES:
            kwargs[a.name] = draw(REQUEST_OVERRIDES[a.name])
        else:
            kwargs[a.name] = draw(strategy_for(a.type, request=request))
    if cls is factures.FacturesSoumettreRequest:
        kwargs["total_gross_amount"] = kwargs["total_net_amount"] + kwargs["vat_amount"]
    try:
        return cls(**kwargs)
    except RequestValidationError:
        assume(False)  # a cross-field rule (reason required, "at least one of"...)
        raise  # pragma: no cover


_STRATEGIES: dict[tuple[type, bool], st.SearchStrategy[Any]] = {}


def model_strategy(cls: type, *, request: bool) -> st.SearchStrategy[Any]:
    key = (cls, request)
    if key not in _STRATEGIES:
        _STRATEGIES[key] = st.deferred(lambda: _build(cls, request))
    return _STRATEGIES[key]
