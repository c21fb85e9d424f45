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
    AdditionalAttachment,
    FacturesCompleterRequest,
    FacturesConsulterRequest,
    FacturesRechercherDestinataireRequest,
    FacturesRechercherFournisseurRequest,
    FacturesRecyclerRequest,
    FacturesSoumettreRequest,
    FacturesTelechargerGroupeRequest,
    FacturesTraiterFactureRecueRequest,
    RecipientFilter,
)
from factpulse_chorus.models.structures import (
    StructuresConsulterRequest,
    StructuresListerServicesRequest,
    StructuresObtenirIdDepuisSiretRequest,
    StructuresRechercherRequest,
)
from factpulse_chorus.models.transverses import TransversesAjouterFichierRequest
from factpulse_chorus.models.valideur import (
    ValideurConsulterRequest,
    ValideurRechercherRequest,
    ValideurTraiterRequest,
)

SiretRequest = StructuresObtenirIdDepuisSiretRequest

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
        (Decimal("1E+30"), "16 digits before the decimal point"),  # too big, not too precise
        (Decimal("12345678901234567"), "16 digits before the decimal point"),
    ],
)
def test_invalid_amounts(amount: Any, rule: str) -> None:
    with pytest.raises(RequestValidationError) as info:
        check_amount("vat_amount", amount)
    assert info.value.field == "vat_amount"
    assert rule in info.value.rule


def _invoice(**overrides: Any) -> FacturesSoumettreRequest:
    values: dict[str, Any] = {
        "invoice_number": "F2025-0042",
        "invoice_date": date(2025, 3, 10),
        "structure_id": 25827464,
        "total_net_amount": Decimal("1042.08"),
        "vat_amount": Decimal("208.42"),
        "total_gross_amount": Decimal("1250.50"),
    }
    values.update(overrides)
    return FacturesSoumettreRequest(**values)


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
    ("negative attachment", lambda: _invoice(attachment_id=-1), "attachment_id",
     "positive integer"),
    ("long label", lambda: _invoice(attachment_label="x" * 101), "attachment_label",
     "at most 100 characters"),
    ("long comment", lambda: _invoice(comment="x" * 2001), "comment", "at most 2000 characters"),
    ("blank service", lambda: _invoice(service_code="  "), "service_code", "not be blank"),
    # structures
    ("bad siret", lambda: SiretRequest(siret="84213765500011"), "siret", "Luhn"),
    ("short siret", lambda: SiretRequest(siret="842137655"), "siret", "14 digits"),
    ("bad siren", lambda: SiretRequest(siret="842137656", identifier_type="SIREN"),
     "siret", "SIREN"),
    ("blank siret", lambda: SiretRequest(siret=" "), "siret", "not be blank"),
    ("search siret", lambda: StructuresRechercherRequest(structure_identifier="123",
     structure_identifier_type="SIRET"), "structure_identifier", "14 digits"),
    ("restrict", lambda: StructuresRechercherRequest(restrict_private_structures="no"),
     "restrict_private_structures", "True or False"),
    ("language", lambda: StructuresConsulterRequest(structure_id=1, language_code="DE"),
     "language_code", "'fr' or 'en'"),
    ("structure id", lambda: StructuresConsulterRequest(structure_id="25827464"), "structure_id",
     "positive integer"),
    ("services id", lambda: StructuresListerServicesRequest(structure_id=-5), "structure_id",
     "positive integer"),
    # consulter
    ("invoice id", lambda: FacturesConsulterRequest(invoice_id=False), "invoice_id",
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
    ("status list", lambda: FacturesRechercherFournisseurRequest(status=["", "SUSPENDUE"]),
     "status", "non-blank"),
    ("filter amount", lambda: FacturesRechercherFournisseurRequest(total_net_amount_min=1000.5),
     "total_net_amount_min", "decimal.Decimal"),
    ("filter date", lambda: FacturesRechercherFournisseurRequest(deposit_date_from="2025-03-01"),
     "deposit_date_from", "datetime.date"),
    ("filter date-time", lambda: FacturesRechercherDestinataireRequest(
        status_date_from="2025-03-01"), "status_date_from",
     "datetime.date or datetime.datetime"),
    ("recipients", lambda: FacturesRechercherFournisseurRequest(recipients=[{"idDestinataire": 1}]),
     "recipients", "RecipientFilter"),
    ("recipient id", lambda: RecipientFilter(recipient_structure_id=0),
     "recipients.recipient_structure_id", "positive integer"),
    ("user ids", lambda: FacturesRechercherFournisseurRequest(creator_user_id=[1, -2]),
     "creator_user_id[1]", "positive integer"),
    ("types", lambda: FacturesRechercherDestinataireRequest(invoice_types=["FACTURE", " "]),
     "invoice_types[1]", "not be blank"),
    ("validator id", lambda: ValideurRechercherRequest(validator_structure_id=0),
     "validator_structure_id", "positive integer"),
    # telecharger
    ("no ids", lambda: FacturesTelechargerGroupeRequest(invoice_ids=[],
     file_format="PDF"), "invoice_ids", "at least one"),
    ("bad id", lambda: FacturesTelechargerGroupeRequest(invoice_ids=[1, 0],
     file_format="PDF"), "invoice_ids[1]", "positive integer"),
    ("format", lambda: FacturesTelechargerGroupeRequest(invoice_ids=[1],
     file_format="DOCX"), "file_format", "PDF, XML, ZIP"),
    # traiter-facture-recue
    ("reason suspend", lambda: FacturesTraiterFactureRecueRequest(invoice_id=1,
     new_status="SUSPENDUE"), "reason", "required when new_status is SUSPENDUE"),
    ("reason reject", lambda: FacturesTraiterFactureRecueRequest(invoice_id=1,
     new_status="REJETEE", reason="  "), "reason", "not be blank"),
    ("target", lambda: FacturesTraiterFactureRecueRequest(invoice_id=1,
     new_status="DEPOSEE"), "new_status", "must be one of MISE_A_DISPOSITION"),
    ("target type", lambda: FacturesTraiterFactureRecueRequest(invoice_id=1,
     new_status=3), "new_status", "must be one of"),
    ("traiter comment", lambda: FacturesTraiterFactureRecueRequest(invoice_id=1,
     new_status="MANDATEE", comment="x" * 2001), "comment", "2000"),
    ("traiter id", lambda: FacturesTraiterFactureRecueRequest(invoice_id=None,
     new_status="MANDATEE"), "invoice_id", "positive integer"),
    # completer
    ("empty completion", lambda: FacturesCompleterRequest(invoice_id=1),
     "comment", "at least one"),
    ("empty list", lambda: FacturesCompleterRequest(invoice_id=1,
     attachments=[]), "comment", "at least one"),
    ("attachment name", lambda: AdditionalAttachment(attachment_id=1,
     name="x" * 101), "attachments.name", "100"),
    ("attachment id", lambda: AdditionalAttachment(attachment_id=0,
     name="a.pdf"), "attachments.attachment_id", "positive"),
    ("attachments type", lambda: FacturesCompleterRequest(invoice_id=1,
     attachments=[4817302]), "attachments", "AdditionalAttachment"),
    # recycler
    ("no routing", lambda: FacturesRecyclerRequest(invoice_id=1), "structure_id",
     "at least one of"),
    ("blank engagement", lambda: FacturesRecyclerRequest(invoice_id=1,
     engagement_number=""), "engagement_number", "not be blank"),
    # ajouter-fichier
    ("extension dot", lambda: TransversesAjouterFichierRequest(file_base64="JVBERg==",
     name="a.pdf", mime_type="application/pdf",
     extension=".pdf"), "extension", "without the dot"),
    ("blank mime", lambda: TransversesAjouterFichierRequest(file_base64="JVBERg==",
     name="a.pdf", mime_type=" ", extension="PDF"),
     "mime_type", "not be blank"),
    # valideur
    ("refus reason", lambda: ValideurTraiterRequest(invoice_id=1, action="REFUS"), "reason",
     "required when action is REFUS or REJET"),
    ("rejet reason", lambda: ValideurTraiterRequest(invoice_id=1, action="REJET", reason=""),
     "reason", "not be blank"),
    ("action", lambda: ValideurTraiterRequest(invoice_id=1, action="APPROUVER"), "action",
     "VALIDATION, REFUS"),
    ("complement", lambda: ValideurTraiterRequest(invoice_id=1, action="VALIDATION",
     comment="x" * 2001), "comment", "2000"),
    ("langue", lambda: ValideurConsulterRequest(invoice_id=1, language_code="IT"),
     "language_code", "'fr' or 'en'"),
    ("valideur id", lambda: ValideurConsulterRequest(invoice_id=2.0), "invoice_id",
     "positive integer"),
    ("extra key", lambda: ValideurConsulterRequest(invoice_id=1, extra={"codeLangue": "FR"}),
     "extra", "declared field"),
    ("extra key type", lambda: ValideurConsulterRequest(invoice_id=1, extra={1: "x"}), "extra",
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
    request = FacturesTraiterFactureRecueRequest(invoice_id=1, new_status="MANDATEE")
    with pytest.raises(RequestValidationError, match="reason"):
        attrs.evolve(request, new_status="REJETEE")


@pytest.mark.parametrize("status", ["MISE_A_DISPOSITION", "MANDATEE", "SERVICE_FAIT", "a_recycler"])
def test_reason_is_optional_for_other_targets(status: str) -> None:
    request = FacturesTraiterFactureRecueRequest(invoice_id=1, new_status=status)
    assert "motifRejet" not in to_wire(request)


@pytest.mark.parametrize("action", ["VALIDATION", "SUSPENSION", "MISE_EN_RECYCLAGE", "validation"])
def test_refusal_reason_is_optional_for_other_actions(action: str) -> None:
    ValideurTraiterRequest(invoice_id=1, action=action)


def test_optional_rules_accept_their_valid_forms() -> None:
    FacturesCompleterRequest(invoice_id=1, comment="ok")
    FacturesCompleterRequest(
        invoice_id=1,
        attachments=[AdditionalAttachment(attachment_id=1, name="a")],
    )
    FacturesCompleterRequest(invoice_id=1, extra={"pieceJointeComplementaire": []})
    FacturesRecyclerRequest(invoice_id=1, service_code="SERV-ACHATS")
    FacturesRechercherDestinataireRequest(status_date_from=datetime(2025, 3, 1, 8, 0))
    StructuresRechercherRequest(
        structure_identifier="FR123", structure_identifier_type="UE_HORS_FRANCE"
    )
    StructuresRechercherRequest(structure_identifier="842137655", structure_identifier_type="SIREN")
    StructuresObtenirIdDepuisSiretRequest(siret="BE0123456789", identifier_type="UE_HORS_FRANCE")
    request = FacturesTelechargerGroupeRequest(invoice_ids=7412589, file_format="pdf")
    assert to_wire(request) == {"listeIdentifiantsFactureCPP": [7412589], "formatFichier": "PDF"}
    filters = FacturesRechercherFournisseurRequest(status="service-fait")
    assert to_wire(filters) == {"statutCourant": ["SERVICE-FAIT"]}


# --- attachments ----------------------------------------------------------------------------------


def test_attachment_size_limit_is_on_decoded_bytes() -> None:
    exactly = "A" * (MAX_ATTACHMENT_BYTES // 3 * 4) + "AA=="  # 10 MiB decoded, to the byte
    assert len(base64.b64decode(exactly)) == MAX_ATTACHMENT_BYTES
    assert check_attachment_size("file_base64", exactly) == exactly
    with pytest.raises(RequestValidationError) as info:
        check_attachment_size("file_base64", exactly[:-2] + "A=")  # one byte more
    assert info.value.field == "file_base64"
    assert "10 MiB" in info.value.rule
    wrapped = "\n".join(exactly[i : i + 76] for i in range(0, len(exactly), 76))
    check_attachment_size("file_base64", wrapped)  # line breaks do not count


def test_attachment_from_bytes() -> None:
    request = TransversesAjouterFichierRequest.from_bytes(b"%PDF-1.7 content", name="F-42.pdf")
    assert to_wire(request) == {
        "pieceJointeFichier": base64.b64encode(b"%PDF-1.7 content").decode(),
        "pieceJointeNom": "F-42.pdf",
        "pieceJointeTypeMime": "application/pdf",
        "pieceJointeExtension": "PDF",
    }
    assert "pieceJointeFichier" not in repr(request)
    assert "JVBER" not in repr(request)
    with pytest.raises(RequestValidationError) as info:
        TransversesAjouterFichierRequest.from_bytes(b"x" * (MAX_ATTACHMENT_BYTES + 1), name="a.pdf")
    assert info.value.field == "file"
    with pytest.raises(RequestValidationError) as info:
        TransversesAjouterFichierRequest.from_bytes(b"x", name="README")
    assert info.value.field == "extension"
    unknown = TransversesAjouterFichierRequest.from_bytes(b"x", name="data.zzqq", mime_type=None)
    assert unknown.mime_type == "application/octet-stream"
    assert unknown.extension == "ZZQQ"


def test_validation_errors_never_echo_credentials() -> None:
    with pytest.raises(RequestValidationError) as info:
        ChorusProCredentials(**{**CREDS, "chorus_pro_password": "   "})
    assert "password" not in info.value.rule
    with pytest.raises(RequestValidationError) as info:
        FacturesConsulterRequest(
            invoice_id=0,
            credentials=ChorusProCredentials(**{**CREDS, "piste_client_secret": "TOPSECRET"}),
        )
    assert "TOPSECRET" not in str(info.value)


def test_language_code_is_one_concept_sent_in_each_endpoints_case() -> None:
    from factpulse_chorus._converter import to_wire

    typed = StructuresConsulterRequest(structure_id=1, language_code="EN")
    assert to_wire(typed) == {"structureId": 1, "languageCode": "en"}
    native = ValideurConsulterRequest(invoice_id=1, language_code="fr")
    assert to_wire(native) == {"idFacture": 1, "codeLangue": "FR"}
    for build in (
        lambda: StructuresConsulterRequest(structure_id=1, language_code="de"),  # type: ignore[arg-type]
        lambda: ValideurConsulterRequest(invoice_id=1, language_code=3),  # type: ignore[arg-type]
    ):
        with pytest.raises(RequestValidationError) as info:
            build()
        assert info.value.field == "language_code"
