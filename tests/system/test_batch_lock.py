"""One writer per results file, across processes: a second `pareta batch` on the same file
is refused at once and loses nothing; a `kill -9` leaves no lock behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from pareta._batch.summary import summarize
from pareta.local import LocalServer

ROWS = 20_000  # more than a job can finish while a test runs: it is interrupted
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    # Latency keeps the first job running while the second one starts.
    with LocalServer(faults=["POST /v1/chat/completions latency=20ms"]) as server:
        yield server


def start(rows: Path, out: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "pareta.cli", "batch", "ep_contract_kie", str(rows),
        "--output", str(out), "--max-in-flight", "2",
    ]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for_rows(process: subprocess.Popen[bytes], out: Path, rows: int) -> None:
    """Until the results file holds ``rows`` answered lines (the job is mid-way)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if out.exists() and out.read_bytes().count(b'"done":true') >= rows:
            return
        time.sleep(0.01)
    raise AssertionError(f"the job never wrote {rows} rows: {process.poll()}")


@pytest.fixture
def job(server: LocalServer, tmp_path: Path) -> tuple[Path, Path, dict[str, str], str]:
    key = server.mint_key()
    env = {**os.environ, "PARETA_API_KEY": key, "PARETA_BASE_URL": server.base_url}
    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        "".join(
            json.dumps({"prompt": f"Row {n}: effective as of 2026-06-{n % 28 + 1:02d}."}) + "\n"
            for n in range(ROWS)
        )
    )
    return rows, tmp_path / "out.jsonl", env, key


def billed_rows_all_written_once(server: LocalServer, key: str, out: Path) -> int:
    debits = Counter(
        e["idempotency_key"] for e in server.ledger(key) if e["kind"] == "chat.completion"
    )
    lines = [json.loads(line) for line in out.read_text().splitlines()[1:]]
    written = Counter(line["id"] for line in lines if line.get("ok"))
    assert written == debits  # every billed row has its line, once; none was lost
    summary = summarize(out)
    assert (summary["answered"], summary["garbled"]) == (len(debits), 0)
    return len(debits)


def interrupt(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err.decode()


def test_a_second_job_on_the_same_file_is_refused_and_nothing_is_lost(
    server: LocalServer, job: tuple[Path, Path, dict[str, str], str]
) -> None:
    rows, out, env, key = job
    first = start(rows, out, env)
    wait_for_rows(first, out, 10)
    second = start(rows, out, env)
    _, refused = second.communicate(timeout=60)
    assert second.returncode == 1
    message = refused.decode()
    assert str(out) in message and f"pid {first.pid} on " in message, message
    assert first.poll() is None  # refused at once, while the first job runs on
    wait_for_rows(first, out, 20)
    interrupt(first)
    assert billed_rows_all_written_once(server, key, out) >= 20
    assert not Path(f"{out}.lock").exists()


def test_a_job_killed_with_sigkill_leaves_no_lock_behind(
    server: LocalServer, job: tuple[Path, Path, dict[str, str], str]
) -> None:
    rows, out, env, key = job
    killed = start(rows, out, env)
    wait_for_rows(killed, out, 10)
    killed.send_signal(signal.SIGKILL)
    killed.communicate()
    note = json.loads(Path(f"{out}.lock").read_text())
    assert note["pid"] == killed.pid  # its note stays; its lock went with the process
    written = out.read_bytes().count(b'"done":true')
    again = start(rows, out, env)
    wait_for_rows(again, out, written + 10)  # not refused: it runs, and writes
    interrupt(again)
    billed_rows_all_written_once(server, key, out)
