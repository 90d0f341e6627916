"""What a block's code binds and reads, from its syntax tree."""

from __future__ import annotations

import ast
import builtins

BUILTIN_NAMES = set(dir(builtins))
CO_COROUTINE = 0x80  # inspect.CO_COROUTINE: the code has a top-level await


def parse(source: str) -> ast.Module:
    flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    tree: ast.Module = compile(source, "<block>", "exec", flags=flags, dont_inherit=True)
    return tree


def _binds(n: ast.AST) -> set[str]:
    if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
        return {n.id}
    if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {n.name}
    if isinstance(n, ast.arg):
        return {n.arg}
    if isinstance(n, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in n.names}
    if isinstance(n, ast.ExceptHandler) and n.name:
        return {n.name}
    if isinstance(n, (ast.Global, ast.Nonlocal)):
        return set(n.names)
    return set()


def bound_names(node: ast.AST) -> set[str]:
    return set().union(*(_binds(n) for n in ast.walk(node)))


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
    return bool(code.co_flags & CO_COROUTINE)


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


def is_none_init(st: ast.stmt) -> bool:
    """`x = None`: an initialisation a later loop fills in, not the binding to reuse."""
    return (
        isinstance(st, ast.Assign) and isinstance(st.value, ast.Constant) and st.value.value is None
    )
