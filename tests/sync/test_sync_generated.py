"""The generator of the blocking facade: up to date, faithful, and all a new method needs."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import factpulse_chorus
from factpulse_chorus import _sync_generated
from factpulse_chorus._client import AsyncChorusClient
from factpulse_chorus.sandbox import ThreadedSandbox

ROOT = Path(__file__).resolve().parents[2]
GENERATED = "_sync_generated.py"


def _load_generator() -> Any:
    # scripts/ is not a package (the generator is not shipped): load it from its path.
    spec = importlib.util.spec_from_file_location(
        "generate_sync", ROOT / "scripts/generate_sync.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate_sync = _load_generator()
MARKER = generate_sync.MARKER
GeneratorError = generate_sync.GeneratorError
check, main, render = generate_sync.check, generate_sync.main, generate_sync.render


def test_the_generated_file_is_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert check() == ""
    assert main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_check_compares_whole_files_and_the_set_of_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = generate_sync.render_files()[GENERATED]
    (tmp_path / GENERATED).write_text(expected.replace("def consulter(", "def consult(", 1))
    (tmp_path / "_old_generated.py").write_text(f"{MARKER} from an old client\n")
    (tmp_path / "handwritten.py").write_text("# not generated\n")

    assert main(["--check"], root=tmp_path) == 1
    captured = capsys.readouterr()
    assert "-    def consult(" in captured.out
    assert "+    def consulter(" in captured.out
    assert "--- a/_old_generated.py\n+++ /dev/null" in captured.out  # stale file
    assert "nox -s generate" in captured.err

    assert main([], root=tmp_path) == 0
    assert (tmp_path / GENERATED).read_text() == expected
    assert not (tmp_path / "_old_generated.py").exists()
    assert (tmp_path / "handwritten.py").exists()
    assert check(tmp_path) == ""


def test_a_missing_generated_file_is_a_difference(tmp_path: Path) -> None:
    diff = check(tmp_path)
    assert diff.startswith(f"--- /dev/null\n+++ b/{GENERATED}\n")


def test_the_output_does_not_depend_on_the_run() -> None:
    first = generate_sync.render_files()
    assert generate_sync.render_files() == first


def test_the_generator_runs_the_ruff_that_nox_pins() -> None:
    noxfile = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    assert f'RUFF = "ruff=={generate_sync.RUFF_VERSION}"' in noxfile


PAIRS = [
    ("ChorusClient", "factpulse_chorus._client", "AsyncChorusClient"),
    ("Structures", "factpulse_chorus.resources.structures", "AsyncStructures"),
    ("Factures", "factpulse_chorus.resources.factures", "AsyncFactures"),
    ("Transverses", "factpulse_chorus.resources.transverses", "AsyncTransverses"),
    ("Valideur", "factpulse_chorus.resources.valideur", "AsyncValideur"),
    ("InvoiceWatcher", "factpulse_chorus._watcher", "AsyncInvoiceWatcher"),  # factures.watch()
]
SYNC_NAMES = {async_name: sync_name for sync_name, _, async_name in PAIRS}
DOC_NAMES = {**SYNC_NAMES, "InvoicePoller": "BlockingInvoicePoller"}


def sync_annotation(text: Any) -> Any:
    if not isinstance(text, str):
        return text  # `self`: no annotation
    for async_name, sync_name in SYNC_NAMES.items():
        text = text.replace(async_name, sync_name)
    return text


@pytest.mark.parametrize(("sync_name", "module", "async_name"), PAIRS)
def test_every_async_method_has_its_twin(sync_name: str, module: str, async_name: str) -> None:
    async_cls = getattr(importlib.import_module(module), async_name)
    sync_cls = getattr(_sync_generated, sync_name)
    names = {"aclose": "close", "__aenter__": "__enter__", "__aexit__": "__exit__"}
    for name, member in vars(async_cls).items():
        if not inspect.iscoroutinefunction(member) or (name.startswith("_") and name not in names):
            continue
        twin = getattr(sync_cls, names.get(name, name))
        assert not inspect.iscoroutinefunction(twin)
        async_sig, sync_sig = inspect.signature(member), inspect.signature(twin)
        assert list(sync_sig.parameters) == list(async_sig.parameters)
        for a, s in zip(async_sig.parameters.values(), sync_sig.parameters.values(), strict=True):
            assert (s.kind, s.default) == (a.kind, a.default), (name, a.name)
            assert s.annotation == sync_annotation(a.annotation), (name, a.name)
        assert sync_sig.return_annotation == sync_annotation(async_sig.return_annotation)
        if member.__doc__:
            blocking = generate_sync.blocking_doc(member.__doc__, DOC_NAMES, name)
            assert inspect.cleandoc(twin.__doc__).split() == blocking.split()
    if async_cls is AsyncChorusClient:
        assert inspect.signature(sync_cls) == inspect.signature(AsyncChorusClient)


def test_chorus_client_is_exported_lazily() -> None:
    assert factpulse_chorus.ChorusClient is _sync_generated.ChorusClient
    assert "ChorusClient" in factpulse_chorus.__all__
    assert "SyncInAsyncContextError" in factpulse_chorus.__all__


TOY = '''
"""A client with one more sub-client, as a new feature would add it."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio

from factpulse_chorus._client import AsyncChorusClient
from factpulse_chorus.models.common import FileFormat

EVENTS: list[str] = []


class AsyncGadgets:
    """Gadgets: a coroutine, an async generator and an async context manager."""

    def __init__(self, client: AsyncChorusClient) -> None:
        self._client = client

    async def ping(self, value: int, /, *, fmt: FileFormat = FileFormat.PDF, tag: str = "t") -> str:
        """Echo ``value``."""
        await anyio.sleep(0)
        return f"{value}-{fmt.value}-{tag}"

    async def count(self, n: int) -> AsyncIterator[int]:
        """Count from 0 to ``n - 1``."""
        try:
            for i in range(n):
                await anyio.sleep(0)
                yield i
        finally:
            EVENTS.append("count closed")

    @asynccontextmanager
    async def opened(self, name: str) -> AsyncIterator[str]:
        """Hold ``name`` open; use it as ``async with gadgets.opened(...)``."""
        EVENTS.append("enter")
        try:
            yield name.upper()
        finally:
            EVENTS.append("exit")


class AsyncToyClient(AsyncChorusClient):
    """Async client with gadgets."""

    @functools.cached_property
    def gadgets(self) -> AsyncGadgets:
        """The gadgets."""
        return AsyncGadgets(self)
'''


@pytest.fixture
def toy_modules(tmp_path: Path) -> Iterator[tuple[Any, str]]:
    (tmp_path / "toy_async.py").write_text(textwrap.dedent(TOY))
    sys.path.insert(0, str(tmp_path))
    try:
        toy = importlib.import_module("toy_async")
        source = render(toy.AsyncToyClient, sync_name="ToyClient", target_module="toy_sync")
        (tmp_path / "toy_sync.py").write_text(source)
        yield importlib.import_module("toy_sync"), source
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("toy_async", None)
        sys.modules.pop("toy_sync", None)


def test_a_new_sub_client_only_needs_a_rerun(
    toy_modules: tuple[Any, str], chorus_sandbox: ThreadedSandbox
) -> None:
    toy_sync, source = toy_modules
    assert source.startswith(MARKER)
    assert "def ping(self, value: int, /, *, fmt: FileFormat = FileFormat.PDF" in source
    assert "def count(self, n: int) -> Iterator[int]:" in source
    assert "def opened(self, name: str) -> AbstractContextManager[str]:" in source
    assert "use it as ``with gadgets.opened(...)``" in source
    events = sys.modules["toy_async"].EVENTS

    invoice = chorus_sandbox.domain.seed_invoice()
    with toy_sync.ToyClient(base_url=chorus_sandbox.url, email="demo", password="demo") as toy:
        assert toy.gadgets.ping(3, tag="x") == "3-PDF-x"
        assert list(toy.gadgets.count(3)) == [0, 1, 2]
        with toy.gadgets.count(10) as numbers:
            assert next(numbers) == 0
        assert events == ["count closed", "count closed"]
        with toy.gadgets.opened("abc") as value:
            assert value == "ABC"
            assert events[-1] == "enter"
        assert events[-1] == "exit"
        # ...and everything the client had already.
        assert toy.factures.consulter(invoice).invoice_id == invoice
        assert toy.with_options(timeout=2.0).gadgets.ping(1) == "1-PDF-t"


ODD = '''
from __future__ import annotations

from factpulse_chorus._client import AsyncChorusClient


class AsyncOdd:
    """Odd."""

    {member}


class AsyncOddClient(AsyncChorusClient):
    @property
    def odd(self) -> AsyncOdd:
        return AsyncOdd()
'''


@pytest.mark.parametrize(
    ("member", "message"),
    [
        ("def helper(self) -> int:\n        return 1", r"AsyncOdd\.helper: a plain method"),
        (
            "async def other(self) -> AsyncChorusClient:\n        raise NotImplementedError",
            r"AsyncOdd\.other: 'AsyncChorusClient' in a signature",
        ),
        (
            "async def take(self, c: AsyncOdd) -> None:\n        pass",
            r"AsyncOdd\.take: 'AsyncOdd' in a signature",
        ),
    ],
)
def test_unknown_shapes_are_refused_loudly(tmp_path: Path, member: str, message: str) -> None:
    (tmp_path / "odd_async.py").write_text(ODD.format(member=member))
    sys.path.insert(0, str(tmp_path))
    try:
        odd = importlib.import_module("odd_async")
        with pytest.raises(GeneratorError, match=message):
            render(odd.AsyncOddClient, sync_name="OddClient", target_module="odd_sync")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("odd_async", None)


def _generated_docstrings() -> Iterator[tuple[str, str]]:
    for name in _sync_generated.__all__:
        cls = getattr(_sync_generated, name)
        yield name, inspect.cleandoc(cls.__doc__ or "")
        for member_name, member in vars(cls).items():
            function = getattr(member, "fget", None) or getattr(member, "func", None) or member
            yield (
                f"{name}.{member_name}",
                inspect.cleandoc(getattr(function, "__doc__", None) or ""),
            )


def test_no_generated_docstring_speaks_of_the_async_client() -> None:
    docs = dict(_generated_docstrings())
    assert "Factures.poll" in docs
    assert "BlockingInvoicePoller.summary" in docs
    for where, doc in docs.items():
        for async_only in ("await ", "async for", "async with", "aclose"):
            assert async_only not in doc, (where, async_only)
        assert "InvoicePoller(" not in doc, where
    assert "with\nclient.factures.poll(ids) as poller: for event in poller" in docs["Factures.poll"]


def test_the_blocking_poll_is_typed_as_what_it_returns(chorus_sandbox: ThreadedSandbox) -> None:
    from factpulse_chorus._polling import InvoicePoller
    from factpulse_chorus.models import PollFinished, PollSummary
    from factpulse_chorus.resources.factures import AsyncFactures

    assert inspect.signature(AsyncFactures.poll).return_annotation == "InvoicePoller"
    poll = inspect.signature(_sync_generated.Factures.poll)
    assert poll.return_annotation == "BlockingInvoicePoller"
    twin = _sync_generated.BlockingInvoicePoller
    assert inspect.signature(twin.summary.fget).return_annotation == "PollSummary"

    paid = chorus_sandbox.domain.seed_invoice(status="MISE_EN_PAIEMENT")
    with _sync_generated.ChorusClient(
        base_url=chorus_sandbox.url, email="demo", password="demo"
    ) as client:
        with client.factures.poll([paid], interval=0.01) as events:
            assert isinstance(events, twin)
            assert isinstance(events._async, InvoicePoller)
            assert events.summary.pending == (paid,)  # readable before the first event
            kinds = [type(event).__name__ for event in events]
        assert kinds[-1] == PollFinished.__name__
        assert isinstance(events.summary, PollSummary)
        assert events.summary.requests >= 1
        assert events.summary.pending == ()
        never_iterated = client.factures.poll([paid], interval=0.01)
        never_iterated.close()  # closes the poller although it never started
        assert list(never_iterated) == []


def test_docstring_rules_and_markers() -> None:
    doc = """Do it.

    Use ``async with x.open() as y: async for item in y: ...``; then ``await x.aclose()``.

    With the async client: the AsyncChorusClient's loop is yours.

    With the blocking client: each call blocks its thread.
    """
    text = generate_sync.blocking_doc(doc, DOC_NAMES, "f")
    assert text == (
        "Do it.\n\nUse ``with x.open() as y: for item in y: ...``; then ``x.close()``.\n\n"
        "Each call blocks its thread."
    )


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("Build ``InvoicePoller(client.factures.consulter, ids)``.", r"builds InvoicePoller"),
        ("Call ``__aiter__`` yourself.", r"still says '__aiter__'"),
        ("Define an ``async def`` hook.", r"still says 'async def'"),
    ],
)
def test_docstrings_the_rules_cannot_make_true_are_refused(doc: str, message: str) -> None:
    with pytest.raises(GeneratorError, match=message):
        generate_sync.blocking_doc(doc, DOC_NAMES, "f")
