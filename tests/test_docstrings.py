"""No docstring of the package cites the private wire reference (issue #17).

Users never see that reference, so ``REFERENCE.md``, ``REFERENCE §x.y`` or a bare ``§``
mark in a docstring points them at nothing. Every module is imported (none skipped) and
every docstring reachable from it is read: the module's, its classes', functions',
methods' and properties'. Attribute docstrings (a string after an assignment, or ``#:``
comments) exist only in the source, so each module's source is read for those too.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import factpulse_chorus

CITATION = re.compile(r"REFERENCE|§")


def _modules() -> list[ModuleType]:
    modules: list[ModuleType] = [factpulse_chorus]
    prefix = factpulse_chorus.__name__ + "."
    for info in pkgutil.walk_packages(factpulse_chorus.__path__, prefix):
        modules.append(importlib.import_module(info.name))
    return modules


MODULES = _modules()


def _members(owner: Any, module: str, qualname: str) -> Iterator[tuple[str, Any]]:
    """``(dotted name, object)`` of every class, function, method and property of ``owner``
    defined in ``module`` (re-exports are checked where they are defined)."""
    for name, value in vars(owner).items():
        target = value.__func__ if isinstance(value, (staticmethod, classmethod)) else value
        where = f"{qualname}.{name}"
        if isinstance(target, property):
            if target.fget is not None and target.fget.__module__ == module:
                yield where, target
        elif inspect.isclass(target):
            if target.__module__ == module and target.__qualname__.endswith(name):
                yield where, target
                yield from _members(target, module, where)
        elif inspect.isfunction(target) and target.__module__ == module:
            yield where, target


def _runtime_docstrings(module: ModuleType) -> Iterator[tuple[str, str]]:
    yield module.__name__, module.__doc__ or ""
    for where, value in _members(module, module.__name__, module.__name__):
        yield where, value.__doc__ or ""


def _source_docstrings(module: ModuleType) -> Iterator[tuple[str, str]]:
    """Bare string statements (attribute docstrings included) and ``#:`` comments."""
    path = Path(module.__file__ or "")
    source = path.read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            text = node.value.value
            if isinstance(text, str):
                yield f"{path.name}:{node.lineno}", text
    for number, line in enumerate(source.splitlines(), start=1):
        if line.lstrip().startswith("#:"):
            yield f"{path.name}:{number}", line


def _citations(module: ModuleType) -> list[str]:
    """One ``where: line`` per citing line; a line seen both at run time and in the
    source is reported once, under its dotted name."""
    seen: dict[str, str] = {}
    for where, text in [*_runtime_docstrings(module), *_source_docstrings(module)]:
        for line in text.splitlines():
            if CITATION.search(line):
                seen.setdefault(line.strip(), where)
    return [f"{where}: {line}" for line, where in seen.items()]


def test_every_module_is_imported() -> None:
    names = {module.__name__ for module in MODULES}
    assert {"factpulse_chorus._sync_generated", "factpulse_chorus.sandbox.handlers"} <= names
    assert len(names) == len(MODULES)


def test_the_walk_reads_every_kind_of_docstring() -> None:
    # Guards the checker itself: a walk that read nothing would pass vacuously.
    common = importlib.import_module("factpulse_chorus.models.common")
    runtime = dict(_runtime_docstrings(common))
    assert "Zero-trust" in runtime["factpulse_chorus.models.common.ChorusProCredentials"]
    assert "production" in runtime["factpulse_chorus.models.common.ChorusProCredentials.production"]
    assert any(text.lstrip().startswith("#:") for _, text in _source_docstrings(common))


def test_no_docstring_cites_the_wire_reference() -> None:
    offenders = [line for module in MODULES for line in _citations(module)]
    listing = "\n".join(offenders)
    assert offenders == [], f"docstrings citing the private wire reference:\n{listing}"
