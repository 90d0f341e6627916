"""Request bodies are streamed against a limit per route: 413 past it, whatever the framing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from pareta.local import LocalServer
from pareta.local.app import _echoable
from pareta.local.bodies import SPOOL_IN_MEMORY, Spool

from .helpers import SEED_SET, chat_body

MiB = 1 << 20


@pytest.fixture(scope="module")
def small() -> Iterator[LocalServer]:
    with LocalServer(max_upload_bytes=MiB, max_chat_bytes=4 * MiB, max_json_bytes=64 << 10) as s:
        yield s


@pytest.fixture
def small_client(small: LocalServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {small.mint_key()}"}
    with httpx.Client(base_url=small.base_url, headers=headers, timeout=30) as c:
        yield c


def chunked(total: int, piece: bytes = b" " * 65536) -> Iterator[bytes]:
    """A body with no Content-Length: httpx sends it chunked."""
    sent = 0
    yield b'{"text": "'
    while sent < total:
        yield piece
        sent += len(piece)
    yield b'"}'


def test_chunked_json_past_the_limit_is_413(small_client: httpx.Client) -> None:
    answer = small_client.post("/v1/tasks/match", content=chunked(8 * MiB))
    assert answer.status_code == 413
    assert "POST /v1/tasks/match accepts at most 65536 bytes" in answer.json()["detail"]
    # The connection and the server carry on.
    assert small_client.get("/v1/tasks").status_code == 200


def test_declared_length_past_the_limit_is_413_before_reading(
    small_client: httpx.Client,
) -> None:
    answer = small_client.post("/v1/chat/completions", content=b"x" * (4 * MiB + 1))
    assert answer.status_code == 413


def test_chunked_multipart_upload_past_the_limit_is_413(
    small: LocalServer, small_client: httpx.Client
) -> None:
    boundary = b"bound"

    def body() -> Iterator[bytes]:
        yield b'--bound\r\nContent-Disposition: form-data; name="task_id"\r\n\r\n'
        yield b"sentiment-analysis\r\n--bound\r\n"
        yield b'Content-Disposition: form-data; name="items"; filename="i.jsonl"\r\n\r\n'
        for _ in range(64):  # 4 MiB of rows, past 1 MiB + framing
            yield b'{"input": "x", "expected": "neutral"}\n' * 1724
        yield b"\r\n--bound--\r\n"

    headers = {"Content-Type": f"multipart/form-data; boundary={boundary.decode()}"}
    answer = small_client.post("/v1/eval-sets", content=body(), headers=headers)
    assert answer.status_code == 413
    sets = small_client.get("/v1/eval-sets").json()["eval_sets"]
    assert [s["id"] for s in sets] == [SEED_SET]  # only the seed: nothing was created


def test_a_413_leaves_the_idempotency_key_free(small_client: httpx.Client) -> None:
    headers = {"Idempotency-Key": "big-then-small"}
    too_big = chat_body(content="x" * (5 * MiB))
    refused = small_client.post("/v1/chat/completions", json=too_big, headers=headers)
    assert refused.status_code == 413
    served = small_client.post("/v1/chat/completions", json=chat_body(), headers=headers)
    assert served.status_code == 200
    assert "idempotent-replayed" not in served.headers


def test_a_large_body_with_an_idempotency_key_is_spooled_and_replayed(
    small: LocalServer, small_client: httpx.Client
) -> None:
    content = "Effective as of January 1, 2026. " * (2 * SPOOL_IN_MEMORY // 33)
    body = json.dumps(chat_body(content=content)).encode()
    assert SPOOL_IN_MEMORY < len(body) < 4 * MiB
    headers = {"Idempotency-Key": "large", "Content-Type": "application/json"}
    first = small_client.post("/v1/chat/completions", content=body, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["usage"]["prompt_tokens"] > 100_000
    again = small_client.post("/v1/chat/completions", content=body, headers=headers)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"model": ' + b'{"a": ' * 80 + b"1" + b"}" * 80 + b"}",
        b'{"model": "ep_contract_kie", "max_tokens": NaN}',
        b'{"model": "ep_contract_kie", "max_tokens": 1e999}',
        b'{"model": "ep_contract_kie", "max_tokens": ' + b"9" * 5000 + b"}",
        b'{"model": "\xff\xfe"}',
        '{"model": "ep"}'.encode("utf-16"),
    ],
)
def test_malformed_json_is_422_never_500(raw: bytes, small_client: httpx.Client) -> None:
    for path in ("/v1/chat/completions", "/v1/endpoints", "/v1/tasks/match", "/v1/eval-runs"):
        answer = small_client.post(path, content=raw, headers={"Content-Type": "application/json"})
        assert answer.status_code in (400, 413, 422), (path, answer.status_code, answer.text)
        assert isinstance(answer.json()["detail"], str | list)


def test_a_chunked_body_past_the_limit_with_an_idempotency_key_is_413(
    small_client: httpx.Client,
) -> None:
    headers = {"Idempotency-Key": "chunked", "Content-Type": "application/json"}
    answer = small_client.post("/v1/chat/completions", content=chunked(8 * MiB), headers=headers)
    assert answer.status_code == 413
    assert "accepts at most" in answer.json()["detail"]
    served = small_client.post("/v1/chat/completions", json=chat_body(), headers=headers)
    assert "idempotent-replayed" not in served.headers


def test_a_spool_stops_at_a_disconnect() -> None:
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": b"abc", "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    spool = Spool()
    anyio.run(spool.fill, receive)
    assert spool.disconnected


def test_eval_set_fields_may_come_as_files_or_plain_fields(small_client: httpx.Client) -> None:
    rows = '{"input": "great", "expected": "positive"}\n{"input": "bad", "expected": "negative"}'
    as_field = small_client.post(
        "/v1/eval-sets", data={"task_id": "sentiment-analysis", "items": rows}
    )
    assert as_field.json()["eval_set"]["item_count"] == 2
    as_files = small_client.post(
        "/v1/eval-sets",
        files={"task_id": ("t.txt", b"sentiment-analysis"), "items": ("i.jsonl", rows.encode())},
    )
    assert as_files.json()["eval_set"]["task_id"] == "sentiment-analysis"


def test_echoed_inputs_are_strict_json() -> None:
    assert _echoable(float("nan")) == "(a float that JSON cannot carry)"
    assert _echoable("x" * 5000).endswith("...")
    assert _echoable({"a": 1}) == {"a": 1}


def test_a_json_body_of_tiny_values_is_413_naming_the_option(client: httpx.Client) -> None:
    # 600 KB, within the byte limit, but 200,000 objects for the parser on the event loop.
    body = b'{"query": "contracts", "pad": [' + b"{}," * 200_000 + b"{}]}"
    headers = {"Content-Type": "application/json"}
    refused = client.post("/v1/tasks/match", content=body, headers=headers)
    assert refused.status_code == 413
    assert "--max-json-values" in refused.json()["detail"]
    assert client.post("/v1/tasks/match", json={"query": "contracts"}).status_code == 200
