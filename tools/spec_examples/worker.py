"""A pre-warmed interpreter that forks a child per block: ``python -m
tools.spec_examples.worker`` reads one job per line on stdin and answers one result per
line on stdout."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from .child import Job, run_child

POLL_SECONDS = 0.002


def _warm() -> None:
    """Import what every block needs once, so each fork starts ready."""
    import asyncio  # noqa: F401

    import httpx  # noqa: F401

    import pareta  # noqa: F401

    with contextlib.suppress(ImportError):
        import openai  # noqa: F401


def _fork(job: Job) -> int:
    pid = os.fork()
    if pid == 0:  # the child
        code = 0
        try:
            run_child(job)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    return pid


def _wait(pid: int, deadline: float) -> int | None:
    """The child's wait status, or None when it ran past the deadline and was killed."""
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None
        time.sleep(POLL_SECONDS)


def _result(job: Job, status: int | None) -> dict[str, Any]:
    cwd = Path(job["cwd"])
    res_path = cwd / "result.json"
    res: dict[str, Any]
    if status is None:
        res = {"status": "failed", "phase": "block"}
        res["exception"] = f"timed out after {job['timeout']:g}s"
    elif res_path.exists():
        res = json.loads(res_path.read_text())
    else:
        res = {"status": "failed", "phase": "block", "exception": f"child died ({status})"}
    for name in ("stdout", "stderr"):
        p = cwd / f"{name}.txt"
        res[name] = p.read_text(errors="replace")[-4000:] if p.exists() else ""
    res["id"] = job["id"]
    return res


def main() -> None:
    _warm()
    for line in sys.stdin:
        job = json.loads(line)
        started = time.monotonic()
        status = _wait(_fork(job), started + job["timeout"])
        res = _result(job, status)
        res["seconds"] = round(time.monotonic() - started, 3)
        sys.stdout.write(json.dumps(res) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
