"""One batch job in its own process, for the tests that run several against one org.

    python -m tests.batch_worker BASE_URL API_KEY ROWS FIRST

sends ``ROWS`` chat completions (rows ``FIRST`` onwards) through ``AsyncPareta.batch`` and
prints the job's counters as one JSON line.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import anyio

from pareta import AsyncPareta


def rows(count: int, first: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"row-{i}",
            "model": "ep_contract_kie",
            "messages": [{"role": "user", "content": f"Effective as of 2026-05-{i % 28 + 1:02d}."}],
        }
        for i in range(first, first + count)
    ]


async def run(base_url: str, api_key: str, count: int, first: int) -> dict[str, Any]:
    errors: list[str] = []
    async with AsyncPareta(api_key=api_key, base_url=base_url) as pa:
        job = pa.batch(pa.chat.completions.create, rows(count, first), key="id")
        async with job:
            async for result in job:
                if result.error is not None:
                    errors.append(f"{type(result.error).__name__}: {result.error}")
    stats = job.stats
    return {
        "errors": errors[:5],
        "done": stats.done,
        "failed": stats.failed,
        "attempts": stats.attempts,
        "throttled": stats.throttled,
        "elapsed": stats.elapsed,
    }


def main() -> None:
    base_url, api_key, count, first = sys.argv[1:5]
    print(json.dumps(anyio.run(run, base_url, api_key, int(count), int(first))))


if __name__ == "__main__":
    main()
