"""Sandbox authentication: POST /api/token/, Bearer JWTs, X-API-Key, 401 bodies."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

import aiohttp
import pytest

from factpulse_chorus.sandbox import Account, Sandbox, _jwt

# examples/auth-token.request.json (the shared spec), inlined so the suite runs anywhere.
AUTH_TOKEN_REQUEST = {
    "username": "compta@atelier-numerique.example",
    "password": "correct-horse-battery-staple",
    "client_uid": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
}
CONSULTER = "/api/v1/chorus-pro/structures/consulter"


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


async def post(
    session: aiohttp.ClientSession, url: str, body: Any = None, **kwargs: Any
) -> tuple[int, Any, str]:
    data = kwargs.pop("data", None)
    async with session.post(url, json=body, data=data, **kwargs) as r:
        text = await r.text()
        try:
            payload = json.loads(text)
        except ValueError:
            payload = None
        return r.status, payload, text


async def token(session: aiohttp.ClientSession, sb: Sandbox, **body: Any) -> dict[str, Any]:
    body = {"username": "demo", "password": "demo", **body}
    status, data, _ = await post(session, sb.url + "/api/token/", body)
    assert status == 200, data
    return data  # type: ignore[no-any-return]


async def call(
    session: aiohttp.ClientSession, sb: Sandbox, headers: dict[str, str]
) -> tuple[int, Any]:
    status, data, _ = await post(
        session, sb.url + CONSULTER, {"structureId": 25827464}, headers=headers
    )
    return status, data


# --- /api/token/ ---------------------------------------------------------------------------


async def test_token_example_request_and_claims(session: aiohttp.ClientSession) -> None:
    request = AUTH_TOKEN_REQUEST
    account = Account(request["username"], request["password"], client_uids=[request["client_uid"]])
    async with Sandbox(accounts=[account]) as sb:
        before = time.time()
        data = await token(session, sb, **request)
        assert set(data) == {"access", "refresh"}
        header = json.loads(base64.urlsafe_b64decode(data["access"].split(".")[0] + "=="))
        assert header == {"alg": "HS256", "typ": "JWT"}
        access, refresh = claims_of(data["access"]), claims_of(data["refresh"])
        assert access["token_type"] == "access"
        assert refresh["token_type"] == "refresh"
        assert access["user"] == request["username"]
        assert access["client_uid"] == request["client_uid"]
        assert isinstance(access["exp"], int)
        assert before + 1800 - 2 <= access["exp"] <= time.time() + 1800
        assert abs(refresh["exp"] - (access["iat"] + 7 * 24 * 3600)) <= 1
        assert access["jti"] != refresh["jti"]
        # The password never appears in a token.
        assert request["password"] not in json.dumps([access, refresh])
        status, _ = await call(session, sb, {"Authorization": f"Bearer {data['access']}"})
        assert status == 200


async def test_demo_account_accepts_any_client_uid(
    session: aiohttp.ClientSession, sandbox: Sandbox
) -> None:
    for extra in ({}, {"client_uid": "anything"}, {"client_uid": None}):
        data = await token(session, sandbox, **extra)
        assert claims_of(data["access"])["client_uid"] == extra.get("client_uid")
    assert sandbox.stats()["logins"] == 3
    assert sandbox.stats()["requests"]["token"] == {"ok": 3}


@pytest.mark.parametrize(
    "body",
    [
        {"username": "demo", "password": "not-the-password"},
        {"username": "nobody", "password": "demo"},
    ],
)
async def test_wrong_credentials_401(
    session: aiohttp.ClientSession, sandbox: Sandbox, body: dict[str, str]
) -> None:
    status, data, text = await post(session, sandbox.url + "/api/token/", body)
    assert status == 401
    assert data["errorCode"] == "INVALID_CREDENTIALS"
    assert isinstance(data["errorMessage"], str)
    assert body["password"] not in text
    stats = sandbox.stats()
    assert (stats["logins"], stats["login_failures"]) == (0, 1)
    assert stats["requests"]["token"] == {"401": 1}


async def test_client_uid_restricted(session: aiohttp.ClientSession) -> None:
    account = Account("acme", "pw", client_uids=["c1", "c2"], chorus_login="omni")
    async with Sandbox(accounts=[account]) as sb:
        await token(session, sb, username="acme", password="pw", client_uid="c2")
        for client_uid in ("c3", None):
            body = {"username": "acme", "password": "pw", "client_uid": client_uid}
            status, data, _ = await post(session, sb.url + "/api/token/", body)
            assert (status, data["errorCode"]) == (401, "INVALID_CLIENT_UID")
        # The default demo account is replaced by the configured ones.
        status, _, _ = await post(
            session, sb.url + "/api/token/", {"username": "demo", "password": "demo"}
        )
        assert status == 401
        assert sb.stats()["login_failures"] == 3


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            {},
            [
                {"loc": ["body", "username"], "msg": "Field required", "type": "missing"},
                {"loc": ["body", "password"], "msg": "Field required", "type": "missing"},
            ],
        ),
        (
            {"username": 12, "password": "demo", "client_uid": 5},
            [
                {
                    "loc": ["body", "username"],
                    "msg": "Input should be a valid string",
                    "type": "string_type",
                },
                {
                    "loc": ["body", "client_uid"],
                    "msg": "Input should be a valid string",
                    "type": "string_type",
                },
            ],
        ),
    ],
)
async def test_token_body_validation_422(
    session: aiohttp.ClientSession, sandbox: Sandbox, body: Any, detail: Any
) -> None:
    status, data, _ = await post(session, sandbox.url + "/api/token/", body)
    assert status == 422
    assert data == {"detail": detail}
    assert sandbox.stats()["requests"]["token"] == {"422": 1}


async def test_token_body_not_json_422(session: aiohttp.ClientSession, sandbox: Sandbox) -> None:
    status, data, _ = await post(session, sandbox.url + "/api/token/", data=b'{"username": ')
    assert status == 422
    assert data["detail"][0]["type"] == "json_invalid"
    assert data["detail"][0]["loc"] == ["body", 13]
    status, data, _ = await post(session, sandbox.url + "/api/token/")
    assert (status, data["detail"][0]["loc"], data["detail"][0]["type"]) == (
        422,
        ["body"],
        "missing",
    )


# --- 401 on the Chorus Pro endpoints ---------------------------------------------------------


async def test_no_header_401(session: aiohttp.ClientSession, sandbox: Sandbox) -> None:
    async with session.post(sandbox.url + CONSULTER, json={"structureId": 1}) as r:
        assert r.status == 401
        assert r.headers["WWW-Authenticate"] == "Bearer"
        assert r.headers["X-Request-ID"]
        data = await r.json()
    assert data == {"errorCode": "AUTHENTICATION_REQUIRED", "errorMessage": "Not authenticated"}
    async with session.get(sandbox.url + "/api/v1/chorus-pro/structures/25827464/services") as r:
        assert r.status == 401
    assert sandbox.stats()["requests"]["structures/consulter"] == {"401": 1}
    assert sandbox.stats()["requests"]["structures/services"] == {"401": 1}


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        ("Bearer garbage", "INVALID_TOKEN"),
        ("Bearer a.b.c", "INVALID_TOKEN"),
        ("Bearer ", "AUTHENTICATION_REQUIRED"),
        ("Basic ZGVtbzpkZW1v", "AUTHENTICATION_REQUIRED"),
    ],
)
async def test_bad_authorization_header_401(
    session: aiohttp.ClientSession, sandbox: Sandbox, authorization: str, code: str
) -> None:
    status, data = await call(session, sandbox, {"Authorization": authorization})
    assert status == 401
    assert data["errorCode"] == code
    assert set(data) == {"errorCode", "errorMessage"}


async def test_wrong_signature_401(session: aiohttp.ClientSession, sandbox: Sandbox) -> None:
    async with Sandbox() as other:
        foreign = (await token(session, other))["access"]
    status, data = await call(session, sandbox, {"Authorization": f"Bearer {foreign}"})
    assert (status, data["errorCode"]) == (401, "INVALID_TOKEN")
    # A forged payload with the original signature fails too.
    good = (await token(session, sandbox))["access"]
    header, _, signature = good.split(".")
    claims = {**claims_of(good), "user": "admin", "exp": time.time() + 10**6}
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    forged = f"{header}.{forged_payload}.{signature}"
    status, data = await call(session, sandbox, {"Authorization": f"Bearer {forged}"})
    assert (status, data["errorCode"]) == (401, "INVALID_TOKEN")


async def test_refresh_token_is_not_an_access_token(
    session: aiohttp.ClientSession, sandbox: Sandbox
) -> None:
    refresh = (await token(session, sandbox))["refresh"]
    status, data = await call(session, sandbox, {"Authorization": f"Bearer {refresh}"})
    assert (status, data["errorCode"]) == (401, "INVALID_TOKEN")


async def test_expired_token_401(session: aiohttp.ClientSession) -> None:
    async with Sandbox(token_lifetime=0.3) as sb:
        access = (await token(session, sb))["access"]
        exp = claims_of(access)["exp"]
        assert isinstance(exp, float)
        headers = {"Authorization": f"Bearer {access}"}
        assert (await call(session, sb, headers))[0] == 200
        await asyncio.sleep(max(0.0, exp - time.time()) + 0.05)
        status, data = await call(session, sb, headers)
        assert status == 401
        assert data["errorCode"] == "TOKEN_EXPIRED"
        # Logging in again gives a working token.
        fresh = (await token(session, sb))["access"]
        assert (await call(session, sb, {"Authorization": f"Bearer {fresh}"}))[0] == 200


async def test_api_key(session: aiohttp.ClientSession) -> None:
    async with Sandbox(api_keys={"k-123": "demo"}) as sb:
        assert (await call(session, sb, {"X-API-Key": "k-123"}))[0] == 200
        status, data = await call(session, sb, {"X-API-Key": "wrong"})
        assert (status, data["errorCode"]) == (401, "INVALID_API_KEY")
    async with Sandbox() as sb:  # not configured: the header is not a credential
        status, data = await call(session, sb, {"X-API-Key": "k-123"})
        assert (status, data["errorCode"]) == (401, "AUTHENTICATION_REQUIRED")
    with pytest.raises(ValueError, match="unknown account"):
        Sandbox(api_keys={"k": "ghost"})


async def test_issue_token_helper(session: aiohttp.ClientSession, sandbox: Sandbox) -> None:
    access = sandbox.issue_token()
    assert (await call(session, sandbox, {"Authorization": f"Bearer {access}"}))[0] == 200
    assert sandbox.stats()["logins"] == 0


def test_account_repr_hides_password() -> None:
    assert "s3cret" not in repr(Account("u", "s3cret"))


# --- _jwt unit tests -------------------------------------------------------------------------


def test_jwt_roundtrip_and_failures() -> None:
    key = b"k" * 32
    token_ = _jwt.encode({"token_type": "access", "exp": time.time() + 60, "user": "u"}, key)
    assert _jwt.decode(token_, key)["user"] == "u"
    with pytest.raises(_jwt.JWTError) as info:
        _jwt.decode(token_, b"other")
    assert info.value.code == "INVALID_TOKEN"
    with pytest.raises(_jwt.JWTError) as info:
        _jwt.decode(token_, key, token_type="refresh")
    assert info.value.code == "INVALID_TOKEN"
    with pytest.raises(_jwt.JWTError) as info:
        _jwt.decode(token_, key, now=time.time() + 61)
    assert info.value.code == "TOKEN_EXPIRED"
    no_exp = _jwt.encode({"token_type": "access"}, key)
    with pytest.raises(_jwt.JWTError, match="exp"):
        _jwt.decode(no_exp, key)
    for garbage in ("", "a.b", "é.é.é", "a.b.c.d"):
        with pytest.raises(_jwt.JWTError):
            _jwt.decode(garbage, key)
