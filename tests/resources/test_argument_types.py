"""Issue 13, items 6 and 7: every public parameter refuses a wrong-typed value before sending.

The methods and their parameters are found by introspection (both clients' sub-clients,
the poller, the client constructors), so a new method or parameter is covered as soon as
it exists. For each one, hypothesis draws values of a wrong type for its annotation
(read here, independently of the SDK's checker) and the call must raise
RequestValidationError naming that parameter, while the sandbox receives nothing.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import re
import tempfile
import typing
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factpulse_chorus import AsyncChorusClient, ChorusClient, RequestValidationError
from factpulse_chorus._polling import InvoicePoller
from factpulse_chorus.sandbox import ThreadedSandbox, sandbox_in_thread
from factpulse_chorus.store import SQLiteStore

GROUPS = ("structures", "factures", "transverses", "valideur")
API_KEY = "argument-types-key"


async def _fetch(invoice_id: int) -> Any:
    raise AssertionError("never called")


#: A value of the right type for each parameter that has no default (the one under test
#: gets the wrong value). A new required parameter without an entry fails the test.
REQUIRED: dict[str, object] = {
    "invoice_id": 1,
    "invoice_ids": [1],
    "structure_id": 1,
    "siret": "73282932000074",
    "recipient_siret": "73282932000074",
    "file": b"%PDF-1.7",
    "pdf": b"%PDF-1.7",
    "new_status": "MISE_EN_PAIEMENT",
    "action": "VALIDATION",
    "invoice_number": "F-1",
    "invoice_date": date(2025, 1, 1),
    "total_net_amount": Decimal("10.00"),
    "vat_amount": Decimal("2.00"),
    "total_gross_amount": Decimal("12.00"),
    "fetch": _fetch,
    # Never opened: every call under test is refused before it touches the store.
    "store": SQLiteStore(Path(tempfile.gettempdir()) / "argument-types-never-opened.db"),
}


class _Odd:
    """An object of no type the SDK takes."""


def _members(annotation: str) -> list[str]:
    """The top-level members of a ``X | Y`` annotation string (brackets respected)."""
    members, depth, start = [], 0, 0
    for index, char in enumerate(annotation):
        depth += char in "[("
        depth -= char in "])"
        if char == "|" and depth == 0:
            members.append(annotation[start:index].strip())
            start = index + 1
    members.append(annotation[start:].strip())
    if len(members) == 1 and annotation.startswith("NotGivenOr["):
        return [*_members(annotation[len("NotGivenOr[") : -1]), "NotGiven"]
    expanded = []
    for member in members:
        alias = ALIASES.get(member)
        expanded += _members(alias) if alias else [member]
    return expanded


#: The SDK's type aliases, spelt out.
ALIASES = {"TimeoutTypes": "float | Timeout | None", "Headers": "Mapping[str, str]"}


_TEXTUAL = re.compile(r"^(str|\w+Input|\w+Literal|LanguageCode|FileInput)$")
_COLLECTION = re.compile(r"^(Iterable|Collection|Sequence)\[")


def wrong_values(annotation: str) -> list[object]:
    """Values whose type the annotation does not allow (always including an odd object)."""
    members = _members(annotation)
    accepts_none = "None" in members
    textual = any(_TEXTUAL.match(m) for m in members)
    wrong: list[object] = [_Odd(), 1 + 2j]
    if not accepts_none:
        wrong.append(None)
    for member in members:
        if member == "int" or member.startswith("Iterable[int] | int"):
            wrong += ["1", 1.5, True]
        elif member == "float":
            wrong += ["1", True, [1.0]]
        elif member == "bool":
            wrong += ["yes", 1]
        elif member == "Decimal":
            wrong += [1.5, "1.00"]
        elif member in ("date", "datetime"):
            wrong += ["2025-01-01", 20250101]
        elif _TEXTUAL.match(member):
            wrong += [3] if member != "FileInput" else [3, [b"x"]]
            if not any(_COLLECTION.match(m) for m in members):
                wrong.append(["A"])
        elif _COLLECTION.match(member):
            item = member[member.index("[") + 1 : -1]
            wrong += [[_Odd()], {"a": 1}]
            if not {"int", "float"} & set(members):
                wrong.append(3)
            if not textual:
                wrong += ["AB", b"AB"]  # a bare string is not a collection of codes
            if item == "int":
                wrong += [["1"], [1.5]]
        elif member.startswith("Mapping[") or member == "Headers":
            wrong += ["x", [("a", "b")], 3]
            if member == "Headers" or member == "Mapping[str, str]":
                wrong.append({"X-A": 1})
        elif member.startswith("Callable[") or member in ("Fetch", "OnRequest", "OnResponse"):
            wrong += [3, "f"]
        elif member in ("None", "NotGiven") or member.startswith("os.PathLike"):
            pass
        elif re.fullmatch(r"[A-Z]\w+", member):  # a class of the SDK's (credentials, ...)
            wrong += [{"piste_client_id": "x"}, "x", 3]
        elif member.startswith("aiohttp."):
            wrong += ["session", 3]
        else:
            raise AssertionError(f"no wrong values known for {member!r} (in {annotation!r})")
    textual_ok = (str, bytes) if "FileInput" in members else (str,)
    return [
        value
        for value in wrong
        # Keep only values no member accepts (a bool is an int for Python, not for us).
        if not (textual and isinstance(value, textual_ok))
        and not ("float" in members and isinstance(value, int) and not isinstance(value, bool))
        and not (
            any(_COLLECTION.match(m) for m in members) and isinstance(value, list) and not value
        )
    ]


def _parameters(function: Callable[..., Any]) -> Iterator[tuple[str, str, bool]]:
    """(name, annotation, required) of each parameter, ``**filters`` expanded."""
    for name, parameter in inspect.signature(function).parameters.items():
        if name == "self":
            continue
        annotation = str(parameter.annotation)
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            declared = re.fullmatch(r"Unpack\[(\w+)\]", annotation)
            assert declared, f"{function.__qualname__}: **{name} is not an Unpack[TypedDict]"
            module = inspect.getmodule(function)
            typed_dict = _typed_dict(declared[1], module)
            for key, hint in typed_dict.__annotations__.items():
                yield key, getattr(hint, "__forward_arg__", str(hint)), False
            continue
        yield name, annotation, parameter.default is inspect.Parameter.empty


def _typed_dict(name: str, module: Any) -> Any:
    from factpulse_chorus import models

    found = getattr(models, name, None) or getattr(module, name, None)
    assert found is not None, name
    assert typing.is_typeddict(found), name
    return found


@pytest.fixture(scope="module")
def sandbox() -> Iterator[ThreadedSandbox]:
    with sandbox_in_thread(api_keys={API_KEY: "demo"}) as sb:
        yield sb


@pytest.fixture(scope="module")
def clients(sandbox: ThreadedSandbox) -> Iterator[dict[str, Any]]:
    loop = asyncio.new_event_loop()
    async_client = loop.run_until_complete(_open_async(sandbox.url))
    sync_client = ChorusClient(base_url=sandbox.url, api_key=API_KEY)
    try:
        yield {"async": async_client, "sync": sync_client, "loop": loop, "url": sandbox.url}
    finally:
        sync_client.close()
        loop.run_until_complete(async_client.aclose())
        loop.close()


async def _open_async(url: str) -> AsyncChorusClient:
    return AsyncChorusClient(base_url=url, api_key=API_KEY)


def _sub_client_classes() -> dict[tuple[str, str], type]:
    """Each group's sub-client class: ``resources.<group>.Async<Group>`` and its twin."""
    from factpulse_chorus import _sync_generated

    classes: dict[tuple[str, str], type] = {}
    for group in GROUPS:
        module = importlib.import_module(f"factpulse_chorus.resources.{group}")
        classes["async", group] = getattr(module, f"Async{group.capitalize()}")
        classes["sync", group] = getattr(_sync_generated, group.capitalize())
    return classes


_CLASSES = _sub_client_classes()


def _all_cases() -> list[tuple[str, str, str, str, str, bool]]:
    cases = []
    owners: list[tuple[str, str, Callable[..., Any], str]] = []
    for kind, client_cls in (("async", AsyncChorusClient), ("sync", ChorusClient)):
        owners.append((kind, "client", client_cls.__init__, "__init__"))
        for group in GROUPS:
            for name, function in inspect.getmembers(_CLASSES[kind, group], inspect.isfunction):
                if not name.startswith("_"):
                    owners.append((kind, group, function, name))
    owners.append(("async", "poller", InvoicePoller.__init__, "__init__"))
    for kind, owner, function, method in owners:
        for name, annotation, required in _parameters(function):
            cases.append((kind, owner, method, name, annotation, required))
    return cases


CASES = _all_cases()


def test_every_public_method_is_covered() -> None:
    methods = {(kind, owner, method) for kind, owner, method, *_ in CASES}
    # Both clients, every group, the poller and the constructors; searches with filters.
    assert {("async", "factures", "soumettre"), ("sync", "valideur", "traiter")} <= methods
    assert ("async", "poller", "__init__") in methods
    assert len({m for k, o, m in methods if k == "sync"}) >= 20
    names = {name for _, _, method, name, *_ in CASES if method == "iter_fournisseur"}
    assert {"status", "page_size", "credentials", "extra_headers"} <= names


def _call(clients: dict[str, Any], kind: str, owner: str, method: str, kwargs: dict[str, Any]):
    if owner == "client":
        cls = AsyncChorusClient if kind == "async" else ChorusClient
        kwargs = {"base_url": clients["url"], "api_key": API_KEY, **kwargs}
        if kind == "async":

            async def build() -> None:
                client = cls(**kwargs)
                await client.aclose()

            clients["loop"].run_until_complete(build())
        else:
            cls(**kwargs).close()
        return
    if owner == "poller":

        async def poll() -> None:
            InvoicePoller(**kwargs)

        clients["loop"].run_until_complete(poll())
        return
    bound = getattr(getattr(clients[kind], owner), method)
    if kind == "sync":
        result = bound(**kwargs)
        if isinstance(result, Iterator):
            with result if hasattr(result, "__enter__") else _nothing():
                next(result, None)
        return

    async def run() -> None:
        result = bound(**kwargs)
        if inspect.isawaitable(result):
            await result
        elif hasattr(result, "__anext__"):
            try:
                await result.__anext__()
            finally:
                await result.aclose()

    clients["loop"].run_until_complete(run())


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


Case = tuple[str, str, str, str, str, bool]


def _refused(clients: dict[str, Any], sandbox: ThreadedSandbox, case: Case, value: object) -> None:
    """Call ``case``'s method with ``value`` for its parameter: refused, naming it, unsent."""
    kind, owner, method, name, _, _ = case
    kwargs = {
        n: REQUIRED[n]
        for k, o, m, n, _, required in CASES
        if (k, o, m) == (kind, owner, method) and required and n != name
    }
    kwargs[name] = value
    with pytest.raises(RequestValidationError) as info:
        _call(clients, kind, owner, method, kwargs)
    field = info.value.field
    assert field == name or field.startswith((f"{name}[", f"{name}.")), (field, info.value)
    assert sandbox.stats()["requests"] == {}


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_wrong_type_is_refused_naming_the_parameter_and_nothing_is_sent(
    clients: dict[str, Any], sandbox: ThreadedSandbox, data: st.DataObject
) -> None:
    case = data.draw(st.sampled_from(CASES), label="case")
    wrong = st.one_of(
        st.sampled_from(wrong_values(case[4])),
        st.builds(_Odd),
        st.complex_numbers(allow_nan=False, allow_infinity=False, min_magnitude=1),
        st.lists(st.builds(_Odd), min_size=1, max_size=3),
    )
    _refused(clients, sandbox, case, data.draw(wrong, label="value"))


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}.{c[2]}-{c[3]}")
def test_every_parameter_refuses_each_of_its_wrong_values(
    clients: dict[str, Any], sandbox: ThreadedSandbox, case: Case
) -> None:
    # The exhaustive twin of the property test: every parameter, every listed wrong value.
    name, annotation, required = case[3:]
    assert not required or name in REQUIRED, f"add a right-typed value for {name!r}"
    values = wrong_values(annotation)
    assert values
    for value in values:
        _refused(clients, sandbox, case, value)
