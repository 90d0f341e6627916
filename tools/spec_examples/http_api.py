"""The HTTP API page's examples, each run as written against a fresh local server.

Its Python examples run with no prelude and their ids untouched (the server seeds
every id they use); its ``curl`` examples run in bash with the production base URL
pointed at the local server, and pass when curl does (``--fail``: an HTTP error
status fails them)."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from .extract import Block, extract_blocks
from .plan import plan_block
from .prelude import PageIndex
from .report import Outcome
from .rewrite import BASE_URL_TOKEN, PROD_URL, Plan
from .run import Worker, local_server, make_job

HTTP_PAGE = "reference/http-api.md"
CURLRC = "fail-with-body\nsilent\nshow-error\n"


def plan_curl(block: Block) -> Plan:
    if not block.source.lstrip().startswith("curl "):
        return Plan(block, False, "shell, not an HTTP request")
    plan = Plan(block, True, code=block.source.replace(PROD_URL, BASE_URL_TOKEN))
    if PROD_URL in block.source:
        plan.substitutions.append(f"{PROD_URL!r} -> the local server's base URL")
    return plan


def plan_http(spec: Path, page: str = HTTP_PAGE) -> list[Plan]:
    """The page's Python and bash blocks, planned to run as written."""
    text = spec.read_text(encoding="utf-8")
    blocks = [b for b in extract_blocks(text, ("python", "bash")) if b.page == page]
    index = PageIndex(blocks)
    return [
        plan_block(b, index, as_written=True) if b.language == "python" else plan_curl(b)
        for b in blocks
    ]


def run_curl(plan: Plan, base_url: str, key: str, timeout: float) -> dict[str, Any]:
    """The block in bash, curl reading a config that makes an HTTP error fail it."""
    with tempfile.TemporaryDirectory(prefix="spec-curl-") as home:
        Path(home, ".curlrc").write_text(CURLRC)
        env = {**os.environ, "CURL_HOME": home, "PARETA_API_KEY": key}
        code = plan.code.replace(BASE_URL_TOKEN, base_url)
        started = time.monotonic()
        try:
            done = subprocess.run(
                ["bash", "-c", code], env=env, capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            return {"status": "failed", "phase": "block", "exception": f"timed out ({timeout}s)"}
    result: dict[str, Any] = {"status": "failed" if done.returncode else "passed", "phase": "block"}
    result["seconds"] = round(time.monotonic() - started, 3)
    if done.returncode:
        result["exception"] = f"exit {done.returncode}: {done.stderr.strip()}"
    return {**result, "stdout": done.stdout[-4000:], "stderr": done.stderr[-4000:]}


def run_one(plan: Plan, spec: Path, timeout: float, worker: Worker, tmp: Path) -> dict[str, Any]:
    """One block against a server of its own; the worker's (or curl's) result."""
    with local_server() as (url, mint):
        if plan.block.language == "python":
            return worker.run(make_job(plan, mint(), url, tmp, timeout, spec))
        return run_curl(plan, url, mint(), timeout)


def run_http(plans: list[Plan], spec: Path, timeout: float) -> list[Outcome]:
    """The blocks one by one, in order, each on a fresh server."""
    outcomes = [Outcome.planned(plan) for plan in plans]
    worker = Worker()
    try:
        with tempfile.TemporaryDirectory(prefix="spec-http-") as tmp:
            for plan, outcome in zip(plans, outcomes, strict=True):
                if plan.runnable:
                    outcome.record(run_one(plan, spec, timeout, worker, Path(tmp)))
    finally:
        worker.close()
    return outcomes
