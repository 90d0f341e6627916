"""The Ray and Dask programs of docs/cluster.md, run as written against the local server: every row
answered, every row billed once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from pareta.local import LocalServer
from tests.cluster.readme import page_block

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("marker", ["import pareta.ray", "import pareta.dask"])
def test_the_snippet_answers_every_row_and_bills_each_once(marker: str, tmp_path: Path) -> None:
    script = tmp_path / "snippet.py"
    script.write_text(page_block(marker))
    with LocalServer() as server:
        # What `pareta local serve` prints to export, as the page says.
        env = {
            **os.environ,
            "PARETA_API_KEY": server.api_key,
            "PARETA_BASE_URL": server.base_url,
            "PYTHONPATH": str(ROOT / "src"),
        }
        done = subprocess.run(
            [sys.executable, str(script)],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-4000:]
        assert done.stdout.splitlines()[-1] == "400 of 400 rows answered"
        debits = Counter(entry["idempotency_key"].split(".")[1] for entry in server.ledger())
    assert debits == Counter({f"r{i}": 1 for i in range(400)})
