"""A bounded soak on loopback: 10,000 completions at concurrency 256 with 5% injected faults.

Every call must end in a result or a typed error, no connection may leak, and the
ledger must show one debit per successful completion and none twice: a retried call is
never billed twice. A call whose every attempt timed out may still have been billed once,
when the server finished an attempt as the client gave up on it (a slow machine makes
that likelier); never more than once, and never more such debits than failed calls.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from pareta import AsyncPareta, ChatCompletion, ParetaError
from pareta.local import LocalServer
from tests.helpers import busy_connections

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

CALLS = 10_000
CONCURRENCY = 256
FAULTS = [
    "POST /v1/chat/completions status=503 probability=0.02",
    "POST /v1/chat/completions latency=3 probability=0.015",
    "POST /v1/chat/completions drop_after=0 probability=0.015",
]


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer(faults=FAULTS, seed=11, balance=10**12) as running:
        yield running


async def test_soak_with_faults_bills_each_success_once(server: LocalServer) -> None:
    requests = [
        {
            "model": "ep_contract_kie",
            "messages": [{"role": "user", "content": f"Effective as of 2026-01-{i % 28 + 1:02d}."}],
        }
        for i in range(CALLS)
    ]
    # A read timeout under the injected 3 s latency, so those calls time out and retry.
    async with AsyncPareta(
        api_key=server.api_key, base_url=server.base_url, timeout=2.0, max_retries=3
    ) as pa:
        results = await pa.chat.completions.create_many(requests, concurrency=CONCURRENCY)
        assert busy_connections(pa) == 0
    outcomes = Counter(type(r).__name__ for r in results)
    assert all(isinstance(r, (ChatCompletion, ParetaError)) for r in results), outcomes
    successes = sum(isinstance(r, ChatCompletion) for r in results)
    assert successes >= CALLS * 0.99, outcomes
    debits = [e for e in server.ledger() if e["kind"] == "chat.completion"]
    keys = Counter(e["idempotency_key"] for e in debits)
    assert keys.most_common(1)[0][1] == 1
    assert successes <= len(debits) <= CALLS
    assert sum(f.hits for f in server.faults()) >= CALLS * 0.04


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_fan_out_of_10_000_completions_without_faults() -> None:
    with LocalServer(seed=5, balance=10**12) as server:
        requests = [
            {"model": "ep_a1b2c3", "messages": [{"role": "user", "content": f"Item {i}."}]}
            for i in range(CALLS)
        ]
        async with AsyncPareta(api_key=server.api_key, base_url=server.base_url) as pa:
            results = await pa.chat.completions.create_many(requests, concurrency=CONCURRENCY)
            assert busy_connections(pa) == 0
        assert all(isinstance(r, ChatCompletion) for r in results)
        assert len([e for e in server.ledger() if e["kind"] == "chat.completion"]) == CALLS
