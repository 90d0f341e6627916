"""Rows a second past one machine: pa.batch in one process, Ray Data with two actors
(pareta.ray), and the Dask recipe of docs/cluster.md with two worker processes.

    python benchmarks/cluster.py [--rows 4000] [--latency 50ms] [--actors 2]

All three answer the same rows against ``python -m pareta.local`` (its own process, with
a latency fault on chat completions so that the run is bound by waiting, as it is against
a real model), each as a fresh org. Figures per engine: the start of its cluster (a Ray
or Dask user has one running already), the wall time of the job on it (from handing over
the rows to having every answer back: Ray's actors and Dask's clients start inside it),
the pace while rows were answered, from the first debit in the server's ledger to the
last, and the server's CPU time per row (it shares the machine's cores with the engines).

Ray runs twice: on a new cluster ("ray, new": the first dataset of a driver and a cluster
also starts Ray Data's own actors), and on a cluster that has run a dataset before ("ray").
On the latter, the same dataset through a class that sends no request measures Ray Data's
own share of a job. Needs the ``cluster`` dependency group (``nox -s cluster`` installs it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import httpx

from pareta import AsyncPareta

ROOT = Path(__file__).resolve().parent.parent
MODEL = "ep_contract_kie"
JOB = "bench-cluster"


def rows(count: int) -> list[dict[str, Any]]:
    return [{"id": f"r{i}", "prompt": f"Effective 2026-01-{i % 28 + 1:02d}."} for i in range(count)]


class Server(NamedTuple):
    url: str
    pid: int

    def cpu(self) -> float:
        """CPU seconds the server's process has used so far."""
        import psutil  # type: ignore[import-untyped,unused-ignore]  # with dask's distributed

        times = psutil.Process(self.pid).cpu_times()
        return float(times.user + times.system)


@contextmanager
def local_server(latency: str) -> Iterator[Server]:
    """``python -m pareta.local`` on a free port."""
    command = [sys.executable, "-m", "pareta.local", "--port", "0", "--log-level", "warning"]
    command += ["--fault", f"POST /v1/chat/completions latency={latency}"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        found = re.search(r"running at (\S+)", process.stdout.readline())
        if found is None:
            raise RuntimeError("the local server did not start")
        yield Server(found.group(1), process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)


def fresh_key(base_url: str, any_key: str = "pareta_sk_bench") -> str:
    return str(httpx.post(f"{base_url}/admin/keys", headers=auth(any_key)).json()["api_key"])


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def ledger(base_url: str, key: str) -> list[dict[str, Any]]:
    entries = httpx.get(f"{base_url}/admin/ledger", headers=auth(key)).json()["entries"]
    return list(entries)


Timed = tuple[int, float, float, float]  # rows answered, seconds to start, job began, ended


def one_process(data: list[dict[str, Any]]) -> Timed:
    async def run() -> int:
        async with AsyncPareta.from_env() as pa:
            calls = [
                {
                    "id": r["id"],
                    "model": MODEL,
                    "messages": [{"role": "user", "content": r["prompt"]}],
                }
                for r in data
            ]
            stats = await pa.batch(pa.chat.completions.create, calls, key="id", job=JOB).wait()
            return stats.done

    started = time.time()
    answered = asyncio.run(run())
    return answered, 0.0, started, time.time()


@contextmanager
def ray_cluster(actors: int) -> Iterator[float]:
    """A local Ray cluster with a CPU per actor; yields the seconds it took to start.

    The actors inherit PARETA_API_KEY and PARETA_BASE_URL from this process, as a local
    cluster's do (a runtime_env would cost each new worker process a second start)."""
    import ray
    import ray.data

    started = time.time()
    ray.init(address="local", num_cpus=actors, include_dashboard=False, log_to_driver=False)
    try:
        yield time.time() - started
    finally:
        ray.shutdown()


def warm_up_ray_data() -> None:
    """One small dataset, as a cluster in use has run before: Ray Data plans its first
    dataset in a process once, and starts its own statistics actor once per cluster."""
    import ray.data

    ray.data.range(4, override_num_blocks=2).materialize()


class Unanswered:
    """A callable class that sends nothing: the rows come back with no answer."""

    def __init__(self, **_: Any) -> None:
        pass

    async def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        return {**batch, "error": [None] * len(batch["id"])}


def ray_data_alone(data: list[dict[str, Any]], actors: int) -> float:
    """Seconds Ray Data takes for the dataset with a class that sends nothing: its actors
    start, its batches move. Prints them."""
    began = time.time()
    on_ray(data, actors, 0.0, Unanswered)
    own = time.time() - began
    print(f"ray data  the same dataset, no requests: {own:4.1f} s")
    return own


def on_ray(
    data: list[dict[str, Any]], actors: int, started: float, udf: type | None = None
) -> Timed:
    """One dataset through pareta.ray (or ``udf``) on the running cluster: its actors start
    inside."""
    import ray.data

    from pareta.ray import ChatCompletions

    working = time.time()
    answered = (
        ray.data.from_items(data)
        .map_batches(
            udf or ChatCompletions,
            fn_constructor_kwargs={"job": JOB, "key": "id", "model": MODEL},
            compute=ray.data.ActorPoolStrategy(size=actors),
            batch_size=len(data) // (2 * actors),
        )
        .take_all()
    )
    done = time.time()
    return sum(r["error"] is None for r in answered), started, working, done


def on_dask(data: list[dict[str, Any]], workers: int) -> Timed:
    import dask.bag as db
    from dask.distributed import Client, LocalCluster

    recipe = dask_recipe()
    started = time.time()
    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None) as cluster,  # type: ignore[no-untyped-call,unused-ignore]
        Client(cluster) as client,  # type: ignore[no-untyped-call,unused-ignore]
    ):
        working = time.time()
        client.register_plugin(recipe["ParetaClient"]())
        bag = db.from_sequence(data, npartitions=workers)  # type: ignore[no-untyped-call,unused-ignore]
        partitions = client.compute(bag.to_delayed())
        answered = client.gather(client.map(recipe["answer"], partitions))
        done = time.time()
    ok = sum(r["error"] is None for part in answered for r in part)
    return ok, working - started, working, done


def dask_recipe() -> dict[str, Any]:
    """The Dask recipe of docs/cluster.md, as written there (its functions, not its main block)."""
    page = (ROOT / "docs" / "cluster.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", page, flags=re.S)
    (block,) = [b for b in blocks if "WorkerPlugin" in b]
    namespace: dict[str, Any] = {"__name__": "dask_recipe"}
    exec(compile(block, "docs/cluster.md (Dask recipe)", "exec"), namespace)
    return namespace


def fresh_org(base_url: str) -> str:
    """A new org's key, set in the environment for the clients (and a cluster's workers)
    that start from here on."""
    key = fresh_key(base_url)
    os.environ["PARETA_API_KEY"], os.environ["PARETA_BASE_URL"] = key, base_url
    return key


def measure(
    name: str, server: Server, run: Callable[[], Timed], count: int, key: str | None = None
) -> tuple[float, float]:
    """Prints the figures of one engine, run as ``key``'s org (else a fresh one); returns
    its rows a second of work and of answering."""
    key = key or fresh_org(server.url)
    cpu = server.cpu()
    answered, start, began, ended = run()
    cpu = server.cpu() - cpu
    work = ended - began
    debits = ledger(server.url, key)
    times = sorted(entry["created"] for entry in debits)
    keys = {entry["idempotency_key"] for entry in debits}
    pace = (len(times) - 1) / (times[-1] - times[0])
    print(
        f"{name:<9} {answered}/{count} answered, {len(debits)} debits ({len(keys)} keys); "
        f"cluster start {start:4.1f} s; job {work:4.1f} s = {count / work:5.1f} rows/s, "
        f"first answer after {times[0] - began:4.1f} s; answering {pace:5.1f} rows/s; "
        f"server CPU {cpu / count * 1000:.2f} ms a row"
    )
    return count / work, pace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4000)
    parser.add_argument("--latency", default="50ms")
    parser.add_argument("--actors", type=int, default=2, help="Ray actors and Dask workers")
    args = parser.parse_args()
    data = rows(args.rows)
    with local_server(args.latency) as server:
        base = measure("pa.batch", server, lambda: one_process(data), args.rows)
        figures: dict[str, tuple[float, float]] = {}
        key = fresh_org(server.url)
        with ray_cluster(args.actors) as start:
            new = lambda: on_ray(data, args.actors, start)  # noqa: E731
            figures["ray, new"] = measure("ray, new", server, new, args.rows, key)
        key = fresh_org(server.url)
        with ray_cluster(args.actors) as start:
            warm_up_ray_data()
            own = ray_data_alone(data, args.actors)
            running = lambda: on_ray(data, args.actors, start)  # noqa: E731
            figures["ray"] = measure("ray", server, running, args.rows, key)
        figures["dask"] = measure("dask", server, lambda: on_dask(data, args.actors), args.rows)
    for name, (work, pace) in figures.items():
        print(f"{name} / pa.batch: job {work / base[0]:.0%}, answering {pace / base[1]:.0%}")
    # Ray Data's own share of a job: the same dataset through a class that sends nothing
    # takes `own` seconds (its actors start, its batches move); the rest is the answering.
    ray_work = args.rows / figures["ray"][0]
    rest = args.rows / (ray_work - own)
    print(
        f"ray less Ray Data's own {own:.1f} s / pa.batch: job {rest / base[0]:.0%} "
        f"({ray_work - own:.1f} s for the rows)"
    )


if __name__ == "__main__":
    main()
