"""The SDK against the local Pareta server over real sockets."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from pareta import (
    APIConnectionError,
    AsyncPareta,
    ConflictError,
    EndpointNotReadyError,
    InsufficientCreditsError,
    NotFoundError,
    RateLimitError,
)
from pareta.local import LocalServer
from tests.helpers import busy_connections

pytestmark = pytest.mark.anyio

ROWS = [
    {
        "input": "This Agreement is effective as of January 1, 2026 between Acme Corp and Beta.",
        "expected": {"effective_date": "2026-01-01"},
    },
    {
        "input": "Effective 2026-03-15. This Agreement terminates on 2027-12-31.",
        "expected": {"effective_date": "2026-03-15", "termination_date": "2027-12-31"},
    },
    {
        "input": "Effective as of May 5, 2025, governed by the laws of Delaware.",
        "expected": {"effective_date": "2025-05-05"},
    },
]


def make(local: LocalServer, key: str, **kwargs: object) -> AsyncPareta:
    return AsyncPareta(api_key=key, base_url=local.base_url, **kwargs)  # type: ignore[arg-type]


async def test_the_whole_discovery_funnel(local: LocalServer, key: str) -> None:
    async with make(local, key) as pa:
        match = await pa.tasks.match("extract key fields from contracts")
        assert match.matched
        assert match.matcher == "keyword"
        assert match.chosen is not None
        task = match.chosen.task_id
        assert task == "contract-key-fields"

        board = await pa.tasks.leaderboard(task)
        assert board.recommended == await pa.tasks.recommended(task)
        candidates = [e.name for e in board.models[:2] if e.name is not None]
        assert len(candidates) == 2
        assert all(e.kind == "open" for e in board.models)
        assert board.frontier is not None

        roster = await pa.evals.frontier_models(task=task)
        benchmarked = [m.id for m in roster if m.benchmarked]
        run = await pa.evals.runs.create(
            task=task,
            items=ROWS,
            models=candidates,
            frontier="benchmarked",
            wait=True,
            poll_interval=0.05,
        )
        assert run.status == "completed"
        assert run.candidate_models == candidates + benchmarked
        assert {r.model_id for r in run.results} == set(candidates + benchmarked)
        for result in run.results:
            assert result.n_succeeded == len(ROWS)
            assert result.quality_ci_low is not None
            assert result.quality_ci_high is not None
            assert result.quality_mean is not None
            assert result.quality_ci_low <= result.quality_mean <= result.quality_ci_high
        assert run.cost_micro_usd > 0
        assert run.cost == Decimal(run.cost_micro_usd // 10_000) / 100
        assert run.eval_set_id is not None
        assert any(e["kind"] == "eval.run" for e in local.ledger(key))

        open_results = [r for r in run.results if r.kind == "open"]
        winner = max(open_results, key=lambda r: r.quality_mean or 0.0)
        assert winner.model_id is not None
        events = [e async for e in await pa.endpoints.deploy(task=task, model=winner.model_id)]
        assert events[0]["event"] == "progress"
        assert events[-1]["event"] == "complete"
        endpoint_id = events[-1]["data"]["endpoint"]["id"]
        ep = await pa.endpoints.retrieve(endpoint_id)
        assert ep.is_live
        assert ep.model == winner.model_id
        assert endpoint_id in [m.id for m in await pa.models.list()]

        stream = await pa.chat.completions.create(
            model=ep.id or "",
            messages=[{"role": "user", "content": ROWS[1]["input"]}],
            stream=True,
        )
        async with stream:
            text = "".join([c.choices[0].delta.content or "" async for c in stream])
        assert "2026-03-15" in text
        resp = await pa.chat.completions.create(
            model=ep.id or "", messages=[{"role": "user", "content": ROWS[0]["input"]}]
        )
        assert resp.usage.total_tokens
        assert "2026-01-01" in (resp.choices[0].message.content or "")

        metrics = pa.endpoints.metrics(endpoint_id)
        activity = await metrics.activity()
        assert activity
        assert await metrics.performance(window="1h")
        assert await metrics.cost(group_by="day")

        await pa.endpoints.stop(endpoint_id)
        assert (await pa.endpoints.retrieve(endpoint_id)).status == "stopped"
        async with make(local, key, max_retries=0) as impatient:
            with pytest.raises(EndpointNotReadyError):
                await impatient.chat.completions.create(
                    model=endpoint_id, messages=[{"role": "user", "content": "hi"}]
                )
        await pa.endpoints.delete(endpoint_id)
        with pytest.raises(NotFoundError):
            await pa.endpoints.retrieve(endpoint_id)
        assert run.eval_set_id is not None
        await pa.evals.sets.delete(run.eval_set_id)


async def test_deploy_wait_and_seed_endpoints(local: LocalServer, key: str) -> None:
    async with make(local, key) as pa:
        ep = await pa.endpoints.deploy(task="contract-key-fields", wait=True)
        assert ep.is_live
        assert ep.task == "contract-key-fields"
        assert ep.model == await pa.tasks.recommended("contract-key-fields")
        ids = [e.id for e in await pa.endpoints.list()]
        assert "ep_contract_kie" in ids
        assert ep.id in ids
        async with make(local, key, max_retries=0) as impatient:
            with pytest.raises(ConflictError):
                await impatient.endpoints.delete("ep_invoice_xtract")


async def test_retries_recover_from_injected_429_and_503(
    local: LocalServer, key: str, backoff_delays: list[float]
) -> None:
    local.inject_fault("POST /v1/chat/completions status=429 retry_after=3 count=1")
    local.inject_fault("POST /v1/chat/completions status=503 count=1")
    async with make(local, key) as pa:
        resp = await pa.chat.completions.create(
            model="ep_contract_kie", messages=[{"role": "user", "content": "Effective 2026-01-01."}]
        )
    assert resp.choices[0].message.content
    assert len(backoff_delays) == 2
    assert 3.0 in backoff_delays
    assert len([e for e in local.ledger(key) if e["kind"] == "chat.completion"]) == 1


async def test_retries_exhausted_raise_the_mapped_error(
    local: LocalServer, key: str, backoff_delays: list[float]
) -> None:
    local.inject_fault("GET /v1/tasks status=429")
    async with make(local, key, max_retries=2) as pa:
        with pytest.raises(RateLimitError) as info:
            await pa.tasks.list()
    assert info.value.request_id is not None
    assert info.value.request_id.startswith("req_")
    assert len(backoff_delays) == 2


async def test_dropped_response_is_retried_and_billed_once(
    local: LocalServer, key: str, backoff_delays: list[float]
) -> None:
    local.inject_fault("POST /v1/chat/completions drop_after=0 count=1")
    async with make(local, key) as pa:
        resp = await pa.chat.completions.create(
            model="ep_contract_kie", messages=[{"role": "user", "content": "Effective 2026-02-02."}]
        )
    assert resp.choices
    assert len(backoff_delays) == 1
    debits = [e for e in local.ledger(key) if e["kind"] == "chat.completion"]
    assert len(debits) == 1


async def test_mid_stream_drop_raises_connection_error(local: LocalServer, key: str) -> None:
    local.inject_fault("POST /v1/chat/completions drop_after=2")
    async with make(local, key) as pa:
        stream = await pa.chat.completions.create(
            model="ep_contract_kie",
            messages=[{"role": "user", "content": "Summarize: effective 2026-01-01, Acme."}],
            stream=True,
        )
        received = []
        with pytest.raises(APIConnectionError):
            async for chunk in stream:
                received.append(chunk)
        assert len(received) == 2
        assert busy_connections(pa) == 0
    assert [e for e in local.ledger(key) if e["kind"] == "chat.completion"] == []


async def test_empty_balance_is_402_and_nothing_is_billed(local: LocalServer, key: str) -> None:
    local.set_balance(0, api_key=key)
    async with make(local, key) as pa:
        with pytest.raises(InsufficientCreditsError) as info:
            await pa.chat.completions.create(
                model="ep_contract_kie", messages=[{"role": "user", "content": "hi"}]
            )
        assert info.value.status_code == 402
        stream = await pa.chat.completions.create(
            model="ep_contract_kie", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        with pytest.raises(InsufficientCreditsError):
            async for _ in stream:
                pass
        with pytest.raises(InsufficientCreditsError):
            await pa.evals.runs.create(task="contract-key-fields", items=ROWS, models=["qwen-1"])
    assert local.ledger(key) == []


async def test_closed_streams_release_their_connections(local: LocalServer, key: str) -> None:
    async with make(local, key) as pa:
        for _ in range(20):
            stream = await pa.chat.completions.create(
                model="ep_contract_kie",
                messages=[{"role": "user", "content": "Write a long summary of the contract."}],
                stream=True,
                max_tokens=200,
            )
            async with stream:
                async for _ in stream:
                    break
            assert busy_connections(pa) == 0
        for _ in range(5):
            deploy = await pa.endpoints.deploy(task="contract-key-fields")
            async for _ in deploy:
                break
            await deploy.aclose()
            assert busy_connections(pa) == 0
        models = await pa.models.list()
        assert len(models) >= 1


async def test_upload_inline_and_signed(local: LocalServer, key: str) -> None:
    async with make(local, key) as pa:
        eval_set = await pa.evals.sets.create(
            task="invoice-extraction",
            items=[{"expected": {"total": "1240.00"}}, {"expected": {"total": "89.50"}}],
        )
        assert eval_set.item_count == 2
        assert eval_set.name == "sdk eval set (2 items)"
        small = await pa.evals.sets.upload_document(
            eval_set.id or "", b"%PDF-1.4 Invoice Total: $1,240.00", idx=0, field_name="document"
        )
        assert small
        big = b"%PDF-1.4 " + b"0" * (5 * 1024 * 1024)
        large = await pa.evals.sets.upload_document(
            eval_set.id or "", big, idx=1, field_name="document", mime="application/pdf"
        )
        assert large
        assert (await pa.evals.sets.retrieve(eval_set.id or "")).id == eval_set.id
        assert eval_set.id in [s.id for s in await pa.evals.sets.list()]


async def test_other_orgs_resources_are_not_found(local: LocalServer, key: str) -> None:
    async with make(local, key) as mine, make(local, local.mint_key()) as theirs:
        eval_set = await mine.evals.sets.create(task="contract-key-fields", items=ROWS)
        with pytest.raises(NotFoundError):
            await theirs.evals.sets.retrieve(eval_set.id or "")


async def test_the_stock_httpx_client_is_left_open(local: LocalServer, key: str) -> None:
    own = httpx.AsyncClient(timeout=5.0)
    async with AsyncPareta(api_key=key, base_url=local.base_url, http_client=own) as pa:
        assert len(await pa.tasks.list()) >= 10
    assert not own.is_closed
    await own.aclose()


async def test_with_options_and_raw_responses_over_one_pool(
    local: LocalServer, key: str, backoff_delays: list[float]
) -> None:
    local.inject_fault("GET /v1/models status=503 count=2")
    async with make(local, key) as pa:
        strict = pa.with_options(max_retries=0, timeout=10)
        with pytest.raises(EndpointNotReadyError):
            await strict.models.list()  # one attempt, no retry
        raw = await pa.with_raw_response.models.list()  # the parent retries the second 503
        assert len(backoff_delays) == 1
        assert raw.status_code == 200
        assert raw.request_id is not None
        assert raw.request_id.startswith("req_")
        assert raw.parse().request_id == raw.request_id
        assert strict.http_client is pa.http_client
        assert busy_connections(pa) == 0
        tasks = await strict.tasks.list(extra_query={"unused": "1"})
        assert tasks[0].request_id == tasks[-1].request_id is not None


async def test_stream_helpers_rebuild_the_completion(local: LocalServer, key: str) -> None:
    messages = [{"role": "user", "content": "Effective as of 2026-03-01, between Acme and Beta."}]
    async with make(local, key) as pa:
        whole = await pa.chat.completions.create(model="ep_contract_kie", messages=messages)
        async with await pa.chat.completions.create(
            model="ep_contract_kie", messages=messages, stream=True
        ) as stream:
            pieces = [text async for text in stream.text_deltas()]
            final = await stream.get_final_completion()
        assert len(pieces) > 1
        content = final.choices[0].message.content
        assert content == "".join(pieces) == whole.choices[0].message.content
        assert final.choices[0].finish_reason == whole.choices[0].finish_reason == "stop"
        assert final.usage.total_tokens == whole.usage.total_tokens
        assert final.model == "ep_contract_kie"
        assert final.request_id == stream.request_id is not None
        assert busy_connections(pa) == 0


async def test_rows_of_the_wrong_shape_are_refused_before_anything_is_created(
    local: LocalServer, key: str
) -> None:
    rows: list[dict[str, Any]] = [ROWS[0], {"text": "Effective 2026-01-01.", "label": "x"}]
    extra: list[dict[str, Any]] = [{**ROWS[0], "id": 7}]
    async with make(local, key) as pa:
        before = len(await pa.evals.sets.list())
        with pytest.raises(ValueError, match=r"items\[1\]: missing field 'expected'"):
            await pa.evals.sets.create(task="contract-key-fields", items=rows)
        with pytest.raises(ValueError, match=r"items\[0\]: unexpected field 'id'"):
            await pa.evals.runs.create(
                task="contract-key-fields", items=extra, models=["qwen-1"], check_items=True
            )
        await pa.tasks.retrieve("contract-key-fields")  # the client now knows the shape
        with pytest.raises(ValueError, match=r"unexpected field 'id'"):
            await pa.evals.sets.create(task="contract-key-fields", items=extra)
        assert len(await pa.evals.sets.list()) == before
        assert local.ledger(key) == []
        taken = await pa.evals.sets.create(
            task="contract-key-fields", items=rows, check_items=False
        )
        assert taken.item_count == 2
