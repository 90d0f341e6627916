from __future__ import annotations

import httpx
import pytest

from pareta.local import LocalServer
from pareta.local.auth import api_key_from_headers

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
def test_api_key_from_headers(headers: dict[bytes, bytes], expected: str | None) -> None:
    assert api_key_from_headers(headers) == expected


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
