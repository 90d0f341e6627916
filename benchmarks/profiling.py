"""Profile one client's workload with cProfile and name the hot spots.

    python benchmarks/profiling.py                          # pareta-asyncio, seq and c256
    python benchmarks/profiling.py --client pareta-trio --workloads stream --count 20
    python benchmarks/profiling.py --layers --client pareta-asyncio pareta-trio pareta-sync

Prints, per workload, the top functions by own time overall and those in pareta's own
code (by own and by cumulative time); with ``--layers``, the own time and the calls of
each layer of the stack (the SDK, its network backend, httpx, httpcore, h11, anyio and
sniffio, the event loop, the rest of the standard library) per request, side by side
for each client. Warm-up is inside the profile: the hot spots are
the same, and cProfile's overhead inflates every number anyway, so read the ranking,
not the absolute times. (Not named profile.py: that would shadow the stdlib module.)
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import sys
import time
from typing import Any

from procs import choose_pinning, loopback_server
from spec import BY_NAME, WORKLOADS
from worker import measure_async, measure_sync

PARETA_CODE = f"{os.sep}pareta{os.sep}"


def profile_workload(
    client: str, url: str, workload: str, count: int, cpu: bool = False
) -> pstats.Stats:
    """cProfile of one workload; with ``cpu``, timed by CPU time, so that waiting for the
    server (in ``select``, or a blocking ``recv``) counts for nothing."""
    spec = BY_NAME[client]
    profiler = cProfile.Profile(time.process_time) if cpu else cProfile.Profile()
    profiler.enable()
    if spec.kind == "sync":
        measure_sync(client, url, workload, count)
    elif spec.kind == "trio":
        import trio

        trio.run(measure_async, "trio", client, url, workload, count)
    else:
        asyncio.run(measure_async("asyncio", client, url, workload, count))
    profiler.disable()
    return pstats.Stats(profiler)


def listing(stats: pstats.Stats, sort: str, top: int, only: str | None = None) -> str:
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats(sort)
    if only is None:
        stats.print_stats(top)
    else:
        stats.print_stats(only.replace(os.sep, "."), top)
    lines = out.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    return "\n".join(lines[start:]).rstrip()


# A function's layer, from the first of these found in its file's path.
LAYERS: tuple[tuple[str, str], ...] = (
    (f"{os.sep}pareta{os.sep}_network{os.sep}", "network backend (pareta._network)"),
    (PARETA_CODE, "SDK (pareta)"),
    (f"{os.sep}httpx{os.sep}", "httpx"),
    (f"{os.sep}httpcore{os.sep}", "httpcore (pool, HTTP/1.1)"),
    (f"{os.sep}h11{os.sep}", "h11"),
    (f"{os.sep}anyio{os.sep}", "anyio, sniffio"),
    (f"{os.sep}sniffio{os.sep}", "anyio, sniffio"),
    (f"{os.sep}asyncio{os.sep}", "event loop (asyncio, trio, selectors)"),
    (f"{os.sep}trio{os.sep}", "event loop (asyncio, trio, selectors)"),
    (f"{os.sep}selectors.py", "event loop (asyncio, trio, selectors)"),
)
OTHER = "rest (stdlib: json, uuid, email, contextlib...)"
Key = tuple[str, int, str]


def layer_of(filename: str) -> str:
    return next((name for marker, name in LAYERS if marker in filename), OTHER)


def by_layer(stats: pstats.Stats, units: int) -> dict[str, tuple[float, float]]:
    """``{layer: (own µs, calls)}`` per unit. A built-in function (``len``, ``socket.send``)
    counts in the layer of the code that called it, in proportion to its time there."""
    own: dict[str, float] = {}
    calls: dict[str, float] = {}
    table: dict[Key, Any] = stats.stats  # type: ignore[attr-defined]
    for (filename, _, _), (_, ncalls, tottime, _, callers) in table.items():
        if filename == "~" and callers:
            for (caller_file, _, _), caller in callers.items():
                layer = layer_of(caller_file)
                own[layer] = own.get(layer, 0.0) + caller[2]
            continue
        layer = layer_of(filename)
        own[layer] = own.get(layer, 0.0) + tottime
        calls[layer] = calls.get(layer, 0.0) + ncalls
    return {
        layer: (own[layer] / units * 1e6, calls.get(layer, 0.0) / units)
        for layer in sorted(own, key=own.__getitem__, reverse=True)
    }


def layers_table(results: dict[str, dict[str, tuple[float, float]]]) -> str:
    clients = list(results)
    names = list(dict.fromkeys(layer for table in results.values() for layer in table))
    header = "| layer | " + " | ".join(f"{c} µs (calls)" for c in clients) + " |"
    lines = [header, "|---|" + "---|" * len(clients)]
    for name in names:
        cells = []
        for client in clients:
            micros, count = results[client].get(name, (0.0, 0.0))
            cells.append(f"{micros:.0f} ({count:.0f})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    totals = [sum(m for m, _ in results[c].values()) for c in clients]
    lines.append("| total | " + " | ".join(f"{t:.0f}" for t in totals) + " |")
    return "\n".join(lines)


def main_layers(clients: list[str], workloads: list[str], count: int | None) -> None:
    pinning = choose_pinning(True)
    if pinning.clients and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(cpu) for cpu in pinning.clients.split(",")})
    defaults = {"seq": 2000, "c64": 1024, "c256": 1024, "stream": 20}
    with loopback_server(200, pinning) as url:
        for workload in workloads:
            n = count or defaults[workload]
            results = {}
            for client in clients:
                if workload != "seq" and BY_NAME[client].kind == "sync":
                    continue  # its requests run on threads, which cProfile does not see
                stats = profile_workload(client, url, workload, n, cpu=True)
                # Warm-up requests run inside the profile too: about 20 or one round more.
                results[client] = by_layer(stats, n)
            title = f"{workload}, {n} requests: own CPU time under cProfile, µs (calls) a request"
            print(f"\n### {title}\n")
            print(layers_table(results))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--client", nargs="+", default=["pareta-asyncio"], choices=sorted(BY_NAME))
    parser.add_argument("--layers", action="store_true", help="own time and calls per layer")
    parser.add_argument("--workloads", nargs="+", default=["seq", "c256"], choices=WORKLOADS)
    parser.add_argument("--count", type=int, default=None, help="requests (streams)")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--chunks", type=int, default=200)
    args = parser.parse_args(argv)
    if args.layers:
        main_layers(args.client, args.workloads, args.count)
        return
    pinning = choose_pinning(True)
    if pinning.clients and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(cpu) for cpu in pinning.clients.split(",")})
    defaults = {"seq": 2000, "c64": 1024, "c256": 1024, "stream": 20}
    with loopback_server(args.chunks, pinning) as url:
        for workload in args.workloads:
            count = args.count or defaults[workload]
            for client in args.client:
                stats = profile_workload(client, url, workload, count)
                print(f"\n### {client} {workload} ({count}): top by own time\n")
                print(listing(stats, "tottime", args.top))
                print(f"\n### {client} {workload}: pareta's own code by own time\n")
                print(listing(stats, "tottime", args.top, only=PARETA_CODE))
                print(f"\n### {client} {workload}: pareta's own code by cumulative time\n")
                print(listing(stats, "cumulative", args.top, only=PARETA_CODE))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
