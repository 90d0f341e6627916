"""Several OS processes running batch jobs on one org's key share its rate limit: the
local server's ledger, and each process's own counts of what it was refused."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from pareta.local import LocalServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_two_processes_on_one_key_share_its_limit_and_bill_each_row_once() -> None:
    limit, per_process = 40, 300
    faults = ["POST /v1/chat/completions latency=50ms"]
    with LocalServer(rate_limit=limit, rate_burst=10, faults=faults) as server:
        key = server.mint_key()
        command = [sys.executable, "-m", "tests.batch_worker", server.base_url, key]
        workers = [
            subprocess.Popen(
                [*command, str(per_process), str(i * per_process)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                text=True,
            )
            for i in range(2)
        ]
        reports = [json.loads(w.communicate(timeout=300)[0]) for w in workers]
        debits = Counter(
            e["idempotency_key"] for e in server.ledger(key) if e["kind"] == "chat.completion"
        )
    assert [r["done"] for r in reports] == [per_process, per_process]
    assert [r["failed"] for r in reports] == [0, 0]
    assert len(debits) == 2 * per_process
    assert set(debits.values()) == {1}
    # Each paces at its share of the org's limit, not at the whole of it: few refusals.
    # (Each pacing at 95% of the limit as if it were its own, a third were refused.)
    for report in reports:
        assert report["throttled"] <= 0.05 * report["attempts"]
