"""A fragment's prelude: the statements that bind the names it uses but never defines.

Each comes from the last earlier statement of the same page that binds the name
(page-derived), or, for a few names, from a fixed table (a fresh client for ``pa``, a
completed eval run for ``run``, missing standard imports, ...)."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from .extract import Block
from .fixtures import models_for, rows_for
from .names import flat_statements, free_names, is_none_init, parse, statement_binds

IMPORTS = {
    "Pareta": "from pareta import Pareta",
    "AsyncPareta": "from pareta import AsyncPareta",
    "pareta": "import pareta",
    "asyncio": "import asyncio",
    "time": "import time",
    "Path": "from pathlib import Path",
    "httpx": "import httpx",
    "base64": "import base64",
    "Decimal": "from decimal import Decimal",
    "json": "import json",
    "OpenAI": "from openai import OpenAI",
}
# Names always taken from the fixed table, never from an earlier block: a fresh
# client, and objects whose page-derived statement would poll for seconds.
TABLE_FIRST = {"pa", "run", "run_id", "eval_set"}
SYNC_CLIENT = "from pareta import Pareta\npa = Pareta.from_env()"
ASYNC_CLIENT = "from pareta import AsyncPareta\npa = AsyncPareta.from_env()"


def table_entry(name: str, task: str, async_mode: bool) -> str | None:
    if name in IMPORTS:
        return IMPORTS[name]
    if name == "pa":
        return ASYNC_CLIENT if async_mode else SYNC_CLIENT
    entries = {
        "ep": f"ep = _spec.endpoint({task!r})",
        "endpoint": f"endpoint = _spec.endpoint({task!r})",
        "task_id": f"task_id = {task!r}",
        "task": f"task = {task!r}",
        "eval_set": f"eval_set = _spec.eval_set({task!r})",
        "run": f"run = _spec.run({task!r})",
        "run_id": f"run_id = _spec.run({task!r}).id",
        "items": f"items = {rows_for(task)!r}",
        "candidates": f"candidates = {models_for(task)!r}",
        "resp": "resp = _spec.completion()",
        "stream": "stream = _spec.stream()",
        "chunk": "chunk = _spec.chunk()",
        "my_client": "import httpx\nmy_client = httpx.Client()",
    }
    return entries.get(name)


@dataclass
class PreludeItem:
    name: str
    code: str
    origin: str  # "table" or "page <page>:<line>"


class PageIndex:
    """Top-level binding statements of each block, to derive a fragment's prelude."""

    def __init__(self, blocks: list[Block]) -> None:
        self.by_page: dict[str, list[tuple[Block, ast.Module | None]]] = {}
        for b in blocks:
            try:
                tree: ast.Module | None = parse(b.source)
            except SyntaxError:
                tree = None
            self.by_page.setdefault(b.page, []).append((b, tree))

    def find(
        self, page: str, name: str, before: int, before_line: int | None = None
    ) -> tuple[Block, ast.stmt] | None:
        """The last statement binding `name` on `page` before block `before` (or, with
        `before_line`, before that line of block `before` itself)."""
        for b, tree in reversed(self.by_page.get(page, [])):
            if tree is None or b.index > before or (b.index == before and before_line is None):
                continue
            for st in reversed(flat_statements(tree.body)):
                if b.index == before and before_line is not None and st.lineno >= before_line:
                    continue
                if name in statement_binds(st) and not is_none_init(st):
                    return b, st
        return None


class _Resolver:
    """Walks a block's free names to the statements that bind them, dependencies first."""

    def __init__(self, block: Block, index: PageIndex, task: str, async_mode: bool) -> None:
        self.block, self.index, self.task, self.async_mode = block, index, task, async_mode
        self.items: list[PreludeItem] = []
        self.done: set[str] = set()
        self.missing: list[str] = []

    def resolve(self, name: str, before: tuple[int, int | None], stack: tuple[str, ...]) -> None:
        if name in self.done or name in stack:
            return
        found = None
        if name not in TABLE_FIRST:
            found = self.index.find(self.block.page, name, *before)
        if found is None:
            code = table_entry(name, self.task, self.async_mode and name == "pa")
            if code is None:
                self.missing.append(name)
                return
            item = PreludeItem(name, code, "table")
        else:
            item = self._from_page(name, *found, stack)
        self.done.add(name)
        self.items.append(item)

    def _from_page(
        self, name: str, src_block: Block, st: ast.stmt, stack: tuple[str, ...]
    ) -> PreludeItem:
        code = ast.get_source_segment(src_block.source, st)
        assert code is not None
        # What that statement needs comes first: earlier statements of its block, and
        # earlier blocks of the page.
        for dep in free_names(st):
            self.resolve(dep, (src_block.index, st.lineno), (*stack, name))
        return PreludeItem(name, code, f"page {src_block.label}")


def _async_client_last(items: list[PreludeItem]) -> list[PreludeItem]:
    """In async mode `pa` must be the async client, after anything derived used a sync one."""
    items = [i for i in items if i.name != "pa"]
    if any("pa" in free_names(parse(i.code)) for i in items):
        items.insert(0, PreludeItem("pa", SYNC_CLIENT, "table (sync, for the prelude)"))
    items.append(PreludeItem("pa", ASYNC_CLIENT, "table"))
    return items


def build_prelude(
    block: Block, tree: ast.Module, index: PageIndex, task: str, async_mode: bool
) -> tuple[list[PreludeItem], list[str]]:
    """Prelude items (dependencies first) and the names nothing could define."""
    resolver = _Resolver(block, index, task, async_mode)
    for name in free_names(tree):
        resolver.resolve(name, (block.index, None), ())
    items = resolver.items
    if async_mode and any(i.name == "pa" for i in items):
        items = _async_client_last(items)
    return items, resolver.missing
