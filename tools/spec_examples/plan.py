"""Each block classified: runnable (with its rewritten code, prelude and fake files) or
not, with the reason."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from .extract import Block, extract_blocks
from .fixtures import DEFAULT_TASK, PAGE_TASKS
from .names import free_names, has_top_level_await, parse
from .prelude import PageIndex, build_prelude
from .rewrite import Plan, substitute

SHELL_RE = re.compile(r"^\s*(\$ |pip |export |curl |python -m |pareta )")
RESOURCE_CALL_RE = re.compile(r"\bpa\.(models|chat|endpoints|tasks|evals)\b")
FILE_RE = re.compile(r"^[\w./-]+\.(?:pdf|png|tiff?|jpe?g)$", re.I)
DEFINITIONS = (
    ast.Import,
    ast.ImportFrom,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Assign,
)


def files_in(code: str) -> list[str]:
    """The relative document paths a block's code names: made as fakes before it runs."""
    try:
        tree = parse(code)
    except SyntaxError:
        return []
    found: dict[str, None] = {}
    for n in ast.walk(tree):
        if not (isinstance(n, ast.Constant) and isinstance(n.value, str)):
            continue
        if FILE_RE.match(n.value) and not n.value.startswith("/"):
            found.setdefault(n.value, None)
    return list(found)


def _calls_openai_itself(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "OpenAI"
        and not any(kw.arg == "base_url" for kw in node.keywords)
        for node in ast.walk(tree)
    )


def not_runnable(block: Block, tree: ast.Module) -> str | None:
    """Why a block that parses cannot run against a local server, if it cannot."""
    body = tree.body
    if body and all(isinstance(s, ast.AnnAssign) and s.value is None for s in body):
        return "attribute listing (bare annotations, no values)"
    if "proxy.internal" in block.source and RESOURCE_CALL_RE.search(block.source):
        return "needs a corporate proxy (http://proxy.internal:8080)"
    if _calls_openai_itself(tree):
        return "calls api.openai.com with an OpenAI key (no base_url)"
    if "openai_client" in free_names(tree):
        return "half of it calls OpenAI's own API (openai_client, model gpt-4o-mini)"
    return None


def _parsed(block: Block) -> ast.Module | Plan:
    first = next((ln for ln in block.source.splitlines() if ln.strip()), "")
    if SHELL_RE.match(first):
        return Plan(block, False, "shell snippet labelled python")
    try:
        tree = parse(block.source)
    except SyntaxError as exc:
        where = block.line + (exc.lineno or 1)
        reason = f"signature / pseudo-code, not Python (SyntaxError: {exc.msg}, spec line {where})"
        return Plan(block, False, reason)
    why_not = not_runnable(block, tree)
    return tree if why_not is None else Plan(block, False, why_not)


def _notes(plan: Plan, tree: ast.Module, missing: list[str]) -> list[str]:
    notes = []
    if missing:
        notes.append(f"no earlier block or table defines: {', '.join(missing)}")
    if plan.async_mode:
        notes.append("top-level await: run as the asyncio REPL runs it")
    if "proxy.internal" in plan.block.source:
        notes.append("builds a proxy client but sends no request through it")
    body = tree.body
    defs_only = all(isinstance(s, DEFINITIONS) for s in body) and any(
        isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) for s in body
    )
    if defs_only:
        notes.append("only defines functions; nothing is called")
    return notes


def plan_block(block: Block, index: PageIndex, *, as_written: bool = False) -> Plan:
    """The block's plan; ``as_written`` keeps its example ids and adds no prelude."""
    parsed = _parsed(block)
    if isinstance(parsed, Plan):
        return parsed
    tree = parsed
    task = PAGE_TASKS.get(block.page, DEFAULT_TASK)
    plan = Plan(block, True, async_mode=has_top_level_await(block.source))
    if "upload_document" in block.source and "eval_set" in free_names(tree):
        task = "invoice-extraction"
    plan.code = substitute(plan, tree, task, ids=not as_written)
    missing: list[str] = []
    if not as_written:
        plan.prelude, missing = build_prelude(block, tree, index, task, plan.async_mode)
    plan.notes = _notes(plan, tree, missing)
    plan.files = files_in("\n".join([*(p.code for p in plan.prelude), plan.code]))
    return plan


def matches(plan: Plan, pattern: str | None) -> bool:
    """``-k``: a block's page:line, index or source contains the pattern."""
    block = plan.block
    return (
        not pattern
        or pattern in block.label
        or pattern == str(block.index)
        or pattern in block.source
    )


def plan_all(spec: Path, pattern: str | None = None) -> list[Plan]:
    blocks = extract_blocks(spec.read_text(encoding="utf-8"))
    index = PageIndex(blocks)
    return [p for p in (plan_block(b, index) for b in blocks) if matches(p, pattern)]
