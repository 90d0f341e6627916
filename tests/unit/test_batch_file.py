"""The results file and row keys: pure, tested once for both clients."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import httpx
import pytest

from pareta import APIStatusError, BadRequestError, InsufficientCreditsError, ResultsFileError
from pareta._batch.file import (
    DoneKeys,
    error_record,
    is_permanent,
    jsonable,
    open_results,
    row_record,
    run_record,
    stop_record,
)
from pareta._batch.keys import call_name, default_job, idempotency_key, request_digest, row_key_of
from pareta._batch.summary import summarize
from pareta._checks import MAX_IDEMPOTENCY_KEY, require_idempotency_key
from pareta._exceptions import status_error as status_error_of
from pareta._objects.models import ChatCompletion


def write_rows(path: Path, job: str, records: list[dict[str, object]]) -> None:
    writer = open_results(path, job, "m").writer
    for record in records:
        writer.write(record)
    writer.close()


def reopen(path: Path, job: str) -> DoneKeys:
    opened = open_results(path, job, "m")
    opened.writer.close()
    return opened.done


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
    header, run = map(json.loads, out.read_text().splitlines()[:2])
    assert header == {"pareta_batch": 2, "job": "job1", "method": "m", "key": None}
    assert run["event"] == "run" and run["pid"] == os.getpid()
    done = reopen(out, "job1")
    assert "job1.a.1" in done
    assert "job1.c.3" in done  # a 400 is the row's own fault: resending cannot help
    assert "job1.b.2" not in done  # a 402 is sent again after a top-up
    assert "job1.z.9" not in done
    assert len(done) == 2


def test_a_job_keyed_by_content_reads_the_row_keys_of_its_own_variant(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    torn = json.dumps(row_record("j.dd.v1", "dd", 3, 1, None, "ok"), separators=(",", ":"))
    write_rows(
        out,
        "j",
        [
            row_record("j.aa.v1", "aa", 0, 1, None, "ok"),
            row_record("j.aa.2.v1", "aa.2", 1, 1, None, "ok"),
            row_record("j.bb.v2", "bb", 2, 1, None, "ok"),  # asked with other options
            row_record(
                "j.cc.v1", "cc", 3, 1, None, error=InsufficientCreditsError("no", status_code=402)
            ),
        ],
    )
    spliced = row_record("j.ee.v1", "ee", 4, 1, None, "ok")
    out.write_bytes(
        out.read_bytes()
        + torn[:40].encode()
        + json.dumps(spliced, separators=(",", ":")).encode()
        + b"\n"
    )
    opened = open_results(out, "j", "m", variant="v1")
    opened.writer.close()
    assert "aa" in opened.done and "aa.2" in opened.done
    assert len(opened.done) == 2  # not bb (v2), cc (not done), dd (torn) or ee (spliced)
    everything = reopen(out, "j")  # without a variant: whole keys, of every variant
    assert "j.bb.v2" in everything and "bb" not in everything and len(everything) == 3


def test_a_torn_last_line_is_cut_off_and_not_counted(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    write_rows(out, "j", [row_record("j.a.1", "a", 0, 1, None, "ok")])
    whole = out.read_bytes()
    torn = json.dumps(row_record("j.b.2", "b", 1, 1, None, "ok")).encode()[:-5]
    out.write_bytes(whole + torn)
    opened = open_results(out, "j", "m")
    opened.writer.write(row_record("j.c.3", "c", 2, 1, None, "ok"))
    opened.writer.close()
    assert "j.b.2" not in opened.done
    assert out.read_bytes().startswith(whole)
    lines = [json.loads(line) for line in out.read_text().splitlines()[1:]]
    assert [line["key"] for line in lines if "key" in line] == ["a", "c"]


def test_a_file_killed_before_its_header_was_whole_starts_again(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_bytes(b'{"pareta_ba')
    assert len(reopen(out, "j")) == 0
    assert json.loads(out.read_text().splitlines()[0])["job"] == "j"


def test_an_unreadable_path_is_a_results_file_error(tmp_path: Path) -> None:
    with pytest.raises(ResultsFileError, match="cannot use"):
        open_results(tmp_path / "missing" / "out.jsonl", "j", "m")
    with pytest.raises(ResultsFileError, match="cannot read"):
        summarize(tmp_path / "missing.jsonl")


def test_a_write_that_fails_is_a_results_file_error(tmp_path: Path) -> None:
    writer = open_results(tmp_path / "out.jsonl", "j", "m").writer
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
            run_record(),  # a later run, which answers b
            row_record("j.b.1", "b", 1, 1, None, "fine now"),
        ],
    )
    with out.open("ab") as file:
        file.write(b'{"id":"j.d.1","done":tr')  # torn
    summary = summarize(out)
    assert summary["started"] is not None
    del summary["started"]
    assert summary == {
        "job": "j",
        "method": "m",
        "rows": 3,
        "answered": 2,
        "failed": 1,
        "to_retry": 0,
        "errors": {"BadRequestError": 1},
        "attempts": 6,
        "garbled": 0,
        "runs": 2,
        "stopped": None,  # the latest run ended well
        "failures": [("2", "BadRequestError: bad")],
    }


def test_status_refuses_what_is_not_a_results_file(tmp_path: Path) -> None:
    other = tmp_path / "x.jsonl"
    other.write_text('{"a": 1}\n')
    with pytest.raises(ResultsFileError, match="not a pareta batch"):
        summarize(other)
    other.write_text('{"pareta_batch": 1, "job": "j"}\nnot json\n')
    assert summarize(other)["garbled"] == 1


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


def test_a_job_id_follows_the_output_file_and_the_method(tmp_path: Path) -> None:
    assert default_job("m", str(tmp_path / "o.jsonl")) == default_job("m", tmp_path / "o.jsonl")
    assert default_job("m", None) != default_job("m", None)
    assert default_job("m", tmp_path / "o.jsonl") != default_job("n", tmp_path / "o.jsonl")
    assert default_job("m", tmp_path / "o.jsonl") != default_job("m", tmp_path / "p.jsonl")


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
    monkeypatch.setattr(_batch_file, "_BLOCK", 256)  # keys arrive in many blocks
    out = tmp_path / "out.jsonl"
    write_rows(out, "j", [row_record(f"j.{n}.d", str(n), n, 1, None, "ok") for n in range(50)])
    done = reopen(out, "j")
    assert len(done) == 50
    assert all(f"j.{n}.d" in done for n in range(50))
    assert not any(f"j.{n}.d" in done for n in range(50, 60))


def test_a_scan_across_many_blocks_keeps_every_whole_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pareta._batch import file as _batch_file

    monkeypatch.setattr(_batch_file, "_BLOCK", 64)  # every line straddles a block boundary
    out = tmp_path / "out.jsonl"
    write_rows(out, "j", [row_record(f"j.{n}.d", str(n), n, 1, None, "x" * n) for n in range(40)])
    before = out.read_bytes()
    for _ in range(3):
        assert len(reopen(out, "j")) == 40
    lines = out.read_bytes()
    assert lines.startswith(before)
    assert [json.loads(line).get("event") for line in lines.splitlines()[-3:]] == ["run"] * 3


def garble(out: Path, how: str, row: int) -> None:
    """Spoil the line of row ``row`` as a crash, a second writer or an editor would."""
    lines = out.read_bytes().splitlines(keepends=True)
    at = next(n for n, line in enumerate(lines) if b'"index":%d,' % row in line)
    line = lines[at]
    if how == "junk":
        lines[at] = b"\x00\x00 not a line at all\n"
    elif how == "torn":  # the first half of the line, then the next one
        lines[at] = line[: len(line) // 2] + b"\n"
    else:  # spliced: its start, then the whole of the next row's line
        lines[at] = line[:60] + lines[at + 1]
    out.write_bytes(b"".join(lines))


def test_a_garbled_line_anywhere_is_not_done_and_status_counts_it(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    write_rows(out, "j", [row_record(f"j.{n}.d", str(n), n, 1, None, "ok") for n in range(20)])
    for how, row in (("junk", 3), ("torn", 8), ("spliced", 14)):
        garble(out, how, row)
    done = reopen(out, "j")
    assert {n for n in range(20) if f"j.{n}.d" not in done} == {3, 8, 14}
    summary = summarize(out)
    assert summary["garbled"] == 3
    assert (summary["rows"], summary["answered"]) == (17, 17)


def test_a_second_job_on_a_results_file_is_refused_and_told_who_holds_it(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    first = open_results(out, "j", "m")
    lock = Path(f"{out}.lock")
    assert json.loads(lock.read_text())["pid"] == os.getpid()
    with pytest.raises(ResultsFileError) as refused:
        open_results(out, "j", "m")
    message = str(refused.value)
    assert repr(str(out)) in message and f"pid {os.getpid()} on " in message
    assert "another output file" in message
    first.writer.write(row_record("j.a.1", "a", 0, 1, None, "ok"))
    first.writer.close()
    assert not lock.exists()  # released and tidied: the next run takes it at once
    assert "j.a.1" in reopen(out, "j")


def test_a_lock_file_whose_holder_has_not_written_its_name_yet(tmp_path: Path) -> None:
    from pareta._batch.lock import HeldElsewhere, hold

    out = tmp_path / "out.jsonl"
    held = hold(out)
    Path(f"{out}.lock").write_bytes(b"")  # as if taken an instant ago
    with pytest.raises(HeldElsewhere) as refused:
        hold(out)
    assert "not said which" in refused.value.holder
    held.release()
    held.release()  # once is enough; twice is harmless


def test_a_lock_file_removed_as_it_was_opened_is_taken_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pareta._batch import lock as _lock

    out = tmp_path / "out.jsonl"
    real = _lock._names
    calls: list[int] = []

    def first_time_gone(path: str, file: object) -> bool:
        calls.append(1)
        if len(calls) == 1:
            os.unlink(path)  # its last holder removed it between open and lock
        return real(path, file)  # type: ignore[arg-type]

    monkeypatch.setattr(_lock, "_names", first_time_gone)
    held = _lock.hold(out)
    assert len(calls) == 2 and json.loads(Path(f"{out}.lock").read_text())["pid"] == os.getpid()
    held.release()


def test_what_a_file_says_it_is_decides_whether_it_resumes(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text('{"pareta_batch": 1, "job": "j", "method": "m"}\n')
    with pytest.raises(ResultsFileError, match="earlier pareta"):
        open_results(out, "j", "m")
    assert summarize(out)["rows"] == 0  # status still reads it
    out.unlink()
    write_rows(out, "j", [])
    with pytest.raises(ResultsFileError, match=r"Leave key unset \(no --key\) to resume"):
        open_results(out, "j", "m", "id")
    with pytest.raises(ResultsFileError, match="job='j'"):
        open_results(out, "k", "m")
    with pytest.raises(ResultsFileError, match="job='j'"):
        open_results(out, "k", "other", named=False)
    opened = open_results(out, "k", "m", named=False)  # an unnamed job takes the file's
    opened.writer.close()
    assert opened.job == "j"


def test_answers_a_resend_would_repeat_are_done() -> None:
    def refused(status: int, method: str, path: str) -> APIStatusError:
        request = httpx.Request(method, f"https://x.test{path}")
        response = httpx.Response(status, request=request)
        return status_error_of(response)

    assert is_permanent(refused(413, "POST", "/v1/chat/completions"))
    assert is_permanent(refused(422, "POST", "/v1/chat/completions"))
    assert is_permanent(refused(404, "GET", "/v1/evals/runs/run_7"), "run_7")
    assert is_permanent(refused(404, "GET", "/v1/evals/runs/run_7"), {"run_id": "run_7"})
    # A 404 for the endpoint every row names is fixed by creating it: sent again.
    assert not is_permanent(refused(404, "POST", "/v1/chat/completions"), {"model": "ep_x"})
    assert not is_permanent(APIStatusError("no", status_code=404), "run_7")
    assert not is_permanent(refused(503, "POST", "/v1/chat/completions"))


def test_identical_rows_are_numbered_and_the_fast_reader_keys_as_the_slow_one(
    tmp_path: Path,
) -> None:
    from pareta._batch.input import fresh_lines
    from pareta._batch.keys import RowKeys, Seen

    seen = Seen()
    assert [seen.count(hash(str(n % 700))) for n in range(2100)] == [1] * 700 + [2] * 700 + [
        3
    ] * 700
    rows = tmp_path / "rows.jsonl"
    lines = [b'{"n": %d}' % (n % 300) for n in range(1000)]
    rows.write_bytes(b"\n".join(lines) + b"\n\n")
    slow = RowKeys("j", "m", None)
    expected = [slow.of_line(line) for line in lines]
    assert len(set(expected)) == 1000
    passed: list[int] = []
    done = {hash(row_key) for n, (row_key, _) in enumerate(expected) if n % 3}
    fresh = list(fresh_lines(rows, RowKeys("j", "m", None), done, passed.append))
    assert [(line.row_key, line.key) for _, line in fresh] == expected[::3]
    assert [index for index, _ in fresh] == list(range(0, 1000, 3))
    assert sum(passed) == 666 and fresh[1][1].parse() == {"n": 3}


def test_whole_blocks_of_done_rows_pass_at_once_and_key_as_the_slow_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pareta._batch import input as _input
    from pareta._batch.keys import RowKeys

    monkeypatch.setattr(_input, "_BLOCK", 64)  # five or six lines a block
    # Each repeated below is done before the tail: 7 twice, in whole blocks; 38 once read
    # line by line (blank lines around it), then in a whole block; 260 twice in one block.
    head = [*range(100), 7, *range(100, 200), 38, *range(200, 261), 260, *range(261, 300)]
    # In the tail, repeats of 5 and 250 are done; the rest is fresh, and so is the first
    # 120 (the rows after it are checked against it).
    tail = [5, 250, 120, 5, 999, 38, 7, 260]
    values = head + tail
    lines = [b'{"n": %d}' % value for value in values]
    lines[38:39] = [b"", lines[38], b""]
    rows = tmp_path / "rows.jsonl"
    rows.write_bytes(b"\n".join(lines) + b"\n")
    slow = RowKeys("j", "m", None)
    expected = [slow.of_line(line) for line in lines if line]
    fresh_at = {values.index(120), *range(len(head) + 2, len(values))}
    done = {hash(row_key) for n, (row_key, _) in enumerate(expected) if n not in fresh_at}
    passed: list[int] = []
    keys = RowKeys("j", "m", None)
    fresh = list(_input.fresh_lines(rows, keys, done, passed.append))
    assert [(index, line.row_key, line.key) for index, line in fresh] == [
        (n, *expected[n]) for n in sorted(fresh_at)
    ]
    parsed = [line.parse() for _, line in fresh]
    assert parsed == [{"n": n} for n in (120, 120, 5, 999, 38, 7, 260)]
    assert [line.row_key[-2:] for _, line in fresh[-3:]] == [".3", ".3", ".3"]
    assert sum(passed) == len(expected) - len(fresh_at)
    # Most rows passed a block at a time, never entering the table of identities.
    assert keys.seen.size < len(expected) // 2


def big_results(path: Path, rows: int) -> None:
    writer = open_results(path, "j", "m").writer
    for n in range(rows):
        error = BadRequestError("bad", status_code=400) if n % 50 == 7 else None
        writer.write(row_record(f"j.{n}.d", f"row-{n}", n, 1, "req", "x" * 200, error))
    writer.close()


@pytest.mark.slow
def test_status_reads_a_results_file_once_in_memory_that_grows_little_with_its_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tracemalloc

    from pareta._batch import summary as _summary

    opened: list[str] = []

    def counting_open(path: str, mode: str = "r") -> object:
        opened.append(os.fspath(path))
        return open(path, mode)

    monkeypatch.setattr(_summary, "open", counting_open, raising=False)
    monkeypatch.setattr(_summary, "_BLOCK", 1 << 16)  # both files span many blocks
    peaks = {}
    for rows in (4_000, 40_000):
        out = tmp_path / f"{rows}.jsonl"
        big_results(out, rows)
        tracemalloc.start()
        summary = summarize(out)
        peaks[rows] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert (summary["rows"], summary["failed"]) == (rows, rows // 50)
        assert summary["answered"] == rows - rows // 50 and summary["attempts"] == rows
    assert opened == [str(tmp_path / "4000.jsonl"), str(tmp_path / "40000.jsonl")]
    # Each row's latest state is about 10 bytes in flat arrays (a dict of lines took ~250);
    # the file holds ~330 bytes a row.
    assert (peaks[40_000] - peaks[4_000]) / 36_000 < 80


def test_messages_count_one_row_as_one_row() -> None:
    from pareta import BatchInterrupted, BatchStats

    assert "after 1 row (1 answered)" in str(BatchInterrupted(BatchStats(done=1)))
    assert "after 1,200 rows" in str(BatchInterrupted(BatchStats(done=1200)))


def test_a_status_table_finds_rows_whose_slots_collide() -> None:
    from pareta._batch.summary import _States

    table = _States()
    colliding = [5, 5 + 1024, 5 + 2048, 6]  # one slot in a table of 1,024, and its neighbour
    table.set_all(iter(colliding), 4, 1)
    table.set(5 + 1024, 3)
    assert [table.get(i) for i in (*colliding, 7, 5 + 4096)] == [1, 3, 1, 1, 0, 0]
    table.reserve(5_000)  # grown: every row is found again
    assert table.count_states([*colliding, 7]) == {1: 3, 3: 1, 0: 1}


def test_status_reads_an_earlier_format_and_counts_what_is_not_a_row(tmp_path: Path) -> None:
    out = tmp_path / "old.jsonl"
    row = {"id": "j.a.1", "done": True, "key": "a", "index": 0, "ok": True, "attempts": 2}
    failed = {**row, "id": "j.b.1", "key": "b", "ok": False, "error": {"type": "X"}}
    lines = [{"pareta_batch": 1, "job": "j", "method": "m"}, row, failed, [1, 2], {"a": 1}]
    out.write_text("".join(json.dumps(line) + "\n" for line in lines))
    summary = summarize(out)
    assert (summary["rows"], summary["answered"], summary["failed"]) == (2, 1, 1)
    assert (summary["garbled"], summary["attempts"], summary["runs"]) == (2, 4, 0)
    assert summary["failures"] == [("b", "X: None")]
    out.write_text("not json\n")
    with pytest.raises(ResultsFileError, match="not a pareta batch results file"):
        summarize(out)


def test_a_results_path_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    from pareta._batch.summary import read_header

    with pytest.raises(ResultsFileError, match="cannot use"):
        open_results(tmp_path, "j", "m")
    with pytest.raises(ResultsFileError, match="cannot read"):
        read_header(tmp_path / "missing.jsonl")


def test_the_fast_reader_takes_long_lines_and_a_last_line_without_a_newline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pareta._batch import input as _input
    from pareta._batch.keys import RowKeys

    monkeypatch.setattr(_input, "_BLOCK", 8)  # every line is longer than a block
    rows = tmp_path / "rows.jsonl"
    rows.write_bytes(b'{"n": 1}\n\n{"n": "a longer row"}\n{"n": 3}')
    fresh = list(_input.fresh_lines(rows, RowKeys("j", "m", None), set(), print))
    assert [(index, line.number, line.parse()) for index, line in fresh] == [
        (0, 1, {"n": 1}),
        (1, 3, {"n": "a longer row"}),
        (2, 4, {"n": 3}),
    ]


def test_a_404_on_a_response_without_its_request_is_not_the_rows_own() -> None:
    error = APIStatusError("no", status_code=404, response=httpx.Response(404))
    assert not is_permanent(error, "run_7")


def test_a_file_system_without_locks_is_said_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import fcntl

    def no_locks(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    with pytest.raises(ResultsFileError, match="No locks available"):
        open_results(tmp_path / "out.jsonl", "j", "m")
