"""The Dask recipe of docs/cluster.md on a real LocalCluster of worker processes, over a dataframe's
partitions, against the local server."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import dask.dataframe as dd
import pandas as pd
import pytest
from dask.distributed import Client, LocalCluster

from pareta.local import LocalServer
from tests.cluster.readme import page_block

ROWS = 300


@pytest.fixture(scope="module")
def local() -> Iterator[LocalServer]:
    with LocalServer(seed=7) as server:
        yield server


@pytest.fixture(scope="module")
def recipe() -> dict[str, Any]:
    """The recipe's definitions, exactly as the page has them (not its main block)."""
    namespace: dict[str, Any] = {"__name__": "dask_recipe"}
    exec(compile(page_block("WorkerPlugin"), "docs/cluster.md", "exec"), namespace)
    return namespace


@pytest.fixture
def client(
    local: LocalServer, recipe: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Client, str]]:
    """Two worker processes, started with a fresh org's key in their environment."""
    key = local.mint_key()
    monkeypatch.setenv("PARETA_API_KEY", key)
    monkeypatch.setenv("PARETA_BASE_URL", local.base_url)
    with (
        # A free port for the scheduler's HTTP server: with None it still tries 8787, and
        # warns (an error here) when another cluster on the machine holds it.
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as dask_client,
    ):
        dask_client.register_plugin(recipe["ParetaClient"]())
        yield dask_client, key


def frame() -> pd.DataFrame:
    ids = [f"r{i}" for i in range(ROWS)]
    return pd.DataFrame(
        {"id": ids, "prompt": [f"Effective 2026-02-{i % 28 + 1:02d}." for i in range(ROWS)]}
    )


def test_a_dataframes_partitions_are_answered_and_billed_once(
    local: LocalServer, recipe: dict[str, Any], client: tuple[Client, str]
) -> None:
    dask_client, key = client
    answer = recipe["answer"]

    async def answer_frame(part: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(await answer(part.to_dict("records")))

    ddf = dd.from_pandas(frame(), npartitions=6)
    for _ in range(2):  # the second run sends the same rows under the same keys
        partitions = dask_client.compute(ddf.to_delayed())
        out = pd.concat(dask_client.gather(dask_client.map(answer_frame, partitions)))
        assert sorted(out["id"]) == sorted(frame()["id"])
        assert out["error"].isna().all()
        assert out["answer"].str.contains("effective_date").all()
        assert (out["attempts"] == 1).all() and out["request_id"].str.startswith("req_").all()
    debits = Counter(e["idempotency_key"].split(".")[1] for e in local.ledger(key))
    assert debits == Counter({row_id: 1 for row_id in frame()["id"]})
    # Each worker process made its own client, from its own environment.
    pids = dask_client.run(lambda dask_worker: (os.getpid(), dask_worker.pareta.base_url))
    assert len({pid for pid, _ in pids.values()}) == 2
    assert {url for _, url in pids.values()} == {local.base_url}
