"""Subprocesses: the loopback server, one worker per client run, and CPU pinning."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WORKER_TIMEOUT_S = 600


@dataclass(frozen=True)
class Pinning:
    """Which CPUs the server and the clients run on (empty: not pinned)."""

    server: str = ""
    clients: str = ""


def choose_pinning(enabled: bool) -> Pinning:
    """The server on the last CPU we may use, every client process on the others."""
    if not enabled or not hasattr(os, "sched_getaffinity"):
        return Pinning()
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return Pinning()
    return Pinning(server=str(cpus[-1]), clients=",".join(str(cpu) for cpu in cpus[:-1]))


@contextmanager
def loopback_server(chunks: int, pinning: Pinning) -> Iterator[str]:
    """Start ``server.py`` in its own process; yield its base URL; stop it afterwards."""
    command = [sys.executable, str(HERE / "server.py"), "--chunks", str(chunks)]
    if pinning.server:
        command += ["--cpu", pinning.server]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the benchmark server did not start (said {line!r})")
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_worker(
    client: str, url: str, plan: list[tuple[str, int]], pinning: Pinning, ramp_ms: int = 0
) -> dict[str, Any]:
    """Run ``worker.py`` for one client; its JSON answer, or ``{"error": ...}``."""
    command = [
        sys.executable,
        str(HERE / "worker.py"),
        "--client",
        client,
        "--url",
        url,
        "--workloads",
        ",".join(workload for workload, _ in plan),
        "--counts",
        ",".join(str(count) for _, count in plan),
        "--ramp-ms",
        str(ramp_ms),
    ]
    if pinning.clients:
        command += ["--cpus", pinning.clients]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=WORKER_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return {"client": client, "error": f"timed out after {WORKER_TIMEOUT_S} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = done.stderr.strip().splitlines()[-3:]
        return {"client": client, "error": f"exit {done.returncode}: {' | '.join(tail)}"}
    answer: dict[str, Any] = json.loads(lines[-1])
    return answer


def pinned_command(command: list[str], pinning: Pinning) -> list[str]:
    """``command`` under ``taskset`` on the client CPUs, when pinning and taskset exist."""
    if pinning.clients and Path("/usr/bin/taskset").exists():
        return ["/usr/bin/taskset", "-c", pinning.clients, *command]
    return command
