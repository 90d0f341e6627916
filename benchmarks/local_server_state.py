"""Does the local server slow down as its state grows?

Sends ``--slices`` × ``--per-slice`` chat completions to an in-process `LocalServer` with
the sync SDK, one at a time (each POST carries its own ``Idempotency-Key``, so the server
also remembers every answer), and prints the requests/s of every slice, then the first,
the last and their ratio. A hot path that is O(1) in the state size keeps the ratio near 1
(target: last >= 0.9 × first). Client and server share this process, so requests per
second of its CPU time are printed too, and the time spent in the garbage collector's
full collections (which walk every object the state holds): on a busy machine those are
the steadier measures.

    python benchmarks/local_server_state.py                  # 2 × 15,000 requests
    python benchmarks/local_server_state.py --per-slice 2000 # a quick look
"""

from __future__ import annotations

import argparse
import gc
import time
from typing import Any

from pareta import Pareta
from pareta.local import LocalServer

CONTRACT = (
    "This Agreement is entered into between Acme Corp and Globex LLC, effective as of "
    "January 1, 2026. Annual fee: $48,000. Governed by the laws of the State of Delaware."
)


class CollectorClock:
    """Time spent in the garbage collector's full collections: what a growing state costs."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.full = 0
        self._started = 0.0
        gc.callbacks.append(self)

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.full += 1


def run_slice(client: Pareta, count: int, collector: CollectorClock) -> tuple[float, float, str]:
    """Requests per second of wall time and of this process's CPU time; time in full GCs."""
    wall, cpu = time.perf_counter(), time.process_time()
    gc_seconds, full = collector.seconds, collector.full
    for _ in range(count):
        client.chat.completions.create(
            model="ep_contract_kie",
            messages=[{"role": "user", "content": CONTRACT}],
        )
    wall_rate = count / (time.perf_counter() - wall)
    cpu_rate = count / (time.process_time() - cpu)
    collected = (
        f"{collector.full - full} full GCs, {(collector.seconds - gc_seconds) * 1000:.0f} ms"
    )
    return wall_rate, cpu_rate, collected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=2)
    parser.add_argument("--per-slice", type=int, default=15_000)
    args = parser.parse_args()
    balance = 10**15
    with (
        LocalServer(balance=balance) as server,
        Pareta(api_key=server.api_key, base_url=server.base_url) as client,
    ):
        collector = CollectorClock()
        run_slice(client, 200, collector)  # warm-up: imports, connection, caches
        rates = []
        for n in range(args.slices):
            wall, cpu, collected = run_slice(client, args.per_slice, collector)
            rates.append((wall, cpu))
            print(
                f"slice {n + 1}: {wall:8.1f} requests/s, {cpu:8.1f} per CPU-second ({collected})",
                flush=True,
            )
    (first, first_cpu), (last, last_cpu) = rates[0], rates[-1]
    total = args.slices * args.per_slice
    print(f"first {first:.1f} req/s, last {last:.1f} req/s after {total} requests")
    print(f"ratio last/first = {last / first:.3f} (target >= 0.9)")
    print(f"per CPU-second: ratio last/first = {last_cpu / first_cpu:.3f}")


if __name__ == "__main__":
    main()
