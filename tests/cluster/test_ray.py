"""pareta.ray on a real local Ray cluster (two CPUs, two actors) against the local server."""

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

from pareta.local import LocalServer
from pareta.ray import ChatCompletions

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
    local: LocalServer, key: str, job: str, cls: type = ChatCompletions, **extra: Any
) -> list[dict[str, Any]]:
    options = {"job": job, "key": "id", "model": MODEL, "api_key": key, "base_url": local.base_url}
    return (
        ray.data.from_items(rows(ROWS))
        .map_batches(
            cls,
            fn_constructor_kwargs={**options, **extra},
            compute=ray.data.ActorPoolStrategy(size=2),
            batch_size=50,
        )
        .take_all()
    )


def debits_per_row(local: LocalServer, key: str) -> Counter[str]:
    return Counter(entry["idempotency_key"].split(".")[1] for entry in local.ledger(key))


@pytest.mark.usefixtures("cluster")
def test_every_row_is_answered_and_billed_once(local: LocalServer) -> None:
    key = local.mint_key()
    out = answer(local, key, "ray-once")
    assert sorted(r["id"] for r in out) == sorted(r["id"] for r in rows(ROWS))
    assert all(extracted(r) for r in out)
    assert all(r["attempts"] == 1 and r["request_id"].startswith("req_") for r in out)
    assert debits_per_row(local, key) == Counter({r["id"]: 1 for r in rows(ROWS)})
    # The same job again is the same rows under the same keys: replayed, not billed.
    again = answer(local, key, "ray-once")
    assert sorted((r["id"], r["answer"]) for r in again) == sorted(
        (r["id"], r["answer"]) for r in out
    )
    assert len(local.ledger(key)) == ROWS


def first_to_claim(marker: str) -> bool:
    """Whether this process created ``marker`` (atomically: one process ever does)."""
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


class DiesOnce(ChatCompletions):
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
    out = answer(local, key, "ray-killed", DiesOnce, marker=str(marker), after=30)
    assert marker.exists()  # an actor died after 30 answered rows of its batch
    assert sorted(r["id"] for r in out) == sorted(r["id"] for r in rows(ROWS))
    assert all(extracted(r) for r in out)
    assert debits_per_row(local, key) == Counter({r["id"]: 1 for r in rows(ROWS)})
