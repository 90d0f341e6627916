"""A simulated org: processes that pace themselves with ``RateControl`` against one token
bucket, on a simulated clock (no sockets, no sleeping, the same answer every run).

Each process runs ``workers`` loops: wait for a send slot, send (the bucket decides on
arrival, half the latency later), read the answer a latency after sending, and on a 429
wait ``Retry-After`` before the row's next attempt, as the request core does.
"""

from __future__ import annotations

import functools
import heapq
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from pareta._batch.rate import RateControl


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Bucket:
    """The local server's token bucket (``pareta.local.ratelimit``), on the simulated clock."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.at = float(burst), 0.0

    def take(self, now: float) -> tuple[int, dict[str, str]]:
        self.tokens = min(float(self.burst), self.tokens + (now - self.at) * self.rate)
        self.at = now
        allowed = self.tokens >= 1.0
        if allowed:
            self.tokens -= 1.0
        headers = {
            "x-ratelimit-limit": f"{self.rate:g}",
            "x-ratelimit-remaining": str(int(self.tokens)),
            "x-ratelimit-reset": f"{(self.burst - self.tokens) / self.rate:.3f}",
        }
        if allowed:
            return 200, headers
        headers["retry-after"] = str(max(1, math.ceil((1.0 - self.tokens) / self.rate)))
        return 429, headers


@dataclass
class Process:
    control: RateControl
    start: float
    rows: int
    sent: int = 0
    taken: int = 0
    workers: int = 0
    done: int = 0
    refused: int = 0
    finished_at: float | None = None
    answered_at: list[float] = field(default_factory=list)


def simulate(
    processes: int,
    *,
    limit: float = 100.0,
    burst: int = 10,
    latency: float = 0.05,
    rows: int = 3000,
    workers: int = 256,
    initial_workers: int = 8,
    starts: Callable[[int], float] = lambda i: 0.0,
    stalls: float = 0.0,
    seed: int = 1,
) -> list[Process]:
    """Run every process's rows to the end; each process's counts come back."""
    clock = Clock()
    bucket = Bucket(limit, burst)
    jitter = random.Random(seed)
    procs = [
        Process(RateControl(clock=clock, random=jitter.random), starts(i), rows)
        for i in range(processes)
    ]
    events: list[tuple[float, int, Callable[[], None]]] = []
    order = 0

    def at(when: float, action: Callable[[], None]) -> None:
        nonlocal order
        order += 1
        heapq.heappush(events, (when, order, action))

    def ask(proc: Process) -> None:
        delay, booked = proc.control.reserve()
        if booked:
            # A busy machine runs a timer late, and the ones due meanwhile all at once.
            late = stalls * 0.05 if jitter.random() < stalls else 0.0
            at(clock.now + delay + late, lambda: send(proc))
        else:
            at(clock.now + delay, lambda: ask(proc))

    def send(proc: Process) -> None:
        proc.sent += 1
        sent = clock.now
        at(sent + latency / 2, lambda: decide(proc, sent))

    def decide(proc: Process, sent: float) -> None:
        status, headers = bucket.take(clock.now)
        at(clock.now + latency / 2, lambda: answer(proc, status, headers, sent))

    def answer(proc: Process, status: int, headers: dict[str, str], sent: float) -> None:
        proc.control.observe(status, headers, sent=sent)
        if status == 429:
            proc.refused += 1
            at(clock.now + float(headers["retry-after"]), lambda: ask(proc))
            return
        proc.done += 1
        proc.answered_at.append(clock.now)
        if proc.done == proc.rows:
            proc.finished_at = clock.now
            return
        # As the engine does: a worker takes the next row, and each success adds a
        # worker until there are ``workers`` (TCP's slow start, in workers).
        grow = proc.workers < workers
        proc.workers += grow
        for _ in range(1 + grow):
            if proc.taken < proc.rows:
                proc.taken += 1
                ask(proc)

    for proc in procs:
        proc.taken = proc.workers = min(initial_workers, proc.rows)
        for _ in range(proc.taken):
            at(proc.start, functools.partial(ask, proc))
    while events:
        when, _, action = heapq.heappop(events)
        clock.now = when
        action()
    return procs


def share_of_limit(procs: list[Process], limit: float, *, after: float) -> float:
    """Answers a second while every process ran, after ``after`` seconds, over the limit."""
    end = min(p.finished_at or 0.0 for p in procs)
    answered = sum(1 for p in procs for t in p.answered_at if after <= t <= end)
    return answered / ((end - after) * limit)


def refused_share(proc: Process) -> float:
    return proc.refused / proc.sent
