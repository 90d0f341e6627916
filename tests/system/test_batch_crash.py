"""`kill -9` a running `pareta batch` at random moments, then run it again: every row is
billed exactly once and has exactly one line in the results file."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from pareta.local import LocalServer

ROWS = 300
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    # A little latency keeps rows in flight at every moment a kill can land on.
    with LocalServer(faults=["POST /v1/chat/completions latency=5ms"]) as server:
        yield server


def command(rows: Path, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "pareta.cli", "batch", "ep_contract_kie", str(rows),
        "--output", str(out), "--key", "id", "--max-in-flight", "32",
    ]  # fmt: skip


def row_lines(out: Path) -> list[dict[str, object]]:
    if not out.exists():
        return []
    whole = out.read_bytes().split(b"\n")[:-1]  # a torn last line is not a line yet
    return [line for line in map(json.loads, whole[1:]) if "key" in line]


def kill_when(process: subprocess.Popen[bytes], out: Path, lines: int, rng: random.Random) -> None:
    """SIGKILL once the results file holds ``lines`` rows (or the job ends first)."""
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        if out.exists() and out.read_bytes().count(b"\n") > lines:
            time.sleep(rng.random() * 0.02)  # anywhere between two lines, not just after one
            break
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait()


@pytest.mark.parametrize("seed", range(5))
def test_killed_and_resumed_the_job_bills_each_row_once(
    server: LocalServer, tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    key = server.mint_key()
    env = {**os.environ, "PARETA_API_KEY": key, "PARETA_BASE_URL": server.base_url}
    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        "".join(
            json.dumps({"id": f"row-{n}", "prompt": f"Effective as of 2026-06-{n % 28 + 1:02d}."})
            + "\n"
            for n in range(ROWS)
        )
    )
    out = tmp_path / "out.jsonl"
    for target in sorted(rng.sample(range(5, ROWS - 20), 2)):
        process = subprocess.Popen(
            command(rows, out), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        kill_when(process, out, target, rng)
        assert process.returncode == -signal.SIGKILL
    finish = subprocess.run(command(rows, out), env=env, capture_output=True, timeout=120)
    assert finish.returncode == 0, finish.stderr.decode()
    debits = Counter(
        e["idempotency_key"] for e in server.ledger(key) if e["kind"] == "chat.completion"
    )
    assert len(debits) == ROWS
    assert set(debits.values()) == {1}
    keys = Counter(str(line["key"]) for line in row_lines(out))
    assert keys == Counter(f"row-{n}" for n in range(ROWS))
