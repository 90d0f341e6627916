"""The batch engine over a scripted server: streaming, the results file, resume, stops."""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from pareta import (
    AsyncPareta,
    BatchInterrupted,
    BatchStats,
    BatchStopped,
    ChatCompletion,
    ParetaError,
    ResultsFileError,
)
from pareta._batch.summary import summarize
from tests._async.helpers import mocked
from tests.helpers import Recorder, json_response

pytestmark = pytest.mark.anyio


class Server:
    """Answers chat completions by prompt; replays by Idempotency-Key like a real server
    and counts what it bills."""

    def __init__(self, *, refuse: dict[str, list[int]] | None = None) -> None:
        self.answers: dict[str, dict[str, Any]] = {}
        self.billed: Counter[str] = Counter()
        self.keys: list[str] = []
        self.refuse = refuse or {}
        self.balance: int | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        key = request.headers["idempotency-key"]
        self.keys.append(key)
        prompt = json.loads(request.content)["messages"][0]["content"]
        statuses = self.refuse.get(prompt)
        if statuses:
            status = statuses.pop(0)
            return json_response(status, {"detail": f"refused {status}"}, **{"retry-after": "0"})
        if key in self.answers:
            return json_response(200, self.answers[key], **{"idempotent-replayed": "true"})
        if self.balance is not None:
            if self.balance <= 0:
                return json_response(402, {"detail": "Insufficient credits"})
            self.balance -= 1
        self.billed[key] += 1
        answer = {
            "id": f"c-{len(self.answers)}",
            "choices": [{"message": {"content": prompt.upper()}}],
        }
        self.answers[key] = answer
        return json_response(200, answer, **{"x-pareta-cost-micro-usd": "7"})


def client(server: Server, **kwargs: Any) -> AsyncPareta:
    return mocked(Recorder(server), max_retries=2, **kwargs)


def rows(n: int, *, start: int = 0) -> list[dict[str, Any]]:
    return [
        {"id": f"r{i}", "model": "ep_1", "messages": [{"role": "user", "content": f"p{i}"}]}
        for i in range(start, start + n)
    ]


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def row_lines(path: Path) -> list[dict[str, Any]]:
    return [line for line in lines(path) if "id" in line]


async def test_every_row_comes_back_once_in_completion_order(backoff_delays: list[float]) -> None:
    server = Server()
    seen = []
    async with client(server) as pa:
        job = pa.batch(pa.chat.completions.create, rows(50), key="id", max_in_flight=8)
        async with job:
            async for result in job:
                seen.append(result)
    assert sorted(r.key for r in seen) == sorted(f"r{i}" for i in range(50))
    assert all(r.ok and isinstance(r.result, ChatCompletion) for r in seen)
    assert {r.index for r in seen} == set(range(50))
    assert all(r.attempts == 1 and r.request_id == "req_test" for r in seen)
    assert job.stats.done == 50 and job.stats.failed == 0 and job.stats.attempts == 50
    assert job.stats.billed_micro_usd == 50 * 7
    assert job.stats.in_flight == 0 and job.stats.stopped is None
    assert len(set(server.keys)) == 50 and max(server.billed.values()) == 1


async def test_the_results_file_is_the_resume(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    server = Server()
    async with client(server) as pa:
        job = pa.batch(pa.chat.completions.create, rows(40), output=out, key="id", max_in_flight=4)
        async with job:
            async for result in job:
                if result.index >= 10:
                    break  # the rest is not started; what was in flight is written
        first = row_lines(out)
        assert job.stats.stopped == "closed"
        assert len(first) == job.stats.finished >= 10
        stats = await pa.batch(
            pa.chat.completions.create, rows(40), output=out, key="id", max_in_flight=4
        ).wait()
    assert stats.skipped == len(first)
    assert stats.done == 40 - len(first)
    done = row_lines(out)
    assert sorted(line["key"] for line in done) == sorted(f"r{i}" for i in range(40))
    assert max(server.billed.values()) == 1 and sum(server.billed.values()) == 40
    line = done[0]
    assert list(line)[:2] == ["id", "done"]
    assert line["ok"] and line["attempts"] == 1 and line["request_id"] == "req_test"
    assert (
        line["result"]["choices"][0]["message"]["content"]
        == line["result"]["choices"][0]["message"]["content"].upper()
    )


async def test_a_row_in_flight_at_a_crash_is_replayed_not_billed_again(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    server = Server()
    async with client(server) as pa:
        await pa.batch(pa.chat.completions.create, rows(6), output=out, key="id").wait()
        # A crash while the last line was being written: torn, and its row unrecorded.
        text = out.read_text().splitlines(keepends=True)
        torn = text[-1][: len(text[-1]) // 2]
        out.write_text("".join(text[:-1]) + torn)
        stats = await pa.batch(pa.chat.completions.create, rows(6), output=out, key="id").wait()
    assert stats.skipped == 5 and stats.done == 1 and stats.replays == 1
    assert stats.billed_micro_usd == 0
    assert sum(server.billed.values()) == 6
    assert len(row_lines(out)) == 6
    assert out.read_text().endswith("}\n")


async def test_a_changed_row_is_sent_again_under_a_new_key(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    server = Server()
    changed = rows(5)
    async with client(server) as pa:
        await pa.batch(pa.chat.completions.create, rows(5), output=out, key="id").wait()
        changed[2]["messages"] = [{"role": "user", "content": "edited"}]
        stats = await pa.batch(pa.chat.completions.create, changed, output=out, key="id").wait()
    assert stats.skipped == 4 and stats.done == 1
    assert len(server.billed) == 6
    assert summarize(out)["answered"] == 5  # the row's latest line counts


async def test_rows_from_a_jsonl_file_with_a_bad_line(tmp_path: Path) -> None:
    source = tmp_path / "rows.jsonl"
    text = [json.dumps(row) for row in rows(3)]
    source.write_text("\n".join([text[0], "{not json", "", text[1], text[2]]) + "\n")
    out = tmp_path / "out.jsonl"
    server = Server()
    async with client(server) as pa:
        stats = await pa.batch(pa.chat.completions.create, source, output=out).wait()
    assert stats.done == 3 and stats.failed == 1
    bad = [line for line in row_lines(out) if not line["ok"]]
    assert bad[0]["error"]["type"] == "ValueError" and "line 2" in bad[0]["error"]["message"]
    assert bad[0]["done"] is True  # the row itself is wrong: a resume does not resend it


@pytest.mark.slow
async def test_a_429_is_paced_and_never_a_rows_error(backoff_delays: list[float]) -> None:
    server = Server(refuse={"p1": [429, 429, 429, 429], "p2": [503]})
    async with client(server) as pa:
        job = pa.batch(pa.chat.completions.create, rows(4), key="id")
        results = {r.key: r async for r in _run(job)}
    assert all(r.ok for r in results.values())
    assert results["r1"].attempts == 5  # four 429s (max_retries is 2), then the answer
    assert results["r2"].attempts == 2
    assert job.stats.throttled == 4
    assert job.stats.attempts == 1 + 5 + 2 + 1
    assert job.stats.rate is not None  # the 429 switched the job to a paced rate


async def _run(job: Any) -> Any:
    async with job:
        async for result in job:
            yield result


async def test_a_402_stops_the_job_and_a_resume_after_a_top_up_bills_nothing_twice(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out.jsonl"
    server = Server()
    server.balance = 7
    async with client(server) as pa:
        stats = await pa.batch(
            pa.chat.completions.create, rows(30), output=out, key="id", max_in_flight=2
        ).wait()
        assert stats.stopped == "insufficient_credits"
        assert stats.done == 7 and stats.failed >= 1
        stop = [line for line in lines(out) if line.get("event") == "stopped"]
        assert stop[-1]["reason"] == "insufficient_credits"
        assert summarize(out)["stopped"]["reason"] == "insufficient_credits"
        server.balance = 100
        again = await pa.batch(
            pa.chat.completions.create, rows(30), output=out, key="id", max_in_flight=2
        ).wait()
    assert again.stopped is None and again.skipped == 7 and again.done == 23
    assert sum(server.billed.values()) == 30 and max(server.billed.values()) == 1
    summary = summarize(out)  # the latest run, which ended well
    assert (summary["runs"], summary["stopped"], summary["answered"]) == (2, None, 30)


@pytest.mark.parametrize(("status", "reason"), [(401, "unauthorized"), (404, "not_found")])
async def test_an_error_every_row_would_repeat_stops_the_job(status: int, reason: str) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return json_response(status, {"detail": "no"})

    async with mocked(Recorder(refuse), max_retries=0) as pa:
        stats = await pa.batch(pa.chat.completions.create, rows(500), max_in_flight=2).wait()
    assert stats.stopped == reason
    assert stats.failed < 10 and stats.done == 0


async def test_a_missing_key_field_fails_that_row_only() -> None:
    server = Server()
    bad = rows(3)
    del bad[1]["id"]
    async with client(server) as pa:
        results = [r async for r in _run(pa.batch(pa.chat.completions.create, bad, key="id"))]
    errors = [r for r in results if not r.ok]
    assert len(errors) == 1 and isinstance(errors[0].error, ValueError)
    assert "'id'" in str(errors[0].error) and errors[0].attempts == 0


async def test_a_stream_row_is_refused_before_any_request() -> None:
    server = Server()
    async with client(server) as pa:
        stats = await pa.batch(pa.chat.completions.create, [{**rows(1)[0], "stream": True}]).wait()
    assert stats.failed == 1 and server.keys == []


async def test_on_progress_that_raises_stops_the_job_and_keeps_what_was_done(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out.jsonl"
    calls: list[BatchStats] = []

    def progress(stats: BatchStats) -> None:
        calls.append(stats)
        if len(calls) == 3:
            raise ZeroDivisionError("oops")

    async with client(Server()) as pa:
        job = pa.batch(
            pa.chat.completions.create, rows(200), output=out, max_in_flight=2, on_progress=progress
        )
        with pytest.raises(BatchStopped, match="ZeroDivisionError") as caught:
            await job.wait()
    assert isinstance(caught.value.__cause__, ZeroDivisionError)
    assert len(calls) == 3
    assert 3 <= len(row_lines(out)) == job.stats.finished < 200


async def test_create_many_keeps_its_results_when_on_progress_raises() -> None:
    def progress(done: int, total: int) -> None:
        if done == 5:
            raise RuntimeError("progress bar broke")

    async with client(Server()) as pa:
        with pytest.raises(BatchStopped) as caught:
            await pa.chat.completions.create_many(rows(100), concurrency=2, on_progress=progress)
    results = caught.value.results
    assert results is not None and len(results) == 100
    answered = [r for r in results if isinstance(r, ChatCompletion)]
    assert len(answered) >= 5 and results[-1] is None


async def test_map_over_a_metrics_handle() -> None:
    recorder = Recorder(json_response(200, {"p50_ms": 12}))
    async with mocked(recorder) as pa:
        results = await pa.map(pa.endpoints.metrics("ep_1").performance, [{}, {"window": "1h"}])
    assert results == [{"p50_ms": 12}, {"p50_ms": 12}]
    assert "idempotency-key" not in recorder.last.headers


async def test_a_job_runs_once_and_only_inside_its_context() -> None:
    async with client(Server()) as pa:
        job = pa.batch(pa.chat.completions.create, rows(2))
        with pytest.raises(ParetaError, match="async with"):
            await job.__anext__()
        await job.wait()
        with pytest.raises(ParetaError, match="runs once"):
            await job.wait()


async def test_another_jobs_results_file_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    async with client(Server()) as pa:
        await pa.batch(pa.chat.completions.create, rows(2), output=out, job="first").wait()
        with pytest.raises(ResultsFileError, match="job='first'"):
            await pa.batch(pa.chat.completions.create, rows(2), output=out, job="second").wait()
    (tmp_path / "other.jsonl").write_text('{"hello": 1}\n')
    async with client(Server()) as pa:
        with pytest.raises(ResultsFileError, match="not a pareta batch results file"):
            await pa.batch(
                pa.chat.completions.create, rows(1), output=tmp_path / "other.jsonl"
            ).wait()


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"max_in_flight": 0}, ValueError),
        ({"rate": 0}, ValueError),
        ({"rate": "fast"}, TypeError),
        ({"job": "has space"}, ValueError),
    ],
)
async def test_bad_options_fail_before_any_request(options: dict[str, Any], error: type) -> None:
    server = Server()
    async with client(server) as pa:
        with pytest.raises(error):
            pa.batch(pa.chat.completions.create, rows(1), **options)
    assert server.keys == []


@pytest.mark.slow
async def test_ctrl_c_finishes_what_is_in_flight_and_leaves_a_resumable_file(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out.jsonl"
    server = Server()
    # Enough rows that the job is still sending when the signal lands, however long a
    # loaded machine keeps the main thread from running its handler.
    total = 2000

    sent: list[int] = []

    def interrupt(stats: BatchStats) -> None:
        if stats.finished >= 3 and not sent:
            sent.append(stats.finished)
            os.kill(os.getpid(), signal.SIGINT)

    async with client(server) as pa:
        job = pa.batch(
            pa.chat.completions.create,
            rows(total),
            output=out,
            max_in_flight=2,
            on_progress=interrupt,
        )
        with pytest.raises(BatchInterrupted) as caught:
            await job.wait()
        assert caught.value.stats.stopped == "interrupted"
        written = row_lines(out)
        assert len(written) == job.stats.finished < total
        assert lines(out)[-1] == {
            "event": "stopped",
            "reason": "interrupted",
            "detail": "interrupted",
        }
        again = await pa.batch(pa.chat.completions.create, rows(total), output=out).wait()
    assert again.skipped == len(written) and again.done == total - len(written)
    assert sum(server.billed.values()) == total


async def test_rows_from_an_async_iterable_and_a_402_while_rows_wait(
    backoff_delays: list[float],
) -> None:
    server = Server()
    server.balance = 5

    async def produce() -> Any:
        for row in rows(100):
            yield row

    async with client(server) as pa:
        stats = await pa.batch(pa.chat.completions.create, produce(), max_in_flight=2).wait()
    assert stats.stopped == "insufficient_credits"
    assert stats.done == 5
    assert sum(server.billed.values()) == 5


async def test_rows_that_fail_to_arrive_stop_the_job_and_the_error_is_raised(
    tmp_path: Path,
) -> None:
    def produce() -> Any:
        yield from rows(3)
        raise OSError("the source went away")

    async def produce_async() -> Any:
        for row in rows(3):
            yield row
        raise OSError("the source went away")

    for source in (produce(), produce_async()):
        out = tmp_path / f"out-{id(source)}.jsonl"
        async with client(Server()) as pa:
            job = pa.batch(pa.chat.completions.create, source, output=out, max_in_flight=1)
            with pytest.raises(OSError, match="went away"):
                await job.wait()
        assert job.stats.stopped == "input_failed"
        # What was started finished and was written; rows read ahead but not started wait
        # for the resume.
        assert 1 <= len(row_lines(out)) == job.stats.finished <= 3


async def test_a_results_file_that_cannot_be_written_stops_the_job(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"

    def break_the_file(stats: BatchStats) -> None:
        if stats.finished == 2:
            job._file._file.close()  # type: ignore[union-attr]

    async with client(Server()) as pa:
        job = pa.batch(
            pa.chat.completions.create, rows(50), output=out, max_in_flight=1,
            on_progress=break_the_file,
        )  # fmt: skip
        with pytest.raises(ResultsFileError, match="cannot write"):
            await job.wait()
    assert job.stats.stopped == "output_failed"
    assert job.stats.finished < 50


async def test_a_dropped_connection_is_retried_and_counted(backoff_delays: list[float]) -> None:
    server = Server()
    drops = [1]

    def flaky(request: httpx.Request) -> httpx.Response:
        if drops:
            drops.pop()
            raise httpx.ConnectError("refused", request=request)
        return server(request)

    async with mocked(Recorder(flaky), max_retries=2) as pa:
        results = [r async for r in _run(pa.batch(pa.chat.completions.create, rows(1)))]
    assert results[0].ok
    assert results[0].attempts == 2


async def test_a_job_says_what_it_is_and_refuses_a_non_method() -> None:
    async with client(Server()) as pa:
        job = pa.batch(pa.chat.completions.create, rows(1), job="nightly")
        assert repr(job).endswith("(job='nightly', method='chat.completions.create')")
        with pytest.raises(TypeError, match="client method"):
            pa.batch("chat.completions.create", rows(1))  # type: ignore[arg-type]


async def test_a_second_ctrl_c_abandons_what_is_in_flight(tmp_path: Path) -> None:
    sent: list[int] = []

    def interrupt(stats: BatchStats) -> None:
        if stats.finished >= 2 and len(sent) < 2:
            sent.append(stats.finished)
            os.kill(os.getpid(), signal.SIGINT)

    async with client(Server()) as pa:
        job = pa.batch(
            pa.chat.completions.create, rows(500), max_in_flight=1, on_progress=interrupt
        )
        with pytest.raises(KeyboardInterrupt):
            await job.wait()
    assert job.stats.finished < 500


@pytest.mark.parametrize("key", [None, "id"])
async def test_a_jsonl_input_resumes_by_its_lines(tmp_path: Path, key: str | None) -> None:
    source, out = tmp_path / "rows.jsonl", tmp_path / "out.jsonl"
    lines = [json.dumps(row) for row in rows(5)]
    source.write_text("\n".join(lines) + "\n")
    server = Server()
    async with client(server) as pa:
        await pa.batch(pa.chat.completions.create, source, output=out, key=key).wait()
        # A line edited in any way is a new row; an added line is a new row too.
        lines[2] = lines[2].replace("p2", "edited")
        source.write_text("\n".join([*lines, json.dumps(rows(1, start=5)[0])]) + "\n")
        stats = await pa.batch(pa.chat.completions.create, source, output=out, key=key).wait()
    assert stats.skipped == 4
    assert stats.done == 2
    assert len(server.billed) == 7
    assert max(server.billed.values()) == 1


async def test_a_named_job_keys_its_rows_stably_without_a_results_file() -> None:
    # How a cluster retries a task: the same job and rows, in another process, no file.
    server = Server()
    async with client(server) as pa:
        for part in (rows(3), rows(3, start=3), rows(3)):
            await pa.batch(pa.chat.completions.create, part, key="id", job="nightly").wait()
    assert len(server.billed) == 6  # the third part replays the first: its keys are the same
    assert max(server.billed.values()) == 1


async def test_an_async_iterable_resumes_too(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    server = Server()

    async def produce(n: int) -> Any:
        for row in rows(n):
            yield row

    async with client(server) as pa:
        await pa.batch(pa.chat.completions.create, produce(4), output=out, key="id").wait()
        stats = await pa.batch(pa.chat.completions.create, produce(6), output=out, key="id").wait()
    assert (stats.skipped, stats.done) == (4, 2)
    assert sum(server.billed.values()) == 6


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


async def test_rows_keyed_by_content_survive_edits_moves_and_shuffles(tmp_path: Path) -> None:
    import random

    source, out = tmp_path / "rows.jsonl", tmp_path / "out.jsonl"
    table = [{k: v for k, v in row.items() if k != "id"} for row in rows(40)]
    table[7] = table[9] = {**table[8]}  # three identical rows: three rows, three answers
    write_jsonl(source, table)
    server = Server()
    async with client(server) as pa:
        first = await pa.batch(pa.chat.completions.create, source, output=out).wait()
        assert (first.done, len(server.billed)) == (40, 40)
        table[3] = {**table[3], "messages": [{"role": "user", "content": "edited"}]}
        del table[20], table[7]
        table.append(rows(1, start=99)[0])
        random.Random(3).shuffle(table)
        moved = tmp_path / "moved" / "rows.jsonl"
        moved.parent.mkdir()
        write_jsonl(moved, table)
        source.unlink()
        again = await pa.batch(pa.chat.completions.create, moved, output=out).wait()
        assert (again.skipped, again.done) == (37, 2)  # the edited row and the new one
        assert len(server.billed) == 42 and max(server.billed.values()) == 1
        # Rows from a list are keyed by their canonical JSON, whatever their order.
        listed = await pa.batch(pa.chat.completions.create, table, output=out).wait()
        table.reverse()
        reversed_ = await pa.batch(pa.chat.completions.create, table, output=out).wait()
    assert (listed.done, reversed_.skipped, reversed_.done) == (39, 39, 0)
    assert len(server.billed) == 42 + 39


async def test_a_row_whose_key_value_came_before_fails_alone_unsent(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    table = rows(6)
    table[4]["id"] = "r1"  # a second row says it is r1
    server = Server()
    async with client(server) as pa:
        results = {
            r.index: r
            async for r in _run(pa.batch(pa.chat.completions.create, table, output=out, key="id"))
        }
        again = await pa.batch(pa.chat.completions.create, table, output=out, key="id").wait()
    repeat = results[4]
    assert isinstance(repeat.error, ValueError) and repeat.key == "r1" and repeat.attempts == 0
    assert "row 4 has the same 'id' value as an earlier row ('r1')" in str(repeat.error)
    assert all(results[n].ok for n in (0, 1, 2, 3, 5))
    assert len(server.keys) == 5  # the repeat was never sent
    assert (again.skipped, again.done, again.failed, len(server.keys)) == (6, 0, 0, 5)
    summary = summarize(out)
    assert (summary["rows"], summary["answered"], summary["failed"]) == (6, 5, 1)
    assert summary["failures"][0][0] == "r1 (row 4)"


async def test_an_answer_a_resend_would_repeat_is_done(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    server = Server(refuse={"p1": [413], "p2": [422]})
    async with client(server) as pa:
        stats = await pa.batch(pa.chat.completions.create, rows(4), output=out, key="id").wait()
        again = await pa.batch(pa.chat.completions.create, rows(4), output=out, key="id").wait()
    assert (stats.done, stats.failed) == (2, 2)
    assert (again.skipped, again.done, again.failed) == (4, 0, 0)
    assert len(server.keys) == 4  # the 413 and the 422 were not sent again
    assert summarize(out)["errors"] == {"APIStatusError": 1, "BadRequestError": 1}


async def test_a_second_job_on_a_results_file_in_use_is_refused_at_once(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    server = Server()
    async with client(server) as pa:
        first = pa.batch(pa.chat.completions.create, rows(30), output=out, max_in_flight=2)
        async with first:
            second = pa.batch(pa.chat.completions.create, rows(30), output=out)
            with pytest.raises(ResultsFileError, match=f"pid {os.getpid()} on "):
                await second.wait()
            async for _ in first:
                pass
        third = await pa.batch(pa.chat.completions.create, rows(30), output=out).wait()
    assert (first.stats.done, third.skipped) == (30, 30)
    assert len(server.keys) == 30


async def test_a_garbled_line_is_sent_again_under_its_key_and_replayed(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    server = Server()
    async with client(server) as pa:
        await pa.batch(pa.chat.completions.create, rows(10), output=out, key="id").wait()
        text = out.read_text().splitlines(keepends=True)
        middle = next(n for n, line in enumerate(text) if '"key":"r4"' in line)
        text[middle] = text[middle][:70] + "\n"  # torn in the middle of the file
        out.write_text("".join(text))
        assert summarize(out)["garbled"] == 1
        stats = await pa.batch(pa.chat.completions.create, rows(10), output=out, key="id").wait()
    assert (stats.skipped, stats.done, stats.replays, stats.billed_micro_usd) == (9, 1, 1, 0)
    summary = summarize(out)
    assert (summary["rows"], summary["answered"], summary["garbled"]) == (10, 10, 1)


async def test_stats_say_when_the_job_started_on_the_wall_clock() -> None:
    import time

    before = time.time()
    async with client(Server()) as pa:
        stats = await pa.batch(pa.chat.completions.create, rows(2)).wait()
    assert before <= stats.started <= time.time()
    assert stats.elapsed >= 0 and "_clock" not in repr(stats)


async def test_a_row_keyed_by_content_that_asks_for_a_stream_fails_alone(tmp_path: Path) -> None:
    server = Server()
    table = [{**row, "stream": True} if row["id"] == "r1" else row for row in rows(3)]
    async with client(server) as pa:
        stats = await pa.batch(pa.chat.completions.create, table, output=tmp_path / "o").wait()
    assert (stats.done, stats.failed, len(server.keys)) == (2, 1, 2)
