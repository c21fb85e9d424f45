"""The models through the converter: JSON round trips, exact request wire names, the shape
every model shares."""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from models_support import (
    ENDPOINTS,
    HYPOTHESIS,
    NESTED_RESPONSE_CLASSES,
    REQUEST_CLASSES,
    REQUEST_WIRE_NAMES,
    RESPONSE_CLASSES,
    expected_names,
    model_strategy,
    wire_round_trip,
)

from factpulse_chorus import models as models_package
from factpulse_chorus._converter import encode_json, parse_date, to_wire
from factpulse_chorus._wire_values import paris_time
from factpulse_chorus.models import common, factures, structures, transverses, valideur
from factpulse_chorus.models.common import (
    APIResponse,
    ChorusProCredentials,
    RawResponse,
    SearchPagination,
)

# --- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls", RESPONSE_CLASSES + NESTED_RESPONSE_CLASSES, ids=lambda c: c.__name__
)
def test_response_models_round_trip_through_json(cls: type) -> None:
    @HYPOTHESIS
    @given(model_strategy(cls, request=False))
    def check(obj: Any) -> None:
        assert wire_round_trip(obj) == obj

    check()


def _check_request_body(obj: Any, body: Mapping[str, Any]) -> None:
    names = expected_names(type(obj))
    expected = {names[name] for name in names if getattr(obj, name) is not None}
    extra = dict(getattr(obj, "extra", {}))
    assert set(body) == expected | set(extra)
    for key, value in extra.items():
        assert body[key] == value
    for name, wire in names.items():
        value = getattr(obj, name)
        if attrs.has(type(value)):
            _check_request_body(value, body[wire])
        elif isinstance(value, tuple) and value and attrs.has(type(value[0])):
            assert len(body[wire]) == len(value)
            for item, item_body in zip(value, body[wire], strict=True):
                _check_request_body(item, item_body)
        elif isinstance(value, Decimal):
            if type(obj) is factures.FacturesSoumettreRequest:
                assert body[wire] == f"{value:.2f}"  # typed endpoint: a 2-decimal string
            else:
                # Native: a JSON number written from the Decimal's own digits, no float.
                assert isinstance(body[wire], Decimal)
                text = encode_json({"n": body[wire]})
                assert text == '{"n":' + format(value, "f") + "}"
                assert json.loads(text, parse_float=Decimal, parse_int=Decimal)["n"] == value
        elif isinstance(value, datetime):
            sent = parse_date(body[wire])
            # Date-time filters carry an offset; a naive value is Paris wall time.
            assert isinstance(sent, datetime)
            assert sent.utcoffset() is not None
            assert sent == paris_time(value)
            assert sent.replace(tzinfo=None) == value.replace(tzinfo=None)
        elif isinstance(value, date):
            assert body[wire] == value.isoformat()
        elif isinstance(value, common._WireEnum):
            assert body[wire] == value.value
            assert type(body[wire]) is str


@pytest.mark.parametrize("cls", REQUEST_CLASSES, ids=lambda c: c.__name__)
def test_request_bodies_use_exact_wire_names_and_leave_unset_fields_out(cls: type) -> None:
    @HYPOTHESIS
    @given(model_strategy(cls, request=True))
    def check(obj: Any) -> None:
        body = to_wire(obj)
        encode_json(body)  # really JSON, as the transport writes it
        _check_request_body(obj, body)

    check()


def exported_from(module: types.ModuleType) -> tuple[str, ...]:
    """The names ``factpulse_chorus.models`` exports from ``module`` (its map is their home)."""
    return models_package._EXPORTS["." + module.__name__.rpartition(".")[2]]


def test_every_endpoint_has_a_request_and_a_response_model() -> None:
    assert len(ENDPOINTS) == 16
    for cls in [*REQUEST_CLASSES, SearchPagination, ChorusProCredentials]:
        assert attrs.has(cls)
        assert cls.__attrs_attrs__ is not None
        assert cls in REQUEST_WIRE_NAMES
    for cls in RESPONSE_CLASSES:
        assert issubclass(cls, APIResponse)
    for module in (common, structures, factures, transverses, valideur):
        for name in exported_from(module):
            obj = getattr(module, name)
            if isinstance(obj, type):
                assert obj.__doc__, name
                if attrs.has(obj):
                    params = obj.__attrs_attrs__
                    assert all(p.kw_only for p in params) or obj is RawResponse
                    instance = object.__new__(obj)
                    with pytest.raises(attrs.exceptions.FrozenInstanceError):
                        setattr(instance, params[0].name, None)


def test_annotations_resolve_for_every_model() -> None:
    for module in (common, structures, factures, transverses, valideur):
        for name in exported_from(module):
            obj = getattr(module, name)
            if isinstance(obj, type) and attrs.has(obj):
                hints = typing.get_type_hints(obj)
                assert set(hints) >= {a.name for a in attrs.fields(obj)}
