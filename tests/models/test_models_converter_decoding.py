"""Lenient decoding: absent and null values, fallback names, date and amount formats,
and decode errors that name the JSON path."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from factpulse_chorus import ResponseDecodeError
from factpulse_chorus._converter import encode_json, from_wire, to_wire
from factpulse_chorus.models import factures, structures, transverses, valideur
from factpulse_chorus.models.common import PageInfo, RawResponse

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
