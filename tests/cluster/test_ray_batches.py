"""``pareta.ray.Requests`` called as Ray calls it, on each batch format, in-process: the
requests a row makes and the columns it comes back with (``pareta.dask`` shares both)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import anyio
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from pareta import AsyncPareta, ParetaError
from pareta._tables.batches import FIRST_IN_FLIGHT
from pareta.local import LocalServer
from pareta.ray import OUTPUTS, ChatCompletions, Requests

pytestmark = pytest.mark.anyio

PROMPTS = [f"Effective 2026-01-{day:02d}." for day in range(1, 7)]
ANSWERS = [f'{{"effective_date": "2026-01-{day:02d}"}}' for day in range(1, 7)]
ITEMS = [
    {"input": "Effective 2026-03-15. Acme and Beta.", "expected": {"effective_date": "2026-03-15"}},
    {
        "input": "This Agreement is effective 2026-01-01.",
        "expected": {"effective_date": "2026-01-01"},
    },
]


@pytest.fixture(scope="module")
def local() -> Iterator[LocalServer]:
    with LocalServer(seed=11) as server:
        yield server


async def run(local: LocalServer, org: str, batch: Any, cls: type = Requests, **kwargs: Any) -> Any:
    """What an actor does with one batch, with a client of its own."""
    options: dict[str, Any] = {"job": "batches", "key": "id", "model": "ep_contract_kie"}
    mapper = cls(**{**options, **kwargs, "api_key": org, "base_url": local.base_url})
    try:
        return await mapper(batch)
    finally:
        await mapper.aclose()


def numpy_batch() -> dict[str, Any]:
    return {"id": np.array([f"r{i}" for i in range(6)]), "prompt": np.array(PROMPTS)}


def check(out: dict[str, list[Any]], local: LocalServer, key: str, *, replayed: bool) -> None:
    """Every output column, against what the server billed."""
    ledger = sorted(local.ledger(key), key=lambda e: e["idempotency_key"])
    assert [e["idempotency_key"].split(".")[:2] for e in ledger] == [
        ["batches", f"r{i}"] for i in range(6)
    ]
    assert out["id"] == [f"r{i}" for i in range(6)]
    assert out["answer"] == ANSWERS
    assert out["finish_reason"] == ["stop"] * 6
    assert out["cost_micro_usd"] == [e["amount_micro_usd"] for e in ledger]
    assert out["prompt_tokens"] == [e["detail"]["prompt_tokens"] for e in ledger]
    assert out["completion_tokens"] == [e["detail"]["completion_tokens"] for e in ledger]
    assert [t - p for t, p in zip(out["total_tokens"], out["prompt_tokens"], strict=True)] == (
        out["completion_tokens"]
    )
    assert out["replayed"] == [replayed] * 6
    if not replayed:
        assert out["request_id"] == [e["request_id"] for e in ledger]
    assert all(str(r).startswith("req_") for r in out["request_id"])
    assert out["attempts"] == [1] * 6
    assert out["error"] == [None] * 6
    assert [json.loads(r)["choices"][0]["message"]["content"] for r in out["response"]] == ANSWERS


async def test_a_numpy_batch_comes_back_with_every_output_column(local: LocalServer) -> None:
    key = local.mint_key()
    out = await run(local, key, numpy_batch())
    assert list(out) == ["id", "prompt", *OUTPUTS]
    assert out["attempts"].dtype == np.int64 and out["replayed"].dtype == np.bool_
    check({name: list(values) for name, values in out.items()}, local, key, replayed=False)


async def test_each_format_keys_its_rows_alike_so_a_rerun_is_replayed(local: LocalServer) -> None:
    key = local.mint_key()
    await run(local, key, numpy_batch(), cls=ChatCompletions)
    frame = await run(local, key, pd.DataFrame(numpy_batch()))
    assert isinstance(frame, pd.DataFrame)
    assert str(frame["prompt_tokens"].dtype) == "Int64"
    check({name: frame[name].tolist() for name in frame.columns}, local, key, replayed=True)
    table = await run(local, key, pa.table(numpy_batch()))
    assert isinstance(table, pa.Table)
    assert table.schema.field("attempts").type == pa.int64()
    assert table.schema.field("replayed").type == pa.bool_()
    check(table.to_pydict(), local, key, replayed=True)
    assert len(local.ledger(key)) == 6  # the second and third runs were replays


async def test_per_row_parameters_are_sent_with_their_row(local: LocalServer) -> None:
    key = local.mint_key()
    rows = pa.table(
        {
            "id": [1, 2, 3, 4],
            "model": ["ep_contract_kie"] * 4,
            "messages": [[{"role": "user", "content": p}] for p in PROMPTS[:4]],
            # A named column, a params column (a struct: the fields a row leaves out are
            # None, not arguments), and params for every row, which a row overrides.
            "max_tokens": [1, None, None, None],
            "params": [
                None,
                {"max_tokens": 2, "seed": None},
                {"max_tokens": None, "seed": 3},
                None,
            ],
        }
    )
    out = await run(local, key, rows, model=None, columns=["max_tokens"], params={"max_tokens": 64})
    out = out.to_pydict()
    assert out["finish_reason"] == ["length", "length", "stop", "stop"]
    assert out["completion_tokens"][:2] == [1, 2]
    assert out["answer"][2:] == ANSWERS[2:4]
    assert out["id"] == [1, 2, 3, 4]
    assert [e["detail"].get("model") for e in local.ledger(key)] == ["ep_contract_kie"] * 4


async def test_any_client_method_eval_runs_too(local: LocalServer) -> None:
    key = local.mint_key()
    async with AsyncPareta(api_key=key, base_url=local.base_url) as client:
        board = await client.tasks.leaderboard("contract-key-fields")
        models = [e.name for e in board.models[:2]]
        eval_set = (await client.evals.sets.create(task="contract-key-fields", items=ITEMS)).id
        runs = pd.DataFrame(
            {"id": ["one", "two"], "eval_set": [eval_set] * 2, "models": [models[:1], models]}
        )
        out = await run(local, key, runs, method="evals.runs.create", model=None)
        assert out["error"].isna().all()
        assert out["answer"].isna().all() and out["finish_reason"].isna().all()
        created = [json.loads(r)["run_id"] for r in out["response"]]
        done = [await client.evals.runs.wait(r, poll_interval=0.05) for r in created]
    # Each row's own models were sent with it.
    assert [[r.model_id for r in run.results] for run in done] == [models[:1], models]
    again = await run(local, key, runs, method="evals.runs.create", model=None)
    assert again["replayed"].all()
    assert [json.loads(r)["run_id"] for r in again["response"]] == created


async def test_hooks_make_the_request_and_the_row_that_comes_back(local: LocalServer) -> None:
    key = local.mint_key()
    batch = pd.DataFrame({"id": ["a", "b"], "text": PROMPTS[:2], "keep": [1, 2]})

    def preprocess(row: dict[str, Any]) -> dict[str, Any]:
        return {"messages": [{"role": "user", "content": row["text"]}], "max_tokens": 50}

    def postprocess(row: dict[str, Any]) -> dict[str, Any]:
        return {"id": row["id"], "date": json.loads(row["answer"])["effective_date"]}

    out = await run(local, key, batch, preprocess=preprocess, postprocess=postprocess)
    assert out.to_dict("records") == [
        {"id": "a", "date": "2026-01-01"},
        {"id": "b", "date": "2026-01-02"},
    ]
    assert list(out.index) == list(batch.index)
    numpy = await run(
        local,
        key,
        {k: np.array(v) for k, v in batch.items()},
        postprocess=postprocess,
        preprocess=preprocess,
    )
    assert {k: list(v) for k, v in numpy.items()} == {
        "id": ["a", "b"],
        "date": ["2026-01-01", "2026-01-02"],
    }
    table = await run(
        local, key, pa.Table.from_pandas(batch), postprocess=postprocess, preprocess=preprocess
    )
    assert table.to_pylist() == out.to_dict("records")
    assert len(local.ledger(key)) == 2


async def test_the_pace_learned_in_one_batch_carries_to_the_next() -> None:
    """A fresh client sends its first requests at once and a burst of 5 refuses some; the
    actor's client, which learned the limit in its first batch, paces its next one."""

    def batch(start: int) -> dict[str, Any]:
        ids = [f"r{i}" for i in range(start, start + 30)]
        return {"id": np.array(ids), "prompt": np.array([PROMPTS[0]] * 30)}

    def throttled(out: dict[str, Any]) -> int:
        return int(out["attempts"].sum()) - len(out["id"])

    with LocalServer(seed=3, rate_limit=20, rate_burst=5) as limited:
        key = limited.mint_key()
        options: dict[str, Any] = {"job": "paced", "key": "id", "model": "ep_contract_kie"}
        actor = Requests(**options, api_key=key, base_url=limited.base_url)
        fresh = Requests(**options, api_key=key, base_url=limited.base_url)
        try:
            await actor(batch(0))
            carried = throttled(await actor(batch(30)))
            new = throttled(await fresh(batch(60)))
        finally:
            await actor.aclose()
            await fresh.aclose()
        assert len(limited.ledger(key)) == 90
    assert new >= 3 and carried < new


async def test_a_fresh_clients_batches_open_with_the_requests_of_one() -> None:
    """Eight batches at once on an actor's new client: until the server first answers,
    they share the first requests one batch job would send, so a burst of 5 refuses only
    a few of them, not most of 64."""

    def batch(start: int) -> dict[str, Any]:
        ids = [f"r{i}" for i in range(start, start + 10)]
        return {"id": np.array(ids), "prompt": np.array([PROMPTS[0]] * 10)}

    with LocalServer(seed=4, rate_limit=40, rate_burst=5) as limited:
        key = limited.mint_key()
        actor = Requests(
            job="opening", key="id", model="ep_contract_kie", api_key=key, base_url=limited.base_url
        )
        outs: list[dict[str, Any]] = []

        async def one(start: int) -> None:
            outs.append(await actor(batch(start)))

        try:
            async with anyio.create_task_group() as group:
                for start in range(0, 80, 10):
                    group.start_soon(one, start)
        finally:
            await actor.aclose()
        assert len(limited.ledger(key)) == 80
    throttled = sum(int(out["attempts"].sum()) - 10 for out in outs)
    assert throttled <= FIRST_IN_FLIGHT


async def test_a_preprocess_that_returns_no_arguments_says_so(local: LocalServer) -> None:
    with pytest.raises(TypeError, match=r"preprocess must return a dict of chat\.completions"):
        await run(local, local.mint_key(), numpy_batch(), preprocess=lambda row: row["prompt"])


async def test_the_clients_retries_and_timeout_are_the_options_given(local: LocalServer) -> None:
    key = local.mint_key()
    local.inject_fault("POST /v1/chat/completions drop count=1", api_key=key)
    out = await run(local, key, numpy_batch(), max_retries=1, timeout=30.0, max_in_flight=1)
    assert list(out["attempts"]) == [2, 1, 1, 1, 1, 1]  # the dropped connection, retried
    assert list(out["answer"]) == ANSWERS
    local.inject_fault("POST /v1/chat/completions status=503 count=1", api_key=key)
    out = await run(local, key, numpy_batch(), max_retries=0, timeout=30.0, max_in_flight=1)
    assert out["error"][0] == "EndpointNotReadyError: Injected fault" and out["attempts"][0] == 1
    assert list(out["replayed"]) == [False] + [True] * 5


async def test_an_output_column_never_replaces_an_input_column(local: LocalServer) -> None:
    key = local.mint_key()
    rows = {**numpy_batch(), "answer": np.array(["mine"] * 6), "error": np.array([""] * 6)}
    with pytest.raises(ValueError, match=r"already have a column named 'answer'.*'error'.*prefix="):
        await run(local, key, rows)
    assert local.ledger(key) == []
    out = await run(local, key, rows, prefix="pareta_")
    assert list(out["answer"]) == ["mine"] * 6
    assert list(out["pareta_answer"]) == ANSWERS
    assert [n for n in out if n.startswith("pareta_")] == [f"pareta_{n}" for n in OUTPUTS]


async def test_a_row_that_makes_no_request_fails_alone_unsent(local: LocalServer) -> None:
    key = local.mint_key()
    rows = pd.DataFrame(
        {"id": ["a", None, "c"], "prompt": PROMPTS[:3], "params": [None, None, "not a dict"]}
    )
    out = await run(local, key, rows)
    assert out["answer"].tolist() == [ANSWERS[0], None, None]
    assert out["error"][1] == "ValueError: the row has no value in its 'id' column"
    assert out["error"][2].startswith("TypeError: the params column holds a dict")
    assert out["attempts"].tolist() == [1, 0, 0] and out["replayed"].tolist() == [False] * 3
    assert len(local.ledger(key)) == 1


async def test_rows_the_job_never_ran_carry_the_error_that_stopped_it(local: LocalServer) -> None:
    key = local.mint_key()
    local.set_balance(0, key)
    out = await run(local, key, numpy_batch(), max_in_flight=1)
    assert list(out["answer"]) == [None] * 6
    assert all(e.startswith("InsufficientCreditsError: ") for e in out["error"])
    assert local.ledger(key) == []


async def test_a_bag_partition_of_dicts_comes_back_as_dicts(local: LocalServer) -> None:
    key = local.mint_key()
    rows = [{"id": f"r{i}", "prompt": p} for i, p in enumerate(PROMPTS)]
    rows[0]["note"] = "only here"
    out = await run(local, key, rows)
    assert [r["answer"] for r in out] == ANSWERS
    assert out[0]["note"] == "only here" and "note" not in out[1]


async def test_a_batch_without_the_key_column_says_so(local: LocalServer) -> None:
    with pytest.raises(ValueError, match="no 'row_id' column"):
        await run(local, local.mint_key(), numpy_batch(), key="row_id")


async def test_a_method_the_client_does_not_have_says_so(local: LocalServer) -> None:
    with pytest.raises(ValueError, match=r"no method 'chat\.completion\.create' that makes"):
        await run(local, local.mint_key(), numpy_batch(), method="chat.completion.create")


def test_configuration_is_checked_where_it_is_given() -> None:
    with pytest.raises(ValueError, match="job must be"):
        Requests(job="not a job id", key="id", api_key="pareta_sk_x")
    with pytest.raises(TypeError, match="key must name the column"):
        Requests(job="j", key="", api_key="pareta_sk_x")
    with pytest.raises(ValueError, match="method must be a client method such as"):
        Requests(method="chat/completions", job="j", key="id", api_key="pareta_sk_x")
    with pytest.raises(TypeError, match="columns must be a list of column names"):
        Requests(job="j", key="id", columns="max_tokens", api_key="pareta_sk_x")
    with pytest.raises(TypeError, match="preprocess must be a function of a row"):
        Requests(job="j", key="id", preprocess="text", api_key="pareta_sk_x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="prefix must be a string"):
        Requests(job="j", key="id", prefix=1, api_key="pareta_sk_x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="use Requests"):
        ChatCompletions(method="evals.runs.create", job="j", key="id", api_key="pareta_sk_x")
    with pytest.raises(ParetaError, match="PARETA_API_KEY"):
        Requests(job="j", key="id")


async def test_a_clients_own_method_names_the_method(local: LocalServer) -> None:
    async with AsyncPareta(api_key=local.api_key, base_url=local.base_url) as client:
        mapper = Requests(method=client.evals.runs.create, job="j", key="id", api_key="k")
        await mapper.aclose()
    assert mapper.calls.method == "evals.runs.create"


def test_import_pareta_leaves_ray_and_dask_alone() -> None:
    code = "import sys, pareta; assert not {'ray', 'numpy', 'dask'} & set(sys.modules), sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
