from __future__ import annotations

import httpx
import pytest

from pareta.local import LocalServer

from .helpers import SEED_SET, chat_body, create_eval_set


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer sk-openai-key"},
        {"Authorization": "pareta_sk_nobearer"},
        {"Authorization": "Bearer pareta_sk_"},
    ],
)
def test_401_without_a_pareta_key(server: LocalServer, headers: dict[str, str]) -> None:
    response = httpx.get(f"{server.base_url}/v1/endpoints", headers=headers)
    assert response.status_code == 401
    assert "pareta_sk_" in response.json()["detail"]
    assert response.headers["x-request-id"].startswith("req_")


@pytest.mark.parametrize(
    "path",
    [
        "/v1/endpoints/ep_nope",
        "/v1/endpoints/ep_nope/performance",
        "/v1/tasks/no-task",
        "/v1/tasks/no-task/leaderboard",
        "/v1/eval-sets/es_nope",
        "/v1/eval-runs/run_nope",
        "/v1/eval/frontier-models?task=no-task",
    ],
)
def test_404_for_unknown_ids(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert isinstance(response.json()["detail"], str)


def test_404_for_unknown_model_and_actions(client: httpx.Client) -> None:
    assert client.post("/v1/chat/completions", json=chat_body("ep_nope")).status_code == 404
    assert client.post("/v1/endpoints/ep_nope/start").status_code == 404
    assert client.delete("/v1/endpoints/ep_nope").status_code == 404
    run = client.post("/v1/eval-runs", json={"eval_set_id": "es_x", "candidate_model_ids": ["a"]})
    assert run.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"model": "ep_contract_kie"},
        {"model": "ep_contract_kie", "messages": []},
        {"model": "", "messages": [{"role": "user", "content": "x"}]},
        {"model": "ep_contract_kie", "messages": ["hi"]},
        {
            "model": "ep_contract_kie",
            "messages": [{"role": "user", "content": "x"}],
            "stream": "yes",
        },
        {
            "model": "ep_contract_kie",
            "messages": [{"role": "user", "content": "x"}],
            "max_tokens": 0,
        },
    ],
)
def test_422_for_invalid_chat_bodies(client: httpx.Client, body: dict[str, object]) -> None:
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 422
    assert "detail" in response.json()


def test_422_for_invalid_bodies_elsewhere(client: httpx.Client) -> None:
    assert client.post("/v1/chat/completions", content=b"{not json").status_code == 422
    assert client.post("/v1/tasks/match", json={"query": "   "}).status_code == 422
    assert client.post("/v1/tasks/match", json={"query": "x", "top_k": 0}).status_code == 422
    assert client.post("/v1/endpoints", json={"model": "x"}).status_code == 422
    assert client.post("/v1/endpoints", json={"task": "x", "name": "../etc"}).status_code == 422
    assert client.get("/v1/tasks/contract-key-fields?examples_n=-1").status_code == 422
    assert client.post("/v1/eval-runs", json={"eval_set_id": "es_x"}).status_code == 422
    bad_jsonl = {"items": ("items.jsonl", b'{"input": 1}\nnot json\n')}
    response = client.post("/v1/eval-sets", data={"task_id": "sentiment-analysis"}, files=bad_jsonl)
    assert response.status_code == 422
    empty = client.post(
        "/v1/eval-sets",
        data={"task_id": "sentiment-analysis"},
        files={"items": ("items.jsonl", b"\n")},
    )
    assert empty.status_code == 422


def test_409_deleting_a_seed(client: httpx.Client) -> None:
    response = client.delete("/v1/endpoints/ep_invoice_xtract")
    assert response.status_code == 409
    assert "seed" in response.json()["detail"]


def test_402_on_an_empty_balance(server: LocalServer, client: httpx.Client, api_key: str) -> None:
    server.set_balance(0, api_key=api_key)
    response = client.post("/v1/chat/completions", json=chat_body())
    assert response.status_code == 402
    assert "credit" in response.json()["detail"].lower()
    assert server.ledger(api_key=api_key) == []
    assert client.get("/v1/tasks").status_code == 200  # catalog reads stay free


def test_413_for_oversized_uploads() -> None:
    with LocalServer(max_upload_bytes=1024) as server:
        headers = {"Authorization": f"Bearer {server.api_key}"}
        with httpx.Client(base_url=server.base_url, headers=headers) as c:
            rows = b'{"expected": {"total": "1"}}\n'
            es = c.post(
                "/v1/eval-sets",
                data={"task_id": "invoice-extraction"},
                files={"items": ("i.jsonl", rows)},
            ).json()["eval_set"]
            inline = c.post(
                f"/v1/eval-sets/{es['id']}/attach-blob",
                data={"idx": "0", "field_name": "document"},
                files={"file": ("big.pdf", b"x" * 2048, "application/pdf")},
            )
            assert inline.status_code == 413
            signed = c.post(
                f"/v1/eval-sets/{es['id']}/blob-upload-url",
                json={"idx": 0, "field_name": "document", "size": 4096},
            )
            assert signed.status_code == 413
            url = c.post(
                f"/v1/eval-sets/{es['id']}/blob-upload-url",
                json={"idx": 0, "field_name": "document", "size": 100},
            ).json()["upload_url"]
            assert httpx.put(url, content=b"y" * 200).status_code == 413


@pytest.mark.anyio
async def test_a_crashing_route_answers_a_json_500_with_a_request_id() -> None:
    from pareta.local import create_app

    app = create_app()

    @app.get("/v1/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://local") as raw:
        response = await raw.get("/v1/boom", headers={"Authorization": "Bearer pareta_sk_x"})
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error"}
    assert response.headers["x-request-id"].startswith("req_")


def test_413_when_the_declared_length_is_too_large() -> None:
    with LocalServer(max_upload_bytes=1024) as server:
        headers = {"Authorization": f"Bearer {server.api_key}"}
        with httpx.Client(base_url=server.base_url, headers=headers) as c:
            rows = b'{"input": "x", "expected": "neutral"}\n' * 40_000  # over limit + 1 MiB
            response = c.post(
                "/v1/eval-sets",
                data={"task_id": "sentiment-analysis"},
                files={"items": ("i.jsonl", rows)},
            )
            assert response.status_code == 413
            limit = 1024 + (1 << 20)  # the upload limit plus the multipart framing
            assert f"POST /v1/eval-sets accepts at most {limit} bytes" in response.json()["detail"]
            assert [s["id"] for s in c.get("/v1/eval-sets").json()["eval_sets"]] == [SEED_SET]


def _error(response: httpx.Response) -> tuple[list[object], str]:
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    return error["loc"], error["msg"]


@pytest.mark.slow
def test_422_for_invalid_eval_set_uploads(client: httpx.Client) -> None:
    def upload(data: dict[str, str], items: bytes | None) -> httpx.Response:
        files = {"items": ("items.jsonl", items)} if items is not None else None
        return client.post("/v1/eval-sets", data=data, files=files)

    task = {"task_id": "sentiment-analysis"}
    assert _error(upload(task, b'{"input": "a"}\n[1, 2]\n')) == (
        ["body", "items", 2],
        "line 2 is not a JSON object",
    )
    assert _error(upload(task | {"x": "y"}, None)) == (
        ["body", "items"],
        "items (a JSONL file part) is required",
    )
    assert _error(upload({}, b"{}")) == (["body", "task_id"], "task_id is required")
    too_many = b'{"expected": "neutral"}\n' * 100_001
    assert _error(upload(task, too_many)) == (["body", "items"], "at most 100000 rows per eval set")
    unknown = upload({"task_id": "no-such-task"}, b"{}")
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "Task 'no-such-task' not found"}
    assert [s["id"] for s in client.get("/v1/eval-sets").json()["eval_sets"]] == [SEED_SET]


def test_422_for_invalid_inline_attachments(client: httpx.Client) -> None:
    rows = [{"expected": {"total": "1"}}]
    es = create_eval_set(client, "invoice-extraction", rows)
    url = f"/v1/eval-sets/{es['id']}/attach-blob"
    pdf = {"file": ("a.pdf", b"%PDF-1.4", "application/pdf")}
    no_file = client.post(url, data={"idx": "0", "field_name": "document"})
    assert _error(no_file) == (["body", "file"], "file (a file part) is required")
    bad_idx = client.post(url, data={"idx": "first", "field_name": "document"}, files=pdf)
    assert _error(bad_idx) == (["body", "idx"], "idx must be a row number (ASCII digits)")
    no_field = client.post(url, data={"idx": "0"}, files=pdf)
    assert _error(no_field) == (["body", "field_name"], "field_name is required")
    assert client.get(f"/v1/eval-sets/{es['id']}").json()["eval_set"]["blobs_attached"] == 0


@pytest.mark.anyio
async def test_a_route_crashing_mid_stream_keeps_its_started_response() -> None:
    from collections.abc import AsyncIterator

    from fastapi.responses import StreamingResponse

    from pareta.local import create_app

    app = create_app()

    async def chunks() -> AsyncIterator[bytes]:
        yield b"first chunk"
        raise RuntimeError("a bug mid-stream")

    @app.get("/v1/half")
    async def half() -> StreamingResponse:
        return StreamingResponse(chunks(), media_type="text/plain")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://local") as raw:
        response = await raw.get("/v1/half", headers={"Authorization": "Bearer pareta_sk_x"})
    # No second (500) response is started once the first has begun.
    assert response.status_code == 200
    assert response.text == "first chunk"
    assert response.headers["x-request-id"].startswith("req_")
    strict = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=strict, base_url="http://local") as raw:
        with pytest.raises(RuntimeError, match="a bug mid-stream"):
            await raw.get("/v1/half", headers={"Authorization": "Bearer pareta_sk_x"})
