"""Run the spec's own Python examples against a local Pareta server.

    python tools/spec_examples.py                      # starts a LocalServer itself
    python tools/spec_examples.py --base-url http://127.0.0.1:8000 --api-key pareta_sk_local_...
    python tools/spec_examples.py -k evaluation --json report.json

Every ```python block of the spec (default ../shared/spec/pareta-sdk-docs.md next to
the repo, or $PARETA_SPEC_PATH, or --spec) is extracted with its page marker and line,
classified, and, when runnable, executed as written in a fresh process against the
server, with PARETA_API_KEY / PARETA_BASE_URL set and a temporary working directory.

"As written" allows exactly these changes, each listed per block in the report:

- a prelude, for fragments that use names an earlier block of the same page
  defines: the binding statement is taken from that earlier block (page-derived),
  or, for a few names, from a fixed table (a fresh client for ``pa``, a
  completed eval run for ``run`` / ``run_id``, an eval set for ``eval_set``,
  missing stdlib imports, ...);
- documented placeholders: ``...`` / ``…`` rows in ``items=``, ``[...]`` lists in
  ``messages=`` / ``items=`` / ``models=``, ``pareta_sk_...`` keys, the production
  and staging base URLs, and example ids (``es_…``, ``evalset_abc123``,
  ``run_456``, ...), replaced by realistic rows, the local key and URL, and the
  ids of objects created for the block;
- the files a block reads (``invoices/*.pdf``, ``scan.tiff``, ...), created as
  small fake documents in its working directory.

Top-level ``await`` / ``async with`` blocks run as the asyncio REPL runs them.
Each block gets its own org (its own key), so one block's stop / delete / spend
cannot leak into another. Blocks run in forked children of pre-warmed worker
processes (``--jobs``, default 8: blocks mostly wait), each with a timeout.

Exit code 0 only when every runnable block passed.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import contextlib
import json
import os
import queue
import re
import secrets
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SPEC_ENV = "PARETA_SPEC_PATH"
DEFAULT_SPEC = REPO.parent / "shared" / "spec" / "pareta-sdk-docs.md"
DEFAULT_TIMEOUT = 60.0
# Most of a block's time is waiting: an eval run's first poll interval (3-5 s) or a
# deploy. Measured on 2 cores: 2 workers 81 s, 4 workers 46 s, 8 workers 29 s.
DEFAULT_JOBS = 8

PAGE_RE = re.compile(r"^<!--\s*(\S+\.md)\s*-->\s*$")
FENCE_OPEN_RE = re.compile(r"^(\s*)```python\s*$")
FENCE_RE = re.compile(r"^\s*```")

ELLIPSES = ("...", "…")
PLACEHOLDER_STR_RE = re.compile(r"^\s*(\.\.\.|…)[^.…]*(\.\.\.|…)?\s*$")
KEY_PLACEHOLDER_RE = re.compile(r"^pareta_sk_(?:[a-z]+_)?(?:\.\.\.|…)$")
EVAL_SET_ID_RE = re.compile(r"^(?:es|evalset|evset)_(?:…|\.\.\.|[a-z0-9]+)$")
RUN_ID_RE = re.compile(r"^(?:run|evalrun)_(?:…|\.\.\.|[a-z0-9]+)$")
ENDPOINT_ID_RE = re.compile(r"^ep[_-][A-Za-z0-9_-]+$")
FILE_RE = re.compile(r"^[\w./-]+\.(?:pdf|png|tiff?|jpe?g)$", re.I)
PROD_URL = "https://api.pareta.ai"
STAGING_URL = "https://api-staging.pareta.ai"

# The catalog's document tasks (``has_blob_input``); every other task id is text.
DOC_TASKS = {
    "invoice-extraction",
    "document-extraction",
    "receipt-extraction",
    "resume-parsing",
    "doc-classification",
}
DEFAULT_TASK = "contract-key-fields"
# Pages whose examples work on a document task by default.
PAGE_TASKS = {"examples/document-extraction.md": "invoice-extraction"}

CONTRACT_ROWS = [
    {
        "input": "Effective as of January 1, 2026 between Acme Corp and Beta LLC.",
        "expected": {"effective_date": "2026-01-01", "parties": ["Acme Corp", "Beta LLC"]},
    },
    {
        "input": "This Agreement between Initech and Hooli terminates on 2027-12-31.",
        "expected": {"termination_date": "2027-12-31", "parties": ["Initech", "Hooli"]},
    },
    {
        "input": "MASTER SERVICES AGREEMENT between Globex LLC and Umbrella Inc. Term: 24 months.",
        "expected": {"term_months": 24, "parties": ["Globex LLC", "Umbrella Inc"]},
    },
]
INVOICES = [
    ("INV-4471", "2026-03-14", "1284.50", "Katana ML"),
    ("INV-4472", "2026-03-15", "962.00", "Acme Corp"),
    ("INV-4473", "2026-03-16", "89.50", "Globex LLC"),
]
DOC_ROWS = [
    {"expected": {"invoice_number": n, "invoice_date": d, "total": t, "vendor": v}}
    for n, d, t, v in INVOICES
]
MESSAGES = [
    {
        "role": "user",
        "content": "Extract the effective date: Effective as of January 1, 2026 "
        "between Acme Corp and Beta LLC.",
    }
]
MODELS = {DEFAULT_TASK: ["contract-kie-1", "contract-kie-2"]}
DOC_MODELS = ["qwen2.5-vl-1", "internvl-1"]


def models_for(task: str) -> list[str]:
    return MODELS.get(task, DOC_MODELS if task in DOC_TASKS else ["llama-1"])


def rows_for(task: str, n: int = 2) -> list[dict[str, Any]]:
    if task == "doc-classification":
        rows = [{"expected": "invoice"}]
    else:
        rows = DOC_ROWS if task in DOC_TASKS else CONTRACT_ROWS
    return [rows[i % len(rows)] for i in range(n)]


# -- extraction ---------------------------------------------------------------------


@dataclass
class Block:
    index: int
    page: str
    line: int  # the line of the opening fence, 1-based
    source: str  # dedented

    @property
    def first_code_line(self) -> int:
        return self.line + 1

    @property
    def label(self) -> str:
        return f"{self.page}:{self.line}"


def extract_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    lines = text.split("\n")
    page = "?"
    i = 0
    while i < len(lines):
        m = PAGE_RE.match(lines[i])
        if m:
            page = m.group(1)
        m = FENCE_OPEN_RE.match(lines[i])
        if m:
            indent = len(m.group(1))
            j = i + 1
            while j < len(lines) and not FENCE_RE.match(lines[j]):
                j += 1
            body = [ln[indent:] if ln[:indent].strip() == "" else ln for ln in lines[i + 1 : j]]
            blocks.append(Block(len(blocks), page, i + 1, "\n".join(body) + "\n"))
            i = j
        i += 1
    return blocks


# -- analysis -------------------------------------------------------------------------

BUILTIN_NAMES = set(dir(builtins))


def parse(source: str) -> ast.Module:
    flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    tree: ast.Module = compile(source, "<block>", "exec", flags=flags, dont_inherit=True)
    return tree


def bound_names(node: ast.AST) -> set[str]:
    names: set[str] = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            names.add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(n.name)
        elif isinstance(n, ast.arg):
            names.add(n.arg)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            for a in n.names:
                names.add((a.asname or a.name).split(".")[0])
        elif isinstance(n, ast.ExceptHandler) and n.name:
            names.add(n.name)
        elif isinstance(n, (ast.Global, ast.Nonlocal)):
            names.update(n.names)
    return names


def loaded_names(node: ast.AST) -> list[str]:
    seen: dict[str, None] = {}
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            seen.setdefault(n.id, None)
    return list(seen)


def free_names(node: ast.AST) -> list[str]:
    bound = bound_names(node)
    return [n for n in loaded_names(node) if n not in bound and n not in BUILTIN_NAMES]


def has_top_level_await(source: str) -> bool:
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    code = compile(source, "<block>", "exec", flags=flags, dont_inherit=True)
    return bool(code.co_flags & 0x80)  # inspect.CO_COROUTINE


def flat_statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """Top-level statements, plus those nested in if / try / with (not loops or defs)."""
    out: list[ast.stmt] = []
    for st in body:
        out.append(st)
        if isinstance(st, ast.If):
            out += flat_statements(st.body) + flat_statements(st.orelse)
        elif isinstance(st, ast.Try):
            out += flat_statements(st.body)
            for h in st.handlers:
                out += flat_statements(h.body)
            out += flat_statements(st.orelse) + flat_statements(st.finalbody)
        elif isinstance(st, (ast.With, ast.AsyncWith)):
            out += flat_statements(st.body)
    return out


def statement_binds(st: ast.stmt) -> set[str]:
    if isinstance(st, ast.Assign):
        return {n.id for t in st.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    if isinstance(st, ast.AnnAssign) and st.value is not None and isinstance(st.target, ast.Name):
        return {st.target.id}
    if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {st.name}
    if isinstance(st, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in st.names}
    return set()


# -- the prelude ------------------------------------------------------------------------

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


def table_entry(name: str, task: str, async_mode: bool) -> str | None:
    if name in IMPORTS:
        return IMPORTS[name]
    if name == "pa":
        if async_mode:
            return "from pareta import AsyncPareta\npa = AsyncPareta.from_env()"
        return "from pareta import Pareta\npa = Pareta.from_env()"
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


@dataclass
class Plan:
    block: Block
    runnable: bool
    reason: str = ""
    code: str = ""
    prelude: list[PreludeItem] = field(default_factory=list)
    substitutions: list[str] = field(default_factory=list)
    setup_ids: list[dict[str, str]] = field(default_factory=list)  # token -> object to create
    files: list[str] = field(default_factory=list)
    async_mode: bool = False
    notes: list[str] = field(default_factory=list)


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


def is_none_init(st: ast.stmt) -> bool:
    """`x = None`: an initialisation a later loop fills in, not the binding to reuse."""
    return (
        isinstance(st, ast.Assign) and isinstance(st.value, ast.Constant) and st.value.value is None
    )


def build_prelude(
    block: Block, tree: ast.Module, index: PageIndex, task: str, async_mode: bool
) -> tuple[list[PreludeItem], list[str]]:
    """Prelude items (dependencies first) and the names nothing could define."""
    items: list[PreludeItem] = []
    done: set[str] = set()
    missing: list[str] = []

    def resolve(name: str, before: tuple[int, int | None], stack: tuple[str, ...]) -> None:
        if name in done or name in stack:
            return
        code = None
        origin = "table"
        found = None
        if name not in TABLE_FIRST:
            found = index.find(block.page, name, *before)
        if found is not None:
            src_block, st = found
            seg = ast.get_source_segment(src_block.source, st)
            assert seg is not None
            code = seg
            origin = f"page {src_block.label}"
            # Resolve what that statement needs first: earlier statements of its block
            # and earlier blocks of the page.
            for dep in free_names(st):
                resolve(dep, (src_block.index, st.lineno), (*stack, name))
        else:
            code = table_entry(name, task, async_mode and name == "pa")
        if code is None:
            missing.append(name)
            return
        done.add(name)
        items.append(PreludeItem(name, code, origin))

    for name in free_names(tree):
        resolve(name, (block.index, None), ())
    # In async mode `pa` must be the async client, after anything derived used a sync one.
    if async_mode and any(i.name == "pa" for i in items):
        items = [i for i in items if i.name != "pa"]
        if any("pa" in free_names(parse(i.code)) for i in items):
            items.insert(
                0,
                PreludeItem(
                    "pa",
                    "from pareta import Pareta\npa = Pareta.from_env()",
                    "table (sync, for the prelude)",
                ),
            )
        items.append(PreludeItem("pa", table_entry("pa", task, True) or "", "table"))
    return items, missing


# -- substitutions -----------------------------------------------------------------------


class Editor:
    """Replace AST node spans in a source string, back to front."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines = source.split("\n")
        self.edits: list[tuple[int, int, str]] = []

    def offset(self, lineno: int, col: int) -> int:
        before = sum(len(ln) + 1 for ln in self.lines[: lineno - 1])
        line = self.lines[lineno - 1].encode()
        return before + len(line[:col].decode())

    def replace(self, node: ast.AST, text: str) -> None:
        start = self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end = self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        for s, e, _ in self.edits:
            if s <= start < e or start <= s < end:
                return  # already inside a replaced span
        self.edits.append((start, end, text))

    def result(self) -> str:
        out = self.source
        for start, end, text in sorted(self.edits, reverse=True):
            out = out[:start] + text + out[end:]
        return out


def is_ellipsis(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis


def is_placeholder_value(node: ast.AST) -> bool:
    if is_ellipsis(node):
        return True
    if isinstance(node, ast.Set) and all(is_ellipsis(e) for e in node.elts):
        return True
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and bool(PLACEHOLDER_STR_RE.match(node.value))
    )


def call_task(call: ast.Call | None, default: str) -> str:
    if call is not None:
        for kw in call.keywords:
            if kw.arg == "task" and isinstance(kw.value, ast.Constant):
                return str(kw.value.value)
    return default


def one_line(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def substitute(plan: Plan, tree: ast.Module, task: str) -> str:
    """Apply the documented-placeholder substitutions to the block's source."""
    src = plan.block.source
    ed = Editor(src)
    subs = plan.substitutions
    parents: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node

    def enclosing_call(node: ast.AST) -> ast.Call | None:
        p = parents.get(node)
        while p is not None and not isinstance(p, ast.Call):
            p = parents.get(p)
        return p

    # Rows of an items list: `items=[...]` in a call, or `items = [...]` / `ITEMS = [...]`.
    item_lists: list[tuple[ast.List, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg in ("items", "messages", "models") and isinstance(kw.value, ast.List):
                    lst = kw.value
                    if lst.elts and all(is_ellipsis(e) for e in lst.elts):
                        t = call_task(node, task)
                        if kw.arg == "items":
                            value: Any = rows_for(t)
                        elif kw.arg == "messages":
                            value = MESSAGES
                        else:
                            value = models_for(t)
                        ed.replace(lst, one_line(value))
                        subs.append(f"{kw.arg}=[...] -> {one_line(value)}")
                    elif kw.arg == "items":
                        item_lists.append((lst, call_task(node, task)))
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.List):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if any(n.lower() == "items" for n in names):
                item_lists.append((node.value, task))
    for lst, t in item_lists:
        for i, elt in enumerate(lst.elts):
            if isinstance(elt, ast.Dict) and any(is_placeholder_value(v) for v in elt.values):
                row = rows_for(t, i + 1)[i]
                old = ast.get_source_segment(src, elt)
                ed.replace(elt, one_line(row))
                subs.append(f"placeholder row {old} -> {one_line(row)}")

    # String literals: keys, base URLs, example ids.
    ids: dict[str, str] = {}
    deletes_endpoint = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "delete"
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr == "endpoints"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            deletes_endpoint.add(node.args[0].value)
    task_literals = [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and (n.value in DOC_TASKS or n.value == DEFAULT_TASK)
    ]
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        s = node.value
        if KEY_PLACEHOLDER_RE.match(s):
            ed.replace(node, '"__SPEC_KEY__"')
            subs.append(f"{s!r} -> the block's local API key")
        elif s in (PROD_URL, STAGING_URL):
            ed.replace(node, '"__SPEC_BASE_URL__"')
            subs.append(f"{s!r} -> the local server's base URL")
        elif s == PROD_URL + "/v1":
            ed.replace(node, '"__SPEC_BASE_URL__/v1"')
            subs.append(f"{s!r} -> the local server's base URL + /v1")
        elif EVAL_SET_ID_RE.match(s) or RUN_ID_RE.match(s) or s in deletes_endpoint:
            if s not in ids:
                token = f"__SPEC_ID_{len(plan.setup_ids)}__"
                ids[s] = token
                if s in deletes_endpoint:
                    kind, what = "endpoint", "a fresh endpoint (seed endpoints cannot be deleted)"
                    t = DEFAULT_TASK
                elif EVAL_SET_ID_RE.match(s):
                    n_sets = sum(1 for x in plan.setup_ids if x["kind"] == "eval_set")
                    t = task_literals[n_sets] if n_sets < len(task_literals) else task
                    kind, what = "eval_set", f"a new {t} eval set"
                else:
                    t = task
                    kind, what = "run", f"a completed {t} eval run"
                plan.setup_ids.append({"token": token, "kind": kind, "task": t, "literal": s})
                subs.append(f"{s!r} -> the id of {what}")
            ed.replace(node, f'"{ids[s]}"')
    return ed.result()


def files_in(code: str) -> list[str]:
    found: dict[str, None] = {}
    try:
        tree = parse(code)
    except SyntaxError:
        return []
    for n in ast.walk(tree):
        is_str = isinstance(n, ast.Constant) and isinstance(n.value, str)
        if is_str and FILE_RE.match(n.value) and not n.value.startswith("/"):
            found.setdefault(n.value, None)
    return list(found)


# -- classification --------------------------------------------------------------------

SHELL_RE = re.compile(r"^\s*(\$ |pip |export |curl |python -m |pareta )")
RESOURCE_CALL_RE = re.compile(r"\bpa\.(models|chat|endpoints|tasks|evals)\b")


def plan_block(block: Block, index: PageIndex) -> Plan:
    src = block.source
    first = next((ln for ln in src.splitlines() if ln.strip()), "")
    if SHELL_RE.match(first):
        return Plan(block, False, "shell snippet labelled python")
    try:
        tree = parse(src)
    except SyntaxError as exc:
        return Plan(
            block,
            False,
            f"signature / pseudo-code, not Python (SyntaxError: {exc.msg}, "
            f"spec line {block.line + (exc.lineno or 1)})",
        )
    body = tree.body
    if body and all(isinstance(s, ast.AnnAssign) and s.value is None for s in body):
        return Plan(block, False, "attribute listing (bare annotations, no values)")
    if "proxy.internal" in src and RESOURCE_CALL_RE.search(src):
        return Plan(block, False, "needs a corporate proxy (http://proxy.internal:8080)")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "OpenAI"
            and not any(kw.arg == "base_url" for kw in node.keywords)
        ):
            return Plan(block, False, "calls api.openai.com with an OpenAI key (no base_url)")
    if "openai_client" in free_names(tree):
        return Plan(
            block, False, "half of it calls OpenAI's own API (openai_client, model gpt-4o-mini)"
        )

    task = PAGE_TASKS.get(block.page, DEFAULT_TASK)
    async_mode = has_top_level_await(src)
    plan = Plan(block, True, async_mode=async_mode)
    if "upload_document" in src and "eval_set" in free_names(tree):
        task = "invoice-extraction"
    plan.code = substitute(plan, tree, task)
    prelude, missing = build_prelude(block, tree, index, task, async_mode)
    plan.prelude = prelude
    if missing:
        plan.notes.append(f"no earlier block or table defines: {', '.join(missing)}")
    if async_mode:
        plan.notes.append("top-level await: run as the asyncio REPL runs it")
    plan.files = files_in("\n".join([*(p.code for p in prelude), plan.code]))
    if "proxy.internal" in src:
        plan.notes.append("builds a proxy client but sends no request through it")
    defs_only = all(
        isinstance(
            s,
            (
                ast.Import,
                ast.ImportFrom,
                ast.FunctionDef,
                ast.AsyncFunctionDef,
                ast.ClassDef,
                ast.Assign,
            ),
        )
        for s in body
    ) and any(isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) for s in body)
    if defs_only:
        plan.notes.append("only defines functions; nothing is called")
    return plan


# -- fake documents ------------------------------------------------------------------------


def fake_pdf(lines: list[str]) -> bytes:
    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    ops = "\n".join(
        f"BT /F1 11 Tf 72 {720 - 16 * i} Td ({esc(t)}) Tj ET" for i, t in enumerate(lines)
    )
    stream = ops.encode("latin-1")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def invoice_lines(i: int) -> list[str]:
    number, date, total, vendor = INVOICES[i % len(INVOICES)]
    return [
        vendor,
        "INVOICE",
        f"Invoice No: {number}",
        f"Invoice date: {date}",
        "Bill to: Beta LLC",
        "Consulting  1 x $" + total,
        f"Total due: ${total}",
    ]


PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a2d4a1a30000000049454e44ae426082"
)
TIFF_HEADER = b"II*\x00\x08\x00\x00\x00\x00\x00"


def fake_document(path: str, i: int) -> bytes:
    low = path.lower()
    if low.endswith(".pdf"):
        return fake_pdf(invoice_lines(i))
    if low.endswith(".png"):
        return PNG_1X1
    if low.endswith((".tif", ".tiff")):
        return TIFF_HEADER
    return b"\xff\xd8\xff\xe0fake-jpeg"


# -- the worker: one pre-warmed interpreter that forks a child per block ------------------


class SpecSetup:
    """Objects a prelude or an id substitution asks for, made with a sync client."""

    def __init__(self) -> None:
        from pareta import Pareta

        self.pa = Pareta.from_env()

    def endpoint(self, task: str) -> Any:
        return self.pa.endpoints.deploy(task=task, wait=True)

    def eval_set(self, task: str, *, documents: bool = True) -> Any:
        es = self.pa.evals.sets.create(task=task, items=rows_for(task))
        if task in DOC_TASKS and documents:
            for i in range(2):
                self.pa.evals.sets.upload_document(
                    es.id,
                    fake_pdf(invoice_lines(i)),
                    idx=i,
                    field_name="document",
                    mime="application/pdf",
                )
        return es

    def run(self, task: str) -> Any:
        es = self.eval_set(task)
        return self.pa.evals.runs.create(
            eval_set=es.id,
            models=models_for(task),
            frontier="benchmarked",
            wait=True,
            poll_interval=0.02,
        )

    def completion(self) -> Any:
        return self.pa.chat.completions.create(model="ep_contract_kie", messages=MESSAGES)

    def stream(self) -> Any:
        return self.pa.chat.completions.create(
            model="ep_contract_kie", messages=MESSAGES, stream=True
        )

    def chunk(self) -> Any:
        return next(iter(self.stream()))

    def make(self, kind: str, task: str) -> str:
        if kind == "eval_set":
            return str(self.eval_set(task).id)
        if kind == "run":
            return str(self.run(task).id)
        return str(self.endpoint(task).id)


def run_child(job: dict[str, Any]) -> None:
    """In the forked child: set up, run the prelude and the block, write result.json."""
    cwd = Path(job["cwd"])
    os.chdir(cwd)
    os.environ.update(job["env"])
    out = os.open(cwd / "stdout.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    err = os.open(cwd / "stderr.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out, 1)
    os.dup2(err, 2)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", closefd=False, buffering=1)  # noqa: SIM115
    sys.stderr = open(2, "w", closefd=False, buffering=1)  # noqa: SIM115
    result: dict[str, Any] = {"status": "passed", "phase": "block", "ids": {}, "notes": []}
    tracer = LineTracer(job["filename"])
    ns = {}
    stage = "setup"
    try:
        for i, rel in enumerate(job["files"]):
            p = cwd / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(fake_document(rel, i))
        ns: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
        code = job["code"]
        needs_setup = job["setup_ids"] or "_spec." in job["prelude"]
        if needs_setup:
            spec = SpecSetup()
            ns["_spec"] = spec
            for item in job["setup_ids"]:
                real = spec.make(item["kind"], item["task"])
                result["ids"][item["literal"]] = real
                code = code.replace(item["token"], real)
        code = code.replace("__SPEC_KEY__", job["env"]["PARETA_API_KEY"])
        code = code.replace("__SPEC_BASE_URL__", job["env"]["PARETA_BASE_URL"])
        stage = "prelude"
        if job["prelude"]:
            exec(compile(job["prelude"], "<prelude>", "exec", dont_inherit=True), ns)
        stage = "block"
        padded = "\n" * (job["first_line"] - 1) + code
        flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        compiled = compile(padded, job["filename"], "exec", flags=flags, dont_inherit=True)
        tracer.start()
        try:
            if compiled.co_flags & 0x80:
                import asyncio

                asyncio.run(eval(compiled, ns))
            else:
                exec(compiled, ns)
        finally:
            tracer.stop()
    except SystemExit as exc:
        if exc.code not in (None, 0):
            result.update(status="failed", phase=stage, exception=f"SystemExit: {exc.code}")
            result["traceback"] = traceback.format_exc()
    except BaseException as exc:  # the block's own failure, whatever it is
        result.update(
            status="failed",
            phase=stage,
            exception=traceback.format_exception_only(type(exc), exc)[-1].strip(),
            traceback=traceback.format_exc(),
        )
        tb = exc.__traceback__
        where = None
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == job["filename"]:
                where = tb.tb_lineno
            tb = tb.tb_next
        result["spec_line"] = where
    with contextlib.suppress(Exception):
        result["notes"] += handler_notes(job, tracer.lines)
        result["notes"] += run_notes(ns)
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    (cwd / "result.json").write_text(json.dumps(result))


class LineTracer:
    """Record which lines of the block (by spec line) ran, to see which handlers fired."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.lines: set[int] = set()

    def _local(self, frame: Any, event: str, arg: Any) -> Any:
        if event == "line":
            self.lines.add(frame.f_lineno)
        return self._local

    def _global(self, frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename == self.filename:
            return self._local
        return None

    def start(self) -> None:
        sys.settrace(self._global)

    def stop(self) -> None:
        sys.settrace(None)


def handler_notes(job: dict[str, Any], ran: set[int]) -> list[str]:
    padded = "\n" * (job["first_line"] - 1) + job["code"]
    notes = []
    for node in ast.walk(parse(padded)):
        if isinstance(node, ast.ExceptHandler) and any(st.lineno in ran for st in node.body):
            what = ast.unparse(node.type) if node.type is not None else "(bare)"
            notes.append(f"its `except {what}` handler ran (spec line {node.lineno})")
    return notes


def run_notes(ns: dict[str, Any]) -> list[str]:
    notes = []
    for name, value in list(ns.items()):
        if type(value).__name__ != "EvalRun":
            continue
        if getattr(value, "status", None) == "failed":
            notes.append(f"eval run `{name}` ended failed: {getattr(value, 'error_detail', '')}")
        for r in getattr(value, "results", None) or []:
            if getattr(r, "error_count", 0):
                notes.append(f"eval run `{name}`: {r.model_id} errored on {r.error_count} item(s)")
    return notes


def worker_main() -> None:
    # Warm the imports every block needs, so each fork starts ready.
    import asyncio  # noqa: F401

    import httpx  # noqa: F401

    import pareta  # noqa: F401

    with contextlib.suppress(ImportError):
        import openai  # noqa: F401
    proto = sys.stdout
    for line in sys.stdin:
        job = json.loads(line)
        cwd = Path(job["cwd"])
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:  # child
            code = 0
            try:
                run_child(job)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        deadline = started + job["timeout"]
        status = None
        while True:
            done, wstatus = os.waitpid(pid, os.WNOHANG)
            if done:
                status = wstatus
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                break
            time.sleep(0.002)
        elapsed = time.monotonic() - started
        res_path = cwd / "result.json"
        if status is None:
            res: dict[str, Any] = {
                "status": "failed",
                "phase": "block",
                "exception": f"timed out after {job['timeout']:g}s",
            }
        elif res_path.exists():
            res = json.loads(res_path.read_text())
        else:
            res = {"status": "failed", "phase": "block", "exception": f"child died ({status})"}
        res["seconds"] = round(elapsed, 3)
        for name in ("stdout", "stderr"):
            p = cwd / f"{name}.txt"
            res[name] = p.read_text(errors="replace")[-4000:] if p.exists() else ""
        res["id"] = job["id"]
        proto.write(json.dumps(res) + "\n")
        proto.flush()


# -- driving --------------------------------------------------------------------------------


@dataclass
class Outcome:
    index: int
    page: str
    line: int
    status: str  # passed | failed | not runnable
    detail: str = ""
    substitutions: list[str] = field(default_factory=list)
    prelude: list[dict[str, str]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    phase: str = ""
    spec_line: int | None = None
    traceback: str = ""
    stdout: str = ""
    stderr: str = ""
    ids: dict[str, str] = field(default_factory=dict)


class Worker:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin
        assert self.proc.stdout
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        # The worker enforces the timeout; this is only a backstop.
        ready, _, _ = select.select([self.proc.stdout], [], [], job["timeout"] + 30)
        if not ready:
            raise RuntimeError("spec-example worker stopped answering")
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("spec-example worker exited")
        result: dict[str, Any] = json.loads(line)
        return result

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


def make_job(plan: Plan, key: str, base_url: str, tmp: Path, timeout: float, spec: Path) -> dict:
    cwd = Path(tempfile.mkdtemp(prefix=f"block{plan.block.index:03d}-", dir=tmp))
    return {
        "id": plan.block.index,
        "cwd": str(cwd),
        "env": {"PARETA_API_KEY": key, "PARETA_BASE_URL": base_url},
        "code": plan.code,
        "prelude": "\n".join(p.code for p in plan.prelude),
        "setup_ids": plan.setup_ids,
        "files": plan.files,
        "first_line": plan.block.first_code_line,
        "filename": str(spec),
        "timeout": timeout,
    }


def is_slow(plan: Plan) -> bool:
    text = plan.code + "\n".join(i.code for i in plan.prelude)
    return "evals.runs" in text or "_spec.run" in text


def run_plans(
    plans: list[Plan],
    *,
    base_url: str,
    mint_key: Any,
    timeout: float,
    jobs: int,
    spec: Path,
) -> list[Outcome]:
    outcomes: dict[int, Outcome] = {}
    todo: queue.Queue[Plan] = queue.Queue()
    for p in plans:
        o = Outcome(
            p.block.index,
            p.block.page,
            p.block.line,
            "not runnable" if not p.runnable else "pending",
            p.reason,
            list(p.substitutions),
            [{"name": i.name, "code": i.code, "origin": i.origin} for i in p.prelude],
            list(p.files),
            list(p.notes),
        )
        outcomes[p.block.index] = o
    # Eval runs wait out a poll interval or two: start them first so none is left last.
    for p in sorted(plans, key=lambda p: not is_slow(p)):
        if p.runnable:
            todo.put(p)
    errors: list[BaseException] = []
    with tempfile.TemporaryDirectory(prefix="spec-examples-") as tmpdir:
        tmp = Path(tmpdir)

        def drive() -> None:
            worker = Worker()
            try:
                while True:
                    try:
                        plan = todo.get_nowait()
                    except queue.Empty:
                        return
                    job = make_job(plan, mint_key(), base_url, tmp, timeout, spec)
                    res = worker.run(job)
                    o = outcomes[plan.block.index]
                    o.status = res["status"]
                    o.seconds = res.get("seconds", 0.0)
                    o.phase = res.get("phase", "")
                    o.spec_line = res.get("spec_line")
                    o.traceback = res.get("traceback", "")
                    o.stdout = res.get("stdout", "")
                    o.stderr = res.get("stderr", "")
                    o.ids = res.get("ids", {})
                    o.notes += res.get("notes", [])
                    if o.status != "passed":
                        where = f" (spec line {o.spec_line})" if o.spec_line else ""
                        phase = "" if o.phase == "block" else f" [in {o.phase}]"
                        o.detail = f"{res.get('exception', '?')}{where}{phase}"
            except BaseException as exc:
                errors.append(exc)
            finally:
                worker.close()

        threads = [threading.Thread(target=drive) for _ in range(max(1, jobs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    if errors:
        raise errors[0]
    return [outcomes[p.block.index] for p in plans]


def key_minter(base_url: str, api_key: str | None, server: Any) -> Any:
    if server is not None:
        return server.mint_key
    import httpx

    lock = threading.Lock()

    def mint() -> str:
        with lock:
            try:
                r = httpx.post(
                    f"{base_url}/admin/keys", headers={"Authorization": f"Bearer {api_key}"}
                )
                r.raise_for_status()
                return str(r.json()["api_key"])
            except Exception:
                # Any pareta_sk_ key is its own org on the local server.
                return f"pareta_sk_local_spec_{secrets.token_hex(8)}"

    return mint


def summarize(outcomes: list[Outcome]) -> dict[str, int]:
    totals = {"blocks": len(outcomes), "passed": 0, "failed": 0, "not runnable": 0}
    for o in outcomes:
        totals[o.status] = totals.get(o.status, 0) + 1
    totals["runnable"] = totals["passed"] + totals["failed"]
    return totals


def print_table(outcomes: list[Outcome], out: Any = sys.stdout, verbose: bool = False) -> None:
    width = max((len(f"{o.page}:{o.line}") for o in outcomes), default=10)
    print(f"{'#':>3}  {'page:line':<{width}}  status", file=out)
    for o in outcomes:
        status = o.status if not o.detail else f"{o.status}: {o.detail}"
        print(f"{o.index:>3}  {o.page + ':' + str(o.line):<{width}}  {status}", file=out)
        for s in o.substitutions:
            print(f"{'':>5}  substituted: {s}", file=out)
        if verbose or o.status == "failed":
            for p in o.prelude:
                print(f"{'':>5}  prelude ({p['origin']}): {p['code'].splitlines()[-1]}", file=out)
        elif o.prelude:
            names = ", ".join(f"{p['name']} ({p['origin']})" for p in o.prelude)
            print(f"{'':>5}  prelude: {names}", file=out)
        for n in o.notes:
            print(f"{'':>5}  note: {n}", file=out)
        if o.files:
            print(f"{'':>5}  fake files: {', '.join(o.files)}", file=out)
    totals = summarize(outcomes)
    print(
        f"\n{totals['passed']} passed, {totals['failed']} failed, "
        f"{totals['not runnable']} not runnable, of {totals['blocks']} python blocks "
        f"({totals['runnable']} runnable)",
        file=out,
    )
    reasons: dict[str, int] = {}
    for o in outcomes:
        if o.status == "not runnable":
            r = re.sub(r"\(SyntaxError.*", "", o.detail).strip()
            reasons[r] = reasons.get(r, 0) + 1
    for r, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
        print(f"  not runnable x{n}: {r}", file=out)
    flagged = [
        (o, n)
        for o in outcomes
        if o.status == "passed"
        for n in o.notes
        if n.startswith(("its `except", "eval run"))
    ]
    if flagged:
        print("\npassed, but only through an error path or with errored eval items:", file=out)
        for o, n in flagged:
            print(f"  {o.index:>3}  {o.page}:{o.line}  {n}", file=out)


def plan_all(spec: Path, pattern: str | None = None) -> list[Plan]:
    blocks = extract_blocks(spec.read_text(encoding="utf-8"))
    index = PageIndex(blocks)
    plans = [plan_block(b, index) for b in blocks]
    if pattern:
        plans = [
            p
            for p in plans
            if pattern in p.block.label
            or pattern == str(p.block.index)
            or pattern in p.block.source
        ]
    return plans


def run(
    spec: Path,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    jobs: int = DEFAULT_JOBS,
    pattern: str | None = None,
) -> list[Outcome]:
    plans = plan_all(spec, pattern)
    if base_url:
        return run_plans(
            plans,
            base_url=base_url.rstrip("/"),
            mint_key=key_minter(base_url, api_key, None),
            timeout=timeout,
            jobs=jobs,
            spec=spec,
        )
    from pareta.local import LocalServer

    with LocalServer(deploy_seconds=0.05, eval_seconds_per_item=0.0005) as server:
        return run_plans(
            plans,
            base_url=server.base_url,
            mint_key=key_minter(server.base_url, None, server),
            timeout=timeout,
            jobs=jobs,
            spec=spec,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", type=Path, default=Path(os.environ.get(SPEC_ENV, DEFAULT_SPEC)))
    parser.add_argument("--base-url", default=None, help="an already running local server")
    parser.add_argument("--api-key", default=None, help="its key (with --base-url)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="per block, seconds")
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=DEFAULT_JOBS,
        help="worker processes (blocks mostly wait on polls and deploys, so more than cores)",
    )
    parser.add_argument(
        "-k",
        dest="pattern",
        default=None,
        help="only blocks whose page:line, index or source contains this",
    )
    parser.add_argument("--json", type=Path, default=None, help="write the full report here")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every substitution")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker_main()
        return 0
    if args.base_url and not args.api_key:
        args.api_key = os.environ.get("PARETA_API_KEY")
    started = time.monotonic()
    outcomes = run(
        args.spec,
        base_url=args.base_url,
        api_key=args.api_key,
        timeout=args.timeout,
        jobs=args.jobs,
        pattern=args.pattern,
    )
    print_table(outcomes, verbose=args.verbose)
    print(f"({time.monotonic() - started:.1f}s)")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "spec": str(args.spec),
                    "totals": summarize(outcomes),
                    "blocks": [asdict(o) for o in outcomes],
                },
                indent=2,
            )
        )
    return 0 if all(o.status != "failed" for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
