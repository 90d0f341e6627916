"""One identity per request: every layer bills, limits, replays and faults the same org."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from pareta.local import LocalServer

from .helpers import chat_body


def _raw_headers(*pairs: tuple[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.encode(), value.encode()) for name, value in pairs]


@pytest.fixture(scope="module")
def limited() -> Iterator[LocalServer]:
    with LocalServer(rate_limit=1, rate_burst=1, deploy_seconds=0) as server:
        yield server


def test_a_second_authorization_header_is_400_and_never_passes_the_rate_limit(
    limited: LocalServer,
) -> None:
    key, throwaway = limited.mint_key(), limited.mint_key()
    headers = _raw_headers(
        ("Authorization", f"Bearer {key}"), ("Authorization", f"Bearer {throwaway}")
    )
    with httpx.Client(base_url=limited.base_url) as client:
        answers = [client.get("/v1/models", headers=headers) for _ in range(30)]
        assert {a.status_code for a in answers} == {400}
        assert "once" in answers[0].json()["detail"]
        assert "x-request-id" in answers[0].headers
        # The org itself still has its one token: nothing was spent by the refused requests.
        good = client.get("/v1/models", headers={"Authorization": f"Bearer {key}"})
        assert good.status_code == 200
        assert (
            client.get("/v1/models", headers={"Authorization": f"Bearer {key}"}).status_code == 429
        )


@pytest.mark.parametrize(
    "extra",
    [
        {"headers": [("X-Api-Key", "pareta_sk_other")]},
        {"headers": [("Api-Key", "pareta_sk_other")]},
        {"params": {"api_key": "pareta_sk_other"}},
    ],
)
def test_a_key_in_two_places_is_400(server: LocalServer, extra: dict[str, object]) -> None:
    headers = _raw_headers(
        ("Authorization", f"Bearer {server.mint_key()}"), *extra.get("headers", [])
    )  # type: ignore[misc]
    params = extra.get("params")
    response = httpx.get(f"{server.base_url}/v1/models", headers=headers, params=params)  # type: ignore[arg-type]
    assert response.status_code == 400


def test_shared_second_key_and_idempotency_key_never_cross_orgs(server: LocalServer) -> None:
    first, second, shared = server.mint_key(), server.mint_key(), server.mint_key()
    answers = []
    for key in (first, second):
        headers = _raw_headers(
            ("Authorization", f"Bearer {key}"),
            ("Authorization", f"Bearer {shared}"),
            ("Idempotency-Key", "same-key"),
            ("Content-Type", "application/json"),
        )
        answers.append(
            httpx.post(
                f"{server.base_url}/v1/chat/completions",
                content=httpx.Request("POST", "/", json=chat_body()).content,
                headers=headers,
            )
        )
    assert [a.status_code for a in answers] == [400, 400]
    assert [server.ledger(api_key=k) for k in (first, second, shared)] == [[], [], []]


def test_two_idempotency_keys_are_400(server: LocalServer) -> None:
    headers = _raw_headers(
        ("Authorization", f"Bearer {server.mint_key()}"),
        ("Idempotency-Key", "a"),
        ("Idempotency-Key", "b"),
    )
    response = httpx.post(
        f"{server.base_url}/v1/chat/completions", json=chat_body(), headers=headers
    )
    assert response.status_code == 400


def test_overlong_keys_are_refused_naming_the_option(server: LocalServer) -> None:
    long_key = "pareta_sk_" + "k" * 10_000
    response = httpx.get(
        f"{server.base_url}/v1/models", headers={"Authorization": f"Bearer {long_key}"}
    )
    assert response.status_code == 401
    assert "--max-api-key-chars" in response.json()["detail"]
    headers = {"Authorization": f"Bearer {server.mint_key()}", "Idempotency-Key": "i" * 256}
    response = httpx.post(
        f"{server.base_url}/v1/chat/completions", json=chat_body(), headers=headers
    )
    assert response.status_code == 400
    assert "--max-idempotency-key-chars" in response.json()["detail"]
    headers["Idempotency-Key"] = "i" * 255
    response = httpx.post(
        f"{server.base_url}/v1/chat/completions", json=chat_body(), headers=headers
    )
    assert response.status_code == 200
