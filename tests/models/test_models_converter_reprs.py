"""Secrets stay out of every repr; the raw response is kept out of equality."""

from __future__ import annotations

from models_support import CREDENTIALS
from payloads import example

from factpulse_chorus._converter import from_wire, to_wire
from factpulse_chorus.models import factures, structures
from factpulse_chorus.models.common import ChorusProCredentials, RawResponse

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
