"""The documented placeholders of a block, replaced by what runs locally.

``...`` rows in ``items=``, ``[...]`` lists in ``messages=`` / ``items=`` / ``models=``,
``pareta_sk_...`` keys, the production and staging base URLs, and example ids
(``es_…``, ``evalset_abc123``, ``run_456``, ...). Each change is recorded in
``plan.substitutions``; ids become tokens the child swaps for objects it creates."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any

from .extract import Block
from .fixtures import DEFAULT_TASK, DOC_TASKS, MESSAGES, models_for, rows_for
from .prelude import PreludeItem

PLACEHOLDER_STR_RE = re.compile(r"^\s*(\.\.\.|…)[^.…]*(\.\.\.|…)?\s*$")
KEY_PLACEHOLDER_RE = re.compile(r"^pareta_sk_(?:[a-z]+_)?(?:\.\.\.|…)$")
EVAL_SET_ID_RE = re.compile(r"^(?:es|evalset|evset)_(?:…|\.\.\.|[a-z0-9]+)$")
RUN_ID_RE = re.compile(r"^(?:run|evalrun)_(?:…|\.\.\.|[a-z0-9]+)$")
PROD_URL = "https://api.pareta.ai"
STAGING_URL = "https://api-staging.pareta.ai"
KEY_TOKEN = "__SPEC_KEY__"
BASE_URL_TOKEN = "__SPEC_BASE_URL__"
PLACEHOLDER_LISTS = ("items", "messages", "models")


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

    def replace(self, node: ast.expr, text: str) -> None:
        assert node.end_lineno is not None
        assert node.end_col_offset is not None
        start = self.offset(node.lineno, node.col_offset)
        end = self.offset(node.end_lineno, node.end_col_offset)
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


def is_placeholder_value(node: ast.AST | None) -> bool:
    if node is None:
        return False
    if is_ellipsis(node):
        return True
    if isinstance(node, ast.Set) and all(is_ellipsis(e) for e in node.elts):
        return True
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and bool(PLACEHOLDER_STR_RE.match(node.value))
    )


def call_task(call: ast.Call, default: str) -> str:
    for kw in call.keywords:
        if kw.arg == "task" and isinstance(kw.value, ast.Constant):
            return str(kw.value.value)
    return default


def one_line(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _placeholder_list(kind: str, task: str) -> Any:
    if kind == "items":
        return rows_for(task)
    return MESSAGES if kind == "messages" else models_for(task)


def _fill_lists(plan: Plan, tree: ast.Module, ed: Editor, task: str) -> list[tuple[ast.List, str]]:
    """Replace ``[...]`` keyword lists; return the items lists whose rows may hold ``...``."""
    item_lists: list[tuple[ast.List, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if any(n.lower() == "items" for n in names):
                item_lists.append((node.value, task))
        if not isinstance(node, ast.Call):
            continue
        for kw in node.keywords:
            if kw.arg not in PLACEHOLDER_LISTS or not isinstance(kw.value, ast.List):
                continue
            lst = kw.value
            if lst.elts and all(is_ellipsis(e) for e in lst.elts):
                value = _placeholder_list(kw.arg, call_task(node, task))
                ed.replace(lst, one_line(value))
                plan.substitutions.append(f"{kw.arg}=[...] -> {one_line(value)}")
            elif kw.arg == "items":
                item_lists.append((lst, call_task(node, task)))
    return item_lists


def _fill_rows(plan: Plan, item_lists: list[tuple[ast.List, str]], ed: Editor) -> None:
    for lst, task in item_lists:
        for i, elt in enumerate(lst.elts):
            if isinstance(elt, ast.Dict) and any(is_placeholder_value(v) for v in elt.values):
                row = rows_for(task, i + 1)[i]
                old = ast.get_source_segment(plan.block.source, elt)
                ed.replace(elt, one_line(row))
                plan.substitutions.append(f"placeholder row {old} -> {one_line(row)}")


def _string_constants(tree: ast.AST) -> list[tuple[ast.Constant, str]]:
    return [
        (n, n.value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


class _Ids:
    """Example ids of one block, each mapped to a token for an object the child creates."""

    def __init__(self, plan: Plan, tree: ast.Module, task: str) -> None:
        self.plan, self.task = plan, task
        self.tokens: dict[str, str] = {}
        self.tasks = [s for _, s in _string_constants(tree) if s in DOC_TASKS or s == DEFAULT_TASK]

    def wants(self, s: str) -> bool:
        return bool(EVAL_SET_ID_RE.match(s) or RUN_ID_RE.match(s))

    def token(self, s: str) -> str:
        if s not in self.tokens:
            self.tokens[s] = f"__SPEC_ID_{len(self.plan.setup_ids)}__"
            kind, task, what = self._object_for(s)
            entry = {"token": self.tokens[s], "kind": kind, "task": task, "literal": s}
            self.plan.setup_ids.append(entry)
            self.plan.substitutions.append(f"{s!r} -> the id of {what}")
        return self.tokens[s]

    def _object_for(self, s: str) -> tuple[str, str, str]:
        if EVAL_SET_ID_RE.match(s):
            n_sets = sum(1 for x in self.plan.setup_ids if x["kind"] == "eval_set")
            task = self.tasks[n_sets] if n_sets < len(self.tasks) else self.task
            return "eval_set", task, f"a new {task} eval set"
        return "run", self.task, f"a completed {self.task} eval run"


def _swap_literal(s: str) -> tuple[str, str] | None:
    """The replacement for a key or base-URL placeholder, and what it stands for."""
    if KEY_PLACEHOLDER_RE.match(s):
        return f'"{KEY_TOKEN}"', "the block's local API key"
    if s in (PROD_URL, STAGING_URL):
        return f'"{BASE_URL_TOKEN}"', "the local server's base URL"
    if s == PROD_URL + "/v1":
        return f'"{BASE_URL_TOKEN}/v1"', "the local server's base URL + /v1"
    return None


def substitute(plan: Plan, tree: ast.Module, task: str, *, ids: bool = True) -> str:
    """The block's source with its documented placeholders replaced; ``ids=False`` keeps
    example ids as written (the server seeds them)."""
    ed = Editor(plan.block.source)
    _fill_rows(plan, _fill_lists(plan, tree, ed, task), ed)
    example_ids = _Ids(plan, tree, task)
    for node, s in _string_constants(tree):
        swap = _swap_literal(s)
        if swap is not None:
            ed.replace(node, swap[0])
            plan.substitutions.append(f"{s!r} -> {swap[1]}")
        elif ids and example_ids.wants(s):
            ed.replace(node, f'"{example_ids.token(s)}"')
    return ed.result()
