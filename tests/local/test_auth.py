from __future__ import annotations

import httpx
import pytest

from pareta.local import LocalServer
from pareta.local.config import Config
from pareta.local.identity import read_identity

from .helpers import chat_body


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({b"authorization": b"Bearer pareta_sk_abc"}, "pareta_sk_abc"),
        ({b"authorization": b"bearer  pareta_sk_abc "}, "pareta_sk_abc"),
        ({}, None),
        ({b"authorization": b"Basic pareta_sk_abc"}, None),
        ({b"authorization": b"Bearer sk-openai"}, None),
    ],
)
def test_the_pareta_key_of_a_request(headers: dict[bytes, bytes], expected: str | None) -> None:
    scope = {"type": "http", "headers": list(headers.items()), "query_string": b""}
    assert read_identity(scope, Config()).api_key == expected


@pytest.mark.parametrize("authorization", [None, "Bearer sk-not-pareta"])
def test_idempotency_key_without_a_pareta_key_is_still_401(
    server: LocalServer, authorization: str | None
) -> None:
    headers = {"Idempotency-Key": "no-auth"}
    if authorization is not None:
        headers["Authorization"] = authorization
    for _ in range(2):  # never recorded, so never replayed or refused as in progress
        response = httpx.post(
            f"{server.base_url}/v1/chat/completions", json=chat_body(), headers=headers
        )
        assert response.status_code == 401
        assert "idempotent-replayed" not in response.headers
