"""Batch jobs against the local server over real sockets: its rate limit and its ledger."""

from __future__ import annotations

import json
import random
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


@pytest.mark.slow
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


@pytest.mark.slow
async def test_a_clients_next_job_starts_at_the_pace_its_last_one_learned(
    limited: LocalServer,
) -> None:
    async def run(pa: AsyncPareta) -> tuple[float | None, float | None]:
        """The pace when the job's first row was answered, and when its last one was."""
        seen: list[float | None] = []
        job = pa.batch(
            pa.chat.completions.create, rows(30), on_progress=lambda s: seen.append(s.rate)
        )
        await job.wait()
        return seen[0], job.stats.rate

    key = limited.mint_key()
    async with AsyncPareta(api_key=key, base_url=limited.base_url) as pa:
        (fresh, learned), (resumed, _) = await run(pa), await run(pa)
    async with AsyncPareta(api_key=key, base_url=limited.base_url) as other:
        afresh, _ = await run(other)
    slow_start = LIMIT * UNDER_LIMIT * SLOW_START
    assert fresh is not None and afresh is not None and learned is not None
    # A new client starts slow; the same client's next job where the last one got to.
    assert max(fresh, afresh) < 1.5 * slow_start
    assert resumed == pytest.approx(learned, rel=0.3)


def prompt_rows(numbers: list[int]) -> list[str]:
    return [
        json.dumps(
            {
                "model": "ep_contract_kie",
                "messages": [
                    {
                        "role": "user",
                        "content": f"Row {n}: effective as of 2026-05-{n % 28 + 1:02d}.",
                    }
                ],
            }
        )
        for n in numbers
    ]


@pytest.mark.slow
async def test_editing_deleting_inserting_and_shuffling_rows_bills_only_what_changed(
    local: LocalServer, key: str, tmp_path: Path
) -> None:
    source, out = tmp_path / "rows.jsonl", tmp_path / "out.jsonl"
    lines = prompt_rows(list(range(1000)))
    source.write_text("\n".join(lines) + "\n")

    def debits() -> int:
        return sum(1 for e in local.ledger(key) if e["kind"] == "chat.completion")

    async def answered(pa: AsyncPareta) -> int:
        """Rows answered, over as many runs as it takes: a row that timed out on a busy
        machine is sent again under its key, and replayed if the server had answered it."""
        done = 0
        for _ in range(5):
            stats = await pa.batch(pa.chat.completions.create, source, output=out).wait()
            done += stats.done
            if stats.failed == 0:
                break
        return done

    async with AsyncPareta(api_key=key, base_url=local.base_url) as pa:
        assert (await answered(pa), debits()) == (1000, 1000)
        for n in range(100, 110):  # ten edited
            lines[n] = lines[n].replace("effective", "in force")
        del lines[500:505]  # five deleted
        lines[700:700] = prompt_rows(list(range(1000, 1005)))  # five inserted
        random.Random(19).shuffle(lines)
        source.write_text("\n".join(lines) + "\n")
        second = await answered(pa)
        random.Random(20).shuffle(lines)
        source.write_text("\n".join(lines) + "\n")
        third = await answered(pa)
    assert (second, third) == (15, 0)
    assert debits() == 1015  # 15 new debits, not 1,462
