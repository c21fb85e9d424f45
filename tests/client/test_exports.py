"""The lazy package faces: the export map, ``__all__`` and the type-checking imports agree."""

from __future__ import annotations

import ast
import importlib
import inspect
from types import ModuleType

import pytest

import factpulse_chorus
import factpulse_chorus.models
import factpulse_chorus.sandbox
import factpulse_chorus.store

FACES = [factpulse_chorus, factpulse_chorus.models, factpulse_chorus.store]


def type_checking_imports(module: ModuleType) -> dict[str, str]:
    """name -> module of the ``if TYPE_CHECKING:`` imports, re-exported as ``X as X``."""
    found: dict[str, str] = {}
    for node in ast.parse(inspect.getsource(module)).body:
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom)
                for alias in statement.names:
                    assert alias.asname == alias.name, f"{alias.name}: import it as itself"
                    found[alias.name] = "." * statement.level + (statement.module or "")
    return found


@pytest.mark.parametrize("face", FACES, ids=lambda m: m.__name__)
def test_the_map_all_and_the_type_checking_imports_agree(face: ModuleType) -> None:
    lazy: dict[str, str] = face._LAZY
    assert type_checking_imports(face) == lazy
    assert set(face.__all__) - {"__version__"} == set(lazy)
    assert len(face.__all__) == len(set(face.__all__))


@pytest.mark.parametrize("face", FACES, ids=lambda m: m.__name__)
def test_every_exported_name_resolves_where_the_map_says(face: ModuleType) -> None:
    for name, module in face._LAZY.items():
        defined = importlib.import_module(module, face.__name__)
        assert getattr(face, name) is getattr(defined, name)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        factpulse_chorus.NoSuchThing  # noqa: B018


def test_the_sandbox_exports_what_it_documents() -> None:
    for name in factpulse_chorus.sandbox.__all__:
        assert getattr(factpulse_chorus.sandbox, name) is not None
