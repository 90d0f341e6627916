from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pareta.local import LocalServer

from .helpers import Run


def rows_file(tmp_path: Path, rows: Sequence[object]) -> str:
    path = tmp_path / "prompts.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return str(path)


def test_batch_prints_answers_in_order_and_counts(
    cli: Run, tmp_path: Path, server: LocalServer
) -> None:
    rows: list[dict[str, Any]] = [
        {"prompt": f"Effective as of 2026-02-{day:02d}."} for day in range(1, 21)
    ]
    rows[3] = {"messages": [{"role": "user", "content": "Effective as of 2026-02-04."}]}
    before = len(server.ledger())
    result = cli("batch", "ep_contract_kie", rows_file(tmp_path, rows), "--concurrency", "8")
    assert result.code == 0, result.err
    assert "20 answered, 0 failed" in result.out
    # Off a terminal the progress is a line per tenth of the batch.
    progress = [line for line in result.out.splitlines() if "20 completions:" in line]
    assert [line.split(": ")[1] for line in progress] == [
        f"{n}/20 ({5 * n}%)" for n in range(2, 21, 2)
    ]
    assert len(server.ledger()) - before == 20


def test_batch_json_keeps_per_row_errors(cli: Run, tmp_path: Path) -> None:
    rows = [{"prompt": "Effective 2026-01-01."}, {"prompt": "Effective 2026-01-02."}]
    path = rows_file(tmp_path, rows)
    answered = cli("--json", "batch", "ep_contract_kie", path).json()
    assert [row["index"] for row in answered] == [0, 1]
    assert all(row["content"] for row in answered)
    missing = cli("--json", "batch", "ep_nope", path).json()
    assert [row["error"] for row in missing] == ["NotFoundError", "NotFoundError"]


def test_batch_rejects_rows_without_a_prompt(cli: Run, tmp_path: Path) -> None:
    result = cli("batch", "ep_contract_kie", rows_file(tmp_path, [{"text": "x"}]))
    assert result.code != 0
    assert "prompt" in result.err


def test_batch_prints_each_failed_row_with_its_error(cli: Run, tmp_path: Path) -> None:
    rows = [{"prompt": "Effective 2026-01-01."}, {"prompt": "Effective 2026-01-02."}]
    result = cli("batch", "ep_nope", rows_file(tmp_path, rows))
    assert result.code == 0, result.err
    failures = [line for line in result.out.splitlines() if "NotFoundError: " in line]
    assert [line.split()[0] for line in failures] == ["0", "1"]
    assert all("ep_nope" in line for line in failures)
    assert result.out.endswith("0 answered, 2 failed\n")
