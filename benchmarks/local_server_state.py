"""Does the local server slow down as its state grows?

Sends ``--slices`` × ``--per-slice`` chat completions to an in-process `LocalServer` with
the sync SDK, one at a time (each POST carries its own ``Idempotency-Key``, so the server
also remembers every answer), and prints the requests/s of every slice, then the first,
the last and their ratio. A hot path that is O(1) in the state size keeps the ratio near 1
(target: last >= 0.9 × first).

    python benchmarks/local_server_state.py                  # 2 × 15,000 requests
    python benchmarks/local_server_state.py --per-slice 2000 # a quick look
"""

from __future__ import annotations

import argparse
import time

from pareta import Pareta
from pareta.local import LocalServer

CONTRACT = (
    "This Agreement is entered into between Acme Corp and Globex LLC, effective as of "
    "January 1, 2026. Annual fee: $48,000. Governed by the laws of the State of Delaware."
)


def run_slice(client: Pareta, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        client.chat.completions.create(
            model="ep_contract_kie",
            messages=[{"role": "user", "content": CONTRACT}],
        )
    return count / (time.perf_counter() - started)


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
        run_slice(client, 200)  # warm-up: imports, connection, caches
        rates = []
        for n in range(args.slices):
            rate = run_slice(client, args.per_slice)
            rates.append(rate)
            print(f"slice {n + 1}: {rate:8.1f} requests/s", flush=True)
    first, last = rates[0], rates[-1]
    total = args.slices * args.per_slice
    print(f"first {first:.1f} req/s, last {last:.1f} req/s after {total} requests")
    print(f"ratio last/first = {last / first:.3f} (target >= 0.9)")


if __name__ == "__main__":
    main()
