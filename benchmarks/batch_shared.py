"""Batch jobs in several processes on one org's key, sharing its rate limit.

    python benchmarks/batch_shared.py              # 2 processes at 100/s, 4 at 200/s
    python benchmarks/batch_shared.py --quick      # 1,000 rows a process instead of 3,000

Each process is one ``AsyncPareta.batch`` job of distinct rows against one
``python -m pareta.local --rate-limit L --rate-burst 10`` with 50 ms of latency on every
completion, all started together. Printed per run: the share of the limit the processes
answered together after a 10 s ramp, each process's share of attempts answered 429, the
slower process's rows a second against the faster's, and failed rows; then PASS/FAIL
against the targets (≥ 90% of the limit, ≤ 3% 429s each, ≥ 0.75, 0 failed).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio

from pareta import AsyncPareta

HERE = Path(__file__).resolve().parent
KEY = "pareta_sk_local_shared"
RAMP = 10.0


async def one_process(base_url: str, count: int, first: int) -> dict[str, Any]:
    """A worker's job: its rows' finish times (wall clock) and its counters."""
    from batch import rows

    finished: list[float] = []
    async with AsyncPareta(api_key=KEY, base_url=base_url) as pa:
        job = pa.batch(pa.chat.completions.create, rows(count, start=first), key="id")
        async with job:
            async for _ in job:
                finished.append(time.time())
    stats = job.stats
    return {
        "finished": finished,
        "failed": stats.failed,
        "attempts": stats.attempts,
        "throttled": stats.throttled,
    }


def run(processes: int, limit: int, count: int) -> list[str]:
    from batch import free_port, verdict, wait_for

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "pareta.local", "--port", str(port), "--rate-limit",
            str(limit), "--rate-burst", "10", "--api-key", KEY,
            "--fault", "POST /v1/chat/completions latency=50ms",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(port)
        base_url = f"http://127.0.0.1:{port}"
        workers = [
            subprocess.Popen(
                [sys.executable, __file__, "_worker", base_url, str(count), str(i * count)],
                stdout=subprocess.PIPE,
                text=True,
            )
            for i in range(processes)
        ]
        reports = [json.loads(w.communicate()[0]) for w in workers]
    finally:
        server.terminate()
        server.wait()
    start = min(min(r["finished"]) for r in reports)
    end = min(max(r["finished"]) for r in reports)  # while every process still ran
    together = sum(1 for r in reports for t in r["finished"] if start + RAMP <= t <= end)
    share = together / ((end - start - RAMP) * limit) if end - start > RAMP else 0.0
    refused = [r["throttled"] / r["attempts"] for r in reports]
    speeds = [len(r["finished"]) / (max(r["finished"]) - start) for r in reports]
    fairness = min(speeds) / max(speeds)
    failed = sum(r["failed"] for r in reports)
    print(
        f"shared: {processes} processes × {count} rows at --rate-limit {limit}: "
        f"{share:.1%} of the limit together after a {RAMP:.0f} s ramp; 429s "
        + ", ".join(f"{r:.2%}" for r in refused)
        + f" of each one's attempts; slower/faster {fairness:.2f}; {failed} rows failed"
    )
    label = f"{processes} at {limit}/s"
    return [
        verdict(share >= 0.9, f"{label}: ≥ 90% of the limit together ({share:.1%})"),
        verdict(max(refused) <= 0.03, f"{label}: ≤ 3% 429s each ({max(refused):.2%})"),
        verdict(fairness >= 0.75, f"{label}: slower ≥ 0.75 × faster ({fairness:.2f})"),
        verdict(failed == 0, f"{label}: 0 rows failed ({failed})"),
    ]


def main() -> None:
    sys.path.insert(0, str(HERE))
    if sys.argv[1:2] == ["_worker"]:
        base_url, count, first = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        print(json.dumps(anyio.run(one_process, base_url, count, first)))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 rows a process")
    args = parser.parse_args()
    count = 1000 if args.quick else 3000
    verdicts = run(2, 100, count) + run(4, 200, count)
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
