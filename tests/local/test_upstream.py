from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from pareta.local import LocalServer
from pareta.local.catalog import Usage
from pareta.local.engine import count_tokens
from pareta.local.server import _ThreadedServer, bind_socket

from .helpers import CONTRACT, chat_body, stream_chunks


def ask(relay: LocalServer, body: dict[str, object]) -> httpx.Response:
    """One chat completion through ``relay``, with its own key."""
    headers = {"Authorization": f"Bearer {relay.api_key}"}
    return httpx.post(f"{relay.base_url}/v1/chat/completions", json=body, headers=headers)


def test_inference_relays_to_an_upstream_server() -> None:
    with LocalServer() as real_model:
        upstream = f"{real_model.base_url}/v1"
        with LocalServer(upstream=upstream, upstream_api_key=real_model.api_key) as relay:
            headers = {"Authorization": f"Bearer {relay.api_key}"}
            with httpx.Client(base_url=relay.base_url, headers=headers) as client:
                plain = client.post("/v1/chat/completions", json=chat_body("ep_contract_qwen"))
                assert plain.status_code == 200
                body = plain.json()
                assert body["model"] == "ep_contract_qwen"  # the upstream's name never leaks
                assert json.loads(body["choices"][0]["message"]["content"])["parties"]
                streamed = client.post(
                    "/v1/chat/completions", json=chat_body("ep_contract_qwen", stream=True)
                )
                chunks = stream_chunks(streamed.text)
                assert streamed.text.endswith("data: [DONE]\n\n")
                assert {c["model"] for c in chunks} == {"ep_contract_qwen"}
                text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
                assert CONTRACT not in text
                assert json.loads(text)
            ledger = relay.ledger()
            assert [e["detail"]["upstream"] for e in ledger] == [True, True]
            assert all(e["amount_micro_usd"] > 0 for e in ledger)
        assert len(real_model.ledger()) == 2  # the upstream did the work


def test_unreachable_upstream_is_502() -> None:
    with LocalServer(upstream="http://127.0.0.1:9/v1") as relay:
        response = ask(relay, chat_body())
        assert response.status_code == 502
        assert relay.ledger() == []


@pytest.mark.parametrize("stream", [False, True])
def test_upstream_client_errors_pass_through(stream: bool) -> None:
    with (
        LocalServer() as real_model,
        LocalServer(upstream=f"{real_model.base_url}/v1", upstream_api_key="sk-wrong") as relay,
    ):
        response = ask(relay, chat_body(stream=stream))
        assert response.status_code == 401
        assert response.json()["detail"].startswith("Upstream answered 401: ")
        assert relay.ledger() == []
        assert relay.balance() == real_model.balance()  # nothing held or spent


@pytest.mark.parametrize("stream", [False, True])
def test_upstream_server_errors_are_502(stream: bool) -> None:
    with LocalServer(faults=["POST /v1/chat/completions status=503 detail=overloaded"]) as real:
        upstream = f"{real.base_url}/v1"
        with LocalServer(upstream=upstream, upstream_api_key=real.api_key) as relay:
            response = ask(relay, chat_body(stream=stream))
            assert response.status_code == 502
            assert response.json()["detail"] == ('Upstream answered 503: {"detail": "overloaded"}')
            assert relay.ledger() == []


def test_unreachable_upstream_stream_is_502() -> None:
    with LocalServer(upstream="http://127.0.0.1:9/v1") as relay:
        response = ask(relay, chat_body(stream=True))
        assert response.status_code == 502
        assert response.json()["detail"].startswith("Upstream unavailable: ")
        assert relay.ledger() == []


def _bare_upstream() -> FastAPI:
    """An OpenAI-style server that leaves out the optional parts: usage, `[DONE]`."""
    app = FastAPI()

    @app.get("/v1/models")
    async def models() -> dict[str, object]:
        return {"data": [{"id": "real-model"}]}

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        body = await request.json()
        assert body["model"] == "real-model"
        if not body.get("stream"):
            return JSONResponse({"choices": [{"message": {"content": "twelve chars"}}]})

        async def events() -> AsyncIterator[bytes]:
            yield b": keep-alive\n\n"
            delta = {"choices": [{"delta": {"content": "hi"}}]}
            yield f"data: {json.dumps(delta)}\n\n".encode()
            free = body["messages"][-1]["content"] == "free"
            tokens = (0, 0) if free else (70, 30)
            usage = dict(zip(("prompt_tokens", "completion_tokens"), tokens, strict=True))
            done = {"choices": [], "usage": usage}
            yield f"data: {json.dumps(done)}\n\n".encode()

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


@pytest.fixture
def bare_upstream() -> Iterator[str]:
    sock = bind_socket("127.0.0.1", 0)
    server = _ThreadedServer(uvicorn.Config(_bare_upstream(), log_config=None, lifespan="off"))
    thread = threading.Thread(target=server.run_in_thread, args=(sock,), daemon=True)
    thread.start()
    assert server.ready.wait(10)
    assert server.started
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    server.should_exit = True
    thread.join(10)
    sock.close()


def test_relay_fills_in_what_a_bare_upstream_leaves_out(bare_upstream: str) -> None:
    with LocalServer(upstream=bare_upstream) as relay:
        headers = {"Authorization": f"Bearer {relay.api_key}"}
        model = relay.state.org(relay.api_key).endpoints["ep_contract_kie"].model
        with httpx.Client(base_url=relay.base_url, headers=headers) as client:
            streamed = client.post("/v1/chat/completions", json=chat_body(stream=True))
            assert streamed.status_code == 200
            assert streamed.text.endswith("data: [DONE]\n\n")
            assert "keep-alive" not in streamed.text
            chunks = stream_chunks(streamed.text)
            assert [c["model"] for c in chunks] == ["ep_contract_kie"] * 2
            assert chunks[-1]["usage"] == {"prompt_tokens": 70, "completion_tokens": 30}
            plain = client.post("/v1/chat/completions", json=chat_body())
            assert plain.status_code == 200
            assert plain.json()["choices"][0]["message"]["content"] == "twelve chars"
        prompt = json.dumps(chat_body()["messages"])
        stream_entry, plain_entry = relay.ledger()
        # The stream is billed by the upstream's usage, the plain answer by counted tokens.
        assert stream_entry["amount_micro_usd"] == Usage(70, 30).price(model)
        counted = Usage(count_tokens(prompt), count_tokens("twelve chars"))
        assert plain_entry["amount_micro_usd"] == counted.price(model)


def test_a_stream_the_upstream_reports_as_free_is_not_billed(bare_upstream: str) -> None:
    with LocalServer(upstream=bare_upstream) as relay:
        before = relay.balance()
        response = ask(relay, chat_body(content="free", stream=True))
        assert response.status_code == 200
        assert response.text.endswith("data: [DONE]\n\n")
        assert relay.ledger() == []  # no zero-amount entries
        assert relay.balance() == before
