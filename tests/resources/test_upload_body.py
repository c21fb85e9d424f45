"""Issue 14, uploads: ``ajouter_fichier`` sends its body in parts (the JSON around the file,
the file's base64 made as it is written), byte for byte the JSON the whole request encodes
to, with its ``Content-Length``, on both clients, on a retry too; the checks, the secrets'
masking, the hooks and the logs are as they were. (Memory: benchmarks/bench_upload.py.)
"""

from __future__ import annotations

import base64
import io
import json
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from aiohttp import web
from dual_client import ClientFactory, Refused
from fake_server import API_KEY, fake_server, json_response

from factpulse_chorus import APIStatusError, AsyncChorusClient
from factpulse_chorus._converter import to_wire
from factpulse_chorus._json import dumps
from factpulse_chorus._types import RequestInfo
from factpulse_chorus._upload import _PIECE, PLACEHOLDER, FileBody, FileUpload
from factpulse_chorus.models.common import ChorusProCredentials
from factpulse_chorus.models.transverses import TransversesAjouterFichierRequest

UPLOAD = "transverses/ajouter-fichier"
# One whole piece of base64 and a last one needing padding (the test server takes 1 MiB).
CONTENT = (b"%PDF-1.7\n" + bytes(range(256)) * 2000)[: _PIECE + 5]
PASSWORD = "Chorus-Pr0-Passw0rd!"
CREDENTIALS = ChorusProCredentials(
    piste_client_id="piste-client-0001",
    piste_client_secret="piste-secret-0001",
    chorus_pro_login="tech-login@example.com",
    chorus_pro_password=PASSWORD,
)
EXTRA = {"commentaireLibre": "reçu à Paris", "montant": Decimal("1250.10")}


def expected_body(name: str) -> bytes:
    """The body in full: what encoding the whole request at once gave before issue 14."""
    wire = {
        "pieceJointeFichier": base64.b64encode(CONTENT).decode("ascii"),
        "pieceJointeNom": name,
        "pieceJointeTypeMime": "application/pdf",
        "pieceJointeExtension": "PDF",
        "credentials": {
            "pisteClientId": "piste-client-0001",
            "pisteClientSecret": "piste-secret-0001",
            "chorusProLogin": "tech-login@example.com",
            "chorusProPassword": PASSWORD,
            "sandbox": True,
        },
        "commentaireLibre": "reçu à Paris",
    }
    text = json.dumps(wire, separators=(",", ":"), ensure_ascii=False)
    body = (text[:-1] + ',"montant":1250.10}').encode("utf-8")
    # The same as the model's own encoding of its base64 text.
    request = TransversesAjouterFichierRequest.from_bytes(
        CONTENT, name=name, extra=EXTRA, credentials=CREDENTIALS
    )
    assert dumps(to_wire(request)).encode("utf-8") == body
    return body


class Recorder:
    """Answers uploads (a 429 first, when asked), keeping each body and its headers."""

    def __init__(self, rate_limited: int = 0) -> None:
        self.rate_limited = rate_limited
        self.bodies: list[bytes] = []
        self.headers: list[dict[str, str]] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.bodies.append(await request.read())
        self.headers.append(dict(request.headers))
        if len(self.bodies) <= self.rate_limited:
            return json_response({}, status=429, **{"Retry-After": "0.01"})
        return json_response({"codeRetour": 0, "libelle": "ok", "pieceJointeIdFichier": 91})


def sources(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "facture-été.pdf"
    path.write_bytes(CONTENT)
    return {"path": path, "bytes": CONTENT, "file object": io.BytesIO(CONTENT)}


@pytest.mark.parametrize("source", ["path", "bytes", "file object"])
async def test_the_body_is_the_whole_json_byte_for_byte(
    client_factory: ClientFactory, tmp_path: Path, source: str, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder()
    seen: list[RequestInfo] = []
    async with (
        fake_server(recorder.handle) as (_fake, url),
        client_factory(url, api_key=API_KEY, on_request=seen.append) as client,
    ):
        caplog.set_level(logging.DEBUG, logger="factpulse_chorus")
        result = await client.transverses.ajouter_fichier(
            sources(tmp_path)[source],
            name="facture-été.pdf",
            extra=EXTRA,
            credentials=CREDENTIALS,
        )
    assert result.attachment_id == 91
    (body,) = recorder.bodies
    assert body == expected_body("facture-été.pdf")
    (headers,) = recorder.headers
    assert headers["Content-Length"] == str(len(body))
    assert "Transfer-Encoding" not in headers
    assert headers["Content-Type"] == "application/json"
    # The hook sees what it always saw: the attempt, never the body.
    (info,) = seen
    address = f"{url}/api/v1/chorus-pro/{UPLOAD}"
    seen_fields = (info.method, info.url, info.operation, info.attempt, info.idempotent)
    assert seen_fields == ("POST", address, "transverses.ajouter_fichier", 1, False)
    head = base64.b64encode(CONTENT[:48]).decode()
    assert all(
        head not in r.getMessage() and PASSWORD not in r.getMessage() for r in caplog.records
    )


async def test_a_rate_limited_upload_is_resent_with_the_same_bytes(
    client_factory: ClientFactory, tmp_path: Path
) -> None:
    recorder = Recorder(rate_limited=2)  # a 429: certainly not processed, so resent
    async with (
        fake_server(recorder.handle) as (_fake, url),
        client_factory(url, api_key=API_KEY, max_retries=2) as client,
    ):
        path = sources(tmp_path)["path"]
        await client.transverses.ajouter_fichier(path, extra=EXTRA, credentials=CREDENTIALS)
    assert recorder.bodies == [expected_body("facture-été.pdf")] * 3
    assert [h["X-Retry-Count"] for h in recorder.headers[1:]] == ["1", "2"]


async def test_the_upload_credentials_are_masked_in_errors(client_factory: ClientFactory) -> None:
    async def echo(request: web.Request) -> web.StreamResponse:
        sent = json.loads(await request.read())["credentials"]
        return json_response({"message": f"bad password {sent['chorusProPassword']}"}, status=400)

    async with (
        fake_server(echo) as (_fake, url),
        client_factory(url, api_key=API_KEY) as client,
    ):
        with pytest.raises(APIStatusError) as info:
            await client.transverses.ajouter_fichier(
                b"%PDF-1.7", name="a.pdf", credentials=CREDENTIALS
            )
    assert PASSWORD not in str(info.value)
    assert PASSWORD not in repr(info.value.body)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"file": b"", "name": "empty.pdf"}, "file_base64"),
        ({"file": b"%PDF", "name": "a.pdf", "mime_type": " "}, "mime_type"),
        ({"file": b"%PDF", "name": "a.pdf", "extension": ".pdf"}, "extension"),
        ({"file": b"%PDF", "name": "README"}, "extension"),
        ({"file": b"%PDF", "name": " "}, "name"),
        ({"file": b"%PDF", "name": "a.pdf", "extra": {"pieceJointeFichier": "x"}}, "extra"),
        ({"file": b"%PDF", "name": "a.pdf", "extra": {"n": float("nan")}}, "extra.n"),
    ],
)
async def test_every_check_still_refuses_before_sending(
    client: AsyncChorusClient, refused: Refused, arguments: dict[str, Any], field: str
) -> None:
    await refused(lambda: client.transverses.ajouter_fichier(**arguments), field)


def test_reprs_never_show_the_file() -> None:
    request = TransversesAjouterFichierRequest(
        file_base64=PLACEHOLDER, name="a.pdf", mime_type="application/pdf", extension="PDF"
    )
    upload = FileUpload(to_wire(request), "pieceJointeFichier", CONTENT)
    body = upload.encode(dumps)
    assert isinstance(body, FileBody)
    head = base64.b64encode(CONTENT[:48]).decode()
    for text in (repr(request), repr(upload), repr(body), repr(body.payload())):
        assert head not in text
        assert "JVBERi0x" not in text  # the base64 of "%PDF-1"
    assert len(body) == body.payload().size == len(b"".join(body.chunks()))


def test_a_placeholder_met_elsewhere_falls_back_to_the_whole_text() -> None:
    envelope = {"pieceJointeFichier": PLACEHOLDER, "note": PLACEHOLDER}
    body = FileUpload(envelope, "pieceJointeFichier", b"%PDF").encode(dumps)
    assert body == dumps({"pieceJointeFichier": "JVBERg==", "note": PLACEHOLDER}).encode()


class Collecting:
    """Stands in for aiohttp's stream writer: keeps what the payload writes."""

    def __init__(self) -> None:
        self.written: list[bytes] = []

    async def write(self, chunk: bytes) -> None:
        self.written.append(bytes(chunk))


async def test_the_payload_writes_the_body_again_and_honours_a_length() -> None:
    upload = FileUpload({"pieceJointeFichier": PLACEHOLDER}, "pieceJointeFichier", CONTENT)
    body = upload.encode(dumps)
    assert isinstance(body, FileBody)
    whole = dumps({"pieceJointeFichier": base64.b64encode(CONTENT).decode()}).encode()
    payload = body.payload()
    assert payload.decode() == whole.decode()
    for length in (None, 10, len(whole) - 1):
        writer = Collecting()
        await payload.write_with_length(writer, length)  # type: ignore[arg-type]
        assert b"".join(writer.written) == whole[:length]
    writer = Collecting()
    await payload.write(writer)  # type: ignore[arg-type]
    assert b"".join(writer.written) == whole


def test_the_request_model_keeps_the_file_out_of_its_repr() -> None:
    field = attrs.fields(TransversesAjouterFichierRequest).file_base64
    assert field.repr is False
