"""MkDocs hooks (``hooks:`` in mkdocs.yml): pages that repeat what the repository already says.

* ``<!-- readme:section TITLE -->`` becomes the body of the README section ``## TITLE``
  (``intro``: the text before the first section). The README is the guide's source of
  truth, its examples are tested and its glossary is written by ``scripts/glossary.py``;
  its links to other README sections point at the page that includes them.
* ``<!-- exports: PACKAGE GROUP -->`` becomes one mkdocstrings ``:::`` block per public name
  that ``PACKAGE/__init__.py`` exports from its submodule ``GROUP`` (its ``_EXPORTS`` map, read
  without importing the package), so a model added to or renamed in the map is documented
  under its public name and a stale page cannot exist. ``... but not NAME NAME`` leaves out
  names documented on another page.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_EXPORTS_MARK = re.compile(r"<!-- exports: ([\w.]+) (\.[\w.]+)(?: but not ([\w ]+))? -->")
_SECTION_MARK = re.compile(r"<!-- readme:section (.+?) -->")
_ANCHOR_LINK = re.compile(r"\]\(#([\w-]+)\)")


def _slug(title: str) -> str:
    """The anchor a README heading gets on a code host: lower case, punctuation dropped."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def _readme_sections() -> dict[str, str]:
    """``## `` title -> body up to the next ``## `` heading; "intro": what precedes the first."""
    sections: dict[str, list[str]] = {"intro": []}
    current = sections["intro"]
    fenced = False
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("## "):
            current = sections.setdefault(line[3:].strip(), [])
        elif fenced or not line.startswith("# "):  # the page's own title replaces the H1
            current.append(line)
    return {title: "\n".join(lines).strip("\n") for title, lines in sections.items()}


def _section_pages(docs_dir: Path) -> dict[str, str]:
    """README anchor -> the page (path from docs/) that includes that section."""
    pages = {}
    for page in docs_dir.glob("*.md"):
        for title in _SECTION_MARK.findall(page.read_text(encoding="utf-8")):
            pages[_slug(title)] = page.name
    return pages


def _include_sections(markdown: str, docs_dir: Path) -> str:
    if _SECTION_MARK.search(markdown) is None:
        return markdown
    sections, pages = _readme_sections(), _section_pages(docs_dir)

    def link(match: re.Match[str]) -> str:
        if match[1] not in pages:
            raise ValueError(f"README.md links to #{match[1]}, which no docs page includes")
        return f"]({pages[match[1]]})"

    def include(match: re.Match[str]) -> str:
        if match[1] not in sections:
            raise ValueError(f"README.md has no section '## {match[1]}'")
        return _ANCHOR_LINK.sub(link, sections[match[1]])

    return _SECTION_MARK.sub(include, markdown)


def _exports(package: str) -> dict[str, tuple[str, ...]]:
    source = ROOT.joinpath(*package.split("."), "__init__.py").read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            if any(isinstance(t, ast.Name) and t.id == "_EXPORTS" for t in targets):
                assert node.value is not None
                exports: dict[str, tuple[str, ...]] = ast.literal_eval(node.value)
                return exports
    raise ValueError(f"{package}: no _EXPORTS map")


def _reference(match: re.Match[str]) -> str:
    package, group = match[1], match[2]
    names = _exports(package).get(group)
    if not names:
        raise ValueError(f"{package}: _EXPORTS has no {group!r}")
    left_out = set((match[3] or "").split())
    if not left_out <= set(names):
        raise ValueError(f"{package}{group} does not export {sorted(left_out - set(names))}")
    return "\n\n".join(f"::: {package}.{name}" for name in names if name not in left_out)


def on_page_markdown(markdown: str, *, config: Any, **kwargs: Any) -> str:
    """Expand the placeholders before the page is rendered (mkdocstrings then runs)."""
    markdown = _include_sections(markdown, Path(config["docs_dir"]))
    return _EXPORTS_MARK.sub(_reference, markdown)
