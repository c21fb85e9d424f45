"""The two JSON readers (standard library, orjson) give the same values for the same body.

orjson is in the ``test`` extra; its tests are skipped where it is not installed. The
standard library path is also checked end to end in a subprocess forced onto it with
``FACTPULSE_CHORUS_JSON=stdlib``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from factpulse_chorus import _json

EXAMPLES = sorted((Path(__file__).parent.parent / "data" / "examples").glob("*.json"))
HAS_ORJSON = importlib.util.find_spec("orjson") is not None
needs_orjson = pytest.mark.skipif(not HAS_ORJSON, reason="orjson is not installed")

# Bodies where orjson alone would differ from the standard library (or refuse them).
EDGE_BODIES = [
    b'{"montant": 1234567890123.456789}',  # decimal(19,6): more digits than a float holds
    b'{"montant": 1234567890123456e-3}',
    b'{"n": 123456789012345678901234567890}',  # beyond 64 bits
    b'{"n": [0.1, 1250.50, 1e5, -0, 123456789012345]}',
    b'{"n": NaN, "m": Infinity}',
    b'\xef\xbb\xbf{"bom": true}',
    b'{"surrogate": "\\ud800"}',
    '{"utf16": "é"}'.encode("utf-16"),
    b"1234567890.1234567",
    b'"just a string"',
    b'{"text": "a run of digits 12345678901234567890 in a string"}',
]


def typed(value: Any) -> str:
    """Equality that also tells a float from a Decimal and an int from a float."""
    return repr(value)


@needs_orjson
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_both_readers_give_the_same_values_for_the_examples(path: Path) -> None:
    body = path.read_bytes()
    assert typed(_json.loads_orjson(body)) == typed(_json.loads_stdlib(body))
    assert _json.loads_stdlib(body) == json.loads(body)  # nothing changes for these


@needs_orjson
@pytest.mark.parametrize("body", EDGE_BODIES)
def test_both_readers_agree_where_orjson_alone_would_not(body: bytes) -> None:
    assert typed(_json.loads_orjson(body)) == typed(_json.loads_stdlib(body))


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"a": 1234567890123.456789}', Decimal("1234567890123.456789")),
        (b'{"a": 1234567890123456e-3}', Decimal("1234567890123456e-3")),
        (b'{"a": 1250.50}', 1250.5),
        (b'{"a": 123456789012345.6}', Decimal("123456789012345.6")),
        (b'{"a": 12345678901234.5}', 12345678901234.5),
        (b'{"a": 123456789012345678901234567890}', 123456789012345678901234567890),
    ],
)
def test_numbers_too_long_for_a_float_keep_every_digit(body: bytes, expected: Any) -> None:
    for loads in (_json.loads_stdlib, _json.loads_orjson) if HAS_ORJSON else (_json.loads,):
        value = loads(body)["a"]
        assert typed(value) == typed(expected)


@pytest.mark.parametrize("body", [b"", b"{", b'{"a": }', b"<html>", b'{"a": 1} x'])
def test_both_readers_refuse_the_same_bodies_with_the_same_words(body: bytes) -> None:
    with pytest.raises(ValueError) as stdlib:
        _json.loads_stdlib(body)
    if HAS_ORJSON:
        with pytest.raises(ValueError) as orjson:
            _json.loads_orjson(body)
        assert str(orjson.value) == str(stdlib.value)


def _backend(env: dict[str, str]) -> str:
    code = (
        "from factpulse_chorus import _json;"
        "print(_json.BACKEND, _json.loads is _json.loads_stdlib,"
        ' repr(_json.loads(b\'{"a": 1234567890123.456789, "b": [1.5, 2]}\')))'
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def test_the_environment_variable_forces_the_standard_library() -> None:
    values = "{'a': Decimal('1234567890123.456789'), 'b': [1.5, 2]}"
    assert _backend({"FACTPULSE_CHORUS_JSON": "stdlib"}) == f"json True {values}"
    expected = "orjson False" if HAS_ORJSON else "json True"
    assert _backend({"FACTPULSE_CHORUS_JSON": ""}) == f"{expected} {values}"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"a": Decimal("1234567890123.456789")}, '{"a":1234567890123.456789}'),
        ([Decimal("0.10"), "0.10", {"k": (Decimal("-1"), None)}], '[0.10,"0.10",{"k":[-1,null]}]'),
        ({"s": 'a marker-like "quote"'}, '{"s":"a marker-like \\"quote\\""}'),
    ],
)
def test_written_decimals_keep_their_digits(value: Any, text: str) -> None:
    assert _json.dumps(value) == text
    assert typed(_json.loads(text.encode())) == typed(json.loads(text, parse_float=_json._number))
