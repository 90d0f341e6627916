"""In a forked child: make the block's files and objects, run its prelude and its code,
and write what happened to ``result.json`` in its working directory."""

from __future__ import annotations

import ast
import asyncio
import builtins
import contextlib
import json
import os
import sys
import traceback
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from .fixtures import SpecSetup, fake_document
from .names import CO_COROUTINE, parse
from .rewrite import BASE_URL_TOKEN, KEY_TOKEN

Job = dict[str, Any]


class LineTracer:
    """Record which lines of the block (by spec line) ran, to see which handlers fired."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.lines: set[int] = set()

    def _local(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            self.lines.add(frame.f_lineno)
        return self._local

    def _global(self, frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename == self.filename:
            return self._local
        return None

    def start(self) -> None:
        sys.settrace(self._global)

    def stop(self) -> None:
        sys.settrace(None)


def handler_notes(job: Job, ran: set[int]) -> list[str]:
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


def _redirect(cwd: Path) -> None:
    """The child's stdio: no input, output to files the worker reads back."""
    out = os.open(cwd / "stdout.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    err = os.open(cwd / "stderr.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out, 1)
    os.dup2(err, 2)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", closefd=False, buffering=1)  # noqa: SIM115
    sys.stderr = open(2, "w", closefd=False, buffering=1)  # noqa: SIM115


def _set_up(job: Job, cwd: Path, ns: dict[str, Any], result: dict[str, Any]) -> str:
    """Fake files, the objects the block's ids stand for; the code with its tokens filled."""
    for i, rel in enumerate(job["files"]):
        path = cwd / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(fake_document(rel, i))
    code: str = job["code"]
    if job["setup_ids"] or "_spec." in job["prelude"]:
        spec = SpecSetup()
        ns["_spec"] = spec
        for item in job["setup_ids"]:
            real = spec.make(item["kind"], item["task"])
            result["ids"][item["literal"]] = real
            code = code.replace(item["token"], real)
    code = code.replace(KEY_TOKEN, job["env"]["PARETA_API_KEY"])
    return code.replace(BASE_URL_TOKEN, job["env"]["PARETA_BASE_URL"])


def _execute(job: Job, code: str, ns: dict[str, Any], tracer: LineTracer) -> None:
    """The block at its own spec lines, so tracebacks and the tracer name them."""
    padded = "\n" * (job["first_line"] - 1) + code
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    compiled = compile(padded, job["filename"], "exec", flags=flags, dont_inherit=True)
    tracer.start()
    try:
        if compiled.co_flags & CO_COROUTINE:
            asyncio.run(eval(compiled, ns))
        else:
            exec(compiled, ns)
    finally:
        tracer.stop()


def _spec_line(tb: TracebackType | None, filename: str) -> int | None:
    """The deepest line of the block itself in a traceback."""
    where = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            where = tb.tb_lineno
        tb = tb.tb_next
    return where


def _failed(result: dict[str, Any], stage: str, exc: BaseException, filename: str) -> None:
    if isinstance(exc, SystemExit):
        if exc.code in (None, 0):
            return
        summary = f"SystemExit: {exc.code}"
    else:
        summary = traceback.format_exception_only(type(exc), exc)[-1].strip()
        result["spec_line"] = _spec_line(exc.__traceback__, filename)
    result.update(status="failed", phase=stage, exception=summary)
    result["traceback"] = "".join(traceback.format_exception(exc))


def run_child(job: Job) -> None:
    cwd = Path(job["cwd"])
    os.chdir(cwd)
    os.environ.update(job["env"])
    _redirect(cwd)
    result: dict[str, Any] = {"status": "passed", "phase": "block", "ids": {}, "notes": []}
    tracer = LineTracer(job["filename"])
    ns: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    stage = "setup"
    try:
        code = _set_up(job, cwd, ns, result)
        stage = "prelude"
        if job["prelude"]:
            exec(compile(job["prelude"], "<prelude>", "exec", dont_inherit=True), ns)
        stage = "block"
        _execute(job, code, ns, tracer)
    except BaseException as exc:  # the block's own failure, whatever it is
        _failed(result, stage, exc, job["filename"])
    with contextlib.suppress(Exception):
        result["notes"] += handler_notes(job, tracer.lines) + run_notes(ns)
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    (cwd / "result.json").write_text(json.dumps(result))
