"""pareta.ray on a real local Ray cluster (two CPUs) against the local server."""

from __future__ import annotations

import functools
import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import ray

import pareta.ray
from pareta.local import LocalServer
from pareta.ray import Requests
from tests.cluster.helpers import billed_before

# Ray Data copies its whole context, deprecated settings included, and warns about them
# from inside Ray: nothing a caller passes avoids it.
pytestmark = pytest.mark.filterwarnings(r"ignore::DeprecationWarning:ray\.data\.context")

ROOT = Path(__file__).resolve().parents[2]
ROWS = 300
MODEL = "ep_contract_kie"


@pytest.fixture(scope="module")
def local() -> Iterator[LocalServer]:
    with LocalServer(seed=5) as server:
        yield server


@pytest.fixture(scope="module")
def limited() -> Iterator[LocalServer]:
    with LocalServer(seed=6, rate_limit=60, rate_burst=10) as server:
        yield server


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    # Workers import this module (the actor class below) and pareta from the checkout.
    path = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
        runtime_env={"env_vars": {"PYTHONPATH": path}},
    )
    try:
        yield
    finally:
        ray.shutdown()


def rows(count: int) -> list[dict[str, Any]]:
    return [{"id": f"r{i}", "prompt": f"Effective 2026-01-{i % 28 + 1:02d}."} for i in range(count)]


def extracted(row: dict[str, Any]) -> bool:
    """The built-in model answered: the date it extracted from the row's prompt."""
    return row["error"] is None and "effective_date" in json.loads(row["answer"])


def answer(
    local: LocalServer, key: str, job: str, count: int = ROWS, **extra: Any
) -> list[dict[str, Any]]:
    options = {"job": job, "key": "id", "model": MODEL, "api_key": key, "base_url": local.base_url}
    dataset = ray.data.from_items(rows(count), override_num_blocks=count // 10)
    return pareta.ray.batch(dataset, batch_size=10, **{**options, **extra}).take_all()


def debits_per_row(local: LocalServer, key: str) -> Counter[str]:
    return Counter(entry["idempotency_key"].split(".")[1] for entry in local.ledger(key))


@pytest.mark.usefixtures("cluster")
def test_every_row_is_answered_and_billed_once(local: LocalServer) -> None:
    key = local.mint_key()
    out = answer(local, key, "ray-once")
    assert sorted(r["id"] for r in out) == sorted(r["id"] for r in rows(ROWS))
    assert all(extracted(r) for r in out)
    assert all(r["attempts"] == 1 and r["request_id"].startswith("req_") for r in out)
    assert not any(r["replayed"] for r in out)
    assert debits_per_row(local, key) == Counter({r["id"]: 1 for r in rows(ROWS)})
    assert sum(r["cost_micro_usd"] for r in out) == sum(
        e["amount_micro_usd"] for e in local.ledger(key)
    )
    # The same job again is the same rows under the same keys: replayed, not billed.
    again = answer(local, key, "ray-once")
    assert all(r["replayed"] for r in again)
    assert sorted((r["id"], r["answer"]) for r in again) == sorted(
        (r["id"], r["answer"]) for r in out
    )
    assert len(local.ledger(key)) == ROWS


@pytest.mark.usefixtures("cluster")
def test_a_row_waiting_out_a_backoff_does_not_hold_up_its_actor(local: LocalServer) -> None:
    """One actor, a batch a task: the first request is told to come back in 8 s, and the
    actor's other batches are answered meanwhile."""
    key = local.mint_key()
    local.inject_fault("POST /v1/chat/completions status=503 retry_after=8 count=1", api_key=key)
    out = answer(local, key, "ray-busy", count=200, concurrency=1)
    (waited,) = [r for r in out if r["attempts"] == 2]
    assert all(extracted(r) for r in out)
    # The first request of the org waited: its own batch holds 9 other rows, and every
    # row billed before it was answered while it waited.
    assert billed_before(local.ledger(key), waited["id"]) > 9
    assert debits_per_row(local, key) == Counter({r["id"]: 1 for r in rows(200)})


@pytest.mark.usefixtures("cluster")
def test_a_rate_limited_org_answers_every_row_once(limited: LocalServer) -> None:
    """Two actors against one org's limit: the 429s are the engine's to handle, never a
    row's error."""
    key = limited.mint_key()
    out = answer(limited, key, "ray-limited", count=200, rate="auto")
    assert all(extracted(r) for r in out)
    assert debits_per_row(limited, key) == Counter({r["id"]: 1 for r in rows(200)})


def first_to_claim(marker: str) -> bool:
    """Whether this process created ``marker`` (atomically: one process ever does)."""
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


class DiesOnce(Requests):
    """Kills its own process after ``after`` rows were answered, once (a marker file says
    it happened); Ray restarts the actor and retries the task."""

    def __init__(self, *, marker: str, after: int, **options: Any) -> None:
        super().__init__(**options)
        completions = self.client.chat.completions
        create = completions.create
        answered = 0

        @functools.wraps(create)
        async def create_then_die(**kwargs: Any) -> Any:
            nonlocal answered
            result = await create(**kwargs)
            answered += 1
            if answered == after and first_to_claim(marker):
                os._exit(1)
            return result

        completions.create = create_then_die  # type: ignore[method-assign]


@pytest.mark.usefixtures("cluster")
def test_an_actor_killed_mid_batch_is_retried_without_billing_twice(
    local: LocalServer, tmp_path: Path
) -> None:
    key = local.mint_key()
    marker = tmp_path / "died"
    options = {"job": "ray-killed", "key": "id", "model": MODEL, "api_key": key}
    out = (
        ray.data.from_items(rows(ROWS))
        .map_batches(
            DiesOnce,
            fn_constructor_kwargs={
                **options,
                "base_url": local.base_url,
                "marker": str(marker),
                "after": 30,
            },
            compute=ray.data.ActorPoolStrategy(size=2),
            batch_size=50,
        )
        .take_all()
    )
    assert marker.exists()  # an actor died after 30 answered rows of its batch
    assert sorted(r["id"] for r in out) == sorted(r["id"] for r in rows(ROWS))
    assert all(extracted(r) for r in out)
    assert debits_per_row(local, key) == Counter({r["id"]: 1 for r in rows(ROWS)})


@pytest.mark.usefixtures("cluster")
def test_options_are_checked_before_any_actor_starts() -> None:
    dataset = ray.data.from_items(rows(4))
    with pytest.raises(ValueError, match="job must be"):
        pareta.ray.batch(dataset, job="a job", key="id")
    with pytest.raises(ValueError, match="batches_per_actor must be"):
        pareta.ray.batch(dataset, job="j", key="id", batches_per_actor=0)
    with pytest.raises(ValueError, match="method must be a client method"):
        pareta.ray.batch(dataset, "no such method!", job="j", key="id")
