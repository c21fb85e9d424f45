"""A griffe extension for the API reference: reST inline roles in docstrings read as code.

The package's docstrings are written for ``help()`` and editors, with Sphinx roles
(``:class:`InvoicePoller```, ``:meth:`~AsyncFactures.poll```). Markdown has no roles, so
each becomes an inline code span of its target (``~`` keeps the last dotted part, as
Sphinx shows it). The docstrings themselves are not changed.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|attr|data|mod|exc|obj|const):`(~?)([^`]+)`")


def _code(match: re.Match[str]) -> str:
    target = match[2]
    if match[1]:
        target = target.rsplit(".", 1)[-1]
    return f"`{target}`"


class ReSTRolesAsCode(griffe.Extension):
    """Rewrite the roles of every loaded docstring, once, when the object is loaded."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _ROLE.sub(_code, obj.docstring.value)
