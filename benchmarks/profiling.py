"""Profile one client's workload with cProfile and name the hot spots.

    python benchmarks/profiling.py                          # pareta-asyncio, seq and c256
    python benchmarks/profiling.py --client pareta-trio --workloads stream --count 20

Prints, per workload, the top functions by own time overall and those in pareta's own
code (by own and by cumulative time). Warm-up is inside the profile: the hot spots are
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

from procs import choose_pinning, loopback_server
from spec import BY_NAME, WORKLOADS
from worker import measure_async, measure_sync

PARETA_CODE = f"{os.sep}pareta{os.sep}"


def profile_workload(client: str, url: str, workload: str, count: int) -> pstats.Stats:
    spec = BY_NAME[client]
    profiler = cProfile.Profile()
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--client", default="pareta-asyncio", choices=sorted(BY_NAME))
    parser.add_argument("--workloads", nargs="+", default=["seq", "c256"], choices=WORKLOADS)
    parser.add_argument("--count", type=int, default=None, help="requests (streams)")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--chunks", type=int, default=200)
    args = parser.parse_args(argv)
    pinning = choose_pinning(True)
    if pinning.clients and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(cpu) for cpu in pinning.clients.split(",")})
    defaults = {"seq": 2000, "c64": 1024, "c256": 1024, "stream": 20}
    with loopback_server(args.chunks, pinning) as url:
        for workload in args.workloads:
            count = args.count or defaults[workload]
            stats = profile_workload(args.client, url, workload, count)
            print(f"\n### {args.client} {workload} ({count}): top by own time\n")
            print(listing(stats, "tottime", args.top))
            print(f"\n### {args.client} {workload}: pareta's own code by own time\n")
            print(listing(stats, "tottime", args.top, only=PARETA_CODE))
            print(f"\n### {args.client} {workload}: pareta's own code by cumulative time\n")
            print(listing(stats, "cumulative", args.top, only=PARETA_CODE))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
