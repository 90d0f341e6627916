"""Every Python block of the documentation site (docs/) runs as written, in a fresh
interpreter, against a local server: a block that makes its own ``LocalServer`` uses it,
any other finds one through ``PARETA_API_KEY`` and ``PARETA_BASE_URL``, as a reader's
program would after ``pareta local serve``. The Ray and Dask blocks need a cluster's
dependencies: tests/cluster runs them (``nox -s cluster``)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pareta.local import LocalServer

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCK_RE = re.compile(r"^```python\n(.*?)^```", flags=re.S | re.M)
CLUSTER = ("import ray", "import dask")


def python_blocks() -> list[tuple[str, str]]:
    """``(page:line, code)`` for every Python block under docs/."""
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        for match in BLOCK_RE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append((f"{page.relative_to(DOCS).as_posix()}:{line}", match.group(1)))
    return found


BLOCKS = python_blocks()
RUNNABLE = [(where, code) for where, code in BLOCKS if not any(m in code for m in CLUSTER)]
# Rows for the blocks that read a file of their own, as the batch page's readers would have.
ROWS = [
    {"id": f"r{i}", "model": "ep_contract_kie", "messages": [{"role": "user", "content": p}]}
    for i, p in enumerate(["Effective as of 2026-01-01.", "Signed on 2026-02-02.", "Hello."])
]


def test_the_docs_have_python_blocks_and_the_cluster_tests_run_the_others() -> None:
    assert len(RUNNABLE) >= 10
    cluster = [where for where, code in BLOCKS if (where, code) not in RUNNABLE]
    assert [where.split(":")[0] for where in cluster] == ["cluster.md", "cluster.md"]


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer(deploy_seconds=0.05, eval_seconds_per_item=0.0005) as server:
        yield server


@pytest.mark.slow
@pytest.mark.parametrize(("where", "code"), RUNNABLE, ids=[where for where, _ in RUNNABLE])
def test_the_block_runs(where: str, code: str, server: LocalServer, tmp_path: Path) -> None:
    (tmp_path / "rows.jsonl").write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    env = {**os.environ, "PARETA_API_KEY": server.mint_key(), "PARETA_BASE_URL": server.base_url}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, f"{where}\n{result.stderr[-4000:]}"


def test_the_performance_figures_are_the_committed_benchmark_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # docs/performance.md includes benchmarks/results.md: it must be what the benchmark's
    # own renderer makes of benchmarks/results.json, not an edited copy.
    bench = DOCS.parent / "benchmarks"
    monkeypatch.syspath_prepend(str(bench))
    figures = __import__("figures")
    payload = json.loads((bench / "results.json").read_text(encoding="utf-8"))
    assert (bench / "results.md").read_text(encoding="utf-8") == figures.fragment(payload)
    assert '--8<-- "benchmarks/results.md"' in (DOCS / "performance.md").read_text()
