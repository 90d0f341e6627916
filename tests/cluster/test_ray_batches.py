"""``pareta.ray.ChatCompletions`` called as Ray calls it, on each batch format, in-process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from pareta import ParetaError
from pareta.local import LocalServer
from pareta.ray import ChatCompletions

pytestmark = pytest.mark.anyio

PROMPTS = [f"Effective 2026-01-{day:02d}." for day in range(1, 7)]
ANSWERS = [f'{{"effective_date": "2026-01-{day:02d}"}}' for day in range(1, 7)]


@pytest.fixture(scope="module")
def local() -> Iterator[LocalServer]:
    with LocalServer(seed=11) as server:
        yield server


async def run(local: LocalServer, org: str, batch: Any, **kwargs: Any) -> Any:
    """What an actor does with one batch, with a client of its own."""
    options: dict[str, Any] = {"job": "batches", "key": "id", "model": "ep_contract_kie"}
    mapper = ChatCompletions(**{**options, **kwargs, "api_key": org, "base_url": local.base_url})
    try:
        return await mapper(batch)
    finally:
        await mapper.aclose()


def numpy_batch() -> dict[str, Any]:
    return {"id": np.array([f"r{i}" for i in range(6)]), "prompt": np.array(PROMPTS)}


def check(out: dict[str, list[Any]], local: LocalServer, key: str) -> None:
    assert out["id"] == [f"r{i}" for i in range(6)]
    assert out["answer"] == ANSWERS
    assert out["error"] == [None] * 6
    assert out["attempts"] == [1] * 6
    assert all(str(r).startswith("req_") for r in out["request_id"])
    keys = sorted(entry["idempotency_key"] for entry in local.ledger(key))
    assert [k.split(".")[:2] for k in keys] == [["batches", f"r{i}"] for i in range(6)]


async def test_a_numpy_batch_comes_back_with_answers(local: LocalServer) -> None:
    key = local.mint_key()
    out = await run(local, key, numpy_batch())
    assert isinstance(out["attempts"], np.ndarray) and out["attempts"].dtype == np.int64
    check({name: list(values) for name, values in out.items()}, local, key)


async def test_each_format_keys_its_rows_alike_so_a_rerun_is_replayed(local: LocalServer) -> None:
    key = local.mint_key()
    await run(local, key, numpy_batch())
    frame = await run(local, key, pd.DataFrame(numpy_batch()))
    assert isinstance(frame, pd.DataFrame)
    check({name: frame[name].tolist() for name in frame.columns}, local, key)
    table = await run(local, key, pa.table(numpy_batch()))
    assert isinstance(table, pa.Table)
    assert table.schema.field("attempts").type == pa.int64()
    check(table.to_pydict(), local, key)
    assert len(local.ledger(key)) == 6  # the second and third runs were replays


async def test_messages_params_and_a_model_column(local: LocalServer) -> None:
    key = local.mint_key()
    rows = pa.table(
        {
            "id": [1, 2],
            "model": ["ep_contract_kie", "ep_contract_kie"],
            "messages": [[{"role": "user", "content": p}] for p in PROMPTS[:2]],
            # An earlier run's columns are replaced, not duplicated.
            "answer": ["stale", "stale"],
        }
    )
    out = (await run(local, key, rows, model=None, params={"max_tokens": 64})).to_pydict()
    assert out["answer"] == ANSWERS[:2]
    assert out["id"] == [1, 2]
    assert [e["detail"].get("model") for e in local.ledger(key)] == ["ep_contract_kie"] * 2


async def test_rows_the_job_never_ran_carry_the_error_that_stopped_it(local: LocalServer) -> None:
    key = local.mint_key()
    local.set_balance(0, key)
    out = await run(local, key, numpy_batch(), max_in_flight=1)
    assert list(out["answer"]) == [None] * 6
    assert all(e.startswith("InsufficientCreditsError: ") for e in out["error"])
    assert local.ledger(key) == []


async def test_a_batch_without_the_key_column_says_so(local: LocalServer) -> None:
    with pytest.raises(ValueError, match="no 'row_id' column"):
        await run(local, local.mint_key(), numpy_batch(), key="row_id")


def test_configuration_is_checked_where_it_is_given() -> None:
    with pytest.raises(ValueError, match="job must be"):
        ChatCompletions(job="not a job id", key="id", api_key="pareta_sk_x")
    with pytest.raises(TypeError, match="key must name the column"):
        ChatCompletions(job="j", key="", api_key="pareta_sk_x")
    with pytest.raises(ParetaError, match="PARETA_API_KEY"):
        ChatCompletions(job="j", key="id")


def test_import_pareta_leaves_ray_alone() -> None:
    code = "import sys, pareta; assert not {'ray', 'numpy'} & set(sys.modules), sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
