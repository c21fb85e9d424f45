"""The downloaded file: base64 content and its detected kind."""

from __future__ import annotations

import base64

import pytest

from factpulse_chorus import ResponseDecodeError
from factpulse_chorus._converter import from_wire
from factpulse_chorus.models import factures

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
