"""The models and the converter: wire names, examples, round trips, lenient decoding."""

from __future__ import annotations

import base64
import json
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import attrs
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from payloads import example, example_names

from factpulse_chorus import RequestValidationError, ResponseDecodeError
from factpulse_chorus import models as models_package
from factpulse_chorus._converter import encode_json, from_wire, parse_date, to_wire
from factpulse_chorus._wire_values import paris_time
from factpulse_chorus.models import common, factures, structures, transverses, valideur
from factpulse_chorus.models.common import (
    ACTION_STATUSES,
    FINAL_STATUSES,
    APIResponse,
    ChorusProCredentials,
    FileFormat,
    InvoiceStatusCode,
    PageInfo,
    RawResponse,
    SearchPagination,
    SortDirection,
    StructureStatus,
    TargetStatus,
    ValidatorAction,
)

# The spec's examples are copied under tests/data/examples/ so that the suite runs anywhere;
# when the shared spec is present, a test checks the copies are still verbatim.
SHARED_EXAMPLES = Path("/work/shared/api/examples")

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


# --- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls", RESPONSE_CLASSES + NESTED_RESPONSE_CLASSES, ids=lambda c: c.__name__
)
def test_response_models_round_trip_through_json(cls: type) -> None:
    @HYPOTHESIS
    @given(model_strategy(cls, request=False))
    def check(obj: Any) -> None:
        assert wire_round_trip(obj) == obj

    check()


def _check_request_body(obj: Any, body: Mapping[str, Any]) -> None:
    names = expected_names(type(obj))
    expected = {names[name] for name in names if getattr(obj, name) is not None}
    extra = dict(getattr(obj, "extra", {}))
    assert set(body) == expected | set(extra)
    for key, value in extra.items():
        assert body[key] == value
    for name, wire in names.items():
        value = getattr(obj, name)
        if attrs.has(type(value)):
            _check_request_body(value, body[wire])
        elif isinstance(value, tuple) and value and attrs.has(type(value[0])):
            assert len(body[wire]) == len(value)
            for item, item_body in zip(value, body[wire], strict=True):
                _check_request_body(item, item_body)
        elif isinstance(value, Decimal):
            if type(obj) is factures.FacturesSoumettreRequest:
                assert body[wire] == f"{value:.2f}"  # typed endpoint: a 2-decimal string
            else:
                # Native: a JSON number written from the Decimal's own digits, no float.
                assert isinstance(body[wire], Decimal)
                text = encode_json({"n": body[wire]})
                assert text == '{"n":' + format(value, "f") + "}"
                assert json.loads(text, parse_float=Decimal, parse_int=Decimal)["n"] == value
        elif isinstance(value, datetime):
            sent = parse_date(body[wire])
            # Date-time filters carry an offset; a naive value is Paris wall time.
            assert isinstance(sent, datetime)
            assert sent.utcoffset() is not None
            assert sent == paris_time(value)
            assert sent.replace(tzinfo=None) == value.replace(tzinfo=None)
        elif isinstance(value, date):
            assert body[wire] == value.isoformat()
        elif isinstance(value, common._WireEnum):
            assert body[wire] == value.value
            assert type(body[wire]) is str


@pytest.mark.parametrize("cls", REQUEST_CLASSES, ids=lambda c: c.__name__)
def test_request_bodies_use_exact_wire_names_and_leave_unset_fields_out(cls: type) -> None:
    @HYPOTHESIS
    @given(model_strategy(cls, request=True))
    def check(obj: Any) -> None:
        body = to_wire(obj)
        encode_json(body)  # really JSON, as the transport writes it
        _check_request_body(obj, body)

    check()


def exported_from(module: types.ModuleType) -> tuple[str, ...]:
    """The names ``factpulse_chorus.models`` exports from ``module`` (its map is their home)."""
    return models_package._EXPORTS["." + module.__name__.rpartition(".")[2]]


def test_every_endpoint_has_a_request_and_a_response_model() -> None:
    assert len(ENDPOINTS) == 16
    for cls in [*REQUEST_CLASSES, SearchPagination, ChorusProCredentials]:
        assert attrs.has(cls)
        assert cls.__attrs_attrs__ is not None
        assert cls in REQUEST_WIRE_NAMES
    for cls in RESPONSE_CLASSES:
        assert issubclass(cls, APIResponse)
    for module in (common, structures, factures, transverses, valideur):
        for name in exported_from(module):
            obj = getattr(module, name)
            if isinstance(obj, type):
                assert obj.__doc__, name
                if attrs.has(obj):
                    params = obj.__attrs_attrs__
                    assert all(p.kw_only for p in params) or obj is RawResponse
                    instance = object.__new__(obj)
                    with pytest.raises(attrs.exceptions.FrozenInstanceError):
                        setattr(instance, params[0].name, None)


# --- the examples, both ways -----------------------------------------------------------------


@pytest.mark.parametrize(("name", "cls"), [(n, r) for n, _, r in ENDPOINTS])
def test_every_example_response_parses_and_round_trips(name: str, cls: type) -> None:
    data = example(f"{name}.response")
    parsed = from_wire(data, cls)
    assert wire_round_trip(parsed) == parsed
    assert parsed.raw.status == 0  # no RawResponse given: the placeholder


def test_typed_example_values() -> None:
    invoice = from_wire(example("factures-consulter.response"), factures.FacturesConsulterResponse)
    assert invoice.return_code == 0
    assert invoice.invoice_id == 7412589
    assert invoice.invoice_number == "F2025-0042"
    assert invoice.invoice_date == date(2025, 3, 10)
    assert invoice.total_gross_amount == Decimal("1250.50")
    assert str(invoice.total_gross_amount) == "1250.50"
    assert invoice.status is not None
    assert invoice.status.code is InvoiceStatusCode.MISE_A_DISPOSITION
    assert invoice.status.date == date(2025, 3, 10)
    assert type(invoice.status.date) is date
    assert invoice.recipient_structure_id == 25827464

    found = from_wire(
        example("structures-rechercher.response"), structures.StructuresRechercherResponse
    )
    assert found.total == 1
    assert found.structures[0].structure_id == 25827464
    assert found.structures[0].status is StructureStatus.ACTIVE

    details = from_wire(
        example("structures-consulter.response"), structures.StructuresConsulterResponse
    )
    assert details.parameters == structures.StructureParameters(
        service_code_required=True,
        engagement_number_required=False,
        engagement_or_service_management=True,
    )
    services = from_wire(
        example("structures-services.response"), structures.StructuresListerServicesResponse
    )
    assert [s.service_code for s in services.services] == ["FIN-001", "TECH-002", "CULT-OLD"]
    assert [s.service_code for s in services.active_services] == ["FIN-001", "TECH-002"]

    ident = from_wire(
        example("structures-obtenir-id-depuis-siret.response"),
        structures.StructuresObtenirIdDepuisSiretResponse,
    )
    assert ident.found
    assert ident.structure_id == 25827464
    assert not from_wire(
        {"structureId": 0, "structureIdentifier": "x", "structureName": None, "message": "none"},
        structures.StructuresObtenirIdDepuisSiretResponse,
    ).found

    submitted = from_wire(
        example("factures-soumettre.response"), factures.FacturesSoumettreResponse
    )
    assert submitted.invoice_id == 7412589
    assert submitted.deposit_flow_number == "CPP2025031000004217"


def test_native_search_example_values() -> None:
    supplier = from_wire(
        example("factures-rechercher-fournisseur.response"),
        factures.FacturesRechercherFournisseurResponse,
    )
    assert supplier.return_code == 0
    assert [f.invoice_id for f in supplier.invoices] == [7412589, 7398810]
    first = supplier.invoices[0]
    assert first.total_net_amount == Decimal("1042.08")
    assert first.total_gross_amount == Decimal("1250.50")
    assert first.amount_due == Decimal("1250.5")
    assert first.status is InvoiceStatusCode.MISE_A_DISPOSITION
    assert first.status_date == datetime(2025, 3, 13, 9, 41, tzinfo=timezone(timedelta(hours=1)))
    assert first.rejection_processed is False
    assert supplier.invoices[1].total_net_amount == Decimal("3000")
    assert supplier.page_info == PageInfo(page=1, page_count=1, page_size=20, total=2)
    assert supplier.page_info.next_page is None

    recipient = from_wire(
        example("factures-rechercher-destinataire.response"),
        factures.FacturesRechercherDestinataireResponse,
    )
    assert recipient.invoices[0].invoice_id == 7412589
    assert recipient.invoices[0].downloaded_by_recipient is False
    # Top-level pagination of this endpoint lands in the same place as parametresRetour.
    assert recipient.page_info == PageInfo(page=1, page_count=1, page_size=10, total=1)

    validator = from_wire(
        example("valideur-rechercher.response"), valideur.ValideurRechercherResponse
    )
    item = validator.invoices[0]
    assert item.invoice_id == 7433150
    assert item.status is InvoiceStatusCode.A_VALIDER_1
    assert item.total_gross_amount == Decimal("6240")
    assert item.validator_code == "90315528100012"
    assert validator.page_info is not None
    assert validator.page_info.total == 1


def test_native_action_example_values() -> None:
    traiter = from_wire(
        example("factures-traiter-facture-recue.response"),
        factures.FacturesTraiterFactureRecueResponse,
    )
    assert traiter.invoice_id == 7412589
    assert traiter.new_status is InvoiceStatusCode.SUSPENDUE
    assert traiter.processing_date == date(2025, 3, 12)

    completer = from_wire(
        example("factures-completer.response"), factures.FacturesCompleterResponse
    )
    assert completer.invoice_id == 7412589
    assert completer.processing_date == datetime(2025, 3, 13, 9, 41)

    recycler = from_wire(example("factures-recycler.response"), factures.FacturesRecyclerResponse)
    assert recycler.invoice_id == 7420031
    assert recycler.status is InvoiceStatusCode.DEPOSEE
    assert recycler.deposit_date == date(2025, 3, 18)

    upload = from_wire(
        example("transverses-ajouter-fichier.response"),
        transverses.TransversesAjouterFichierResponse,
    )
    assert upload.attachment_id == 4817263
    assert upload.message == "TRA_MSG_00.000"

    decision = from_wire(example("valideur-traiter.response"), valideur.ValideurTraiterResponse)
    assert decision.invoice_id == 7433150
    assert decision.status is InvoiceStatusCode.VALIDEE_1

    download = from_wire(
        example("factures-telecharger-groupe.response"), factures.FacturesTelechargerGroupeResponse
    )
    assert download.file_base64 == "UEsDBBQAAAAIAGt0bVr2m1x0..."
    assert download.content_kind == "zip"


def test_validator_detail_example_values() -> None:
    detail = from_wire(example("valideur-consulter.response"), valideur.ValideurConsulterResponse)
    facture = detail.invoice
    assert facture.invoice_id == 7433150
    assert facture.status is InvoiceStatusCode.A_VALIDER_1
    assert facture.recipient is not None
    assert facture.recipient.recipient_code == "21999012400014"
    assert facture.recipient.postal_code == "99100"
    assert facture.supplier is not None
    assert facture.supplier.bank_details_id == 551203
    assert facture.billing_framework is not None
    assert facture.billing_framework.validator1_id == 31207718
    assert facture.references is not None
    assert facture.references.creation_date == datetime(2025, 3, 14, 10, 5)
    assert facture.references.payment_due_date == date(2025, 4, 13)
    assert facture.references.attachments_total_size == 245760
    assert facture.totals == valideur.InvoiceTotals(
        total_net_amount=Decimal("5200"),
        vat_amount=Decimal("1040"),
        total_gross_amount_before_discount=Decimal("6240"),
        global_discount_amount=Decimal("0"),
        total_gross_amount=Decimal("6240"),
        amount_due=Decimal("6240"),
    )
    assert facture.main_attachment == valideur.MainAttachment(
        attachment_id=4820115, link_id=9912034
    )
    assert facture.attachments is not None
    assert facture.attachments.items[0].attachment_label == "ST-2025-009.pdf"
    assert facture.attachments.total == 1
    assert facture.line_items is not None
    lines = facture.line_items.items
    assert [line.quantity for line in lines] == [Decimal(1), Decimal(120)]
    assert lines[1].unit_net_price == Decimal("10.0")
    assert facture.line_items.total == 2
    assert facture.vat_summary is not None
    assert facture.vat_summary.items[0].vat_rate == Decimal("20.0")
    assert facture.vat_summary.total == 1


def _example_requests() -> list[tuple[str, Any]]:
    pagination = SearchPagination
    return [
        (
            "structures-rechercher",
            structures.StructuresRechercherRequest(
                structure_identifier="21999012400014",
                structure_identifier_type="SIRET",
                restrict_private_structures=False,
            ),
        ),
        (
            "structures-consulter",
            structures.StructuresConsulterRequest(structure_id=25827464, language_code="fr"),
        ),
        (
            "structures-obtenir-id-depuis-siret",
            structures.StructuresObtenirIdDepuisSiretRequest(
                credentials=CREDENTIALS, siret="21999012400014", identifier_type="SIRET"
            ),
        ),
        (
            "factures-soumettre",
            factures.FacturesSoumettreRequest(
                invoice_number="F2025-0042",
                invoice_date=date(2025, 3, 10),
                payment_due_date=date(2025, 4, 9),
                structure_id=25827464,
                service_code="FIN-001",
                total_net_amount=Decimal("1042.08"),
                vat_amount=Decimal("208.42"),
                total_gross_amount=Decimal("1250.5"),  # sent as "1250.50"
                attachment_id=4817263,
                attachment_label="Facture F2025-0042 (Factur-X)",
                comment="Maintenance du site web - fevrier 2025",
                purchase_order_reference="BC-2025-117",
                contract_reference="MAPA-2024-031",
            ),
        ),
        ("factures-consulter", factures.FacturesConsulterRequest(invoice_id=7412589)),
        (
            "factures-rechercher-fournisseur",
            factures.FacturesRechercherFournisseurRequest(
                deposit_date_from=date(2025, 3, 1),
                deposit_date_to=date(2025, 3, 31),
                status=["MISE_A_DISPOSITION", "SUSPENDUE", "MISE_EN_PAIEMENT"],
                recipients=[factures.RecipientFilter(recipient_structure_id=25827464)],
                pagination=pagination(
                    page=1, page_size=20, sort_column="dateDepot", sort_direction="Descendant"
                ),
            ),
        ),
        (
            "factures-rechercher-destinataire",
            factures.FacturesRechercherDestinataireRequest(
                downloaded_by_recipient=False,
                deposit_date_from=date(2025, 3, 1),
                deposit_date_to=date(2025, 3, 31),
                status=[InvoiceStatusCode.MISE_A_DISPOSITION, InvoiceStatusCode.COMPLETEE],
                pagination=pagination(
                    page=1,
                    page_size=10,
                    sort_column="dateDepot",
                    sort_direction=SortDirection.DESCENDANT,
                ),
            ),
        ),
        (
            "factures-telecharger-groupe",
            factures.FacturesTelechargerGroupeRequest(
                invoice_ids=[7412589, 7398810],
                include_attachments=True,
                file_format=FileFormat.ZIP,
            ),
        ),
        (
            "factures-traiter-facture-recue",
            factures.FacturesTraiterFactureRecueRequest(
                invoice_id=7412589,
                new_status=TargetStatus.SUSPENDUE,
                reason="Bon de commande signe manquant",
                comment="Merci de joindre le bon de commande BC-2025-117 signe par le service.",
            ),
        ),
        (
            "factures-completer",
            factures.FacturesCompleterRequest(
                invoice_id=7412589,
                comment="Bon de commande signe joint comme demande.",
                attachments=[
                    factures.AdditionalAttachment(
                        attachment_id=4817302,
                        name="bon_de_commande_BC-2025-117.pdf",
                    )
                ],
            ),
        ),
        (
            "factures-recycler",
            factures.FacturesRecyclerRequest(
                invoice_id=7420031,
                structure_id=26011579,
                service_code="SERV-ACHATS",
                engagement_number="EJ2025000387",
            ),
        ),
        (
            "transverses-ajouter-fichier",
            transverses.TransversesAjouterFichierRequest(
                file_base64=(
                    "JVBERi0xLjcKJeLjz9MKMSAwIG9iago8PC9UeXBlL0NhdGFsb2cvTWV0YWRhdGEgMiAwIFI..."
                ),
                name="F2025-0042_facturx.pdf",
                mime_type="application/pdf",
                extension="PDF",
            ),
        ),
        (
            "valideur-rechercher",
            valideur.ValideurRechercherRequest(
                validator_structure_id=31207718,
                status="A_VALIDER_1",
                deposit_date_from=date(2025, 3, 1),
                deposit_date_to=date(2025, 3, 31),
                pagination=pagination(
                    page_size=10, sort_column="dateDepot", sort_direction="ascendant"
                ),
            ),
        ),
        ("valideur-consulter", valideur.ValideurConsulterRequest(invoice_id=7433150)),
        (
            "valideur-traiter",
            valideur.ValideurTraiterRequest(
                invoice_id=7433150,
                action=ValidatorAction.VALIDATION,
                comment="Travaux conformes au proces-verbal de reception du 2025-03-12.",
            ),
        ),
    ]


@pytest.mark.parametrize(("name", "request_model"), _example_requests(), ids=lambda v: str(v)[:30])
def test_every_example_request_is_produced_exactly(name: str, request_model: Any) -> None:
    assert to_wire(request_model) == example(f"{name}.request")


def test_credentials_body_is_exact_and_sandbox_always_sent() -> None:
    assert (
        to_wire(CREDENTIALS) == example("structures-obtenir-id-depuis-siret.request")["credentials"]
    )
    production = ChorusProCredentials.production(
        piste_client_id="id", piste_client_secret="s", chorus_pro_login="l", chorus_pro_password="p"
    )
    assert production.sandbox is False
    assert to_wire(production)["sandbox"] is False
    request = factures.FacturesConsulterRequest(invoice_id=1, credentials=production)
    assert to_wire(request)["credentials"]["sandbox"] is False


def test_services_request_is_only_a_path_parameter() -> None:
    assert to_wire(structures.StructuresListerServicesRequest(structure_id=25827464)) == {
        "idStructureCPP": 25827464
    }


# --- secrets and reprs ---------------------------------------------------------------------------


def test_no_secret_in_any_repr() -> None:
    secrets = ("FAKE-piste-secret-8d41c2e9b7a6", "FAKE-cpro-password-Q7m2")
    identifiers = ("3f2a9c1e-5b7d-4e8f-a6c2-91d0b4e7f123", "TECH_84213765500010@cpro.fr")
    request = structures.StructuresObtenirIdDepuisSiretRequest(
        credentials=CREDENTIALS, siret="21999012400014"
    )
    for text in (repr(CREDENTIALS), str(CREDENTIALS), repr(request), f"{request}", repr([request])):
        for secret in (*secrets, *identifiers):
            assert secret not in text
    assert "piste_client_secret='***'" in repr(CREDENTIALS)
    assert "chorus_pro_password='***'" in repr(CREDENTIALS)
    assert "sandbox=True" in repr(CREDENTIALS)
    short = ChorusProCredentials(
        piste_client_id="abc",
        piste_client_secret="x",
        chorus_pro_login="lo",
        chorus_pro_password="y",
    )
    assert "'abc'" not in repr(short)
    assert "'lo'" not in repr(short)


def test_raw_response_is_set_kept_out_of_equality_and_short_in_repr() -> None:
    body = example("factures-soumettre.response")
    raw = RawResponse(
        status=200,
        headers={"Content-Type": "application/json", "X-Request-ID": "req-1"},
        json=body,
        request_id="req-1",
        method="POST",
        url="http://127.0.0.1/api/v1/chorus-pro/factures/soumettre",
        elapsed=0.01,
    )
    parsed = from_wire(body, factures.FacturesSoumettreResponse, raw=raw)
    assert parsed.raw is raw
    assert parsed.raw.json is body
    assert parsed == from_wire(body, factures.FacturesSoumettreResponse)
    assert "raw" not in repr(parsed)
    assert "raw" not in to_wire(parsed)
    assert repr(raw) == (
        "RawResponse(status=200, request_id='req-1', "
        "url='http://127.0.0.1/api/v1/chorus-pro/factures/soumettre')"
    )
    assert hash(parsed) == hash(from_wire(body, factures.FacturesSoumettreResponse))
    # Nested models are not APIResponses: raw is only set on the top object.
    assert from_wire({"code": "X", "label": "y"}, factures.InvoiceStatus, raw=raw).code == "X"


# --- status codes and enums ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling", ["SERVICE-FAIT", "SERVICE_FAIT", "service-fait", " Service_Fait "]
)
def test_service_fait_spellings_are_one_member_sent_with_a_hyphen(spelling: str) -> None:
    assert InvoiceStatusCode(spelling) is InvoiceStatusCode.SERVICE_FAIT
    assert TargetStatus(spelling) is TargetStatus.SERVICE_FAIT
    assert InvoiceStatusCode.SERVICE_FAIT == "SERVICE-FAIT"
    request = factures.FacturesTraiterFactureRecueRequest(invoice_id=1, new_status=spelling)
    assert to_wire(request)["nouveauStatut"] == "SERVICE-FAIT"
    status = from_wire({"code": spelling, "label": "x"}, factures.InvoiceStatus)
    assert status.code is InvoiceStatusCode.SERVICE_FAIT


def test_unknown_status_codes_are_kept() -> None:
    code = InvoiceStatusCode("EN_ATTENTE_DE_QUELQUE_CHOSE")
    assert code.value == "EN_ATTENTE_DE_QUELQUE_CHOSE"
    assert code == "EN_ATTENTE_DE_QUELQUE_CHOSE"
    assert code.name == "UNKNOWN"
    assert not code.is_known
    assert not code.is_final
    assert not code.needs_action
    assert code is InvoiceStatusCode("EN_ATTENTE_DE_QUELQUE_CHOSE")
    assert {"EN_ATTENTE_DE_QUELQUE_CHOSE": 1}[code] == 1
    assert str(code) == f"{code}" == "EN_ATTENTE_DE_QUELQUE_CHOSE"
    parsed = from_wire(
        {
            "returnCode": 0,
            "message": "",
            "chorusInvoiceId": 1,
            "currentStatus": {"code": "Nouveau-Code", "label": "?"},
        },
        factures.FacturesConsulterResponse,
    )
    assert parsed.status is not None
    assert parsed.status.code.value == "Nouveau-Code"
    assert to_wire(parsed)["currentStatus"]["code"] == "Nouveau-Code"
    assert StructureStatus("SUPPRIMEE").is_known is False
    assert all(member.is_known for member in InvoiceStatusCode)
    assert len(InvoiceStatusCode) == 27


def test_status_groups() -> None:
    assert {s.name for s in FINAL_STATUSES} == {
        "REJETEE",
        "MISE_EN_PAIEMENT",
        "REFUSEE_1",
        "REFUSEE_2",
    }
    assert {s.name for s in ACTION_STATUSES} == {
        "SUSPENDUE",
        "A_RECYCLER",
        "ERREUR_FOURNISSEUR_SUR_VALIDEUR",
        "ERREUR_COTRAITANT_SUR_VALIDEUR",
    }
    assert InvoiceStatusCode.MISE_EN_PAIEMENT.is_final
    assert InvoiceStatusCode.A_RECYCLER.needs_action
    assert not InvoiceStatusCode.MANDATEE.is_final
    assert len(TargetStatus) == 12
    assert [a.value for a in ValidatorAction] == [
        "VALIDATION",
        "REFUS",
        "REJET",
        "SUSPENSION",
        "MISE_EN_RECYCLAGE",
        "MISE_EN_PAIEMENT",
    ]
    assert [s.value for s in SortDirection] == ["Ascendant", "Descendant"]
    assert [f.value for f in FileFormat] == ["PDF", "XML", "ZIP"]
    assert SortDirection("descendant") is SortDirection.DESCENDANT
    with pytest.raises(ValueError):
        FileFormat("DOCX")


# --- lenient decoding ----------------------------------------------------------------------------


@pytest.mark.parametrize("services", [None, [], "absent"])
def test_absent_null_and_empty_lists_are_alike(services: Any) -> None:
    body: dict[str, Any] = {"returnCode": 0, "message": "none", "total": 0}
    if services != "absent":
        body["services"] = services
    parsed = from_wire(body, structures.StructuresListerServicesResponse)
    assert parsed.services == ()
    assert parsed.total == 0


def test_nulls_and_unknown_keys_are_ignored() -> None:
    body = {
        "returnCode": 0,
        "message": "ok",
        "structureId": None,
        "parameters": {"serviceCodeRequired": None, "nouveauParametre": True},
        "champAjoutePlusTard": {"a": [1, 2]},
        "total": None,
    }
    parsed = from_wire(body, structures.StructuresConsulterResponse)
    assert parsed.structure_id is None
    assert parsed.parameters == structures.StructureParameters()


def test_documented_fallback_names_are_read() -> None:
    assert from_wire(
        {"fichierResultat": "JVBERg=="}, factures.FacturesTelechargerGroupeResponse
    ).content() == (b"%PDF")
    upload = from_wire({"pieceJointeId": 42}, transverses.TransversesAjouterFichierResponse)
    assert upload.attachment_id == 42
    both = {"pieceJointeIdFichier": 1, "pieceJointeId": 2}
    assert from_wire(both, transverses.TransversesAjouterFichierResponse).attachment_id == 1
    assert from_wire({"idFacture": 5}, factures.SupplierInvoice).invoice_id == 5
    assert from_wire({"identifiantFactureCPP": 6}, factures.RecipientInvoice).invoice_id == 6
    assert (
        from_wire({"raisonSocialeFournisseur": "ACME"}, valideur.InvoiceSupplier).supplier_name
        == "ACME"
    )


def test_recipient_pagination_prefers_parametres_retour() -> None:
    body = {
        "codeRetour": 0,
        "parametresRetour": {"pageCourante": 2, "pages": 3},
        "pageCourante": 9,
    }
    parsed = from_wire(body, factures.FacturesRechercherDestinataireResponse)
    assert parsed.page_info == PageInfo(page=2, page_count=3)
    assert parsed.page_info.next_page == 3
    assert (
        from_wire({"codeRetour": 0}, factures.FacturesRechercherDestinataireResponse).page_info
        is None
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-10", date(2025, 3, 10)),
        ("2025-03-10 14:32", datetime(2025, 3, 10, 14, 32)),
        ("2025-03-10T14:32", datetime(2025, 3, 10, 14, 32)),
        ("2025-03-10T14:32:05", datetime(2025, 3, 10, 14, 32, 5)),
        ("2025-03-10T14:32:05.5", datetime(2025, 3, 10, 14, 32, 5, 500000)),
        ("2025-03-10T14:32:05,123456789", datetime(2025, 3, 10, 14, 32, 5, 123456)),
        ("2025-03-10T14:32:05Z", datetime(2025, 3, 10, 14, 32, 5, tzinfo=timezone.utc)),
        (
            "2025-03-10T14:32:05+01:00",
            datetime(2025, 3, 10, 14, 32, 5, tzinfo=timezone(timedelta(hours=1))),
        ),
        (
            "2025-03-10T14:32:05-0230",
            datetime(2025, 3, 10, 14, 32, 5, tzinfo=timezone(-timedelta(hours=2, minutes=30))),
        ),
        ("2025-03-10 14:32+02", datetime(2025, 3, 10, 14, 32, tzinfo=timezone(timedelta(hours=2)))),
    ],
)
def test_date_and_date_time_formats(text: str, expected: date) -> None:
    parsed = from_wire({"code": "X", "label": "", "date": text}, factures.InvoiceStatus).date
    assert parsed == expected
    assert type(parsed) is type(expected)
    if isinstance(expected, datetime):
        assert parsed.utcoffset() == expected.utcoffset()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1250.50", Decimal("1250.50")),
        (" 1250.50 ", Decimal("1250.50")),
        (1250.5, Decimal("1250.5")),
        (0.1, Decimal("0.1")),
        (1042.08, Decimal("1042.08")),
        (3000, Decimal(3000)),
        (-12.3, Decimal("-12.3")),
    ],
)
def test_amounts_are_read_without_float_rounding(value: Any, expected: Decimal) -> None:
    parsed = from_wire({"montantHT": value}, factures.SupplierInvoice).total_net_amount
    assert parsed == expected
    assert str(parsed) == str(expected)


def test_money_is_written_per_endpoint_convention() -> None:
    filters = factures.FacturesRechercherFournisseurRequest(
        total_net_amount_min=Decimal("1000"), total_gross_amount_max=Decimal("1250.50")
    )
    body = to_wire(filters)
    assert body == {"montantHTMin": 1000, "montantTTCMax": 1250.5}
    # JSON numbers from the Decimals' own digits (never through a float).
    assert encode_json(body) == '{"montantHTMin":1000,"montantTTCMax":1250.50}'
    status = {"code": "DEPOSEE", "label": "Deposee"}
    parsed = from_wire({"returnCode": 0, "message": "", "totalGrossAmount": "1250.50",
                        "chorusInvoiceId": 1, "currentStatus": status},
                       factures.FacturesConsulterResponse)  # fmt: skip
    assert to_wire(parsed)["totalGrossAmount"] == "1250.50"


@pytest.mark.parametrize(
    ("body", "cls", "path", "rule"),
    [
        (
            {"returnCode": 0, "message": "x", "structures": [{"structureId": "abc"}]},
            structures.StructuresRechercherResponse,
            "$.structures[0].structureId",
            "expected an integer, got string 'abc'",
        ),
        (
            {"returnCode": 0, "message": "x", "structures": [{"structureId": 1}]},
            structures.StructuresRechercherResponse,
            "$.structures[0].structureIdentifier",
            "required key missing",
        ),
        (
            {"message": "x"},
            structures.StructuresRechercherResponse,
            "$.returnCode",
            "required key missing",
        ),
        (
            {"returnCode": None, "message": "x"},
            structures.StructuresRechercherResponse,
            "$.returnCode",
            "expected an integer, got null",
        ),
        (
            {"returnCode": True, "message": "x"},
            structures.StructuresRechercherResponse,
            "$.returnCode",
            "got boolean True",
        ),
        # Amounts, dates and sizes are lenient (test_lenient_fields_*); ids, codes,
        # booleans and texts keep their JSON-path errors.
        (
            {"codeRetour": 0, "listeFactures": [{}, {"idDestinataire": "12,50"}]},
            factures.FacturesRechercherFournisseurResponse,
            "$.listeFactures[1].idDestinataire",
            "expected an integer",
        ),
        (
            {"codeRetour": 0, "listeFactures": [{"idServiceExecutant": True}]},
            factures.FacturesRechercherFournisseurResponse,
            "$.listeFactures[0].idServiceExecutant",
            "got boolean True",
        ),
        (
            {"codeRetour": 0, "listeFactures": [{"statut": ["10/03/2025"]}]},
            factures.FacturesRechercherFournisseurResponse,
            "$.listeFactures[0].statut",
            "expected a InvoiceStatusCode code",
        ),
        (
            {"codeRetour": 0, "listeFactures": {"identifiantFactureCPP": 1}},
            factures.FacturesRechercherFournisseurResponse,
            "$.listeFactures",
            "expected an array, got object",
        ),
        (
            {
                "codeRetour": 0,
                "facture": {
                    "identifiantFactureCPP": 1,
                    "lignesDePoste": {"lignePoste": [{"lignePosteNumero": "x"}]},
                },
            },
            valideur.ValideurConsulterResponse,
            "$.facture.lignesDePoste.lignePoste[0].lignePosteNumero",
            "expected an integer",
        ),
        (
            {
                "codeRetour": 0,
                "facture": {
                    "identifiantFactureCPP": 1,
                    "montantTotal": {"montantTVA": "NaN", "motifRemiseGlobaleTTC": 1.5},
                },
            },
            valideur.ValideurConsulterResponse,
            "$.facture.montantTotal.motifRemiseGlobaleTTC",
            "expected a string",
        ),
        (
            ["not", "an", "object"],
            factures.FacturesCompleterResponse,
            "$",
            "expected a JSON object",
        ),
        (
            {"codeRetour": "zero"},
            factures.FacturesCompleterResponse,
            "$.codeRetour",
            "expected an integer",
        ),
        (
            {"returnCode": 0, "message": "", "currentStatus": {"code": 12, "label": "x"}},
            factures.FacturesConsulterResponse,
            "$.currentStatus.code",
            "expected a InvoiceStatusCode code (string), got number 12",
        ),
        (
            {"codeRetour": 0, "facture": {"identifiantFactureCPP": 1, "piecePrecedente": [1]}},
            valideur.ValideurConsulterResponse,
            "$.facture.piecePrecedente",
            "expected an object, got array",
        ),
        # What a successful answer always carries is required, not Optional.
        ({"codeRetour": 0}, valideur.ValideurConsulterResponse, "$.facture", "required key"),
        (
            {"codeRetour": 0, "facture": {"numeroFacture": "F-1"}},
            valideur.ValideurConsulterResponse,
            "$.facture.identifiantFactureCPP",
            "required key missing",
        ),
        (
            {"codeRetour": 0, "statutFacture": "VALIDEE_1"},
            valideur.ValideurTraiterResponse,
            "$.idFacture",
            "required key missing",
        ),
    ],
)
def test_decode_errors_name_the_json_path(body: Any, cls: type, path: str, rule: str) -> None:
    with pytest.raises(ResponseDecodeError) as info:
        from_wire(body, cls)
    message = str(info.value)
    assert f"{path}: " in message
    assert rule in message
    assert cls.__name__ in message
    assert info.value.status_code == 200


def test_decode_error_carries_status_and_content_type_from_raw() -> None:
    raw = RawResponse(
        status=200,
        headers={"content-type": "application/json; charset=utf-8"},
        json={},
        request_id=None,
        method="POST",
        url="http://127.0.0.1/x",
        elapsed=0.0,
    )
    with pytest.raises(ResponseDecodeError) as info:
        from_wire({}, factures.FacturesSoumettreResponse, raw=raw)
    assert info.value.content_type == "application/json; charset=utf-8"
    assert "$.returnCode: required key missing" in str(info.value)
    assert "$.message: required key missing" in str(info.value)
    many = {"codeRetour": 0, "listeFactures": [{"idDestinataire": "x"}] * 8}
    with pytest.raises(ResponseDecodeError, match=r"and 3 more"):
        from_wire(many, factures.FacturesRechercherFournisseurResponse)


def test_lenient_scalars() -> None:
    parsed = from_wire(
        {"idDestinataire": "25827464", "codeDestinataire": 21999012400014, "rejetTraite": "false",
         "taille": 12.0},
        factures.SupplierInvoice,
    )  # fmt: skip
    assert parsed.recipient_structure_id == 25827464
    assert parsed.recipient_code == "21999012400014"
    assert parsed.rejection_processed is False
    assert parsed.size == 12
    # A fractional size is never rounded: kept as received (test_lenient_fields_*).
    with pytest.raises(ResponseDecodeError, match=r"\$\.idDestinataire: expected an integer"):
        from_wire({"idDestinataire": 12.5}, factures.SupplierInvoice)
    with pytest.raises(ResponseDecodeError, match=r"\$\.rejetTraite: expected a boolean"):
        from_wire({"rejetTraite": "peut-etre"}, factures.SupplierInvoice)


# --- download ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "pdf"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "zip"),
        (b"PK\x05\x06" + b"\x00" * 18, "zip"),
        (b'<?xml version="1.0" encoding="UTF-8"?><Invoice/>', "xml"),
        (b'\xef\xbb\xbf<?xml version="1.0"?><a/>', "xml"),
        (b"hello world", "unknown"),
        (b"", "unknown"),
    ],
)
def test_download_content_and_kind(content: bytes, kind: str) -> None:
    encoded = base64.b64encode(content).decode()
    parsed = from_wire(
        {"codeRetour": 0, "fichierBase64": encoded}, factures.FacturesTelechargerGroupeResponse
    )
    assert parsed.content() == content
    assert parsed.content_kind == kind
    assert encoded not in repr(parsed) or not encoded


def test_download_tolerates_line_breaks_and_missing_padding_but_not_garbage() -> None:
    text = base64.encodebytes(b"%PDF-1.4 " * 40).decode()  # with line breaks
    assert (
        from_wire({"fichierBase64": text}, factures.FacturesTelechargerGroupeResponse).content_kind
        == "pdf"
    )
    unpadded = base64.b64encode(b"%PDF-1").decode().rstrip("=")
    padded = from_wire({"fichierBase64": unpadded}, factures.FacturesTelechargerGroupeResponse)
    assert padded.content() == b"%PDF-1"
    garbage = from_wire(
        {"fichierBase64": "!!!not base64!!!"}, factures.FacturesTelechargerGroupeResponse
    )
    assert garbage.content_kind == "unknown"
    with pytest.raises(ResponseDecodeError, match="not valid base64"):
        garbage.content()
    with pytest.raises(ResponseDecodeError, match="no fichierBase64"):
        factures.FacturesTelechargerGroupeResponse().content()


# --- extra pass-through --------------------------------------------------------------------------


def test_extra_is_merged_last_and_unstructured() -> None:
    request = valideur.ValideurTraiterRequest(
        invoice_id=1,
        action="VALIDATION",
        extra={
            "idUtilisateurCourant": 7,
            "dateNative": date(2025, 1, 2),
            "montant": Decimal("2.50"),
        },
    )
    body = to_wire(request)
    assert body == {
        "idFacture": 1,
        "action": "VALIDATION",
        "idUtilisateurCourant": 7,
        "dateNative": "2025-01-02",
        "montant": 2.5,
    }
    assert list(body)[-3:] == ["idUtilisateurCourant", "dateNative", "montant"]
    source = {"a": 1}
    frozen = factures.FacturesRecyclerRequest(invoice_id=1, extra=source)
    source["a"] = 2
    assert frozen.extra == {"a": 1}
    with pytest.raises(TypeError):
        frozen.extra["a"] = 3  # type: ignore[index]


@pytest.mark.parametrize("key", ["motifRefus", "idFacture", "credentials", "action"])
def test_extra_cannot_override_declared_fields(key: str) -> None:
    with pytest.raises(RequestValidationError) as info:
        valideur.ValideurTraiterRequest(invoice_id=1, action="VALIDATION", extra={key: "x"})
    assert info.value.field == "extra"
    assert key in info.value.rule


def test_annotations_resolve_for_every_model() -> None:
    for module in (common, structures, factures, transverses, valideur):
        for name in exported_from(module):
            obj = getattr(module, name)
            if isinstance(obj, type) and attrs.has(obj):
                hints = typing.get_type_hints(obj)
                assert set(hints) >= {a.name for a in attrs.fields(obj)}


def test_example_files_match_the_shared_spec() -> None:
    names = example_names()
    assert len(names) == 36  # the 31 endpoint examples, the token pair and three errors
    if SHARED_EXAMPLES.is_dir():  # the shared spec is only on the development machines
        assert names == sorted(path.stem for path in SHARED_EXAMPLES.glob("*.json"))
    for name in names:
        path = SHARED_EXAMPLES / f"{name}.json"
        if path.exists():
            assert json.loads(path.read_text(encoding="utf-8")) == example(name), name
