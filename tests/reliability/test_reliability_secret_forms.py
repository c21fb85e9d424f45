"""Secrets echoed by a hostile server in any encoding are masked (issue 13, items 10 and 11).

The server echoes the request (body and headers) JSON-escaped with and without
``ensure_ascii``, escaped twice, percent-encoded, as HTML, in a header, a reason phrase or
a dict key; the secrets contain ``é``, ``"``, ``\\``, spaces, ``+``, ``%`` and ``/``.
Nothing of them may reach ``str``, ``repr``, ``args``, attributes (``body``, ``headers``)
or the formatted traceback of any error, nor the logs.
"""

from __future__ import annotations

import datetime
import html
import importlib
import json
import logging
import random
import string
import traceback
import urllib.parse
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web
from fake_server import serve

from factpulse_chorus import AsyncChorusClient, ChorusClient, FactPulseError
from factpulse_chorus._config import RetryPolicy
from factpulse_chorus._exceptions import RequestValidationError
from factpulse_chorus._redact_forms import Scrubber, char_forms, encoded_starts, first_chars
from factpulse_chorus.models.common import ChorusProCredentials
from factpulse_chorus.sandbox import sandbox_in_thread

# Each ends with a distinctive tail: if any form of a secret slipped through, its tail would.
PASSWORD = 'Pw é"\\ +%/ fp-TAIL1'
PISTE_SECRET = 'Pi"ste\\é +%/S3cret-TAIL2'
CHORUS_PASSWORD = 'Ch é"\\/+% pass-TAIL3'
TOKEN = 'Tok+/%"\\ 5e-TAIL4'
API_KEY = 'Key+/%"\\ 6f-TAIL5'
SECRETS = [PASSWORD, PISTE_SECRET, CHORUS_PASSWORD, TOKEN, API_KEY]
TAILS = [s.rsplit("-", 1)[1] for s in SECRETS]
CREDENTIALS = ChorusProCredentials(
    piste_client_id="piste-client-id-public",
    piste_client_secret=PISTE_SECRET,
    chorus_pro_login="tech-login-public",
    chorus_pro_password=CHORUS_PASSWORD,
)
FAST = RetryPolicy(base_delay=0.001, max_delay=0.005, max_retry_after=0.05)


def forms(secret: str) -> list[str]:
    """The ways a server may echo ``secret``."""
    return [
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json.dumps(json.dumps(secret))[1:-1],
        urllib.parse.quote(secret),
        urllib.parse.quote_plus(secret),
        urllib.parse.quote(secret, safe=""),
        html.escape(secret),
        repr(secret)[1:-1],
    ]


def echoes(raw: bytes, headers: dict[str, str]) -> dict[str, str]:
    text = raw.decode("utf-8", "replace")
    try:
        body: Any = json.loads(raw) if raw else None
    except ValueError:
        body = text
    seen = {"body": body, "headers": headers}
    credentials = body.get("credentials") if isinstance(body, dict) else None
    return {
        # What matters first: a server cuts what it echoes short, and so does the SDK.
        "first": "echo " + json.dumps([credentials, body, headers], ensure_ascii=False),
        "ascii": json.dumps(seen),
        "utf8": json.dumps(seen, ensure_ascii=False),
        "url": urllib.parse.quote(json.dumps(seen, ensure_ascii=False), safe=""),
        "plus": urllib.parse.urlencode({"q": text, "h": json.dumps(headers)}),
        "html": html.escape(json.dumps(seen, ensure_ascii=False)),
    }


# mode -> (status, how the echo is sent)
MODES = [
    "json-ascii-400",
    "json-utf8-422",
    "double-escaped-400",
    "text-ascii-500",
    "text-url-400",
    "html-503",
    "header-400",
    "reason-400",
    "key-400",
    "business-200",
    "not-json-200",
    "form-401",
]


def respond(mode: str, echo: dict[str, str]) -> web.Response:
    if mode == "json-ascii-400":
        return web.json_response({"errorMessage": "got " + echo["ascii"]}, status=400)
    if mode == "json-utf8-422":
        detail = [{"loc": ["body", "x"], "msg": echo["utf8"], "type": "t", "input": echo["utf8"]}]
        return web.json_response({"detail": detail}, status=422)
    if mode == "double-escaped-400":
        return web.json_response({"detail": json.dumps(echo["ascii"])}, status=400)
    if mode == "text-ascii-500":
        return web.Response(text="crash: " + echo["ascii"], status=500)
    if mode == "text-url-400":
        return web.Response(text="bad: " + echo["url"] + " " + echo["plus"], status=400)
    if mode == "html-503":
        page = f"<html><body><pre>{echo['html']}</pre></body></html>"
        return web.Response(text=page, status=503, content_type="text/html")
    if mode == "header-400":
        headers = {"X-Echo": echo["url"], "X-Request-ID": echo["plus"][:4000]}
        return web.json_response({"errorMessage": "see headers"}, status=400, headers=headers)
    if mode == "reason-400":
        return web.Response(status=400, reason=echo["plus"][:2000])
    if mode == "key-400":
        return web.json_response({echo["utf8"]: 1, "errorMessage": "bad"}, status=400)
    if mode == "business-200":
        return web.json_response({"codeRetour": 12, "libelle": echo["ascii"]})
    if mode == "not-json-200":
        return web.Response(text=echo["first"], content_type="text/plain")
    assert mode == "form-401"
    return web.json_response({"detail": echo["plus"]}, status=401)


def echo_app(mode: str) -> web.Application:
    async def handle(request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        return respond(mode, echoes(raw, dict(request.headers)))

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


Call = Callable[[AsyncChorusClient], Awaitable[Any]]
CALLS: list[Call] = [
    lambda c: c.factures.consulter(7412589),
    lambda c: c.structures.rechercher(company_name="EXEMPLE"),
    lambda c: c.factures.soumettre(
        invoice_number="F-ECHO-1",
        invoice_date=datetime.date(2026, 1, 15),
        structure_id=25827464,
        total_net_amount=Decimal("100.00"),
        vat_amount=Decimal("20.00"),
        total_gross_amount=Decimal("120.00"),
        attachment_id=1,
    ),
    lambda c: c.transverses.ajouter_fichier(b"%PDF-1.4 x", name="f.pdf"),
]


def shown(exc: BaseException) -> str:
    """Everything an error reporter could print of ``exc`` (its chain included)."""
    parts = ["".join(traceback.format_exception(exc))]
    current: BaseException | None = exc
    while current is not None:
        parts += [str(current), repr(current), repr(current.args), repr(vars(current))]
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


def assert_clean(text: str) -> None:
    for secret in SECRETS:
        for form in forms(secret):
            assert form not in text, f"{secret[:4]}... leaked as {form!r}"
    for tail in TAILS:
        assert tail not in text, f"the tail {tail} leaked"


@pytest.mark.parametrize("mode", MODES)
async def test_echoed_secrets_are_masked_in_every_encoding(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="factpulse_chorus")
    errors: list[BaseException] = []
    async with serve(echo_app(mode)) as url:
        for auth in (
            {"email": "alice@example.com", "password": PASSWORD},
            {"token": TOKEN},
            {"api_key": API_KEY},
        ):
            async with AsyncChorusClient(
                base_url=url,
                credentials=CREDENTIALS,
                retry_policy=FAST,
                max_retries=0,
                timeout=10.0,
                **auth,  # type: ignore[arg-type]
            ) as client:
                for call in CALLS:
                    try:
                        await call(client)
                    except FactPulseError as exc:
                        errors.append(exc)
    assert len(errors) == 3 * len(CALLS)  # every call failed, with an echo in its error
    text = "\n".join(shown(e) for e in errors)
    # The echo is there (masked), so the test does check something.
    assert "***" in text or mode in ("reason-400",)
    assert_clean(text)
    logs = "\n".join(
        [r.getMessage() for r in caplog.records] + [r.exc_text or "" for r in caplog.records]
    )
    assert_clean(logs)


async def test_body_attribute_is_masked_but_keeps_the_rest() -> None:
    async with (
        serve(echo_app("json-ascii-400")) as url,
        AsyncChorusClient(base_url=url, api_key=API_KEY, credentials=CREDENTIALS) as c,
    ):
        with pytest.raises(FactPulseError) as info:
            await c.factures.consulter(7412589)
    body = getattr(info.value, "body", None)
    assert isinstance(body, dict)
    assert "7412589" in body["errorMessage"]  # what is not a secret is kept
    assert_clean(repr(body))


# --- item 11: a password in base_url --------------------------------------------------------


@pytest.mark.parametrize(
    "userinfo", ["user:Pw-url-TAIL6@", "user:P%C3%A9w%2F-TAIL6@", "Pw-url-TAIL6@", "u:@"]
)
def test_userinfo_in_base_url_is_refused_naming_base_url(
    userinfo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused before anything is sent: it would show in every repr and connection error."""
    key = "fpk_live_0123456789abcdef"
    with sandbox_in_thread(seed=1, api_keys={key: "demo"}) as sandbox:
        bad = sandbox.url.replace("http://", "http://" + userinfo)
        for make in (
            lambda: AsyncChorusClient(base_url=bad, api_key=key),
            lambda: ChorusClient(base_url=bad, api_key=key),
        ):
            with pytest.raises(RequestValidationError) as info:
                make()
            assert info.value.field == "base_url"
            assert "TAIL6" not in shown(info.value)
            assert "%C3" not in shown(info.value)
        monkeypatch.setenv("FACTPULSE_BASE_URL", bad)
        with pytest.raises(RequestValidationError) as info:
            ChorusClient(api_key=key)
        assert info.value.field == "base_url"
        assert "TAIL6" not in shown(info.value)
        assert sandbox.stats()["requests"] == {}  # nothing was sent
        # The same server without userinfo is used normally.
        with ChorusClient(base_url=sandbox.url, api_key=key) as client:
            client.structures.consulter(25827464)
        assert sandbox.stats()["requests"]


# -- the characters a match starts with -------------------------------------------------------


def _parser() -> Any:
    """The regex parser: ``re._parser`` from Python 3.11, ``sre_parse`` before."""
    try:
        return importlib.import_module("re._parser")
    except ImportError:  # Python 3.10
        return importlib.import_module("sre_parse")


def _firsts(items: Any, parser: Any) -> tuple[set[str], bool]:
    """The characters a match of the parsed sequence ``items`` can start with, and whether
    it can match the empty string."""
    constants = parser  # the opcodes are in sre_constants / re._constants, re-exported
    chars: set[str] = set()
    for op, arg in items:
        if op is constants.LITERAL:
            return chars | {chr(arg)}, False
        if op is constants.IN:
            for kind, value in arg:
                if kind is constants.LITERAL:
                    chars.add(chr(value))
                elif kind is constants.RANGE:
                    chars.update(map(chr, range(value[0], value[1] + 1)))
                else:
                    raise AssertionError(f"unexpected set item {kind}")
            return chars, False
        if op is constants.SUBPATTERN:
            found, empty = _firsts(arg[-1], parser)
        elif op is constants.BRANCH:
            found, empty = set(), False
            for branch in arg[1]:
                more, branch_empty = _firsts(branch, parser)
                found |= more
                empty = empty or branch_empty
        elif op in (constants.MAX_REPEAT, constants.MIN_REPEAT):
            found, empty = _firsts(arg[2], parser)
            empty = empty or arg[0] == 0
        elif op in (constants.ASSERT, constants.ASSERT_NOT, constants.AT):
            continue  # zero width
        else:
            raise AssertionError(f"unexpected regex opcode {op}")
        chars |= found
        if not empty:
            return chars, False
    return chars, True


def test_first_chars_are_what_the_compiled_pattern_can_start_with() -> None:
    """Inside a run of backslashes, the scrubber tries the secrets only where ``first_chars``
    says a match can start: it must list exactly what the pattern's forms start with."""
    parser = _parser()
    rng = random.Random(13)
    alphabet = "aZ09 \"\\/+%&<>'\n\t\b\x7f\x80éÿĀ€\uffff😀\U0010fffd-_~#;"
    secrets = [PASSWORD, PISTE_SECRET, CHORUS_PASSWORD, TOKEN, API_KEY] + [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(4, 12))) for _ in range(300)
    ]
    for secret in secrets:
        scrubber = Scrubber((secret,))
        for pattern, lead in ((scrubber.pattern, False), (scrubber.inner, True)):
            found, empty = _firsts(parser.parse(pattern.pattern), parser)
            assert not empty
            assert found == first_chars(secret[0], lead), (secret, lead)


def test_encoded_starts_are_what_the_forms_but_the_character_start_with() -> None:
    """A text without any of ``encoded_starts`` is searched for the secrets as they are,
    without the regexes of their forms: every form but the character itself must start
    with one of them."""
    parser = _parser()
    for char in "aZ09 \"\\/+%&<>'\n\t\b\x7f\x80éÿĀ€\uffff😀\U0010fffd-_~#;":
        tree = list(parser.parse(char_forms(char)))  # literal|form|...: one branch
        assert len(tree) == 1, char
        assert tree[0][0] is parser.BRANCH, char
        branches = tree[0][1][1]
        others = [b for b in branches if list(b) != [(parser.LITERAL, ord(char))]]
        assert len(others) == len(branches) - 1, char
        found: set[str] = set()
        for branch in others:
            more, empty = _firsts(branch, parser)
            assert not empty
            found |= more
        assert found == encoded_starts(char), char


def test_scrubbing_without_encoded_forms_gives_what_the_whole_pattern_gives() -> None:
    """The same result on both paths, secrets overlapping or repeated; and a plain text
    leaves the regexes of the encoded forms uncompiled (a 255-character token makes them
    take a large fraction of a second)."""
    rng = random.Random(29)
    plain = "abcdeXYZ019 -_.:;!é€😀"  # é € 😀: a secret's own characters may be non-ASCII
    for _ in range(100):
        secrets = tuple(
            "".join(rng.choice(plain) for _ in range(rng.randint(4, 9)))
            for _ in range(rng.randint(1, 3))
        )
        scrubber = Scrubber(secrets)
        pieces = [*secrets, *(s[: rng.randint(1, len(s))] for s in secrets), "abc", "%", "&"]
        for _ in range(8):
            text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
            assert scrubber.sub(text) == scrubber.pattern.sub("***", text), (secrets, text)
    token = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(255))
    scrubber = Scrubber((token,))
    assert scrubber.sub(f"refused: {token}. Try again") == "refused: ***. Try again"
    assert not {"pattern", "_outer", "inner"} & set(vars(scrubber))
    # A "?" may be an encoded "€", but a match must start with a form of the first "p".
    scrubber = Scrubber(("pass word €uro",))
    assert scrubber.sub("Is it ok? yes + no") == "Is it ok? yes + no"
    assert not {"pattern", "_outer", "inner"} & set(vars(scrubber))
