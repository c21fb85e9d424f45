"""Client-side validation: every rule names the snake_case field and says what is expected."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factpulse_chorus import RequestValidationError
from factpulse_chorus._converter import to_wire
from factpulse_chorus._validation import (
    MAX_ATTACHMENT_BYTES,
    check_amount,
    check_attachment_size,
    check_invoice_number,
    check_siren,
    check_siret,
    is_valid_siren,
    is_valid_siret,
    luhn_ok,
)
from factpulse_chorus.models.common import ChorusProCredentials, SearchPagination
from factpulse_chorus.models.factures import (
    CompleterFactureRequest,
    ConsulterFactureRequest,
    FiltreDestinataire,
    PieceJointeComplementaire,
    RechercherDestinataireRequest,
    RechercherFournisseurRequest,
    RecyclerFactureRequest,
    SoumettreFactureRequest,
    TelechargerGroupeRequest,
    TraiterFactureRecueRequest,
)
from factpulse_chorus.models.structures import (
    ConsulterStructureRequest,
    ListerServicesRequest,
    ObtenirIdDepuisSiretRequest,
    RechercherStructuresRequest,
)
from factpulse_chorus.models.transverses import AjouterFichierRequest
from factpulse_chorus.models.valideur import (
    ValideurConsulterRequest,
    ValideurRechercherRequest,
    ValideurTraiterRequest,
)

# --- identifiers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "siret",
    [
        "84213765500010",  # the examples' supplier
        "21999012400014",  # recipient
        "26999045300012",  # recipient after recycling
        "90315528100012",  # validator
        "35600000000048",  # La Poste head office: Luhn-valid
        "35600000000001",  # La Poste establishment: digit sum 15, not Luhn-valid
        "35600000049837",
    ],
)
def test_valid_sirets(siret: str) -> None:
    assert is_valid_siret(siret)
    assert check_siret("siret", siret) == siret


@pytest.mark.parametrize(
    ("siret", "rule"),
    [
        ("84213765500011", "Luhn"),
        ("84213765500004", "Luhn"),  # digit sum multiple of 5 but not La Poste
        ("35600000000002", "Luhn"),  # La Poste, digit sum 16
        ("8421376550001", "14 digits"),
        ("842137655000100", "14 digits"),
        ("8421376550001a", "14 digits"),
        ("84213 65500010", "14 digits"),
        ("８４２１３７６５５０００１０", "14 digits"),  # full-width digits are not ASCII
        ("", "14 digits"),
        (84213765500010, "string"),
        (None, "string"),
    ],
)
def test_invalid_sirets(siret: Any, rule: str) -> None:
    assert not is_valid_siret(siret)
    with pytest.raises(RequestValidationError) as info:
        check_siret("siret", siret)
    assert info.value.field == "siret"
    assert rule in info.value.rule
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("siren", "valid"),
    [
        ("842137655", True),
        ("219990124", True),
        ("356000000", True),
        ("842137656", False),
        ("84213765", False),
        ("8421376550", False),
        ("abcdefghi", False),
    ],
)
def test_sirens(siren: str, valid: bool) -> None:
    assert is_valid_siren(siren) is valid
    if valid:
        check_siren("siren", siren)
    else:
        with pytest.raises(RequestValidationError, match=r"^siren: "):
            check_siren("siren", siren)


@settings(max_examples=200, deadline=None, database=None)
@given(st.text("0123456789", min_size=1, max_size=20))
def test_luhn_matches_a_reference_implementation(digits: str) -> None:
    total = 0
    for index, char in enumerate(digits[::-1]):
        value = int(char) * (1 + index % 2)
        total += value // 10 + value % 10
    assert luhn_ok(digits) is (total % 10 == 0)


@settings(max_examples=100, deadline=None, database=None)
@given(st.text("0123456789", min_size=13, max_size=13), st.integers(0, 9))
def test_exactly_one_key_digit_makes_a_siret_luhn_valid(prefix: str, key: int) -> None:
    valid_keys = [k for k in range(10) if luhn_ok(prefix + str(k))]
    assert len(valid_keys) == 1
    if not prefix.startswith("356000000"):
        assert is_valid_siret(prefix + str(key)) is (key in valid_keys)


# --- invoice numbers, amounts, dates ------------------------------------------------------------


@pytest.mark.parametrize("number", ["F2025-0042", "A", "ST-2025-009", "a_b/c+d-e", "X" * 20])
def test_valid_invoice_numbers(number: str) -> None:
    assert check_invoice_number("invoice_number", number) == number


@pytest.mark.parametrize(
    ("number", "rule"),
    [
        ("", "1 to 20 characters"),
        ("X" * 21, "1 to 20 characters"),
        ("F 2025", "letters, digits and the characters - _ / +"),
        ("F2025#1", "letters, digits"),
        ("Facturé-1", "letters, digits"),
        ("F.2025", "letters, digits"),
        (42, "must be a string"),
    ],
)
def test_invalid_invoice_numbers(number: Any, rule: str) -> None:
    with pytest.raises(RequestValidationError) as info:
        check_invoice_number("invoice_number", number)
    assert info.value.field == "invoice_number"
    assert rule in info.value.rule


@pytest.mark.parametrize(
    "amount", [Decimal("0"), Decimal("1250.5"), Decimal("1250.50"), Decimal("1.500"), Decimal("-3")]
)
def test_valid_amounts(amount: Decimal) -> None:
    assert check_amount("vat_amount", amount) == amount


@pytest.mark.parametrize(
    ("amount", "rule"),
    [
        (1250.5, "decimal.Decimal"),
        (1250, "decimal.Decimal"),
        ("1250.50", "decimal.Decimal"),
        (True, "decimal.Decimal"),
        (Decimal("NaN"), "finite"),
        (Decimal("Infinity"), "finite"),
        (Decimal("1.005"), "at most 2 decimals"),
        (Decimal("1E+30"), "at most 2 decimals"),  # beyond the context precision
    ],
)
def test_invalid_amounts(amount: Any, rule: str) -> None:
    with pytest.raises(RequestValidationError) as info:
        check_amount("vat_amount", amount)
    assert info.value.field == "vat_amount"
    assert rule in info.value.rule


def _invoice(**overrides: Any) -> SoumettreFactureRequest:
    values: dict[str, Any] = {
        "invoice_number": "F2025-0042",
        "invoice_date": date(2025, 3, 10),
        "structure_id": 25827464,
        "total_net_amount": Decimal("1042.08"),
        "vat_amount": Decimal("208.42"),
        "total_gross_amount": Decimal("1250.50"),
    }
    values.update(overrides)
    return SoumettreFactureRequest(**values)


def test_a_valid_invoice_request_sends_two_decimal_strings() -> None:
    body = to_wire(_invoice(total_gross_amount=Decimal("1250.5"), vat_amount=Decimal("208.420")))
    assert body["totalGrossAmount"] == "1250.50"
    assert body["vatAmount"] == "208.42"
    assert body["totalNetAmount"] == "1042.08"
    assert "paymentDueDate" not in body
    assert "credentials" not in body


# --- every request rule: (constructor, field, words of the rule) ---------------------------------

CREDS = {
    "piste_client_id": "id",
    "piste_client_secret": "secret",
    "chorus_pro_login": "login",
    "chorus_pro_password": "password",
}

CASES: list[tuple[str, Callable[[], Any], str, str]] = [
    # soumettre
    ("net+vat!=gross", lambda: _invoice(total_gross_amount=Decimal("1250.51")),
     "total_gross_amount", "must equal total_net_amount + vat_amount"),
    ("float amount", lambda: _invoice(vat_amount=208.42), "vat_amount", "decimal.Decimal"),
    ("3 decimals", lambda: _invoice(total_net_amount=Decimal("1042.081")), "total_net_amount",
     "at most 2 decimals"),
    ("date as string", lambda: _invoice(invoice_date="2025-03-10"), "invoice_date",
     "datetime.date"),
    ("datetime as date", lambda: _invoice(invoice_date=datetime(2025, 3, 10, 12)), "invoice_date",
     "without a time"),
    ("due date", lambda: _invoice(payment_due_date="2025-04-09"), "payment_due_date",
     "datetime.date"),
    ("bad number", lambda: _invoice(invoice_number="F 42"), "invoice_number", "letters"),
    ("bool id", lambda: _invoice(structure_id=True), "structure_id", "positive integer"),
    ("zero id", lambda: _invoice(structure_id=0), "structure_id", "positive integer"),
    ("negative attachment", lambda: _invoice(main_attachment_id=-1), "main_attachment_id",
     "positive integer"),
    ("long label", lambda: _invoice(main_attachment_label="x" * 101), "main_attachment_label",
     "at most 100 characters"),
    ("long comment", lambda: _invoice(comment="x" * 2001), "comment", "at most 2000 characters"),
    ("blank service", lambda: _invoice(service_code="  "), "service_code", "not be blank"),
    # structures
    ("bad siret", lambda: ObtenirIdDepuisSiretRequest(siret="84213765500011"), "siret", "Luhn"),
    ("short siret", lambda: ObtenirIdDepuisSiretRequest(siret="842137655"), "siret", "14 digits"),
    ("bad siren", lambda: ObtenirIdDepuisSiretRequest(siret="842137656", identifier_type="SIREN"),
     "siret", "SIREN"),
    ("blank siret", lambda: ObtenirIdDepuisSiretRequest(siret=" "), "siret", "not be blank"),
    ("search siret", lambda: RechercherStructuresRequest(structure_identifier="123",
     structure_identifier_type="SIRET"), "structure_identifier", "14 digits"),
    ("restrict", lambda: RechercherStructuresRequest(restrict_private_structures="no"),
     "restrict_private_structures", "True or False"),
    ("language", lambda: ConsulterStructureRequest(structure_id=1, language_code="FR"),
     "language_code", "'fr' or 'en'"),
    ("structure id", lambda: ConsulterStructureRequest(structure_id="25827464"), "structure_id",
     "positive integer"),
    ("services id", lambda: ListerServicesRequest(id_structure_cpp=-5), "id_structure_cpp",
     "positive integer"),
    # consulter
    ("invoice id", lambda: ConsulterFactureRequest(chorus_invoice_id=False), "chorus_invoice_id",
     "positive integer"),
    # credentials
    ("blank secret", lambda: ChorusProCredentials(**{**CREDS, "piste_client_secret": ""}),
     "credentials.piste_client_secret", "not be blank"),
    ("login type", lambda: ChorusProCredentials(**{**CREDS, "chorus_pro_login": None}),
     "credentials.chorus_pro_login", "string"),
    ("sandbox type", lambda: ChorusProCredentials(**CREDS, sandbox="false"), "credentials.sandbox",
     "True or False"),
    # pagination
    ("page 0", lambda: SearchPagination(page=0), "pagination.page", ">= 1"),
    ("page bool", lambda: SearchPagination(page=True), "pagination.page", ">= 1"),
    ("page size 0", lambda: SearchPagination(page_size=0), "pagination.page_size",
     "between 1 and 200"),
    ("page size 201", lambda: SearchPagination(page_size=201), "pagination.page_size",
     "between 1 and 200"),
    ("sort", lambda: SearchPagination(sort_direction="UP"), "pagination.sort_direction",
     "Ascendant, Descendant"),
    # searches
    ("status list", lambda: RechercherFournisseurRequest(statut_courant=["", "SUSPENDUE"]),
     "statut_courant", "non-blank"),
    ("filter amount", lambda: RechercherFournisseurRequest(montant_ht_min=1000.5),
     "montant_ht_min", "decimal.Decimal"),
    ("filter date", lambda: RechercherFournisseurRequest(periode_date_depot_du="2025-03-01"),
     "periode_date_depot_du", "datetime.date"),
    ("filter date-time", lambda: RechercherDestinataireRequest(
        periode_date_heure_etat_courant_du="2025-03-01"), "periode_date_heure_etat_courant_du",
     "datetime.date or datetime.datetime"),
    ("recipients", lambda: RechercherFournisseurRequest(liste_destinataire=[{"idDestinataire": 1}]),
     "liste_destinataire", "FiltreDestinataire"),
    ("recipient id", lambda: FiltreDestinataire(id_destinataire=0),
     "liste_destinataire.id_destinataire", "positive integer"),
    ("user ids", lambda: RechercherFournisseurRequest(id_utilisateur_createur=[1, -2]),
     "id_utilisateur_createur[1]", "positive integer"),
    ("types", lambda: RechercherDestinataireRequest(liste_type_facture=["FACTURE", " "]),
     "liste_type_facture[1]", "not be blank"),
    ("validator id", lambda: ValideurRechercherRequest(id_structure_valideur=0),
     "id_structure_valideur", "positive integer"),
    # telecharger
    ("no ids", lambda: TelechargerGroupeRequest(liste_identifiants_facture_cpp=[],
     format_fichier="PDF"), "liste_identifiants_facture_cpp", "at least one"),
    ("bad id", lambda: TelechargerGroupeRequest(liste_identifiants_facture_cpp=[1, 0],
     format_fichier="PDF"), "liste_identifiants_facture_cpp[1]", "positive integer"),
    ("format", lambda: TelechargerGroupeRequest(liste_identifiants_facture_cpp=[1],
     format_fichier="DOCX"), "format_fichier", "PDF, XML, ZIP"),
    # traiter-facture-recue
    ("reason suspend", lambda: TraiterFactureRecueRequest(identifiant_facture_cpp=1,
     nouveau_statut="SUSPENDUE"), "motif_rejet", "required when nouveau_statut is SUSPENDUE"),
    ("reason reject", lambda: TraiterFactureRecueRequest(identifiant_facture_cpp=1,
     nouveau_statut="REJETEE", motif_rejet="  "), "motif_rejet", "not be blank"),
    ("target", lambda: TraiterFactureRecueRequest(identifiant_facture_cpp=1,
     nouveau_statut="DEPOSEE"), "nouveau_statut", "must be one of MISE_A_DISPOSITION"),
    ("target type", lambda: TraiterFactureRecueRequest(identifiant_facture_cpp=1,
     nouveau_statut=3), "nouveau_statut", "must be one of"),
    ("traiter comment", lambda: TraiterFactureRecueRequest(identifiant_facture_cpp=1,
     nouveau_statut="MANDATEE", commentaire="x" * 2001), "commentaire", "2000"),
    ("traiter id", lambda: TraiterFactureRecueRequest(identifiant_facture_cpp=None,
     nouveau_statut="MANDATEE"), "identifiant_facture_cpp", "positive integer"),
    # completer
    ("empty completion", lambda: CompleterFactureRequest(identifiant_facture_cpp=1),
     "commentaire", "at least one"),
    ("empty list", lambda: CompleterFactureRequest(identifiant_facture_cpp=1,
     liste_pieces_jointes=[]), "commentaire", "at least one"),
    ("attachment name", lambda: PieceJointeComplementaire(piece_jointe_id_fichier=1,
     piece_jointe_nom="x" * 101), "liste_pieces_jointes.piece_jointe_nom", "100"),
    ("attachment id", lambda: PieceJointeComplementaire(piece_jointe_id_fichier=0,
     piece_jointe_nom="a.pdf"), "liste_pieces_jointes.piece_jointe_id_fichier", "positive"),
    ("attachments type", lambda: CompleterFactureRequest(identifiant_facture_cpp=1,
     liste_pieces_jointes=[4817302]), "liste_pieces_jointes", "PieceJointeComplementaire"),
    # recycler
    ("no routing", lambda: RecyclerFactureRequest(identifiant_facture_cpp=1), "id_structure_cpp",
     "at least one of"),
    ("blank engagement", lambda: RecyclerFactureRequest(identifiant_facture_cpp=1,
     numero_engagement=""), "numero_engagement", "not be blank"),
    # ajouter-fichier
    ("extension dot", lambda: AjouterFichierRequest(piece_jointe_fichier="JVBERg==",
     piece_jointe_nom="a.pdf", piece_jointe_type_mime="application/pdf",
     piece_jointe_extension=".pdf"), "piece_jointe_extension", "without the dot"),
    ("blank mime", lambda: AjouterFichierRequest(piece_jointe_fichier="JVBERg==",
     piece_jointe_nom="a.pdf", piece_jointe_type_mime=" ", piece_jointe_extension="PDF"),
     "piece_jointe_type_mime", "not be blank"),
    # valideur
    ("refus reason", lambda: ValideurTraiterRequest(id_facture=1, action="REFUS"), "motif_refus",
     "required when action is REFUS or REJET"),
    ("rejet reason", lambda: ValideurTraiterRequest(id_facture=1, action="REJET", motif_refus=""),
     "motif_refus", "not be blank"),
    ("action", lambda: ValideurTraiterRequest(id_facture=1, action="APPROUVER"), "action",
     "VALIDATION, REFUS"),
    ("complement", lambda: ValideurTraiterRequest(id_facture=1, action="VALIDATION",
     complement_info="x" * 2001), "complement_info", "2000"),
    ("langue", lambda: ValideurConsulterRequest(id_facture=1, code_langue="fr"), "code_langue",
     "'FR' or 'EN'"),
    ("valideur id", lambda: ValideurConsulterRequest(id_facture=2.0), "id_facture",
     "positive integer"),
    ("extra key", lambda: ValideurConsulterRequest(id_facture=1, extra={"codeLangue": "FR"}),
     "extra", "declared field"),
    ("extra key type", lambda: ValideurConsulterRequest(id_facture=1, extra={1: "x"}), "extra",
     "strings"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("build", "field", "rule"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_request_rules_name_the_field_and_the_rule(
    build: Callable[[], Any], field: str, rule: str
) -> None:
    with pytest.raises(RequestValidationError) as info:
        build()
    assert info.value.field == field
    assert rule in info.value.rule
    assert str(info.value) == f"{field}: {info.value.rule}"


def test_rules_also_apply_to_evolve() -> None:
    request = TraiterFactureRecueRequest(identifiant_facture_cpp=1, nouveau_statut="MANDATEE")
    with pytest.raises(RequestValidationError, match="motif_rejet"):
        attrs.evolve(request, nouveau_statut="REJETEE")


@pytest.mark.parametrize("status", ["MISE_A_DISPOSITION", "MANDATEE", "SERVICE_FAIT", "a_recycler"])
def test_reason_is_optional_for_other_targets(status: str) -> None:
    request = TraiterFactureRecueRequest(identifiant_facture_cpp=1, nouveau_statut=status)
    assert "motifRejet" not in to_wire(request)


@pytest.mark.parametrize("action", ["VALIDATION", "SUSPENSION", "MISE_EN_RECYCLAGE", "validation"])
def test_refusal_reason_is_optional_for_other_actions(action: str) -> None:
    ValideurTraiterRequest(id_facture=1, action=action)


def test_optional_rules_accept_their_valid_forms() -> None:
    CompleterFactureRequest(identifiant_facture_cpp=1, commentaire="ok")
    CompleterFactureRequest(
        identifiant_facture_cpp=1,
        liste_pieces_jointes=[
            PieceJointeComplementaire(piece_jointe_id_fichier=1, piece_jointe_nom="a")
        ],
    )
    CompleterFactureRequest(identifiant_facture_cpp=1, extra={"pieceJointeComplementaire": []})
    RecyclerFactureRequest(identifiant_facture_cpp=1, code_service="SERV-ACHATS")
    RechercherDestinataireRequest(periode_date_heure_etat_courant_du=datetime(2025, 3, 1, 8, 0))
    RechercherStructuresRequest(
        structure_identifier="FR123", structure_identifier_type="UE_HORS_FRANCE"
    )
    RechercherStructuresRequest(structure_identifier="842137655", structure_identifier_type="SIREN")
    ObtenirIdDepuisSiretRequest(siret="BE0123456789", identifier_type="UE_HORS_FRANCE")
    request = TelechargerGroupeRequest(liste_identifiants_facture_cpp=7412589, format_fichier="pdf")
    assert to_wire(request) == {"listeIdentifiantsFactureCPP": [7412589], "formatFichier": "PDF"}
    filters = RechercherFournisseurRequest(statut_courant="service-fait")
    assert to_wire(filters) == {"statutCourant": ["SERVICE-FAIT"]}


# --- attachments ----------------------------------------------------------------------------------


def test_attachment_size_limit_is_on_decoded_bytes() -> None:
    exactly = "A" * (MAX_ATTACHMENT_BYTES // 3 * 4) + "AA=="  # 10 MiB decoded, to the byte
    assert len(base64.b64decode(exactly)) == MAX_ATTACHMENT_BYTES
    assert check_attachment_size("piece_jointe_fichier", exactly) == exactly
    with pytest.raises(RequestValidationError) as info:
        check_attachment_size("piece_jointe_fichier", exactly[:-2] + "A=")  # one byte more
    assert info.value.field == "piece_jointe_fichier"
    assert "10 MiB" in info.value.rule
    wrapped = "\n".join(exactly[i : i + 76] for i in range(0, len(exactly), 76))
    check_attachment_size("piece_jointe_fichier", wrapped)  # line breaks do not count


def test_attachment_from_bytes() -> None:
    request = AjouterFichierRequest.from_bytes(b"%PDF-1.7 content", piece_jointe_nom="F-42.pdf")
    assert to_wire(request) == {
        "pieceJointeFichier": base64.b64encode(b"%PDF-1.7 content").decode(),
        "pieceJointeNom": "F-42.pdf",
        "pieceJointeTypeMime": "application/pdf",
        "pieceJointeExtension": "PDF",
    }
    assert "pieceJointeFichier" not in repr(request)
    assert "JVBER" not in repr(request)
    with pytest.raises(RequestValidationError) as info:
        AjouterFichierRequest.from_bytes(
            b"x" * (MAX_ATTACHMENT_BYTES + 1), piece_jointe_nom="a.pdf"
        )
    assert info.value.field == "piece_jointe_fichier"
    with pytest.raises(RequestValidationError) as info:
        AjouterFichierRequest.from_bytes(b"x", piece_jointe_nom="README")
    assert info.value.field == "piece_jointe_extension"
    unknown = AjouterFichierRequest.from_bytes(
        b"x", piece_jointe_nom="data.zzqq", piece_jointe_type_mime=None
    )
    assert unknown.piece_jointe_type_mime == "application/octet-stream"
    assert unknown.piece_jointe_extension == "ZZQQ"


def test_validation_errors_never_echo_credentials() -> None:
    with pytest.raises(RequestValidationError) as info:
        ChorusProCredentials(**{**CREDS, "chorus_pro_password": "   "})
    assert "password" not in info.value.rule
    with pytest.raises(RequestValidationError) as info:
        ConsulterFactureRequest(
            chorus_invoice_id=0,
            credentials=ChorusProCredentials(**{**CREDS, "piste_client_secret": "TOPSECRET"}),
        )
    assert "TOPSECRET" not in str(info.value)
