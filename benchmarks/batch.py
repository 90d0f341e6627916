"""Batch jobs: rate adaptation, memory and CPU per row, as ratios and counts.

    python benchmarks/batch.py rate      # 6,000 rows against --rate-limit 100 (about 70 s)
    python benchmarks/batch.py memory    # peak RSS for 100k and 1M rows (about 5 min)
    python benchmarks/batch.py cpu       # CPU per row: the engine against the previous fan-out
    python benchmarks/batch.py twins     # CPU per row against pareta.local: async vs sync twin
    python benchmarks/batch.py all --quick

Resuming a job of a million rows, and its status, are measured by ``resume.py``.

Each prints its numbers and PASS/FAIL against the targets. Everything runs on this
machine against loopback or an in-process ``httpx.MockTransport``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx

from pareta import AsyncPareta, Pareta

HERE = Path(__file__).resolve().parent
ANSWER = json.dumps(
    {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10},
    }
).encode()


def verdict(ok: bool, text: str) -> str:
    return f"{'PASS' if ok else 'FAIL'}  {text}"


def rows(n: int, *, start: int = 0) -> Iterator[dict[str, Any]]:
    for i in range(start, start + n):
        yield {
            "id": f"row-{i}",
            "model": "ep_contract_kie",
            "messages": [{"role": "user", "content": f"Effective as of 2026-07-{i % 28 + 1:02d}."}],
        }


def mocked_client(on_request: Callable[[], None] | None = None) -> AsyncPareta:
    headers = {"content-type": "application/json", "x-request-id": "req_1"}

    def answer(request: httpx.Request) -> httpx.Response:
        if on_request is not None:
            on_request()
        return httpx.Response(200, content=ANSWER, headers=headers)

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return AsyncPareta(api_key="pareta_sk_bench", base_url="http://bench.test", http_client=http)


# --- rate: a token-bucket server, 50 ms latency ------------------------------------------


def rate(quick: bool) -> list[str]:
    total = 1500 if quick else 6000
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "pareta.local", "--port", str(port), "--rate-limit", "100",
            "--rate-burst", "10", "--api-key", "pareta_sk_local_bench",
            "--fault", "POST /v1/chat/completions latency=50ms",
        ],
        stdout=subprocess.DEVNULL,  # its access log, unread, would fill a pipe and stall it
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(port)
        stats, series = anyio.run(run_rated, f"http://127.0.0.1:{port}", total)
    finally:
        server.terminate()
        server.wait()
    ramp = 10.0
    late = [t for t in series if t >= ramp]
    sustained = len(late) / (series[-1] - ramp) if late and series[-1] > ramp else 0.0
    share = stats.throttled / stats.attempts
    print(
        f"rate: {total} rows in {stats.elapsed:.1f} s; after a {ramp:.0f} s ramp "
        f"{sustained:.1f} rows/s against a limit of 100/s; {stats.throttled} of "
        f"{stats.attempts} attempts answered 429 ({share:.2%}); {stats.failed} rows failed"
    )
    return [
        verdict(sustained >= 90, f"sustains ≥ 90% of the limit after the ramp ({sustained:.1f}/s)"),
        verdict(share <= 0.03, f"≤ 3% of attempts answered 429 ({share:.2%})"),
        verdict(stats.failed == 0, f"0 rows fail ({stats.failed})"),
    ]


async def run_rated(base_url: str, total: int) -> tuple[Any, list[float]]:
    finished: list[float] = []
    started = time.monotonic()
    async with AsyncPareta(api_key="pareta_sk_local_bench", base_url=base_url) as pa:
        job = pa.batch(pa.chat.completions.create, rows(total), key="id", max_in_flight=256)
        async with job:
            async for _ in job:
                finished.append(time.monotonic() - started)
    return job.stats, finished


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/v1/tasks", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the local server did not start")


# --- memory: peak RSS of a job over a MockTransport -------------------------------------


def memory(quick: bool) -> list[str]:
    sizes = [10_000, 100_000] if quick else [100_000, 1_000_000]
    peaks = {n: child_peak_mb(n) for n in sizes}
    small, large = peaks[sizes[0]], peaks[sizes[-1]]
    flat = large / small
    for n, peak in peaks.items():
        print(
            f"memory: {n:>9,} rows through pa.batch (with a results file): peak RSS {peak:.1f} MB"
        )
    return [
        verdict(large <= 100, f"peak RSS for {sizes[-1]:,} rows ≤ 100 MB ({large:.1f} MB)"),
        verdict(flat <= 1.2, f"flat: {sizes[-1]:,} rows ≤ 1.2 × {sizes[0]:,} rows ({flat:.2f}×)"),
    ]


def child_peak_mb(n: int) -> float:
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "_memory_child", str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.split()[-1])


def memory_child(n: int) -> None:
    async def main() -> None:
        with tempfile.TemporaryDirectory() as folder:
            async with mocked_client() as pa:
                job = pa.batch(
                    pa.chat.completions.create, rows(n), output=Path(folder) / "out.jsonl"
                )
                await job.wait()
            assert job.stats.done == n

    anyio.run(main)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


# --- cpu: the engine against the previous fan-out ---------------------------------------


def cpu(quick: bool) -> list[str]:
    from baseline_fanout import arun_batch

    n = 5_000 if quick else 20_000
    results: dict[str, list[float]] = {
        "previous create_many": [],
        "create_many": [],
        "pa.batch": [],
    }
    for _ in range(3):
        for name in results:
            results[name].append(anyio.run(cpu_per_row, name, n, arun_batch))
    per_row = {name: min(times) for name, times in results.items()}
    for name, value in per_row.items():
        print(f"cpu: {name:<22} {value:7.1f} µs a row (best of 3, {n:,} rows, 256 in flight)")
    base = per_row["previous create_many"]
    ratio = per_row["create_many"] / base
    streamed = per_row["pa.batch"] / base
    target = "CPU per row ≤ 1.1 × the previous engine"
    return [
        verdict(ratio <= 1.1, f"create_many {target} ({ratio:.2f}×)"),
        verdict(streamed <= 1.1, f"pa.batch {target} ({streamed:.2f}×)"),
    ]


async def cpu_per_row(name: str, n: int, previous: Callable[..., Awaitable[Any]]) -> float:
    requests = list(rows(n))
    async with mocked_client() as pa:
        started = time.process_time()
        if name == "previous create_many":
            await previous(pa.chat.completions.create, requests, concurrency=256)
        elif name == "create_many":
            await pa.chat.completions.create_many(requests, concurrency=256)
        else:
            await pa.batch(pa.chat.completions.create, requests, max_in_flight=256).wait()
        return (time.process_time() - started) / n * 1e6


# --- twins: the async client's CPU per row against its sync twin's, over sockets ----------


def twins(quick: bool) -> list[str]:
    """``pa.batch`` against ``python -m pareta.local`` in its own process: the client's CPU
    per row on asyncio and trio against the sync twin (256 threads), rounds interleaved.
    The ratio is the median of each round's own ratio: a round's three jobs run within a
    minute of each other, while this machine's load swings from one minute to the next."""
    total, rounds = (1000, 3) if quick else (3000, 5)
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "pareta.local", "--port", str(port),
            "--api-key", "pareta_sk_local_bench", "--balance", str(10**15),
            "--log-level", "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    per_row: dict[str, list[float]] = {"asyncio": [], "trio": [], "sync": []}
    try:
        wait_for(port)
        for _ in range(rounds):
            per_row["asyncio"].append(anyio.run(async_batch_cpu, url, total))
            per_row["trio"].append(anyio.run(async_batch_cpu, url, total, backend="trio"))
            per_row["sync"].append(sync_batch_cpu(url, total))
    finally:
        server.terminate()
        server.wait()
    for name, values in per_row.items():
        runs = ", ".join(f"{value:.0f}" for value in values)
        print(f"twins: {name:<8} {statistics.median(values):6.0f} µs of client CPU a row "
              f"(median; rounds {runs})")  # fmt: skip
    on_asyncio, on_trio = (
        statistics.median(a / b for a, b in zip(per_row[lib], per_row["sync"], strict=True))
        for lib in ("asyncio", "trio")
    )
    print(
        f"twins: asyncio {on_asyncio:.2f}× and trio {on_trio:.2f}× the sync twin's CPU a row "
        "(median of the rounds' own ratios)"
    )
    return [
        verdict(
            on_asyncio <= 0.65,
            f"pa.batch of {total:,} rows: asyncio CPU a row ≤ 0.65 × the sync twin's "
            f"({on_asyncio:.2f}×)",
        )
    ]


async def async_batch_cpu(url: str, total: int) -> float:
    async with AsyncPareta(api_key="pareta_sk_local_bench", base_url=url) as pa:
        await pa.batch(pa.chat.completions.create, rows(64), max_in_flight=256).wait()
        started = time.process_time()
        stats = await pa.batch(pa.chat.completions.create, rows(total), max_in_flight=256).wait()
        spent = time.process_time() - started
    assert stats.done == total, stats
    return spent / total * 1e6


def sync_batch_cpu(url: str, total: int) -> float:
    with Pareta(api_key="pareta_sk_local_bench", base_url=url) as pa:
        pa.batch(pa.chat.completions.create, rows(64), max_in_flight=256).wait()
        started = time.process_time()
        stats = pa.batch(pa.chat.completions.create, rows(total), max_in_flight=256).wait()
        spent = time.process_time() - started
    assert stats.done == total, stats
    return spent / total * 1e6


BENCHMARKS = {"rate": rate, "memory": memory, "cpu": cpu, "twins": twins}


def main() -> None:
    if sys.argv[1:2] == ["_memory_child"]:
        memory_child(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("which", choices=[*BENCHMARKS, "all"])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a quick look")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    verdicts = []
    for name, bench in BENCHMARKS.items():
        if args.which in (name, "all"):
            verdicts += bench(args.quick)
    print("\n".join(verdicts))
    if os.environ.get("CI") and any(v.startswith("FAIL") for v in verdicts):
        sys.exit(1)


if __name__ == "__main__":
    main()
