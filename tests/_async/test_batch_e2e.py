"""Batch jobs against the local server over real sockets: its rate limit and its ledger."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pareta import AsyncPareta
from pareta._batch.rate import SLOW_START, UNDER_LIMIT
from pareta.local import LocalServer

pytestmark = pytest.mark.anyio
LIMIT = 40


@pytest.fixture(scope="module")
def limited() -> Iterator[LocalServer]:
    """A server that allows each org 40 requests a second, in bursts of 10."""
    with LocalServer(rate_limit=LIMIT, rate_burst=10, seed=5) as server:
        yield server


def rows(n: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"row-{i}",
            "model": "ep_contract_kie",
            "messages": [{"role": "user", "content": f"Effective as of 2026-05-{i % 28 + 1:02d}."}],
        }
        for i in range(n)
    ]


async def test_a_rate_limited_batch_loses_no_row_and_bills_each_once(
    limited: LocalServer, tmp_path: Path
) -> None:
    key = limited.mint_key()
    out = tmp_path / "out.jsonl"
    async with AsyncPareta(api_key=key, base_url=limited.base_url, max_retries=0) as pa:
        stats = await pa.batch(
            pa.chat.completions.create, rows(120), output=out, key="id", max_in_flight=64
        ).wait()
    assert stats.failed == 0
    assert stats.done == 120
    # The server pushed back, and the job slowed down instead of failing rows; the first
    # burst before any pushback is at most the few workers a job starts with.
    assert stats.rate is not None
    assert stats.rate <= LIMIT  # it paces under the limit the server states
    assert stats.throttled <= stats.attempts // 4
    debits = Counter(
        e["idempotency_key"] for e in limited.ledger(key) if e["kind"] == "chat.completion"
    )
    assert len(debits) == 120
    assert set(debits.values()) == {1}
    assert stats.billed_micro_usd == sum(
        e["amount_micro_usd"] for e in limited.ledger(key) if e["kind"] == "chat.completion"
    )


async def test_a_clients_next_job_starts_at_the_pace_its_last_one_learned(
    limited: LocalServer,
) -> None:
    async def first_rate(pa: AsyncPareta) -> float | None:
        seen: list[float | None] = []
        job = pa.batch(
            pa.chat.completions.create, rows(30), on_progress=lambda s: seen.append(s.rate)
        )
        await job.wait()
        return seen[0]

    key = limited.mint_key()
    async with AsyncPareta(api_key=key, base_url=limited.base_url) as pa:
        fresh = await first_rate(pa)
        learned = await first_rate(pa)
    async with AsyncPareta(api_key=key, base_url=limited.base_url) as other:
        afresh = await first_rate(other)
    slow_start = LIMIT * UNDER_LIMIT * SLOW_START
    # A new client starts slow; the same client's next job where the last one got to.
    assert fresh is not None and afresh is not None and learned is not None
    assert max(fresh, afresh) < 1.5 * slow_start < 3 * slow_start < learned
