"""Files in the sandbox domain: telecharger-groupe (PDF, XML, ZIP) and ajouter-fichier."""

from __future__ import annotations

import base64
import io
import xml.etree.ElementTree as ET
import zipfile
from typing import Any

import pytest
from sandbox_domain_support import (
    CH_LOGIN,
    delivered,
    example,
    is_error,
    make_domain,
    submit,
    upload,
)

from factpulse_chorus.sandbox._domain import Domain

# == telecharger-groupe ======================================================================


def download(domain: Domain, ids: list[int], fmt: str, login: str = "omni", **extra: Any):
    reply = domain.factures_telecharger_groupe(
        login, {"listeIdentifiantsFactureCPP": ids, "formatFichier": fmt, **extra}
    )
    assert set(reply) == set(example("factures-telecharger-groupe.response")), reply
    assert reply["codeRetour"] == 0
    return base64.b64decode(reply["fichierBase64"], validate=True)


def check_pdf(data: bytes, number: str) -> None:
    assert data.startswith(b"%PDF-1.7\n")
    assert data.rstrip().endswith(b"%%EOF")
    assert number.encode() in data
    startxref = int(data.rsplit(b"startxref", 1)[1].split()[0])
    assert data[startxref:].startswith(b"xref")
    entries = data[startxref:].split(b"\n")[3:]
    for number_, entry in enumerate(entries, start=1):
        if not entry.endswith(b" n "):
            break
        offset = int(entry[:10])
        assert data[offset:].startswith(b"%d 0 obj" % number_)


def test_telecharger_pdf_and_xml(domain: Domain) -> None:
    invoice_id = delivered(domain)
    number = domain.invoice_snapshot(invoice_id)["invoice_number"]  # type: ignore[index]
    check_pdf(download(domain, [invoice_id], "PDF"), number)
    xml = download(domain, [invoice_id], "XML")
    assert xml.startswith(b"<?xml")
    root = ET.fromstring(xml)
    assert root.tag.endswith("CrossIndustryInvoice")
    text = xml.decode()
    assert number in text
    assert "1250.50" in text
    assert "1042.08" in text
    assert "20250310" in text


def test_telecharger_zip_and_several_pdfs(domain: Domain) -> None:
    attachment = b"%PDF-1.7 the uploaded Factur-X"
    first = submit(domain, mainAttachmentId=upload(domain, data=attachment))
    second = seeded = domain.seed_invoice(status="MISE_A_DISPOSITION", validators=())
    archive = zipfile.ZipFile(io.BytesIO(download(domain, [first, seeded], "ZIP")))
    names = archive.namelist()
    folders = {name.split("/")[0] for name in names}
    assert len(folders) == 2
    first_files = [n for n in names if n.startswith(f"{first}_")]
    assert sum(n.endswith(".pdf") and "pieces_jointes" not in n for n in first_files) == 1
    assert sum(n.endswith(".xml") for n in first_files) == 1
    (attached,) = [n for n in first_files if "pieces_jointes" in n]
    assert archive.read(attached) == attachment
    for name in names:
        if name.endswith(".xml"):
            assert archive.read(name).startswith(b"<?xml")
        elif "pieces_jointes" not in name:
            assert archive.read(name).startswith(b"%PDF")
    bare = zipfile.ZipFile(io.BytesIO(download(domain, [first], "ZIP", inclurePiecesJointes=False)))
    assert not any("pieces_jointes" in n for n in bare.namelist())
    several = zipfile.ZipFile(io.BytesIO(download(domain, [first, second], "PDF")))
    assert len(several.namelist()) == 2
    assert all(n.endswith(".pdf") for n in several.namelist())
    assert len({n.split("/")[0] for n in several.namelist()}) == 2
    with_attachments = download(domain, [first], "PDF", inclurePiecesJointes=True)
    assert with_attachments.startswith(b"PK\x03\x04")


def test_telecharger_errors() -> None:
    domain = make_domain(max_group_ids=3, max_group_bytes=2000)
    invoice_id = submit(domain)
    call = domain.factures_telecharger_groupe
    assert is_error(call("omni", {"formatFichier": "PDF"}))
    assert is_error(call("omni", {"listeIdentifiantsFactureCPP": [], "formatFichier": "PDF"}))
    assert is_error(call("omni", {"listeIdentifiantsFactureCPP": "1", "formatFichier": "PDF"}))
    assert is_error(call("omni", {"listeIdentifiantsFactureCPP": [invoice_id]}))
    assert is_error(
        call("omni", {"listeIdentifiantsFactureCPP": [invoice_id], "formatFichier": "PIVOT"})
    )
    assert call("omni", {"listeIdentifiantsFactureCPP": [1111111], "formatFichier": "PDF"}) == {
        "codeRetour": 20000,
        "libelle": "GDP_MSG_11.008",
    }
    assert call(
        CH_LOGIN, {"listeIdentifiantsFactureCPP": [invoice_id], "formatFichier": "PDF"}
    ) == {"codeRetour": 20001, "libelle": "GDP_MSG_11.005"}
    many = call("omni", {"listeIdentifiantsFactureCPP": [1, 2, 3, 4], "formatFichier": "PDF"})
    assert is_error(many)
    assert "at most 3" in many["libelle"]
    big = submit(domain, mainAttachmentId=upload(domain, data=bytes(5000)))
    too_large = call("omni", {"listeIdentifiantsFactureCPP": [big], "formatFichier": "ZIP"})
    assert is_error(too_large)
    assert "2000" in too_large["libelle"]


# == ajouter-fichier =========================================================================

UPLOAD_FIELDS = [
    "pieceJointeFichier",
    "pieceJointeNom",
    "pieceJointeTypeMime",
    "pieceJointeExtension",
]


@pytest.mark.parametrize("field", UPLOAD_FIELDS)
@pytest.mark.parametrize("value", [None, "", "   ", 12])
def test_ajouter_fichier_fields(domain: Domain, field: str, value: Any) -> None:
    body = example("transverses-ajouter-fichier.request")
    body["pieceJointeFichier"] = base64.b64encode(b"data").decode()
    if value is None:
        body.pop(field)
    else:
        body[field] = value
    reply = domain.transverses_ajouter_fichier("omni", body)
    assert is_error(reply)
    assert field in reply["libelle"]
    assert domain.counters["attachments_created"] == 0


def test_ajouter_fichier(domain: Domain) -> None:
    body = example("transverses-ajouter-fichier.request")
    assert is_error(domain.transverses_ajouter_fichier("omni", body))  # "..." is not base64
    body["pieceJointeFichier"] = base64.b64encode(b"%PDF-1.7 ok").decode()
    reply = domain.transverses_ajouter_fichier("omni", body)
    assert set(reply) == set(example("transverses-ajouter-fichier.response"))
    assert reply["codeRetour"] == 0
    assert 1_000_000 <= reply["pieceJointeIdFichier"] <= 9_999_999
    limit = 10 * 1024 * 1024
    body["pieceJointeFichier"] = base64.b64encode(bytes(limit)).decode()
    assert domain.transverses_ajouter_fichier("omni", body)["codeRetour"] == 0
    body["pieceJointeFichier"] = base64.b64encode(bytes(limit + 1)).decode()
    too_big = domain.transverses_ajouter_fichier("omni", body)
    assert set(too_big) == {"codeRetour", "libelle"}
    assert too_big["codeRetour"] == 20003
    assert domain.counters["attachments_created"] == 2
