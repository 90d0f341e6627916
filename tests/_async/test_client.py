from __future__ import annotations

import httpx
import pytest

import pareta
from pareta import AsyncPareta, ParetaError
from pareta._async import _http
from pareta._async._transport import AsyncShardedTransport
from pareta.local import LocalServer
from tests._async.helpers import mocked
from tests.helpers import API_KEY, BASE_URL, Recorder, json_response, transport

pytestmark = pytest.mark.anyio


make = mocked


async def test_missing_key_raises_with_a_hint() -> None:
    for key in (None, ""):
        with pytest.raises(ParetaError) as info:
            AsyncPareta(api_key=key)
        assert "PARETA_API_KEY" in str(info.value)
        assert "pareta_sk_" in str(info.value)
        assert "dashboard" in str(info.value)


async def test_constructor_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        AsyncPareta(API_KEY)  # type: ignore[call-arg]


async def test_defaults() -> None:
    client = AsyncPareta(api_key=API_KEY)
    try:
        assert client.base_url == "https://api.pareta.ai"
        assert client.max_retries == 2
        assert client.timeout == httpx.Timeout(60.0, connect=10.0)
    finally:
        await client.aclose()


async def test_base_url_trailing_slash_is_stripped_and_used() -> None:
    recorder = Recorder(json_response(200, {"data": []}))
    client = AsyncPareta(
        api_key=API_KEY,
        base_url="https://staging.test///",
        http_client=httpx.AsyncClient(transport=transport(recorder)),
    )
    await client.models.list()
    assert client.base_url == "https://staging.test"
    assert str(recorder.last.url) == "https://staging.test/v1/models"


async def test_bad_arguments_are_rejected_before_any_request() -> None:
    with pytest.raises(ValueError, match="base_url"):
        AsyncPareta(api_key=API_KEY, base_url="api.pareta.ai")
    with pytest.raises(TypeError, match="timeout"):
        AsyncPareta(api_key=API_KEY, timeout="60")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="max_retries"):
        AsyncPareta(api_key=API_KEY, max_retries=1.5)  # type: ignore[arg-type]


async def test_max_retries_is_clamped_at_zero() -> None:
    client = AsyncPareta(api_key=API_KEY, max_retries=-3)
    assert client.max_retries == 0
    await client.aclose()


async def test_float_timeout_applies_to_every_phase() -> None:
    client = AsyncPareta(api_key=API_KEY, timeout=12.5)
    assert client.timeout == httpx.Timeout(12.5)
    await client.aclose()


async def test_from_env_reads_key_and_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARETA_API_KEY", "pareta_sk_env")
    monkeypatch.setenv("PARETA_BASE_URL", "https://env.test/")
    client = AsyncPareta.from_env(max_retries=5, timeout=3.0)
    assert client.base_url == "https://env.test"
    assert client.max_retries == 5
    assert client.timeout == httpx.Timeout(3.0)
    await client.aclose()


async def test_from_env_explicit_arguments_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARETA_API_KEY", "pareta_sk_env")
    monkeypatch.setenv("PARETA_BASE_URL", "https://env.test")
    recorder = Recorder(json_response(200, {"data": []}))
    client = AsyncPareta.from_env(
        api_key="pareta_sk_explicit",
        base_url="https://explicit.test",
        http_client=httpx.AsyncClient(transport=transport(recorder)),
    )
    await client.models.list()
    assert recorder.last.headers["authorization"] == "Bearer pareta_sk_explicit"
    assert str(recorder.last.url).startswith("https://explicit.test/")


async def test_from_env_without_key_raises() -> None:
    with pytest.raises(ParetaError, match="PARETA_API_KEY"):
        AsyncPareta.from_env()


async def test_constructor_falls_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # As documented: it raises only when api_key is falsy and PARETA_API_KEY is unset.
    monkeypatch.setenv("PARETA_API_KEY", "pareta_sk_env")
    monkeypatch.setenv("PARETA_BASE_URL", "https://env.test/")
    recorder = Recorder(json_response(200, {"data": []}))
    client = AsyncPareta(http_client=httpx.AsyncClient(transport=transport(recorder)))
    await client.models.list()
    assert recorder.last.headers["authorization"] == "Bearer pareta_sk_env"
    assert str(recorder.last.url) == "https://env.test/v1/models"
    explicit = AsyncPareta(api_key="pareta_sk_explicit", base_url="https://explicit.test")
    assert explicit._client.api_key == "pareta_sk_explicit"
    assert explicit.base_url == "https://explicit.test"
    await explicit.aclose()


async def test_a_trailing_v1_in_base_url_is_the_version_the_sdk_adds() -> None:
    recorder = Recorder(json_response(200, {"data": []}))
    for given in ("http://127.0.0.1:8765/v1", "http://127.0.0.1:8765/v1/", "http://127.0.0.1:8765"):
        client = AsyncPareta(
            api_key=API_KEY,
            base_url=given,
            http_client=httpx.AsyncClient(transport=transport(recorder)),
        )
        await client.models.list()
        assert client.base_url == "http://127.0.0.1:8765"
        assert str(recorder.last.url) == "http://127.0.0.1:8765/v1/models"


async def test_every_request_carries_auth_user_agent_and_accept() -> None:
    recorder = Recorder(json_response(200, {"data": []}))
    client = make(recorder)
    await client.models.list()
    headers = recorder.last.headers
    assert headers["authorization"] == f"Bearer {API_KEY}"
    assert headers["user-agent"] == f"pareta-python/{pareta.__version__}"
    assert headers["accept"] == "application/json"


async def test_key_never_appears_in_repr() -> None:
    client = AsyncPareta(api_key=API_KEY)
    assert API_KEY not in repr(client)
    assert API_KEY not in str(client)
    assert API_KEY not in repr(client._client)
    await client.aclose()


async def test_injected_client_is_not_closed_and_its_timeout_is_kept() -> None:
    recorder = Recorder(json_response(200, {"data": []}))
    own = httpx.AsyncClient(transport=transport(recorder), timeout=httpx.Timeout(7.0))
    client = AsyncPareta(api_key=API_KEY, base_url=BASE_URL, http_client=own, timeout=99.0)
    assert client.timeout == httpx.Timeout(7.0)
    async with client:
        await client.models.list()
    await client.aclose()
    assert not own.is_closed
    response = await own.get(f"{BASE_URL}/v1/models")  # still usable
    assert response.status_code == 200
    await own.aclose()


async def test_owned_client_is_closed_on_exit() -> None:
    async with AsyncPareta(api_key=API_KEY) as client:
        inner = client.http_client
        assert not inner.is_closed
    assert inner.is_closed


async def test_proxy_variables_mount_split_pools_through_the_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    async with AsyncPareta(api_key=API_KEY) as client:
        # The proxy is mounted as httpx would mount it, with pools of the same kind.
        assert isinstance(client.http_client._transport, AsyncShardedTransport)
        mounts = {p.pattern: t for p, t in client.http_client._mounts.items()}
        assert isinstance(mounts["https://"], AsyncShardedTransport)


async def test_a_forked_child_starts_a_fresh_pool(key: str, local: LocalServer) -> None:
    # The fork itself is exercised in a subprocess (tests/one_twin/test_lifecycle.py); this runs
    # the child's reset in-process.
    async with AsyncPareta(api_key=key, base_url=local.base_url) as client:
        await client.tasks.list()
        parent_pool = client.http_client
        client._client.reset_after_fork()
        assert client.http_client is not parent_pool
        assert not parent_pool.is_closed  # the parent's sockets are left alone
        assert await client.tasks.list()
    await parent_pool.aclose()


async def test_the_url_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_http, "_URL_CACHE_SIZE", 2)
    recorder = Recorder(json_response(200, {"id": "t"}))
    client = mocked(recorder)
    for task_id in ("a", "b", "c", "a"):
        await client.tasks.retrieve(task_id)
    assert [r.url.path for r in recorder.requests] == [f"/v1/tasks/{t}" for t in "abca"]
    assert len(client._client._urls) == 2


async def test_resource_namespaces() -> None:
    client = AsyncPareta(api_key=API_KEY)
    assert type(client.chat).__name__ == "AsyncChat"
    assert type(client.chat.completions).__name__ == "AsyncCompletions"
    assert type(client.models).__name__ == "AsyncModels"
    assert type(client.endpoints).__name__ == "AsyncEndpoints"
    assert type(client.tasks).__name__ == "AsyncTasks"
    assert type(client.evals).__name__ == "AsyncEvals"
    assert type(client.evals.sets).__name__ == "AsyncEvalSets"
    assert type(client.evals.runs).__name__ == "AsyncEvalRuns"
    await client.aclose()


async def test_pareta_log_records_requests_without_the_key(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from pareta import _logs
    from pareta._async import _http

    async def no_wait(seconds: float) -> None:
        return None

    monkeypatch.setattr(_http, "asleep", no_wait)
    monkeypatch.setattr(_logs, "_configured", False)
    monkeypatch.setenv("PARETA_LOG", "debug")
    recorder = Recorder(json_response(503, {"detail": "cold"}), json_response(200, {"data": []}))
    with caplog.at_level("DEBUG", logger="pareta"):
        await make(recorder).models.list()
    text = caplog.text
    assert "GET /v1/models -> 503 request_id=req_test attempt=1" in text
    assert "retry 1" in text
    assert "GET /v1/models -> 200 request_id=req_test attempt=2" in text
    assert API_KEY not in text
    assert "Bearer" not in text
    _logs.logger.handlers.clear()
    _logs.logger.setLevel("NOTSET")
