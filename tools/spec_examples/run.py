"""Runnable blocks sent to worker processes, each block in its own org, directory and
forked child, against a local server (started here) or one already running."""

from __future__ import annotations

import json
import os
import queue
import secrets
import select
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .report import Outcome
from .rewrite import Plan

REPO = Path(__file__).resolve().parents[2]
DEFAULT_TIMEOUT = 60.0
# Most of a block's time is waiting: an eval run's first poll interval (3-5 s) or a
# deploy. Measured on 2 cores: 2 workers 81 s, 4 workers 46 s, 8 workers 29 s.
DEFAULT_JOBS = 8
# The server every block of a full run shares (each block in its own org).
SERVER_OPTIONS = {"deploy_seconds": 0.05, "eval_seconds_per_item": 0.0005}
BACKSTOP_SECONDS = 30

KeyMinter = Callable[[], str]


def _worker_env() -> dict[str, str]:
    """The worker imports this package by name, from the repository root."""
    paths = [str(REPO), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


class Worker:
    """One worker process, fed one job at a time."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tools.spec_examples.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
            env=_worker_env(),
        )

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin
        assert self.proc.stdout
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        # The worker enforces the timeout; this is only a backstop.
        ready, _, _ = select.select([self.proc.stdout], [], [], job["timeout"] + BACKSTOP_SECONDS)
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


def make_job(
    plan: Plan, key: str, base_url: str, tmp: Path, timeout: float, spec: Path
) -> dict[str, Any]:
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


class Target:
    """Where blocks run: a server's base URL, a fresh key per block, and the limits."""

    def __init__(self, base_url: str, mint_key: KeyMinter, timeout: float, spec: Path) -> None:
        self.base_url, self.mint_key, self.timeout, self.spec = base_url, mint_key, timeout, spec


def _drive(
    todo: queue.Queue[Plan], outcomes: dict[int, Outcome], target: Target, tmp: Path
) -> None:
    worker = Worker()
    try:
        while True:
            try:
                plan = todo.get_nowait()
            except queue.Empty:
                return
            key = target.mint_key()
            job = make_job(plan, key, target.base_url, tmp, target.timeout, target.spec)
            outcomes[plan.block.index].record(worker.run(job))
    finally:
        worker.close()


def run_plans(plans: list[Plan], target: Target, jobs: int) -> list[Outcome]:
    outcomes = {p.block.index: Outcome.planned(p) for p in plans}
    todo: queue.Queue[Plan] = queue.Queue()
    # Eval runs wait out a poll interval or two: start them first so none is left last.
    for p in sorted(plans, key=lambda p: not is_slow(p)):
        if p.runnable:
            todo.put(p)
    errors: list[BaseException] = []

    def drive(tmp: Path) -> None:
        try:
            _drive(todo, outcomes, target, tmp)
        except BaseException as exc:
            errors.append(exc)

    with tempfile.TemporaryDirectory(prefix="spec-examples-") as tmpdir:
        threads = [
            threading.Thread(target=drive, args=(Path(tmpdir),)) for _ in range(max(1, jobs))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    if errors:
        raise errors[0]
    return [outcomes[p.block.index] for p in plans]


def key_minter(base_url: str, api_key: str | None) -> KeyMinter:
    """Keys for a server already running: minted by its admin route, or made up (any
    ``pareta_sk_`` key is its own org on the local server)."""
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
                return f"pareta_sk_local_spec_{secrets.token_hex(8)}"

    return mint


@contextmanager
def local_server(**options: Any) -> Iterator[tuple[str, KeyMinter]]:
    from pareta.local import LocalServer

    with LocalServer(**{**SERVER_OPTIONS, **options}) as server:
        yield server.base_url, server.mint_key


def run(
    plans: list[Plan],
    spec: Path,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    jobs: int = DEFAULT_JOBS,
) -> list[Outcome]:
    """Every plan against one server: ``base_url``'s, or a LocalServer started here."""
    if base_url:
        url = base_url.rstrip("/")
        return run_plans(plans, Target(url, key_minter(url, api_key), timeout, spec), jobs)
    with local_server() as (url, mint):
        return run_plans(plans, Target(url, mint, timeout, spec), jobs)
