from __future__ import annotations

import functools
import io
import json
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from pareta import (
    APIConnectionError,
    APITimeoutError,
    EvalRun,
    EvalSet,
    FrontierModel,
    ParetaError,
)
from pareta._async import evals as evals_module
from tests._async.helpers import mocked
from tests.helpers import Recorder, json_response

pytestmark = pytest.mark.anyio

ITEMS = [
    {"input": "Effective as of January 1, 2026", "expected": {"effective_date": "2026-01-01"}},
    {"input": "terminates on 2027-12-31", "expected": {"termination_date": "2027-12-31"}},
]
SET = {
    "id": "es_1",
    "task_id": "contract-key-fields",
    "name": "sdk eval set (2 items)",
    "item_count": 2,
    "scoring_strategy": "extraction",
}
ROSTER = {
    "frontier_models": [
        {"id": "gpt-4o", "vendor": "openai", "vision": True, "benchmarked": True},
        {"id": "claude-x", "vendor": "anthropic", "vision": True, "benchmarked": False},
        {"id": "gemini-y", "vendor": "google", "vision": False, "benchmarked": True},
    ]
}
RUNNING = {"run_id": "run_1", "status": "running"}
DONE = {
    "run": {
        "id": "run_1",
        "eval_set_id": "es_1",
        "status": "completed",
        "candidate_models": ["qwen-1", "gpt-4o"],
        "cost_micro_usd": 420715,
        "error_detail": None,
    },
    "results": [
        {
            "model_id": "qwen-1",
            "kind": "open",
            "quality_mean": 0.9,
            "quality_ci_low": 0.8,
            "quality_ci_high": 0.97,
            "mean_cost_micro_usd": 850,
            "n_succeeded": 2,
            "error_count": 0,
        },
        {"model_id": "gpt-4o", "kind": "frontier", "quality_mean": 0.93},
    ],
}


class Clock:
    """A fake monotonic clock that the fake sleep advances."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(evals_module, "monotonic", fake.monotonic)
    monkeypatch.setattr(evals_module, "asleep", fake.sleep)
    return fake


make = functools.partial(mocked, max_retries=0)


async def test_sets_create_sends_jsonl_multipart_with_default_name() -> None:
    recorder = Recorder(json_response(200, {"eval_set": SET}))
    eval_set = await make(recorder).evals.sets.create(task="contract-key-fields", items=ITEMS)
    assert isinstance(eval_set, EvalSet)
    assert (eval_set.id, eval_set.task_id, eval_set.item_count) == (
        "es_1",
        "contract-key-fields",
        2,
    )
    assert eval_set.scoring_strategy == "extraction"
    request = recorder.last
    assert request.url.path == "/v1/eval-sets"
    assert request.headers["content-type"].startswith("multipart/form-data")
    body = request.content
    assert b'name="task_id"\r\n\r\ncontract-key-fields\r\n' in body
    assert b'name="name"\r\n\r\nsdk eval set (2 items)\r\n' in body
    assert b'name="items"; filename="items.jsonl"' in body
    jsonl = "".join(json.dumps(i, separators=(",", ":")) + "\n" for i in ITEMS).encode()
    assert jsonl in body


async def test_sets_create_with_a_name() -> None:
    recorder = Recorder(json_response(200, {"eval_set": SET}))
    await make(recorder).evals.sets.create(task="t", items=ITEMS[:1], name="Q2 sample")
    assert b'name="name"\r\n\r\nQ2 sample\r\n' in recorder.last.content


@pytest.mark.parametrize(
    ("items", "error"), [([], ValueError), ("rows", TypeError), ([1], TypeError)]
)
async def test_sets_create_checks_items_first(items: object, error: type) -> None:
    recorder = Recorder(json_response(200, {"eval_set": SET}))
    with pytest.raises(error):
        await make(recorder).evals.sets.create(task="t", items=items)  # type: ignore[arg-type]
    assert recorder.requests == []


async def test_sets_list_retrieve_delete() -> None:
    recorder = Recorder(
        json_response(200, {"eval_sets": [SET]}),
        json_response(200, {"eval_set": SET}),
        httpx.Response(204),
    )
    client = make(recorder)
    assert [s.id for s in await client.evals.sets.list()] == ["es_1"]
    assert (await client.evals.sets.retrieve("es_1")).name == "sdk eval set (2 items)"
    await client.evals.sets.delete("es_1")
    routes = [(r.method, r.url.path) for r in recorder.requests]
    assert routes == [
        ("GET", "/v1/eval-sets"),
        ("GET", "/v1/eval-sets/es_1"),
        ("DELETE", "/v1/eval-sets/es_1"),
    ]


async def test_upload_small_bytes_goes_inline() -> None:
    recorder = Recorder(json_response(200, {"attached": True}))
    result = await make(recorder).evals.sets.upload_document(
        "es_1", b"%PDF-1.4 small", idx=0, field_name="document"
    )
    assert result == {"attached": True}
    request = recorder.last
    assert request.url.path == "/v1/eval-sets/es_1/attach-blob"
    body = request.content
    assert b"%PDF-1.4 small" in body
    assert b'name="idx"\r\n\r\n0\r\n' in body
    assert b'name="field_name"\r\n\r\ndocument\r\n' in body
    assert b'name="mime"\r\n\r\napplication/octet-stream\r\n' in body


async def test_upload_path_guesses_mime_from_the_name(tmp_path: Path) -> None:
    pdf = tmp_path / "katana-0001.pdf"
    pdf.write_bytes(b"%PDF-1.7 invoice")
    recorder = Recorder(json_response(200, {"ok": 1}))
    client = make(recorder)
    await client.evals.sets.upload_document("es_1", pdf, idx=1, field_name="document")
    assert b'name="mime"\r\n\r\napplication/pdf\r\n' in recorder.last.content
    assert b'filename="katana-0001.pdf"' in recorder.last.content
    await client.evals.sets.upload_document("es_1", str(pdf), idx=1, field_name="document")
    assert b"%PDF-1.7 invoice" in recorder.last.content


async def test_upload_file_like_with_mime_override(tmp_path: Path) -> None:
    scan = tmp_path / "scan.bin"
    scan.write_bytes(b"II*\x00tiff")
    recorder = Recorder(json_response(200, {"ok": 1}))
    with scan.open("rb") as handle:
        await make(recorder).evals.sets.upload_document(
            "es_1", handle, idx=2, field_name="document", mime="image/tiff"
        )
    assert b'name="mime"\r\n\r\nimage/tiff\r\n' in recorder.last.content
    recorder2 = Recorder(json_response(200, {"ok": 1}))
    await make(recorder2).evals.sets.upload_document(
        "es_1", io.BytesIO(b"raw"), idx=0, field_name="document"
    )
    assert b"raw" in recorder2.last.content
    await make(recorder2).evals.sets.upload_document(
        "es_1", bytearray(b"array"), idx=0, field_name="document"
    )
    assert b"array" in recorder2.last.content


@pytest.mark.parametrize("bad", [123, None, ["a"], io.StringIO("text")])
async def test_upload_rejects_what_is_not_a_document(bad: object) -> None:
    recorder = Recorder(json_response(200, {}))
    with pytest.raises(TypeError):
        await make(recorder).evals.sets.upload_document("es_1", bad, idx=0, field_name="document")
    assert recorder.requests == []


async def test_upload_checks_idx_and_a_missing_path(tmp_path: Path) -> None:
    recorder = Recorder(json_response(200, {}))
    client = make(recorder)
    with pytest.raises(ValueError, match="idx"):
        await client.evals.sets.upload_document("es_1", b"x", idx=-1, field_name="document")
    with pytest.raises(FileNotFoundError):
        await client.evals.sets.upload_document(
            "es_1", tmp_path / "missing.pdf", idx=0, field_name="document"
        )
    assert recorder.requests == []


async def test_large_upload_uses_the_signed_url_without_the_api_key() -> None:
    big = b"\x00" * (5 * 1024 * 1024)

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/blob-upload-url"):
            return json_response(
                200, {"upload_url": "https://storage.test/put?token=abc", "upload_id": "up_1"}
            )
        if request.method == "PUT":
            return httpx.Response(200)
        return json_response(200, {"attached": True, "idx": 0})

    recorder = Recorder(answer)
    result = await make(recorder).evals.sets.upload_document(
        "es_1", big, idx=0, field_name="document", mime="application/pdf"
    )
    assert result == {"attached": True, "idx": 0}
    mint, put, complete = recorder.requests
    assert mint.url.path == "/v1/eval-sets/es_1/blob-upload-url"
    assert json.loads(mint.content) == {
        "idx": 0,
        "field_name": "document",
        "mime": "application/pdf",
        "size": len(big),
    }
    assert str(put.url) == "https://storage.test/put?token=abc"
    assert "authorization" not in put.headers
    assert put.headers["content-type"] == "application/pdf"
    assert put.content == big
    assert complete.url.path == "/v1/eval-sets/es_1/blob-upload-complete"
    assert json.loads(complete.content)["upload_id"] == "up_1"


async def test_failed_storage_put_raises_pareta_error() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            return httpx.Response(403, text="signature expired")
        return json_response(200, {"upload_url": "https://storage.test/put?token=abc"})

    recorder = Recorder(answer)
    with pytest.raises(ParetaError, match="upload to storage failed"):
        await make(recorder).evals.sets.upload_document(
            "es_1", b"\x00" * (5 * 1024 * 1024), idx=0, field_name="document"
        )
    assert [r.method for r in recorder.requests] == ["POST", "PUT"]


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (httpx.ConnectError("connection refused"), APIConnectionError),
        (httpx.ReadTimeout("storage went quiet"), APITimeoutError),
    ],
)
async def test_a_storage_put_that_cannot_connect_keeps_its_error_class(
    failure: httpx.TransportError, expected: type[Exception]
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            raise failure
        return json_response(200, {"upload_url": "https://storage.test/put?token=abc"})

    with pytest.raises(
        expected, match=r"upload to storage failed \(PUT storage.test/put\)"
    ) as info:
        await make(Recorder(answer), max_retries=0).evals.sets.upload_document(
            "es_1", b"\x00" * (5 * 1024 * 1024), idx=0, field_name="document"
        )
    assert type(info.value) is expected


async def test_upload_url_answer_without_url_raises() -> None:
    recorder = Recorder(json_response(200, {"nothing": True}))
    with pytest.raises(ParetaError, match="upload_url"):
        await make(recorder).evals.sets.upload_document(
            "es_1", b"\x00" * (5 * 1024 * 1024), idx=0, field_name="document"
        )


async def test_frontier_models_with_and_without_task() -> None:
    recorder = Recorder(json_response(200, ROSTER))
    client = make(recorder)
    roster = await client.evals.frontier_models()
    assert all(isinstance(m, FrontierModel) for m in roster)
    first = roster[0]
    assert (first.id, first.vendor, first.vision, first.benchmarked) == (
        "gpt-4o",
        "openai",
        True,
        True,
    )
    assert "task" not in recorder.last.url.params
    await client.evals.frontier_models(task="contract-key-fields")
    assert recorder.last.url.params["task"] == "contract-key-fields"
    assert recorder.last.url.path == "/v1/eval/frontier-models"


@pytest.mark.parametrize(
    ("frontier", "ids"),
    [
        (None, []),
        ("none", []),
        (["gpt-4o"], ["gpt-4o"]),
        (("a", "b"), ["a", "b"]),
        ("all", ["gpt-4o", "claude-x", "gemini-y"]),
        ("benchmarked", ["gpt-4o", "gemini-y"]),
    ],
)
async def test_frontier_resolution_with_an_existing_set(frontier: object, ids: list[str]) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/eval-sets/es_1":
            return json_response(200, {"eval_set": SET})
        if request.url.path == "/v1/eval/frontier-models":
            return json_response(200, ROSTER)
        return json_response(200, RUNNING)

    recorder = Recorder(answer)
    run = await make(recorder).evals.runs.create(
        eval_set="es_1",
        models=["qwen-1"],
        frontier=frontier,  # type: ignore[arg-type]
    )
    assert isinstance(run, EvalRun)
    assert run.id == "run_1"
    assert run.status == "running"
    assert not run.is_terminal
    assert recorder.last.url.path == "/v1/eval-runs"
    assert recorder.body() == {"eval_set_id": "es_1", "candidate_model_ids": ["qwen-1", *ids]}
    if isinstance(frontier, str) and frontier != "none":
        lookups = [r for r in recorder.requests if r.url.path == "/v1/eval/frontier-models"]
        assert lookups[0].url.params["task"] == "contract-key-fields"


async def test_inline_create_then_run_with_the_task_roster() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/eval-sets":
            return json_response(200, {"eval_set": SET})
        if request.url.path == "/v1/eval/frontier-models":
            return json_response(200, ROSTER)
        return json_response(200, RUNNING)

    recorder = Recorder(answer)
    await make(recorder).evals.runs.create(
        task="contract-key-fields", items=ITEMS, models=["qwen-1"], frontier="benchmarked"
    )
    routes = [(r.method, r.url.path) for r in recorder.requests]
    assert routes == [
        ("GET", "/v1/eval/frontier-models"),
        ("POST", "/v1/eval-sets"),
        ("POST", "/v1/eval-runs"),
    ]
    assert recorder.body() == {
        "eval_set_id": "es_1",
        "candidate_model_ids": ["qwen-1", "gpt-4o", "gemini-y"],
    }


async def test_run_name_labels_the_run_and_the_inline_set() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/eval-sets":
            return json_response(200, {"eval_set": SET})
        return json_response(200, RUNNING)

    recorder = Recorder(answer)
    await make(recorder).evals.runs.create(task="t", items=ITEMS, models=["qwen-1"], name="sweep 1")
    assert b'name="name"\r\n\r\nsweep 1\r\n' in recorder.requests[0].content
    assert recorder.body()["name"] == "sweep 1"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"models": ["a"]}, ValueError),
        ({"task": "t", "models": ["a"]}, ValueError),
        ({"items": ITEMS, "models": ["a"]}, ValueError),
        ({"eval_set": "es_1", "items": ITEMS, "models": ["a"]}, ValueError),
        ({"eval_set": "es_1", "models": ["a"], "frontier": "best"}, ValueError),
        ({"eval_set": "es_1", "models": ["a"], "frontier": 3}, TypeError),
        ({"eval_set": "es_1", "models": ["a"], "frontier": [None]}, TypeError),
        ({"eval_set": "es_1", "models": "qwen-1"}, TypeError),
        ({"eval_set": "es_1", "models": []}, ValueError),
        ({"task": "t", "items": [], "models": ["a"]}, ValueError),
        ({"eval_set": "es_1", "models": ["a"], "poll_interval": -1}, ValueError),
    ],
)
async def test_runs_create_checks_arguments_before_any_request(
    kwargs: dict[str, object], error: type
) -> None:
    recorder = Recorder(json_response(200, RUNNING))
    with pytest.raises(error):
        await make(recorder).evals.runs.create(**kwargs)  # type: ignore[arg-type]
    assert recorder.requests == []


async def test_keyword_without_a_resolvable_task_raises_value_error() -> None:
    recorder = Recorder(json_response(200, {"eval_set": {"id": "es_1"}}))
    with pytest.raises(ValueError, match="needs a task"):
        await make(recorder).evals.runs.create(eval_set="es_1", models=["a"], frontier="all")
    assert [r.url.path for r in recorder.requests] == ["/v1/eval-sets/es_1"]


async def test_empty_models_with_frontier_ids_is_allowed() -> None:
    recorder = Recorder(json_response(200, RUNNING))
    await make(recorder).evals.runs.create(eval_set="es_1", models=[], frontier=["gpt-4o"])
    assert recorder.body()["candidate_model_ids"] == ["gpt-4o"]


async def test_create_wait_polls_until_terminal(clock: Clock) -> None:
    recorder = Recorder(
        json_response(200, RUNNING),
        json_response(200, {"run": {"id": "run_1", "status": "running"}, "results": []}),
        json_response(200, {"run": {"id": "run_1", "status": "evaluating"}, "results": []}),
        json_response(200, DONE),
    )
    run = await make(recorder).evals.runs.create(
        eval_set="es_1", models=["qwen-1"], wait=True, poll_interval=2.5
    )
    assert run.status == "completed"
    assert run.is_terminal
    assert run.cost == Decimal("0.42")
    assert run.cost_micro_usd == 420715
    assert run.candidate_models == ["qwen-1", "gpt-4o"]
    assert run.eval_set_id == "es_1"
    best = run.results[0]
    assert (best.model_id, best.kind, best.quality_mean) == ("qwen-1", "open", 0.9)
    assert (best.quality_ci_low, best.quality_ci_high) == (0.8, 0.97)
    assert (best.mean_cost_micro_usd, best.n_succeeded, best.error_count) == (850, 2, 0)
    assert run.results[1].mean_cost_micro_usd is None
    assert clock.sleeps == [2.5, 2.5]
    assert [r.url.path for r in recorder.requests[1:]] == ["/v1/eval-runs/run_1"] * 3


async def test_wait_deadline_raises_naming_the_run(clock: Clock) -> None:
    recorder = Recorder(json_response(200, {"run": {"id": "run_9", "status": "running"}}))
    with pytest.raises(ParetaError) as info:
        await make(recorder).evals.runs.wait("run_9", poll_interval=4.0, timeout=10.0)
    assert "run_9" in str(info.value)
    assert "10s" in str(info.value)
    assert clock.sleeps == [4.0, 4.0, 2.0]
    assert len(recorder.requests) == 4


async def test_failed_run_is_a_result_not_an_exception(clock: Clock) -> None:
    failed = {"run": {"id": "run_2", "status": "failed", "error_detail": "scorer crashed"}}
    recorder = Recorder(json_response(200, failed))
    run = await make(recorder).evals.runs.wait("run_2")
    assert run.status == "failed"
    assert run.is_terminal
    assert run.error_detail == "scorer crashed"
    assert run.cost == Decimal("0.00")
    assert clock.sleeps == []


async def test_retrieve_run() -> None:
    recorder = Recorder(json_response(200, DONE))
    run = await make(recorder).evals.runs.retrieve("run_1")
    assert run.id == "run_1"
    assert run.to_dict() == DONE
    assert recorder.last.url.path == "/v1/eval-runs/run_1"


async def test_rows_without_an_answer_are_refused_before_any_request() -> None:
    recorder = Recorder(json_response(200, {"eval_set": SET}))
    async with make(recorder) as pa:
        with pytest.raises(ValueError, match=r"items\[1\]: missing field 'expected'"):
            await pa.evals.sets.create(task="t", items=[ITEMS[0], {"text": "x", "label": "y"}])
        with pytest.raises(ValueError, match=r"items\[0\]: missing field 'expected'"):
            await pa.evals.runs.create(task="t", items=[{"input": "x"}], models=["m"])
        # As the documentation also names it: the answer as "target", the input as "text".
        await pa.evals.sets.create(task="t", items=[{"text": "x", "target": {"a": 1}}])
        await pa.evals.sets.create(task="t", items=[{"input": "x"}], check_items=False)
    assert [r.method for r in recorder.requests] == ["POST", "POST"]


async def test_rows_are_checked_against_a_task_the_client_has_read() -> None:
    task = {"task": {"id": "t", "input_schema": {"input": "string"}, "blob_fields": []}}

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/tasks/t":
            return json_response(200, task)
        return json_response(200, {"eval_set": SET})

    recorder = Recorder(answer)
    async with make(recorder) as pa:
        extra = [{**ITEMS[0], "label": "x"}]
        await pa.evals.sets.create(task="t", items=extra)  # the task unread: not checked
        with pytest.raises(ValueError, match=r"items\[0\]: unexpected field 'label'"):
            await pa.evals.sets.create(task="t", items=extra, check_items=True)  # read now
        with pytest.raises(ValueError, match=r"items\[0\]: missing field 'input'"):
            await pa.evals.sets.create(task="t", items=[{"prompt": "x", "expected": 1}])
        with pytest.raises(ValueError, match=r"unexpected field 'label'"):
            await pa.evals.runs.create(task="t", items=extra, models=["m"], frontier="all")
        await pa.evals.sets.create(task="t", items=ITEMS)
        # tasks.retrieve teaches the client another task's shape.
        await pa.tasks.retrieve("t")
    routes = [(r.method, r.url.path) for r in recorder.requests]
    assert routes == [
        ("POST", "/v1/eval-sets"),
        ("GET", "/v1/tasks/t"),
        ("POST", "/v1/eval-sets"),
        ("GET", "/v1/tasks/t"),
    ]


async def test_rows_checked_on_their_own_read_the_task_once() -> None:
    task = {"id": "t", "input_schema": {"input": "string"}}
    recorder = Recorder(json_response(200, task))
    async with make(recorder) as pa:
        await pa.evals.sets.check_items("t", ITEMS)
        with pytest.raises(ValueError, match=r"items\[0\]: unexpected field 'label'"):
            await pa.evals.sets.check_items("t", [{**ITEMS[0], "label": "x"}])
    assert len(recorder.requests) == 1
