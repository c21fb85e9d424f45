"""Files: group downloads (save, ZIP members, extract, 10-id limit) and attachment uploads."""

from __future__ import annotations

import base64
import io
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from payloads import invoice

from factpulse_chorus import AsyncChorusClient, RequestValidationError, ResponseDecodeError
from factpulse_chorus._validation import MAX_ATTACHMENT_BYTES
from factpulse_chorus.models.factures import FacturesTelechargerGroupeResponse
from factpulse_chorus.sandbox import ThreadedSandbox

COMMUNE = 25827464
PDF = b"%PDF-1.4\n% a tiny test file\n%%EOF\n"


pytestmark = pytest.mark.chorus_sandbox(record_requests=True)


def sent(sandbox: ThreadedSandbox, route: str) -> list[dict[str, object]]:
    return [entry["body"] for entry in sandbox.received(route)]


# --- telecharger_groupe ----------------------------------------------------------------------


async def test_zip_round_trip_with_attachments(
    client: AsyncChorusClient, chorus_sandbox: ThreadedSandbox, tmp_path: Path
) -> None:
    upload = await client.transverses.ajouter_fichier(PDF, name="F-ZIP-1.pdf")
    assert upload.attachment_id is not None
    submitted = await client.factures.soumettre(
        **invoice("F-ZIP-1", attachment_id=upload.attachment_id)
    )
    invoice_id = submitted.invoice_id
    assert invoice_id is not None

    download = await client.factures.telecharger_groupe(
        [invoice_id], file_format="ZIP", include_attachments=True, dest=tmp_path / "a.zip"
    )
    assert download.content_kind == "zip"
    assert (tmp_path / "a.zip").read_bytes() == download.content()
    members = download.zip_members()
    pdfs = [m for m in members if m.endswith("F-ZIP-1.pdf") and "pieces_jointes" not in m]
    xmls = [m for m in members if m.endswith(".xml")]
    attachments = [m for m in members if "pieces_jointes/" in m]
    assert len(pdfs) == 1
    assert len(xmls) == 1
    assert len(attachments) == 1
    assert download.read_member(pdfs[0]).startswith(b"%PDF")
    assert download.read_member(attachments[0]) == PDF

    files = download.extract(tmp_path / "out")
    assert sorted(f.relative_to(tmp_path / "out").as_posix() for f in files) == sorted(members)
    by_name = {f.relative_to(tmp_path / "out").as_posix(): f for f in files}
    assert by_name[attachments[0]].read_bytes() == PDF
    ET.fromstring(by_name[xmls[0]].read_bytes())  # well-formed XML
    assert by_name[pdfs[0]].read_bytes().startswith(b"%PDF")


async def test_single_pdf_save_and_not_a_zip(
    client: AsyncChorusClient, chorus_sandbox: ThreadedSandbox, tmp_path: Path
) -> None:
    invoice_id = chorus_sandbox.domain.seed_invoice(invoice_number="F-PDF-1")
    download = await client.factures.telecharger_groupe([invoice_id], file_format="PDF")
    assert download.content_kind == "pdf"
    saved = download.save(tmp_path / "f.pdf")
    assert saved.read_bytes() == download.content()
    with pytest.raises(ResponseDecodeError, match="not a ZIP"):
        download.zip_members()


async def test_more_than_ten_ids_are_refused_before_sending(
    client: AsyncChorusClient, chorus_sandbox: ThreadedSandbox
) -> None:
    ids = [chorus_sandbox.domain.seed_invoice() for _ in range(11)]
    with pytest.raises(RequestValidationError) as info:
        await client.factures.telecharger_groupe(ids)
    assert info.value.field == "invoice_ids"
    assert sent(chorus_sandbox, "factures/telecharger-groupe") == []
    ten = await client.factures.telecharger_groupe(ids[:10], file_format="PDF")
    assert ten.content_kind == "zip"  # several invoices: one folder per invoice
    folders = {name.split("/")[0] for name in ten.zip_members()}
    assert len(folders) == 10


def crafted(members: dict[str, bytes]) -> FacturesTelechargerGroupeResponse:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return FacturesTelechargerGroupeResponse(
        file_base64=base64.b64encode(buffer.getvalue()).decode()
    )


@pytest.mark.parametrize("name", ["../evil.txt", "a/../../evil.txt", "/abs/evil.txt"])
def test_extract_refuses_unsafe_names(tmp_path: Path, name: str) -> None:
    response = crafted({"ok.txt": b"ok", name: b"evil"})
    with pytest.raises(ResponseDecodeError, match="unsafe"):
        response.extract(tmp_path / "out")
    assert not (tmp_path / "out" / "ok.txt").exists()  # nothing written
    assert not (tmp_path / "evil.txt").exists()


def test_damaged_zip() -> None:
    response = FacturesTelechargerGroupeResponse(
        file_base64=base64.b64encode(b"PK\x03\x04 not really a zip").decode()
    )
    with pytest.raises(ResponseDecodeError, match="damaged"):
        response.zip_members()


def test_corrupt_member_is_a_decode_error_and_nothing_is_written(tmp_path: Path) -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a/first.xml", b"<?xml version='1.0'?><ok/>" * 50)
        archive.writestr("b/second.pdf", b"%PDF-1.7 " + bytes(range(256)) * 40)
    data = bytearray(buffer.getvalue())
    start = data.index(b"b/second.pdf") + len(b"b/second.pdf")
    for offset in range(start + 10, start + 60):  # scramble the deflate stream
        data[offset] ^= 0x5A
    response = FacturesTelechargerGroupeResponse(file_base64=base64.b64encode(bytes(data)).decode())
    with pytest.raises(ResponseDecodeError, match="damaged"):
        response.read_member("b/second.pdf")
    with pytest.raises(ResponseDecodeError, match="damaged"):
        response.extract(tmp_path / "out")
    assert not (tmp_path / "out" / "a" / "first.xml").exists()


# --- transverses.ajouter_fichier -------------------------------------------------------------


async def test_upload_from_a_path(
    client: AsyncChorusClient, chorus_sandbox: ThreadedSandbox, tmp_path: Path
) -> None:
    path = tmp_path / "justificatif.pdf"
    path.write_bytes(PDF)
    result = await client.transverses.ajouter_fichier(path)
    assert result.attachment_id is not None
    (body,) = sent(chorus_sandbox, "transverses/ajouter-fichier")
    assert body["pieceJointeNom"] == "justificatif.pdf"
    assert body["pieceJointeTypeMime"] == "application/pdf"
    assert body["pieceJointeExtension"] == "PDF"
    assert base64.b64decode(str(body["pieceJointeFichier"])) == PDF
    # str paths too
    await client.transverses.ajouter_fichier(str(path), name="autre.pdf")
    assert sent(chorus_sandbox, "transverses/ajouter-fichier")[1]["pieceJointeNom"] == "autre.pdf"


async def test_upload_from_file_objects(
    client: AsyncChorusClient, chorus_sandbox: ThreadedSandbox, tmp_path: Path
) -> None:
    path = tmp_path / "scan.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n fake")
    with path.open("rb") as handle:
        await client.transverses.ajouter_fichier(handle)
    await client.transverses.ajouter_fichier(io.BytesIO(PDF), name="memoire.pdf")
    first, second = sent(chorus_sandbox, "transverses/ajouter-fichier")
    assert first["pieceJointeNom"] == "scan.png"
    assert first["pieceJointeTypeMime"] == "image/png"
    assert base64.b64decode(str(first["pieceJointeFichier"])) == path.read_bytes()
    assert second["pieceJointeNom"] == "memoire.pdf"
    assert base64.b64decode(str(second["pieceJointeFichier"])) == PDF
    with pytest.raises(RequestValidationError) as info:
        await client.transverses.ajouter_fichier(io.BytesIO(PDF))  # no name to send
    assert info.value.field == "name"


async def test_over_the_limit_is_refused_before_sending(
    client: AsyncChorusClient, chorus_sandbox: ThreadedSandbox, tmp_path: Path
) -> None:
    big = tmp_path / "big.pdf"
    with big.open("wb") as handle:
        handle.truncate(MAX_ATTACHMENT_BYTES + 1)  # sparse: nothing is really written
    with pytest.raises(RequestValidationError) as info:
        await client.transverses.ajouter_fichier(big)
    assert info.value.field == "file"
    with big.open("rb") as handle, pytest.raises(RequestValidationError):
        await client.transverses.ajouter_fichier(handle)
    with pytest.raises(RequestValidationError):
        await client.transverses.ajouter_fichier(bytes(MAX_ATTACHMENT_BYTES + 1), name="x.pdf")
    assert sent(chorus_sandbox, "transverses/ajouter-fichier") == []
    assert chorus_sandbox.stats()["requests"].get("transverses/ajouter-fichier") is None


async def test_upload_of_exactly_10_mib_is_sent_and_stored() -> None:
    """Bodies over 1 MiB are streamed: no aiohttp ResourceWarning (an error in this suite)."""
    from factpulse_chorus import AsyncChorusClient
    from factpulse_chorus.sandbox import Sandbox

    content = b"%PDF-1.7\n" + b"\0" * (10 * 1024 * 1024 - 9)
    async with (
        Sandbox(seed=3, record_requests=True) as sb,
        AsyncChorusClient(base_url=sb.url, email="demo", password="demo") as client,
    ):
        result = await client.transverses.ajouter_fichier(content, name="exactly-10-mib.pdf")
        assert isinstance(result.attachment_id, int)
        assert sb.stats()["attachments_created"] == 1
