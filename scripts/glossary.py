"""Write the README's glossary of names from the models themselves.

Every field of every public model maps an SDK name to a wire name; the method parameters
are the request fields of the same name (tests/client/test_public_names.py holds them to
that). This prints the table, or with ``--write`` replaces the README's glossary section
between its two markers, and with ``--check`` fails when the README is stale.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path

import attrs

from factpulse_chorus import models
from factpulse_chorus._wire import FALLBACK, wire_name

README = Path(__file__).resolve().parent.parent / "README.md"
START = "<!-- glossary:start (scripts/glossary.py writes this table) -->"
END = "<!-- glossary:end -->"
_PLUMBING = frozenset({"raw", "extra", "credentials"})
_GROUP_METHOD = re.compile(
    r"^(Structures|Factures|Transverses|Valideur)([A-Z]\w*?)(Request|Response)$"
)


def _where(cls: type) -> str:
    """``factures.soumettre`` for FacturesSoumettreRequest/Response; the class name else."""
    match = _GROUP_METHOD.match(cls.__name__)
    if match is None:
        return cls.__name__
    group, method, _ = match.groups()
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", method).lower()
    return f"{group.lower()}.{snake}"


def _not_on_the_wire(cls: type) -> bool:
    """Results the SDK builds itself (poll events, helper results, the raw response)."""
    return cls.__name__.endswith("Result") or not cls.__module__.startswith(models.__name__)


def glossary() -> str:
    """The markdown table: SDK name -> each wire name with where it is used."""
    uses: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for name in models.__all__:
        cls = getattr(models, name)
        if not (isinstance(cls, type) and attrs.has(cls)) or _not_on_the_wire(cls):
            continue
        for attribute in attrs.fields(cls):
            if attribute.name in _PLUMBING:
                continue
            for key in (wire_name(attribute), *attribute.metadata.get(FALLBACK, ())):
                uses[attribute.name][key].add(_where(cls))
    lines = ["| SDK name | wire name: where |", "|---|---|"]
    for sdk_name in sorted(uses):
        cells = [
            f"`{key}`: {', '.join(sorted(where))}" for key, where in sorted(uses[sdk_name].items())
        ]
        lines.append(f"| `{sdk_name}` | {'<br>'.join(cells)} |")
    return "\n".join(lines) + "\n"


def _with_glossary(text: str) -> str:
    start, end = text.index(START) + len(START), text.index(END)
    return text[:start] + "\n" + glossary() + text[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update README.md in place")
    parser.add_argument("--check", action="store_true", help="fail when README.md is stale")
    options = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    if options.check:
        if _with_glossary(text) != text:
            print("README.md's glossary is stale: run python scripts/glossary.py --write")
            return 1
        return 0
    if options.write:
        README.write_text(_with_glossary(text), encoding="utf-8")
        return 0
    sys.stdout.write(glossary())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
