from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from pareta.local import LocalServer

from .helpers import Run


def rows_file(tmp_path: Path, rows: Sequence[object], name: str = "prompts.jsonl") -> str:
    path = tmp_path / name
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return str(path)


def results(path: Path) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    return [line for line in lines if "key" in line]


def test_batch_writes_every_answer_to_the_results_file(
    cli: Run, tmp_path: Path, server: LocalServer
) -> None:
    rows: list[dict[str, Any]] = [
        {"prompt": f"Effective as of 2026-02-{day:02d}."} for day in range(1, 21)
    ]
    rows[3] = {"messages": [{"role": "user", "content": "Effective as of 2026-02-04."}]}
    before = len(server.ledger())
    result = cli("batch", "ep_contract_kie", rows_file(tmp_path, rows), "--concurrency", "8")
    assert result.code == 0, result.err
    output = tmp_path / "prompts.results.jsonl"
    assert f"20 answered, 0 failed (20 answered and 0 already done in this run) -> {output}" in (
        result.out
    )
    lines = results(output)
    assert sorted(line["index"] for line in lines) == list(range(20))
    answer = lines[0]["result"]
    assert isinstance(answer, dict)
    assert answer["choices"][0]["message"]["content"]
    assert answer["usage"]["total_tokens"] > 0
    # Off a terminal the progress is a line per tenth of the batch, on stderr.
    progress = [line for line in result.err.splitlines() if line.startswith("batch: ")]
    counts = [int(line.split()[1].split("/")[0]) for line in progress]
    assert counts == sorted(set(counts))
    assert 2 <= len(counts) <= 10
    assert counts[-1] == 20
    assert "batch:" not in result.out
    assert len(server.ledger()) - before == 20


def test_running_the_same_command_again_resumes(
    cli: Run, tmp_path: Path, server: LocalServer
) -> None:
    rows = [{"id": f"r{n}", "prompt": f"Effective 2026-03-{n + 1:02d}."} for n in range(6)]
    path = rows_file(tmp_path, rows)
    out = str(tmp_path / "out.jsonl")
    before = len(server.ledger())
    assert cli("batch", "ep_contract_kie", path, "--output", out, "--key", "id").code == 0
    again = cli("batch", "ep_contract_kie", path, "--output", out, "--key", "id")
    assert again.code == 0, again.err
    assert "(0 answered and 6 already done in this run)" in again.out
    assert len(server.ledger()) - before == 6
    status = cli("batch", "status", out, "--json").json()
    assert status["rows"] == 6
    assert status["answered"] == 6
    assert status["failed"] == 0


def test_rows_keyed_by_content_are_done_per_set_of_options(
    cli: Run, tmp_path: Path, server: LocalServer
) -> None:
    # The options go into every request, so a row asked with other options is a new row;
    # going back to the first options bills nothing again.
    path = rows_file(tmp_path, [{"prompt": f"Effective 2026-04-{n + 1:02d}."} for n in range(5)])
    out = str(tmp_path / "out.jsonl")
    before = len(server.ledger())
    assert cli("batch", "ep_contract_kie", path, "-o", out).code == 0
    shorter = cli("batch", "ep_contract_kie", path, "-o", out, "--max-tokens", "16")
    assert "(5 answered and 0 already done in this run)" in shorter.out, shorter.err
    again = cli("batch", "ep_contract_kie", path, "-o", out)
    assert "(0 answered and 5 already done in this run)" in again.out, again.err
    again = cli("batch", "ep_contract_kie", path, "-o", out, "--max-tokens", "16")
    assert "(0 answered and 5 already done in this run)" in again.out, again.err
    assert len(server.ledger()) - before == 10


def test_batch_json_is_a_summary(cli: Run, tmp_path: Path) -> None:
    rows = [{"prompt": "Effective 2026-01-01."}, {"prompt": "Effective 2026-01-02."}]
    summary = cli("--json", "batch", "ep_contract_kie", rows_file(tmp_path, rows)).json()
    assert summary["answered"] == 2
    assert summary["this_run"]["answered"] == 2
    assert summary["output"].endswith("prompts.results.jsonl")


def test_a_row_without_a_prompt_fails_alone(cli: Run, tmp_path: Path) -> None:
    rows = [{"text": "x"}, {"prompt": "Effective 2026-01-01."}]
    result = cli("batch", "ep_contract_kie", rows_file(tmp_path, rows))
    assert result.code == 1
    assert "prompt" in result.out
    assert "1 answered, 1 failed" in result.out


def test_an_endpoint_that_does_not_exist_stops_the_job_early(cli: Run, tmp_path: Path) -> None:
    rows = [{"prompt": f"Effective 2026-01-{n % 28 + 1:02d}."} for n in range(300)]
    result = cli("batch", "ep_nope", rows_file(tmp_path, rows), "--max-in-flight", "2")
    assert result.code == 1
    assert "stopped: the first rows all answered 404" in result.err
    failed = results(tmp_path / "prompts.results.jsonl")
    assert 3 <= len(failed) < 20
    assert all(line["error"]["type"] == "NotFoundError" for line in failed)


def test_a_bad_key_stops_the_job_at_once(
    cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARETA_API_KEY", "sk-not-a-pareta-key")
    rows = [{"prompt": "Effective 2026-01-01."}] * 200
    result = cli("batch", "ep_contract_kie", rows_file(tmp_path, rows), "--max-in-flight", "2")
    assert result.code == 1
    assert "check PARETA_API_KEY" in result.err
    assert len(results(tmp_path / "prompts.results.jsonl")) < 10


def test_an_empty_balance_exits_3_and_resumes_after_a_top_up(
    cli: Run, tmp_path: Path, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = server.mint_key()
    monkeypatch.setenv("PARETA_API_KEY", key)
    rows = [{"prompt": f"Effective 2026-04-{n + 1:02d}."} for n in range(12)]
    path = rows_file(tmp_path, rows)
    server.set_balance(1, api_key=key)
    stopped = cli("batch", "ep_contract_kie", path, "--max-in-flight", "1")
    assert stopped.code == 3, stopped.err
    assert "top it up" in stopped.err
    server.set_balance(10_000_000, api_key=key)
    resumed = cli("batch", "ep_contract_kie", path, "--max-in-flight", "1")
    assert resumed.code == 0, resumed.err
    debits = [e for e in server.ledger(key) if e["kind"] == "chat.completion"]
    assert len(debits) == 12
    assert len({e["idempotency_key"] for e in debits}) == 12


def test_status_needs_no_key_and_rejects_other_files(
    cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PARETA_API_KEY")
    other = tmp_path / "x.jsonl"
    other.write_text('{"a": 1}\n')
    result = cli("batch", "status", str(other))
    assert result.code == 1
    assert "not a pareta batch results file" in result.err


def test_a_bad_rate_is_a_usage_error(cli: Run, tmp_path: Path) -> None:
    result = cli("batch", "ep_contract_kie", rows_file(tmp_path, [{"prompt": "x"}]), "--rate", "x")
    assert result.code == 2
    assert "--rate" in result.err


def test_csv_rows_bad_lines_and_a_missing_file(cli: Run, tmp_path: Path) -> None:
    table = tmp_path / "rows.csv"
    table.write_text('prompt\n"Effective 2026-01-01."\n"Effective 2026-01-02."\n')
    assert cli("batch", "ep_contract_kie", str(table)).code == 0
    assert len(results(tmp_path / "rows.results.jsonl")) == 2
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text('{"prompt": "Effective 2026-01-01."}\n{oops\n[1, 2]\n')
    result = cli("batch", "ep_contract_kie", str(mixed))
    assert result.code == 1
    errors = sorted(
        str(line["error"]["message"])
        for line in results(tmp_path / "mixed.results.jsonl")
        if not line["ok"]
    )
    assert "line 2 is not JSON" in errors[0]
    assert "row 2 is not a JSON object" in errors[1]  # rows count from 0, as their keys do
    missing = cli("batch", "ep_contract_kie", str(tmp_path / "nope.jsonl"))
    assert missing.code == 1
    assert "no such file" in missing.err


def test_status_prints_a_table(cli: Run, tmp_path: Path) -> None:
    rows = [{"prompt": "Effective 2026-01-01."}, {"text": "no prompt"}]
    cli("batch", "ep_contract_kie", rows_file(tmp_path, rows))
    result = cli("batch", "status", str(tmp_path / "prompts.results.jsonl"))
    assert result.code == 0
    lines = {
        " ".join(line.split()[:1]): line.split()[-1]
        for line in result.out.splitlines()
        if line.strip()
    }
    assert lines["answered"] == "1"
    assert lines["failed"] == "1"
    assert lines["ValueError"] == "1"


def test_the_progress_bar_draws_on_a_terminal() -> None:
    import io

    from rich.console import Console

    from pareta._batch.state import BatchStats
    from pareta.cli.commands.batch import Bar
    from pareta.cli.console import Output

    out = Output()
    screen = io.StringIO()
    out.errors = Console(file=screen, force_terminal=True, width=100)
    stats = BatchStats(done=3, failed=1, throttled=2, billed_micro_usd=1_500_000)
    with Bar(out, 10) as bar:
        bar.update(stats)
    drawn = screen.getvalue()
    assert "4/10" in drawn
    assert "2 × 429" in drawn
    assert "$1.50" in drawn


def test_a_named_job_keeps_its_rows_when_the_input_file_moves(
    cli: Run, tmp_path: Path, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = server.mint_key()
    monkeypatch.setenv("PARETA_API_KEY", key)
    rows = [{"prompt": f"Effective 2026-05-{n + 1:02d}."} for n in range(5)]
    path = Path(rows_file(tmp_path, rows))
    out = str(tmp_path / "out.jsonl")
    assert cli("batch", "ep_contract_kie", str(path), "-o", out, "--job", "nightly").code == 0
    moved = tmp_path / "elsewhere" / "renamed.jsonl"
    moved.parent.mkdir()
    path.rename(moved)
    again = cli("batch", "ep_contract_kie", str(moved), "-o", out)  # the file names its job
    assert "(0 answered and 5 already done in this run)" in again.out, again.err
    debits = [e["idempotency_key"] for e in server.ledger(key) if e["kind"] == "chat.completion"]
    assert len(debits) == 5 and all(k.startswith("nightly.") for k in debits)
    other = cli("batch", "ep_contract_kie", str(moved), "-o", out, "--job", "other")
    assert other.code == 1 and "job='nightly'" in other.err


def test_status_of_an_input_counts_its_rows_and_the_latest_run(
    cli: Run, tmp_path: Path, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = server.mint_key()
    monkeypatch.setenv("PARETA_API_KEY", key)
    rows: list[dict[str, Any]] = [{"prompt": f"Effective 2026-07-{n + 1:02d}."} for n in range(8)]
    rows.append({"text": "no prompt"})
    path = rows_file(tmp_path, rows)
    out = str(tmp_path / "out.jsonl")
    server.set_balance(3, api_key=key)
    assert cli("batch", "ep_contract_kie", path, "-o", out, "--max-in-flight", "1").code == 3
    stopped = cli("batch", "status", out, path, "--json").json()
    assert stopped["stopped"]["reason"] == "insufficient_credits"
    server.set_balance(10_000_000, api_key=key)
    assert cli("batch", "ep_contract_kie", path, "-o", out).code == 1  # the bad row fails
    # Two rows go, one comes: status counts the rows of the input, not of the file.
    rows = [*rows[2:], {"prompt": "Effective 2026-08-01."}]
    rows_file(tmp_path, rows)
    status = cli("batch", "status", out, path, "--json").json()
    assert status["stopped"] is None and status["runs"] == 2  # the latest run ended well
    assert (status["rows"], status["answered"], status["failed"]) == (9, 8, 1)
    assert status["input"] == {"rows": 8, "answered": 6, "failed": 1, "not_sent": 1}
    table = cli("batch", "status", out, path)
    assert "8 rows: 6 answered, 1 failed, 1 not yet sent" in table.out
    assert "(2 runs)" in table.out and "ValueError" in table.out


def test_status_of_a_file_with_one_garbled_line(cli: Run, tmp_path: Path) -> None:
    path = rows_file(tmp_path, [{"prompt": "Effective 2026-01-01."}] * 3)
    cli("batch", "ep_contract_kie", path)
    out = tmp_path / "prompts.results.jsonl"
    lines = out.read_text().splitlines(keepends=True)
    lines[3] = lines[3][:40] + "\n"
    out.write_text("".join(lines))
    result = cli("batch", "status", str(out))
    assert result.code == 0
    assert "1 line skipped (sent again)" in result.out and "(1 run)" in result.out
    again = cli("batch", "ep_contract_kie", path)
    assert "(1 answered and 2 already done in this run)" in again.out


def test_options_go_into_every_key_and_a_stray_file_is_a_usage_error(
    cli: Run, tmp_path: Path, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = server.mint_key()
    monkeypatch.setenv("PARETA_API_KEY", key)
    path = rows_file(tmp_path, [{"prompt": "Effective 2026-01-01."}])
    assert cli("batch", "ep_contract_kie", path).code == 0
    again = cli("batch", "ep_contract_kie", path, "--max-tokens", "5")
    assert "(1 answered and 0 already done in this run)" in again.out  # a new request
    assert len([e for e in server.ledger(key) if e["kind"] == "chat.completion"]) == 2
    stray = cli("batch", "ep_contract_kie", path, "extra.jsonl")
    assert stray.code == 2 and "one file" in stray.err


@pytest.mark.parametrize("key", [None, "id"])
def test_status_of_a_json_array_input_keyed_by_content_or_by_a_field(
    cli: Run, tmp_path: Path, key: str | None
) -> None:
    table = tmp_path / "rows.json"
    a, b = ({"id": n, "prompt": f"Effective 2026-01-0{n}."} for n in ("1", "2"))
    table.write_text(json.dumps([a, b, {"id": "3"}]))
    by = [] if key is None else ["--key", key]
    assert cli("batch", "ep_contract_kie", str(table), *by).code == 1  # row 3 has no prompt
    table.write_text(json.dumps([b, {"id": "3"}, {"id": "4", "prompt": "Effective 2026-01-04."}]))
    out = str(tmp_path / "rows.results.jsonl")
    status = cli("batch", "status", out, str(table), "--json").json()
    assert status["input"] == {"rows": 3, "answered": 1, "failed": 1, "not_sent": 1}


def test_a_keyed_job_fails_a_row_without_a_prompt_alone(cli: Run, tmp_path: Path) -> None:
    rows = [{"id": "a", "prompt": "Effective 2026-01-01."}, {"id": "b"}, {"prompt": "x"}]
    path = rows_file(tmp_path, rows)
    result = cli("batch", "ep_contract_kie", path, "--key", "id")
    assert result.code == 1 and "1 answered, 2 failed" in result.out
    assert 'needs a "prompt"' in result.out and "no 'id' field" in result.out


def test_status_of_an_input_needs_a_file_this_pareta_wrote_and_the_input(
    cli: Run, tmp_path: Path
) -> None:
    old = tmp_path / "old.jsonl"
    old.write_text('{"pareta_batch": 1, "job": "j", "method": "m"}\n')
    rows = rows_file(tmp_path, [{"prompt": "x"}])
    refused = cli("batch", "status", str(old), rows)
    assert refused.code == 2 and "earlier pareta" in refused.err
    cli("batch", "ep_contract_kie", rows)
    out = str(tmp_path / "prompts.results.jsonl")
    missing = cli("batch", "status", out, str(tmp_path / "nope.jsonl"))
    assert missing.code == 1 and "no such file" in missing.err


def test_status_says_why_the_latest_run_stopped(
    cli: Run, tmp_path: Path, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = server.mint_key()
    monkeypatch.setenv("PARETA_API_KEY", key)
    server.set_balance(0, api_key=key)
    path = rows_file(tmp_path, [{"prompt": "Effective 2026-01-01."}])
    assert cli("batch", "ep_contract_kie", path).code == 3
    result = cli("batch", "status", str(tmp_path / "prompts.results.jsonl"))
    assert "insufficient_credits" in result.out and "InsufficientCreditsError" in result.out


def test_the_summary_reads_the_results_file_once(
    cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pareta._batch import summary

    opened: list[str] = []

    def counting_open(path: str, mode: str = "r") -> object:
        opened.append(str(path))
        return open(path, mode)

    monkeypatch.setattr(summary, "open", counting_open, raising=False)
    rows = [{"prompt": "Effective 2026-01-01."}, {"text": "no prompt"}]
    result = cli("batch", "ep_contract_kie", rows_file(tmp_path, rows))
    assert result.code == 1 and 'needs a "prompt"' in result.out  # the failures table
    assert opened == [str(tmp_path / "prompts.results.jsonl")]
