"""Past one machine: pa.batch in one process against pareta.ray (two actors) and
pareta.dask (two worker processes), on the same local server, as ratios.

    python benchmarks/cluster.py [--rows 4000] [--limited-rows 3000] [--workers 2]
                                 [--only plain,faults,limited] [--rounds 3]

Three servers (``python -m pareta.local``, each in its own process, 50 ms of latency on
every chat completion), each engine's rows as a fresh org:

- plain: rows a second of each engine, over the whole job (from handing over the rows to
  having every answer back, on a cluster already started: Ray's actors and Dask's
  clients start inside it) and while rows were answered (first debit to last), and the
  server's CPU time a row (it shares the machine's cores with the engines);
- faults: 5% of completions answered 503 (retried after a backoff), Ray and Dask with
  batches of 100 rows, as a share of pa.batch's job rows a second, and of its rows a
  second while answering (which leaves out the engine's start: how soon its first row
  is answered is printed beside it);
- limited: ``--rate-limit 100`` (a burst of 10), ``rate="auto"``: the share of attempts
  answered 429, and the pace as a share of the limit, over the whole job and after a
  10 s ramp.

Each scenario runs ``--rounds`` times; a ratio is the median of the rounds' own ratios
(each round's engines run within a minute of each other, on a machine whose load can
swing from one minute to the next), each round's printed beside it. Every row an engine
answered has one debit; the script fails otherwise.
Needs the ``cluster`` dependency group (``nox -s cluster --install-only`` installs it).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import anyio
import httpx

from pareta import AsyncPareta

MODEL = "ep_contract_kie"
LIMIT = 100.0
RAMP = 10.0


class Server(NamedTuple):
    url: str
    pid: int

    def cpu(self) -> float:
        """CPU seconds the server's process has used so far."""
        import psutil  # type: ignore[import-untyped,unused-ignore]  # with dask's distributed

        times = psutil.Process(self.pid).cpu_times()
        return float(times.user + times.system)


class Run(NamedTuple):
    """One engine's run: rows answered, attempts made, and the job's wall time."""

    answered: int
    attempts: int
    began: float
    ended: float


class Figures(NamedTuple):
    job: float  # rows a second over the whole job
    answering: float  # debits a second, first to last
    after_ramp: float  # debits a second after the first RAMP seconds
    throttled: float  # share of attempts answered 429 (or otherwise retried)
    start: float  # seconds from handing over the rows to the first debit


def rows(count: int) -> list[dict[str, Any]]:
    return [{"id": f"r{i}", "prompt": f"Effective 2026-01-{i % 28 + 1:02d}."} for i in range(count)]


@contextmanager
def local_server(*options: str) -> Iterator[Server]:
    """``python -m pareta.local`` on a free port, with 50 ms on each completion (the
    server applies the first fault that matches: ``options``' come first)."""
    command = [sys.executable, "-m", "pareta.local", "--port", "0", "--log-level", "warning"]
    command += [*options, "--fault", "POST /v1/chat/completions latency=50ms", "--seed", "3"]
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


def fresh_key(server: Server) -> str:
    headers = {"Authorization": "Bearer pareta_sk_bench"}
    return str(httpx.post(f"{server.url}/admin/keys", headers=headers).json()["api_key"])


def ledger(server: Server, key: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {key}"}
    return list(httpx.get(f"{server.url}/admin/ledger", headers=headers).json()["entries"])


def one_process(data: list[dict[str, Any]], server: Server, key: str) -> Run:
    calls = [
        {"id": r["id"], "model": MODEL, "messages": [{"role": "user", "content": r["prompt"]}]}
        for r in data
    ]

    async def run() -> tuple[int, int]:
        async with AsyncPareta(api_key=key, base_url=server.url) as pa:
            job = pa.batch(pa.chat.completions.create, calls, key="id", job="bench")
            stats = await job.wait()
            return stats.done, stats.attempts

    began = time.time()
    answered, attempts = anyio.run(run)
    return Run(answered, attempts, began, time.time())


def on_ray(data: list[dict[str, Any]], server: Server, key: str, workers: int) -> Run:
    import ray.data

    import pareta.ray

    began = time.time()
    out = pareta.ray.batch(
        ray.data.from_items(data),
        job="bench",
        key="id",
        model=MODEL,
        concurrency=workers,
        api_key=key,
        base_url=server.url,
    ).take_all()
    return finished(out, began)


def on_dask(data: list[dict[str, Any]], server: Server, key: str, workers: int) -> Run:
    import dask.bag as db
    from dask.distributed import Client, LocalCluster

    import pareta.dask

    with (
        LocalCluster(n_workers=workers, threads_per_worker=4, dashboard_address=None) as cluster,  # type: ignore[no-untyped-call,unused-ignore]
        Client(cluster),  # type: ignore[no-untyped-call,unused-ignore]
    ):
        began = time.time()
        bag = db.from_sequence(data, npartitions=len(data) // 100)  # type: ignore[no-untyped-call,unused-ignore]
        out = pareta.dask.batch(
            bag, job="bench", key="id", model=MODEL, api_key=key, base_url=server.url
        ).compute()
        return finished(out, began)


def finished(out: list[dict[str, Any]], began: float) -> Run:
    ended = time.time()
    return Run(sum(r["error"] is None for r in out), sum(r["attempts"] for r in out), began, ended)


def measure(name: str, server: Server, count: int, run: Callable[[Server, str], Run]) -> Figures:
    """Runs one engine as a fresh org, checks its ledger, prints and returns its figures."""
    key = fresh_key(server)
    cpu = server.cpu()
    done = run(server, key)
    cpu = server.cpu() - cpu
    debits = ledger(server, key)
    keys = {entry["idempotency_key"] for entry in debits}
    # A row can fail (503 after every retry), but an answered row is billed exactly once.
    if not done.answered == len(debits) == len(keys):
        raise SystemExit(f"{name}: {done.answered}/{count} answered, {len(debits)} debits")
    times = sorted(entry["created"] for entry in debits)
    late = [t for t in times if t >= times[0] + RAMP]
    figures = Figures(
        job=count / (done.ended - done.began),
        answering=(len(times) - 1) / (times[-1] - times[0]),
        after_ramp=(len(late) - 1) / (late[-1] - late[0]) if len(late) > 1 else float("nan"),
        throttled=(done.attempts - count) / done.attempts,
        start=times[0] - done.began,
    )
    print(
        f"  {name:<9} {done.answered}/{count} rows, {done.attempts} attempts "
        f"({figures.throttled:.1%} retried); "
        f"job {figures.job:5.1f} rows/s; answering {figures.answering:5.1f}/s, after "
        f"{RAMP:.0f} s {figures.after_ramp:5.1f}/s; first answer after {figures.start:.2f} s; "
        f"server CPU {cpu / count * 1000:.2f} ms a row",
        flush=True,
    )
    return figures


@contextmanager
def ray_cluster(workers: int) -> Iterator[None]:
    import ray
    import ray.data

    ray.init(address="local", num_cpus=workers, include_dashboard=False, log_to_driver=False)
    try:
        # Ray Data plans its first dataset in a process once, and starts its own actors
        # once per cluster: a cluster in use has done both.
        ray.data.range(4, override_num_blocks=2).materialize()
        yield
    finally:
        ray.shutdown()


def scenario(title: str, count: int, workers: int, server: Server) -> dict[str, Figures]:
    print(title, flush=True)
    data = rows(count)
    engines: dict[str, Callable[[Server, str], Run]] = {
        "pa.batch": lambda s, k: one_process(data, s, k),
        "ray": lambda s, k: on_ray(data, s, k, workers),
        "dask": lambda s, k: on_dask(data, s, k, workers),
    }
    return {name: measure(name, server, count, run) for name, run in engines.items()}


SERVERS = {
    "plain": (),
    "faults": ("--fault", "POST /v1/chat/completions status=503 latency=50ms probability=0.05"),
    "limited": ("--rate-limit", f"{LIMIT:g}", "--rate-burst", "10"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4000)
    parser.add_argument("--limited-rows", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2, help="Ray actors and Dask workers")
    parser.add_argument("--only", default="plain,faults,limited", help="scenarios to run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each scenario")
    args = parser.parse_args()
    results: dict[str, list[dict[str, Figures]]] = {}
    with ray_cluster(args.workers):
        for name in args.only.split(","):
            count = args.limited_rows if name == "limited" else args.rows
            with local_server(*SERVERS[name]) as server:
                results[name] = [
                    scenario(f"{name}, round {n + 1}", count, args.workers, server)
                    for n in range(args.rounds)
                ]
    print("ratios (the median of the rounds; each round's in brackets)")
    for name in ("ray", "dask"):
        line = []
        if "plain" in results:
            line.append(
                f"plain: job {ratio(results['plain'], name, 'job')} of pa.batch, answering "
                f"{ratio(results['plain'], name, 'answering')}"
            )
        if "faults" in results:
            starts = [f"{rounds[name].start:.1f}" for rounds in results["faults"]]
            line.append(
                f"5% 503s: job {ratio(results['faults'], name, 'job')} of pa.batch, "
                f"answering {ratio(results['faults'], name, 'answering')}, first answer "
                f"after {'/'.join(starts)} s"
            )
        if "limited" in results:
            line.append(limited([rounds[name] for rounds in results["limited"]]))
        print(f"  {name:<5} " + "; ".join(line))
    if "limited" in results:
        print(f"  pa.batch {limited([rounds['pa.batch'] for rounds in results['limited']])}")


def ratio(rounds: list[dict[str, Figures]], name: str, field: str) -> str:
    """``name``'s ``field`` as a share of pa.batch's: the median round, and every round."""
    shares = [
        getattr(figures[name], field) / getattr(figures["pa.batch"], field) for figures in rounds
    ]
    each = ", ".join(f"{share:.0%}" for share in shares)
    return f"{statistics.median(shares):.0%} [{each}]"


def limited(runs: list[Figures]) -> str:
    """The median round's share of attempts refused and pace against the limit."""
    throttled = statistics.median(run.throttled for run in runs)
    answering = statistics.median(run.answering for run in runs)
    after_ramp = statistics.median(run.after_ramp for run in runs)
    return (
        f"--rate-limit {LIMIT:g}: {throttled:.1%} of attempts 429, "
        f"{answering / LIMIT:.0%} of the limit ({after_ramp / LIMIT:.0%} after "
        f"{RAMP:.0f} s)"
    )


if __name__ == "__main__":
    main()
