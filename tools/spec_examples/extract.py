"""Fenced code blocks of the documentation, each with its page and line."""

from __future__ import annotations

import re
from dataclasses import dataclass

PAGE_RE = re.compile(r"^<!--\s*(\S+\.md)\s*-->\s*$")
FENCE_OPEN_RE = re.compile(r"^(\s*)```(\w+)\s*$")
FENCE_RE = re.compile(r"^\s*```")


@dataclass
class Block:
    index: int
    page: str
    line: int  # the line of the opening fence, 1-based
    source: str  # dedented
    language: str = "python"

    @property
    def first_code_line(self) -> int:
        return self.line + 1

    @property
    def label(self) -> str:
        return f"{self.page}:{self.line}"


def _dedent(lines: list[str], indent: int) -> str:
    body = [ln[indent:] if ln[:indent].strip() == "" else ln for ln in lines]
    return "\n".join(body) + "\n"


def extract_blocks(text: str, languages: tuple[str, ...] = ("python",)) -> list[Block]:
    """Every fenced block in one of ``languages``, in order; pages come from the
    ``<!-- page.md -->`` markers that precede them."""
    blocks: list[Block] = []
    lines = text.split("\n")
    page = "?"
    i = 0
    while i < len(lines):
        if m := PAGE_RE.match(lines[i]):
            page = m.group(1)
        if m := FENCE_OPEN_RE.match(lines[i]):
            j = i + 1
            while j < len(lines) and not FENCE_RE.match(lines[j]):
                j += 1
            if m.group(2) in languages:
                source = _dedent(lines[i + 1 : j], len(m.group(1)))
                blocks.append(Block(len(blocks), page, i + 1, source, m.group(2)))
            i = j
        i += 1
    return blocks
