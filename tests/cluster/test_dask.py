"""pareta.dask on a real LocalCluster of worker processes (and on Dask's in-process
schedulers), over a dataframe's and a bag's partitions, against the local server."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import dask
import dask.bag as db
import dask.dataframe as dd
import pandas as pd
import pytest
from dask.distributed import Client, LocalCluster

import pareta.dask
from pareta.local import LocalServer
from pareta.ray import OUTPUTS
from tests.cluster.helpers import billed_before

ROWS = 300
MODEL = "ep_contract_kie"


@pytest.fixture(scope="module")
def local() -> Iterator[LocalServer]:
    with LocalServer(seed=7) as server:
        yield server


@pytest.fixture(scope="module")
def limited() -> Iterator[LocalServer]:
    with LocalServer(seed=8, rate_limit=60, rate_burst=10) as server:
        yield server


@pytest.fixture
def org(local: LocalServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh org's key, in the environment the worker processes start with."""
    key = local.mint_key()
    monkeypatch.setenv("PARETA_API_KEY", key)
    monkeypatch.setenv("PARETA_BASE_URL", local.base_url)
    return key


def cluster(workers: int = 2, threads: int = 1) -> tuple[LocalCluster, Client]:
    # A free port for the scheduler's HTTP server: with None it still tries 8787, and
    # warns (an error here) when another cluster on the machine holds it.
    started = LocalCluster(
        n_workers=workers, threads_per_worker=threads, processes=True, dashboard_address=":0"
    )
    return started, Client(started)


def frame(count: int = ROWS) -> pd.DataFrame:
    ids = [f"r{i}" for i in range(count)]
    return pd.DataFrame(
        {"id": ids, "prompt": [f"Effective 2026-02-{i % 28 + 1:02d}." for i in range(count)]}
    )


def debits_per_row(local: LocalServer, key: str) -> Counter[str]:
    return Counter(e["idempotency_key"].split(".")[1] for e in local.ledger(key))


def clients_per_process(dask_client: Client) -> dict[int, int]:
    def count() -> tuple[int, int]:
        return os.getpid(), sum(pid == os.getpid() for pid, _ in pareta.dask._WORKERS)

    return dict(dask_client.run(count).values())


def test_a_dataframes_partitions_are_answered_and_billed_once(local: LocalServer, org: str) -> None:
    started, dask_client = cluster()
    with started, dask_client:
        # The second run splits the rows differently and sends the same rows, same keys.
        for partitions, replayed in ((6, False), (5, True)):
            ddf = dd.from_pandas(frame(), npartitions=partitions)
            answered = pareta.dask.batch(ddf, job="dask-once", key="id", model=MODEL)
            assert list(answered.columns) == ["id", "prompt", *OUTPUTS]
            out = answered.compute()
            assert sorted(out["id"]) == sorted(frame()["id"])
            assert out["error"].isna().all()
            assert out["answer"].str.contains("effective_date").all()
            assert out["request_id"].str.startswith("req_").all()
            assert (out["replayed"] == replayed).all()
            assert dict(out.dtypes) == dict(answered.dtypes)
        # Each worker process made one client for its life, from its own environment.
        assert list(clients_per_process(dask_client).values()) == [1, 1]
    assert debits_per_row(local, org) == Counter({row_id: 1 for row_id in frame()["id"]})
    assert out["cost_micro_usd"].sum() == sum(e["amount_micro_usd"] for e in local.ledger(org))


def test_a_row_waiting_out_a_backoff_does_not_hold_up_its_worker(
    local: LocalServer, org: str
) -> None:
    """One worker process with four threads: the first request is told to come back in
    8 s, and the worker's other partitions are answered meanwhile."""
    local.inject_fault("POST /v1/chat/completions status=503 retry_after=8 count=1", api_key=org)
    started, dask_client = cluster(workers=1, threads=4)
    with started, dask_client:
        bag = db.from_sequence(frame(200).to_dict("records"), npartitions=20)
        out = pareta.dask.batch(bag, job="dask-busy", key="id", model=MODEL).compute()
    (waited,) = [r for r in out if r["attempts"] == 2]
    assert all(r["error"] is None for r in out)
    # The first request of the org waited: its own partition holds 9 other rows, and every
    # row billed before it was answered while it waited.
    assert billed_before(local.ledger(org), waited["id"]) > 9


def test_a_rate_limited_org_answers_every_row_once(
    limited: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = limited.mint_key()
    monkeypatch.setenv("PARETA_API_KEY", key)
    monkeypatch.setenv("PARETA_BASE_URL", limited.base_url)
    started, dask_client = cluster()
    with started, dask_client:
        ddf = dd.from_pandas(frame(200), npartitions=4)
        out = pareta.dask.batch(ddf, job="dask-limited", key="id", model=MODEL).compute()
    assert out["error"].isna().all()
    assert debits_per_row(limited, key) == Counter({row_id: 1 for row_id in frame(200)["id"]})


def test_without_a_cluster_and_with_hooks(local: LocalServer, org: str) -> None:
    """Dask's in-process scheduler; postprocess on a dataframe and on a bag."""

    def postprocess(row: dict[str, Any]) -> dict[str, Any]:
        return {"id": row["id"], "tokens": row["total_tokens"]}

    meta = pd.DataFrame({"id": pd.Series(dtype=str), "tokens": pd.Series(dtype="int64")})
    ddf = dd.from_pandas(frame(20), npartitions=2)
    with dask.config.set(scheduler="sync"):
        out = pareta.dask.batch(
            ddf, job="dask-hooks", key="id", model=MODEL, postprocess=postprocess, meta=meta
        ).compute()
        assert list(out.columns) == ["id", "tokens"] and (out["tokens"] > 0).all()
        bag = db.from_sequence(frame(20).to_dict("records"), npartitions=2)
        rows = pareta.dask.batch(bag, job="dask-hooks", key="id", model=MODEL).compute()
        assert len(rows) == 20 and all(r["replayed"] for r in rows)
        made = pareta.dask.batch(
            bag, job="dask-hooks", key="id", model=MODEL, postprocess=postprocess
        ).compute()
    assert made == [{"id": r["id"], "tokens": r["total_tokens"]} for r in rows]
    assert debits_per_row(local, org) == Counter({row_id: 1 for row_id in frame(20)["id"]})


def test_arguments_are_checked_where_they_are_given() -> None:
    ddf = dd.from_pandas(frame(4), npartitions=1)
    with pytest.raises(ValueError, match="with postprocess, pass meta="):
        pareta.dask.batch(ddf, job="j", key="id", postprocess=dict)
    with pytest.raises(TypeError, match="takes a dask DataFrame or a dask Bag"):
        pareta.dask.batch(frame(4), job="j", key="id")
    with pytest.raises(ValueError, match="job must be"):
        pareta.dask.batch(ddf, job="a job", key="id")
