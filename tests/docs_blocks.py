"""The fenced code blocks of README.md and docs/*.md, and the markers that say how to run them.

A block is run according to its language (``tests/docs/test_docs.py``). HTML comments on the lines
right above the opening fence are its markers:

- ``<!-- run: fixture, fixture -->``: run it with these setups (see ``test_docs.FIXTURES``);
- ``<!-- not run: reason -->``: not run, and the reason says why (a marker without one fails);
- ``<!-- example: name -->`` / ``<!-- python: name -->``: a name other tests look the block up by.

Every block needs a language; ``text`` is for output and formats, which are not code.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
_FENCE = re.compile(r"^```(\S*)\s*$")
_MARKER = re.compile(r"^<!--\s*([a-z][a-z ]*?)\s*(?::\s*(.*?))?\s*-->$")


@dataclasses.dataclass(frozen=True)
class Block:
    """One fenced block: where it is, its language, its code and its markers."""

    doc: str  # relative to the repository: "docs/testing.md"
    line: int  # the opening fence, 1-based
    lang: str
    code: str
    markers: tuple[tuple[str, str], ...]

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line}:{self.lang or 'untagged'}"

    def marker(self, key: str) -> str | None:
        return next((value for name, value in self.markers if name == key), None)

    @property
    def fixtures(self) -> tuple[str, ...]:
        value = self.marker("run") or ""
        return tuple(name.strip() for name in value.split(",") if name.strip())


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


def blocks(path: Path) -> Iterator[Block]:
    """The fenced blocks of one Markdown file, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    doc = path.relative_to(ROOT).as_posix()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        end = next(
            (i for i in range(index + 1, len(lines)) if lines[i].startswith("```")), len(lines)
        )
        markers: list[tuple[str, str]] = []
        above = index - 1
        while above >= 0 and (marker := _MARKER.match(lines[above].strip())):
            markers.insert(0, (marker.group(1), marker.group(2) or ""))
            above -= 1
        code = "\n".join(lines[index + 1 : end]) + "\n"
        yield Block(doc, index + 1, opening.group(1), code, tuple(markers))
        index = end + 1


def indented_code(path: Path) -> list[int]:
    """Lines that open an indented code block (four spaces after a blank line, outside a fence
    and outside a list item's continuation)."""
    found, fenced, in_list = [], False, False
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.strip():
            opens = number > 1 and not lines[number - 2].strip()
            if opens and line.startswith("    ") and not in_list:
                found.append(number)
            in_list = bool(re.match(r"\s*(?:[-*+]|\d+\.)\s", line)) or (
                in_list and line.startswith(" ")
            )
    return found


def all_blocks() -> list[Block]:
    return [block for path in doc_files() for block in blocks(path)]


def named(name: str, doc: str = "docs/configuration.md", key: str = "example") -> Block:
    """The block marked ``<!-- key: name -->`` in ``doc``."""
    found = [block for block in blocks(ROOT / doc) if block.marker(key) == name]
    assert len(found) == 1, f"{len(found)} blocks marked {key}: {name!r} in {doc}"
    return found[0]


def doc_example(name: str, doc: str = "configuration.md") -> dict[str, Any]:
    """The JSON block marked ``<!-- example: name -->`` in a file under docs/."""
    block = named(name, f"docs/{doc}")
    assert block.lang == "json", f"example {name!r} in docs/{doc} is not JSON"
    document: dict[str, Any] = json.loads(block.code)
    return document


def chain(block: Block) -> list[Block]:
    """``block`` and the blocks of its file it continues (``<!-- run: continues -->``), in
    order: the first is the one that does not continue an earlier one."""
    if "continues" not in block.fixtures:
        return [block]
    same_lang = [b for b in blocks(ROOT / block.doc) if b.lang == block.lang]
    position = next(i for i, b in enumerate(same_lang) if b.line == block.line)
    start = position
    while start > 0 and "continues" in same_lang[start].fixtures:
        start -= 1
    return same_lang[start : position + 1]
