from __future__ import annotations

import json

import openai
import pytest

from pareta.local import LocalServer

from .helpers import CONTRACT


def test_stock_openai_client(server: LocalServer, api_key: str) -> None:
    with openai.OpenAI(api_key=api_key, base_url=f"{server.base_url}/v1", max_retries=0) as client:
        ids = [m.id for m in client.models.list()]
        assert "ep_contract_kie" in ids
        completion = client.chat.completions.create(
            model="ep_contract_kie",
            messages=[{"role": "user", "content": CONTRACT}],
            temperature=0,
        )
        content = completion.choices[0].message.content or ""
        assert json.loads(content)["governing_law"] == "Delaware"
        assert completion.usage is not None
        assert completion.usage.total_tokens > 0
        stream = client.chat.completions.create(
            model="ep_contract_kie", messages=[{"role": "user", "content": CONTRACT}], stream=True
        )
        with stream:
            pieces = [c.choices[0].delta.content or "" for c in stream if c.choices]
        assert "".join(pieces) == content
        with pytest.raises(openai.NotFoundError):
            client.chat.completions.create(
                model="ep_missing", messages=[{"role": "user", "content": "hi"}]
            )
    assert len(server.ledger(api_key=api_key)) == 2
