"""Lazy package faces: a package writes its exports once, as ``{module: names}``, and each
name's module is imported on first use.

Imports nothing of the SDK (the sandbox uses it without loading the client).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, tuple[str, ...]]
) -> tuple[dict[str, str], Callable[[str], Any], Callable[[], list[str]]]:
    """The name -> module map of ``exports`` (modules relative to ``package``) and the
    package's ``__getattr__`` and ``__dir__`` (PEP 562) serving those names."""
    where = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)  # looked up once
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where})

    return where, __getattr__, __dir__
