"""Rate limiting per org. The limiter's clock is frozen, so counts are exact, never timed."""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import httpx
import pytest

from pareta import Pareta, RateLimitError
from pareta.local import LocalServer, cli
from pareta.local.ratelimit import RateLimiter

from .helpers import chat_body


class FrozenClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def limited() -> Iterator[LocalServer]:
    with LocalServer(rate_limit=5, rate_burst=2, deploy_seconds=0) as running:
        yield running


@pytest.fixture
def clock(limited: LocalServer) -> FrozenClock:
    frozen = FrozenClock()
    assert limited.state.rate_limiter is not None
    limited.state.rate_limiter.clock = frozen
    return frozen


def _client(server: LocalServer, key: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.Client(base_url=server.base_url, headers=headers, timeout=10)


def test_a_burst_gets_its_tokens_then_429s_with_honest_headers(
    limited: LocalServer, clock: FrozenClock
) -> None:
    with _client(limited, limited.mint_key()) as client:
        answers = [client.get("/v1/tasks") for _ in range(6)]
        assert [a.status_code for a in answers] == [200, 200, 429, 429, 429, 429]
        first, second, refused = answers[0], answers[1], answers[2]
        assert first.headers["x-ratelimit-limit"] == "5"
        assert first.headers["x-ratelimit-remaining"] == "1"
        assert first.headers["x-ratelimit-reset"] == "0.2"
        assert second.headers["x-ratelimit-remaining"] == "0"
        assert second.headers["x-ratelimit-reset"] == "0.4"
        assert refused.headers["retry-after"] == "1"
        assert refused.headers["x-ratelimit-remaining"] == "0"
        assert "Rate limit exceeded" in refused.json()["detail"]
        assert "x-request-id" in refused.headers
        clock.now += 0.2  # exactly one token back
        assert [client.get("/v1/tasks").status_code for _ in range(2)] == [200, 429]
        clock.now += 10  # full again, never beyond the burst
        assert [client.get("/v1/tasks").status_code for _ in range(3)] == [200, 200, 429]


def test_each_org_has_its_own_bucket(limited: LocalServer, clock: FrozenClock) -> None:
    with _client(limited, limited.mint_key()) as a, _client(limited, limited.mint_key()) as b:
        assert [a.get("/v1/tasks").status_code for _ in range(3)] == [200, 200, 429]
        assert [b.get("/v1/tasks").status_code for _ in range(3)] == [200, 200, 429]


def test_admin_routes_are_not_limited_nor_counted(limited: LocalServer, clock: FrozenClock) -> None:
    with _client(limited, limited.mint_key()) as client:
        for _ in range(5):
            answer = client.get("/admin/balance")
            assert answer.status_code == 200
            assert "x-ratelimit-limit" not in answer.headers
        assert client.get("/v1/tasks").headers["x-ratelimit-remaining"] == "1"


def test_a_429_is_not_billed_and_frees_the_idempotency_key(
    limited: LocalServer, clock: FrozenClock
) -> None:
    key = limited.mint_key()
    headers = {"Idempotency-Key": "row-1"}
    with _client(limited, key) as client:
        for _ in range(2):
            assert client.get("/v1/tasks").status_code == 200
        refused = client.post("/v1/chat/completions", json=chat_body(), headers=headers)
        assert refused.status_code == 429
        assert limited.ledger(api_key=key) == []
        clock.now += 1
        served = client.post("/v1/chat/completions", json=chat_body(), headers=headers)
        assert served.status_code == 200
        assert "idempotent-replayed" not in served.headers
        replayed = client.post("/v1/chat/completions", json=chat_body(), headers=headers)
        assert replayed.headers["idempotent-replayed"] == "true"
        assert replayed.content == served.content
    assert len(limited.ledger(api_key=key)) == 1


@pytest.mark.anyio
async def test_concurrent_burst_counts(limited: LocalServer, clock: FrozenClock) -> None:
    headers = {"Authorization": f"Bearer {limited.mint_key()}"}
    codes: list[int] = []
    async with httpx.AsyncClient(base_url=limited.base_url, headers=headers) as client:

        async def one() -> None:
            codes.append((await client.get("/v1/tasks")).status_code)

        async with anyio.create_task_group() as tg:
            for _ in range(12):
                tg.start_soon(one)
    assert sorted(codes) == [200] * 2 + [429] * 10


def test_the_sdk_sees_rate_limit_error_after_its_retries(
    limited: LocalServer, clock: FrozenClock
) -> None:
    with Pareta(api_key=limited.mint_key(), base_url=limited.base_url, max_retries=0) as pa:
        pa.tasks.list()
        pa.tasks.list()
        with pytest.raises(RateLimitError):
            pa.tasks.list()


def test_requests_without_a_key_are_refused_not_counted(
    limited: LocalServer, clock: FrozenClock
) -> None:
    for _ in range(4):
        answer = httpx.get(f"{limited.base_url}/v1/tasks")
        assert answer.status_code == 401
        assert "x-ratelimit-limit" not in answer.headers


def test_no_headers_when_limiting_is_off(client: httpx.Client) -> None:
    assert "x-ratelimit-limit" not in client.get("/v1/tasks").headers


def test_limiter_arithmetic() -> None:
    clock = FrozenClock()
    limiter = RateLimiter(0.25, 1, clock)
    assert limiter.take("org").allowed
    refused = limiter.take("org")
    assert (refused.allowed, refused.retry_after, refused.reset) == (False, 4, 4.0)
    clock.now += 3.5
    refused = limiter.take("org")
    assert (refused.allowed, refused.retry_after, refused.reset) == (False, 1, 0.5)
    with pytest.raises(ValueError, match="positive number"):
        RateLimiter(float("nan"), 1)
    with pytest.raises(ValueError, match="at least 1"):
        RateLimiter(1, 0)


def test_buckets_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from pareta.local import ratelimit

    monkeypatch.setattr(ratelimit, "MAX_BUCKETS", 3)
    limiter = RateLimiter(1, 1, FrozenClock())
    for org in ("a", "b", "c", "d"):
        assert limiter.take(org).allowed
    assert limiter.take("a").allowed  # forgotten, so full again
    assert not limiter.take("d").allowed


@pytest.mark.parametrize(
    "argv",
    [
        ["--rate-limit", "0"],
        ["--rate-limit", "inf"],
        ["--rate-burst", "0"],
        ["--max-orgs", "0"],
        ["--max-json-bytes", "0"],
        ["--idempotency-ttl", "nan"],
    ],
)
def test_cli_refuses_bad_limits(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == 2
    assert "error:" in capsys.readouterr().err
