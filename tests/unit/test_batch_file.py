"""The results file and row keys: pure, tested once for both clients."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from pareta import BadRequestError, InsufficientCreditsError, ResultsFileError
from pareta._batch.file import (
    error_record,
    is_permanent,
    jsonable,
    open_results,
    row_record,
    stop_record,
    summarize,
)
from pareta._batch.keys import call_name, default_job, idempotency_key, request_digest, row_key_of
from pareta._checks import MAX_IDEMPOTENCY_KEY, require_idempotency_key
from pareta._models import ChatCompletion


def write_rows(path: Path, job: str, records: list[dict[str, object]]) -> None:
    writer, _ = open_results(path, job, "m")
    for record in records:
        writer.write(record)
    writer.close()


def test_a_new_file_starts_with_its_job_and_resumes_with_its_done_rows(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    write_rows(
        out,
        "job1",
        [
            row_record("job1.a.1", "a", 0, 1, "req_1", {"x": 1}),
            row_record(
                "job1.b.2",
                "b",
                1,
                2,
                "req_2",
                error=InsufficientCreditsError("no", status_code=402),
            ),
            row_record("job1.c.3", "c", 2, 1, None, error=BadRequestError("bad", status_code=400)),
            stop_record("insufficient_credits", "out of credit"),
        ],
    )
    header = json.loads(out.read_text().splitlines()[0])
    assert header == {"pareta_batch": 1, "job": "job1", "method": "m"}
    writer, done = open_results(out, "job1", "m")
    writer.close()
    assert "job1.a.1" in done
    assert "job1.c.3" in done  # a 400 is the row's own fault: resending cannot help
    assert "job1.b.2" not in done  # a 402 is sent again after a top-up
    assert "job1.z.9" not in done
    assert len(done) == 2


def test_a_torn_last_line_is_cut_off_and_not_counted(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    write_rows(out, "j", [row_record("j.a.1", "a", 0, 1, None, "ok")])
    whole = out.read_bytes()
    torn = json.dumps(row_record("j.b.2", "b", 1, 1, None, "ok")).encode()[:-5]
    out.write_bytes(whole + torn)
    writer, done = open_results(out, "j", "m")
    writer.write(row_record("j.c.3", "c", 2, 1, None, "ok"))
    writer.close()
    assert "j.b.2" not in done
    assert out.read_bytes().startswith(whole)
    assert [json.loads(line)["key"] for line in out.read_text().splitlines()[1:]] == ["a", "c"]


def test_a_file_killed_before_its_header_was_whole_starts_again(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_bytes(b'{"pareta_ba')
    writer, done = open_results(out, "j", "m")
    writer.close()
    assert len(done) == 0
    assert json.loads(out.read_text())["job"] == "j"


def test_an_unreadable_path_is_a_results_file_error(tmp_path: Path) -> None:
    with pytest.raises(ResultsFileError, match="cannot use"):
        open_results(tmp_path / "missing" / "out.jsonl", "j", "m")
    with pytest.raises(ResultsFileError, match="cannot read"):
        summarize(tmp_path / "missing.jsonl")


def test_a_write_that_fails_is_a_results_file_error(tmp_path: Path) -> None:
    writer, _ = open_results(tmp_path / "out.jsonl", "j", "m")
    writer.close()
    with pytest.raises(ResultsFileError, match="cannot write"):
        writer.write({"id": "x"})


def test_status_counts_the_latest_line_of_each_row(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    credit = InsufficientCreditsError("no", status_code=402)
    write_rows(
        out,
        "j",
        [
            row_record("j.a.1", "a", 0, 1, None, "fine"),
            row_record("j.b.1", "b", 1, 3, None, error=credit),
            row_record("j.c.1", "c", 2, 1, None, error=BadRequestError("bad", status_code=400)),
            stop_record("insufficient_credits", "no"),
            row_record("j.b.1", "b", 1, 1, None, "fine now"),
        ],
    )
    with out.open("ab") as file:
        file.write(b'{"id":"j.d.1","done":tr')  # torn
    summary = summarize(out)
    assert summary == {
        "job": "j",
        "method": "m",
        "rows": 3,
        "answered": 2,
        "failed": 1,
        "to_retry": 0,
        "errors": {"BadRequestError": 1},
        "attempts": 6,
        "stopped": {"reason": "insufficient_credits", "detail": "no"},
    }


def test_status_refuses_what_is_not_a_results_file(tmp_path: Path) -> None:
    other = tmp_path / "x.jsonl"
    other.write_text('{"a": 1}\n')
    with pytest.raises(ResultsFileError, match="not a pareta batch"):
        summarize(other)
    other.write_text('{"pareta_batch": 1, "job": "j"}\nnot json\n')
    with pytest.raises(ResultsFileError, match="line 2 is not JSON"):
        summarize(other)


def test_errors_and_results_are_recorded_as_json() -> None:
    response = httpx.Response(400, request=httpx.Request("POST", "https://x.test/v1/y"))
    error = BadRequestError(
        "bad row", status_code=400, detail="no", request_id="r1", response=response
    )
    assert error_record(error) == {
        "type": "BadRequestError",
        "message": "bad row",
        "status": 400,
        "detail": "no",
        "request_id": "r1",
    }
    assert error_record(ValueError("x" * 5000))["message"] == "x" * 2000
    assert is_permanent(ValueError("bad row"))
    assert not is_permanent(RuntimeError("network"))
    assert jsonable(ChatCompletion({"id": "c"})) == {"id": "c"}
    assert jsonable([ChatCompletion({"id": "c"}), 3]) == [{"id": "c"}, 3]
    assert jsonable({"a": 1}) == {"a": 1}


def test_keys_are_stable_safe_and_change_with_the_request() -> None:
    call = {"model": "ep", "messages": [{"role": "user", "content": "hi"}]}
    digest = request_digest("chat.completions.create", call)
    assert digest == request_digest("chat.completions.create", dict(reversed(call.items())))
    assert digest != request_digest("chat.completions.create", {**call, "model": "other"})
    key = idempotency_key("job1", "row-7", digest)
    assert key == f"job1.row-7.{digest}"
    odd = idempotency_key("job1", "ünïcode key with spaces", digest)
    assert require_idempotency_key(odd) == odd
    long = idempotency_key("job1", "x" * 300, digest)
    assert len(long) <= MAX_IDEMPOTENCY_KEY
    assert require_idempotency_key(long) == long


def test_a_job_id_follows_the_input_file_or_the_output_file(tmp_path: Path) -> None:
    assert default_job("m", str(tmp_path / "a.jsonl"), None) == default_job(
        "m", tmp_path / "a.jsonl", tmp_path / "elsewhere.jsonl"
    )
    assert default_job("m", [1], tmp_path / "o.jsonl") == default_job(
        "m", [2], tmp_path / "o.jsonl"
    )
    assert default_job("m", [1], None) != default_job("m", [1], None)
    assert default_job("m", [1], tmp_path / "o.jsonl") != default_job(
        "n", [1], tmp_path / "o.jsonl"
    )


def test_row_keys_come_from_a_field_or_the_position() -> None:
    assert row_key_of({"id": 7}, 3, "id") == "7"
    assert row_key_of("text", 3, None) == "3"
    with pytest.raises(ValueError, match="no 'id' field"):
        row_key_of({"x": 1}, 3, "id")


def test_a_method_is_named_by_where_it_hangs_off_the_client() -> None:
    from pareta import Pareta

    with Pareta(api_key="pareta_sk_x", base_url="https://api.test") as pa:
        assert call_name(pa.chat.completions.create) == "chat.completions.create"
        assert call_name(pa.evals.runs.create) == "evals.runs.create"

    def plain() -> None: ...

    assert call_name(plain).endswith("plain")


def test_a_file_whose_first_line_is_not_json_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("hello\n")
    with pytest.raises(ResultsFileError, match="not a pareta batch results file"):
        open_results(out, "j", "m")


def test_a_cost_header_that_is_not_a_number_counts_as_nothing() -> None:
    from pareta._batch.rate import RateControl, Spacing
    from pareta._batch.state import RowTrace

    trace = RowTrace(RateControl(), Spacing(None, time.monotonic))
    trace.answered(200, [(b"X-Pareta-Cost-Micro-USD", b"abc"), (b"x-request-id", b"r")])
    assert (trace.cost, trace.request_id) == (0, "r")
    trace.answered(200, [(b"x-pareta-cost-micro-usd", b"12"), (b"idempotent-replayed", b"true")])
    assert (trace.cost, trace.replayed) == (12, True)


@pytest.mark.parametrize("compact_from", [2, 1_000])
def test_done_keys_answer_the_same_compact_or_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compact_from: int
) -> None:
    from pareta._batch import file as _batch_file

    monkeypatch.setattr(_batch_file, "COMPACT_FROM", compact_from)
    out = tmp_path / "out.jsonl"
    write_rows(out, "j", [row_record(f"j.{n}.d", str(n), n, 1, None, "ok") for n in range(50)])
    writer, done = open_results(out, "j", "m")
    writer.close()
    assert len(done) == 50
    assert all(f"j.{n}.d" in done for n in range(50))
    assert not any(f"j.{n}.d" in done for n in range(50, 60))
