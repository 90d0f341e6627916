"""Run the workloads of one client in this process and print one JSON line of results.

    python benchmarks/worker.py --client pareta-asyncio --url http://127.0.0.1:PORT \
        --workloads seq,c64,c256,stream --counts 400,512,1024,8

Each workload gets a fresh client. A request workload runs ``concurrency`` loops (tasks,
or threads for sync clients) that each send one request at a time, started a little
apart; the measurement window opens once the warm-up requests have completed (by then
the pool holds its connections) and closes after ``count`` more, so it sees steady state
at full concurrency; async requests still in flight then are cancelled. A stream
workload reads ``count`` streams one after the other, after one warm-up stream.

CPU is ``time.process_time()`` (every thread of this process; the server is another
process); wall time is kept for information. ``maxrss_kb`` is this process's peak RSS
over its whole life, imports included.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

from spec import BY_NAME, CONCURRENCY, STREAM, Kind, Unavailable

WARMUP_SEQUENTIAL = 20  # requests completed before a sequential measurement starts
WARMUP_ROUNDS = 1  # ... and per worker before a concurrent one (the pool is full by then)
# How far apart concurrent loops start (``--ramp-ms``). 0, the default, starts them all at
# once, as ``gather`` or a batch helper does; a ramp shows a pool's steady state without
# the burst (see README.md).
RAMP_S = 0.0

Result = dict[str, float]


class Clock:
    """CPU and wall time since creation, and the user/system split from getrusage."""

    def __init__(self) -> None:
        self._usage = resource.getrusage(resource.RUSAGE_SELF)
        self._cpu = time.process_time()
        self._wall = time.perf_counter()

    def stop(self, units: int) -> Result:
        cpu = time.process_time() - self._cpu
        wall = time.perf_counter() - self._wall
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "units": units,
            "cpu_s": cpu,
            "user_s": usage.ru_utime - self._usage.ru_utime,
            "sys_s": usage.ru_stime - self._usage.ru_stime,
            "wall_s": wall,
            "cpu_us_per_unit": cpu / units * 1e6,
        }


class Window:
    """A steady-state measurement over ``workers`` loops that each send one request at a time.

    The clock starts when ``warmup`` requests have completed and stops after ``measured``
    more; the loops keep going until then, so concurrency stays at ``workers`` for the
    whole window (the cold start and the tail are outside it).
    """

    def __init__(self, workers: int, measured: int) -> None:
        self.warmup = WARMUP_SEQUENTIAL if workers == 1 else WARMUP_ROUNDS * workers
        self.measured = measured
        self.completed = 0
        self.finished = False
        self.result: Result | None = None
        self._clock: Clock | None = None
        self._lock = threading.Lock()

    def done(self) -> None:
        """Count one completed request (thread-safe: the sync loops run in threads)."""
        with self._lock:
            self.completed += 1
            if self.completed == self.warmup:
                self._clock = Clock()
            elif self.completed == self.warmup + self.measured:
                assert self._clock is not None
                self.result = self._clock.stop(self.measured)
                self.finished = True


# -- async (asyncio and trio) -------------------------------------------------------------


async def run_loops(
    kind: Kind, request: Callable[[], Awaitable[None]], window: Window, workers: int
) -> None:
    """``workers`` loops of ``request`` started ``RAMP_S`` apart, until the window closes.

    The first loop to see the window closed cancels the others' requests in flight: the
    tail at falling concurrency is not measured, so it is not worth its time either.
    """

    async def loop() -> None:
        while not window.finished:
            await request()
            window.done()

    if workers == 1:
        await loop()
    elif kind == "trio":
        import trio

        async with trio.open_nursery() as nursery:

            async def staggered_trio(index: int) -> None:
                await trio.sleep(index * RAMP_S)
                await loop()
                nursery.cancel_scope.cancel()

            for index in range(workers):
                nursery.start_soon(staggered_trio, index)
    else:

        async def staggered(index: int) -> None:
            await asyncio.sleep(index * RAMP_S)
            await loop()

        tasks = [asyncio.ensure_future(staggered(index)) for index in range(workers)]
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for task in done:
            task.result()  # a loop that failed fails the run


async def measure_async(kind: Kind, name: str, url: str, workload: str, count: int) -> Result:
    from drivers_async import open_driver

    driver = open_driver(name, url)
    try:
        if workload == STREAM:
            await driver.stream()
            gc.collect()
            clock = Clock()
            chunks = 0
            for _ in range(count):
                chunks += await driver.stream()
            return clock.stop(chunks)
        window = Window(CONCURRENCY[workload], count)
        gc.collect()
        await run_loops(kind, driver.request, window, CONCURRENCY[workload])
        assert window.result is not None
        return window.result
    finally:
        await driver.aclose()


def run_async_client(
    kind: Kind, name: str, url: str, plan: list[tuple[str, int]]
) -> dict[str, Result]:
    async def main() -> dict[str, Result]:
        return {w: await measure_async(kind, name, url, w, n) for w, n in plan}

    if kind == "trio":
        import trio

        return trio.run(main)
    return asyncio.run(main())


# -- sync -----------------------------------------------------------------------------------


def measure_sync(name: str, url: str, workload: str, count: int) -> Result:
    from drivers_sync import open_sync_driver

    driver = open_sync_driver(name, url)
    try:
        if workload == STREAM:
            driver.stream()
            gc.collect()
            clock = Clock()
            chunks = sum(driver.stream() for _ in range(count))
            return clock.stop(chunks)
        workers = CONCURRENCY[workload]
        window = Window(workers, count)

        def loop(index: int = 0) -> None:
            time.sleep(index * RAMP_S)
            while not window.finished:
                driver.request()
                window.done()

        gc.collect()
        if workers == 1:
            loop()
        else:
            # Threads start during the warm-up, outside the window.
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(loop, range(workers)))
        assert window.result is not None
        return window.result
    finally:
        driver.close()


def run_sync_client(name: str, url: str, plan: list[tuple[str, int]]) -> dict[str, Result]:
    return {w: measure_sync(name, url, w, n) for w, n in plan}


# -- entry point ----------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--client", required=True, choices=sorted(BY_NAME))
    parser.add_argument("--url", required=True)
    parser.add_argument("--workloads", required=True, help="comma-separated workload names")
    parser.add_argument("--counts", required=True, help="comma-separated, one per workload")
    parser.add_argument("--cpus", default="", help="comma-separated CPUs to pin this process to")
    parser.add_argument("--ramp-ms", type=int, default=0, help="ms between loop starts")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    global RAMP_S
    RAMP_S = args.ramp_ms / 1000
    if args.cpus and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(cpu) for cpu in args.cpus.split(",")})
    client = BY_NAME[args.client]
    counts = [int(n) for n in args.counts.split(",")]
    plan = list(zip(args.workloads.split(","), counts, strict=True))
    try:
        if client.kind == "sync":
            results = run_sync_client(client.name, args.url, plan)
        else:
            results = run_async_client(client.kind, client.name, args.url, plan)
    except Unavailable as exc:
        print(json.dumps({"client": client.name, "unavailable": str(exc)}))
        return
    maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"client": client.name, "results": results, "maxrss_kb": maxrss_kb}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
