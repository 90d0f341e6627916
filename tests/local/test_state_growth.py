"""The hot path is O(1) in the state's size: bounded logs, running totals, nothing to collect.

Throughput is a benchmark (`benchmarks/local_server_state.py`); these tests check the
causes instead: what a request leaves behind is bounded, and none of it is an object the
garbage collector must walk on every full collection.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import sys
import types

import httpx
import pytest

from pareta.local import LocalServer
from pareta.local.records import Traffic
from pareta.local.rolling import Rolling

from .helpers import chat_body

# Walked past, not into: code and classes are shared by every request, and the event loop
# keeps each cancelled keep-alive timer (a handle and its context) in its heap until the
# cancelled ones pass half of it, a bound that is asyncio's, not this server's.
_NOT_STATE = (
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.CodeType,
    asyncio.TimerHandle,
    contextvars.Context,
)


def _tracked_held_by(server: LocalServer) -> int:
    """How many objects the garbage collector tracks that the server holds, through its
    state, its app and its connections, or that the modules of ``pareta`` hold (a cache).

    Counted by what they are reachable from, not over the whole process, so what other
    threads of the test process allocate meanwhile does not count."""
    gc.collect()
    roots: list[object] = [server]
    roots += [vars(module) for name, module in sys.modules.items() if name.startswith("pareta")]
    seen = {id(root) for root in roots}
    while roots:
        for child in gc.get_referents(roots.pop()):
            if id(child) not in seen and gc.is_tracked(child) and not isinstance(child, _NOT_STATE):
                seen.add(id(child))
                roots.append(child)
    return len(seen)


@pytest.mark.slow
def test_requests_leave_bounded_state_and_no_tracked_objects() -> None:
    with LocalServer(idempotency_max_keys=40, balance=10**12) as server:
        server.state.meter.ledger_kept = 40
        key = server.mint_key()
        org = server.state.org(key)
        endpoint = org.endpoints["ep_contract_kie"]
        endpoint.traffic = Rolling(Traffic, 40)
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=10) as client:

            def send(n: int, first: int) -> list[bytes]:
                bodies = []
                for i in range(first, first + n):
                    idem = {"Idempotency-Key": f"k{i}"}
                    answer = client.post("/v1/chat/completions", json=chat_body(), headers=idem)
                    assert answer.status_code == 200
                    bodies.append(answer.content)
                return bodies

            send(60, 0)  # warm-up: connection, caches, every bound reached
            server.state.meter.quiesce()
            before = _tracked_held_by(server)
            send(300, 60)
            server.state.meter.quiesce()
            growth = _tracked_held_by(server) - before
            one_cost = server.ledger(api_key=key)[-1]["amount_micro_usd"]
        # 300 requests with a ledger entry, a traffic sample and a remembered answer
        # each: a few objects of the open connection at most, never one per request.
        assert growth < 30, growth
        assert len(server.ledger(api_key=key)) == 40
        assert len(endpoint.traffic) == 40
        assert server.state.idempotency.count(key) == 40
        # The balance is a running total, exact beyond what the ledger keeps.
        assert server.balance(api_key=key) == 10**12 - 360 * one_cost


def test_a_remembered_answer_replays_byte_for_byte(client: httpx.Client) -> None:
    headers = {"Idempotency-Key": "same"}
    first = client.post("/v1/chat/completions", json=chat_body(stream=True), headers=headers)
    again = client.post("/v1/chat/completions", json=chat_body(stream=True), headers=headers)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
