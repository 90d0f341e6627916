from __future__ import annotations

import functools

import httpx
import pytest

from pareta import (
    APIConnectionError,
    AsyncDeployStream,
    AsyncMetrics,
    ConflictError,
    Endpoint,
    MetricReport,
    Model,
    ModelList,
    NotFoundError,
    ParetaError,
)
from tests._async.helpers import mocked
from tests.helpers import (
    Recorder,
    json_response,
    sse_events,
    sse_response,
)

pytestmark = pytest.mark.anyio

LIVE = {
    "id": "ep_a1b2c3",
    "name": "ep_a1b2c3",
    "model": "qwen-1",
    "status": "live",
    "task": "contract-key-fields",
    "url": "https://api.test/v1",
}
DEPLOY_EVENTS = [
    ("progress", {"stage": "resolving hardware", "pct": 10}),
    ("progress", {"stage": "pulling weights", "pct": 45}),
    ("complete", {"endpoint": LIVE}),
]


make = functools.partial(mocked, max_retries=0)


async def test_models_list_is_iterable_and_sized() -> None:
    payload = {
        "object": "list",
        "data": [
            {"id": "ep_1", "owned_by": "pareta", "created": 1},
            {"id": "ep_2", "owned_by": "pareta", "created": 2},
        ],
    }
    recorder = Recorder(json_response(200, payload))
    models = await make(recorder).models.list()
    assert isinstance(models, ModelList)
    assert len(models) == 2
    assert [m.id for m in models] == ["ep_1", "ep_2"]
    assert all(isinstance(m, Model) for m in models.data)
    assert models.data[1].owned_by == "pareta"
    assert models.data[1].created == 2
    assert models["object"] == "list"
    assert models.to_dict() == payload
    assert recorder.last.url.path == "/v1/models"


async def test_deploy_streams_progress_events_by_default() -> None:
    recorder = Recorder(sse_response(sse_events(*DEPLOY_EVENTS)))
    stream = await make(recorder).endpoints.deploy(task="contract-key-fields")
    assert isinstance(stream, AsyncDeployStream)
    events = [event async for event in stream]
    assert events == [{"event": name, "data": data} for name, data in DEPLOY_EVENTS]
    assert recorder.body() == {"task": "contract-key-fields", "model": "recommended"}
    assert recorder.last.url.path == "/v1/endpoints"
    assert recorder.last.headers["accept"] == "text/event-stream"


async def test_deploy_stream_skips_events_without_data() -> None:
    # Keep-alives: a comment, and a named event with no data line.
    body = b": keep-alive\n\nevent: ping\n\n" + sse_events(*DEPLOY_EVENTS)
    recorder = Recorder(sse_response(body))
    stream = await make(recorder).endpoints.deploy(task="contract-key-fields")
    events = [event async for event in stream]
    assert events == [{"event": name, "data": data} for name, data in DEPLOY_EVENTS]


async def test_deploy_wait_returns_the_live_endpoint() -> None:
    recorder = Recorder(sse_response(sse_events(*DEPLOY_EVENTS)))
    ep = await make(recorder).endpoints.deploy(
        task="contract-key-fields", model="qwen-1", name="mine", wait=True, region="eu"
    )
    assert isinstance(ep, Endpoint)
    assert ep.id == "ep_a1b2c3"
    assert ep.is_live
    assert ep.model == "qwen-1"
    assert recorder.body() == {
        "task": "contract-key-fields",
        "model": "qwen-1",
        "name": "mine",
        "region": "eu",
    }


async def test_deploy_error_event_raises_with_the_message() -> None:
    events = [("progress", {"stage": "x", "pct": 1}), ("error", {"message": "out of memory"})]
    recorder = Recorder(sse_response(sse_events(*events)))
    with pytest.raises(ParetaError, match="out of memory"):
        await make(recorder).endpoints.deploy(task="contract-key-fields", wait=True)


async def test_deploy_error_event_is_yielded_without_wait() -> None:
    events = [("error", {"message": "unknown alias"})]
    recorder = Recorder(sse_response(sse_events(*events)))
    stream = await make(recorder).endpoints.deploy(task="contract-key-fields")
    assert [e async for e in stream] == [{"event": "error", "data": {"message": "unknown alias"}}]


async def test_deploy_stream_ending_without_complete_raises() -> None:
    events = [("progress", {"stage": "pulling weights", "pct": 45})]
    recorder = Recorder(sse_response(sse_events(*events)))
    with pytest.raises(ParetaError, match="complete"):
        await make(recorder).endpoints.deploy(task="contract-key-fields", wait=True)
    recorder = Recorder(sse_response(sse_events(*events)))
    stream = await make(recorder).endpoints.deploy(task="contract-key-fields")
    with pytest.raises(APIConnectionError):
        async for _ in stream:
            pass


async def test_deploy_complete_without_endpoint_raises() -> None:
    recorder = Recorder(sse_response(sse_events(("complete", {"oops": True}))))
    with pytest.raises(ParetaError, match="endpoint record"):
        await make(recorder).endpoints.deploy(task="contract-key-fields", wait=True)


@pytest.mark.parametrize("task", ["", None, "   "])
async def test_deploy_needs_a_task_before_any_request(task: str | None) -> None:
    recorder = Recorder(json_response(200, {}))
    with pytest.raises(ValueError, match="task"):
        await make(recorder).endpoints.deploy(task=task)  # type: ignore[arg-type]
    assert recorder.requests == []


async def test_list_retrieve_start_stop_delete_routes() -> None:
    recorder = Recorder(
        json_response(200, [LIVE, {**LIVE, "id": "ep_2", "status": "stopped"}]),
        json_response(200, LIVE),
        json_response(200, {"id": "ep_a1b2c3", "status": "starting"}),
        json_response(200, {"id": "ep_a1b2c3", "status": "stopped"}),
        httpx.Response(204),
    )
    client = make(recorder)
    endpoints = await client.endpoints.list()
    assert [(e.id, e.is_live) for e in endpoints] == [("ep_a1b2c3", True), ("ep_2", False)]
    ep = await client.endpoints.retrieve("ep_a1b2c3")
    assert ep.url == "https://api.test/v1"
    assert ep.task == "contract-key-fields"
    assert (await client.endpoints.start("ep_a1b2c3"))["status"] == "starting"
    assert (await client.endpoints.stop("ep_a1b2c3"))["status"] == "stopped"
    await client.endpoints.delete("ep_a1b2c3")
    routes = [(r.method, r.url.path) for r in recorder.requests]
    assert routes == [
        ("GET", "/v1/endpoints"),
        ("GET", "/v1/endpoints/ep_a1b2c3"),
        ("POST", "/v1/endpoints/ep_a1b2c3/start"),
        ("POST", "/v1/endpoints/ep_a1b2c3/stop"),
        ("DELETE", "/v1/endpoints/ep_a1b2c3"),
    ]


async def test_list_accepts_an_enveloped_array() -> None:
    recorder = Recorder(json_response(200, {"endpoints": [LIVE]}))
    assert [e.id for e in await make(recorder).endpoints.list()] == ["ep_a1b2c3"]


async def test_ids_are_escaped_into_one_path_segment() -> None:
    recorder = Recorder(json_response(200, LIVE))
    await make(recorder).endpoints.retrieve("ep/../../admin?x=1")
    assert recorder.last.url.raw_path == b"/v1/endpoints/ep%2F..%2F..%2Fadmin%3Fx%3D1"


async def test_unknown_endpoint_and_seed_conflict() -> None:
    recorder = Recorder(
        json_response(404, {"detail": "endpoint not found"}),
        json_response(409, {"detail": "seed endpoints cannot be deleted"}),
    )
    client = make(recorder)
    with pytest.raises(NotFoundError):
        await client.endpoints.retrieve("ep_does_not_exist")
    with pytest.raises(ConflictError):
        await client.endpoints.delete("ep_contract_kie")


async def test_metrics_handle_does_no_io_and_params_become_the_query() -> None:
    recorder = Recorder(json_response(200, {"p50_ms": 12}))
    client = make(recorder)
    m = client.endpoints.metrics("ep_a1b2c3")
    assert isinstance(m, AsyncMetrics)
    assert recorder.requests == []
    assert await m.performance() == {"p50_ms": 12}
    assert isinstance(await m.uptime(), MetricReport)  # a dict, with to_pandas()
    await m.cost(group_by="day")
    await m.quality(window="24h")
    await m.activity(window="7d", group_by="hour")
    calls = [(r.url.path, dict(r.url.params)) for r in recorder.requests]
    assert calls == [
        ("/v1/endpoints/ep_a1b2c3/performance", {}),
        ("/v1/endpoints/ep_a1b2c3/uptime", {}),
        ("/v1/endpoints/ep_a1b2c3/cost", {"group_by": "day"}),
        ("/v1/endpoints/ep_a1b2c3/quality", {"window": "24h"}),
        ("/v1/endpoints/ep_a1b2c3/activity", {"window": "7d", "group_by": "hour"}),
    ]
    assert "ep_a1b2c3" in repr(m)


async def test_metrics_needs_an_endpoint_id() -> None:
    client = make(Recorder(json_response(200, {})))
    with pytest.raises(ValueError, match="endpoint_id"):
        client.endpoints.metrics("")
