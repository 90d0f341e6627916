from __future__ import annotations

import json

import httpx

from pareta.local import LocalServer

from .helpers import CONTRACT, chat_body, stream_chunks


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
        headers = {"Authorization": f"Bearer {relay.api_key}"}
        response = httpx.post(
            f"{relay.base_url}/v1/chat/completions", json=chat_body(), headers=headers
        )
        assert response.status_code == 502
        assert relay.ledger() == []
