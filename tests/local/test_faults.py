from __future__ import annotations

import time

import httpx
import pytest

from pareta.local import Fault, LocalServer

from .helpers import chat_body


def test_parse_fault_specs() -> None:
    fault = Fault.parse("POST /v1/chat/completions status=503 retry_after=2 count=3 p=0.5")
    assert (fault.method, fault.path, fault.status, fault.retry_after) == (
        "POST",
        "/v1/chat/completions",
        503,
        2.0,
    )
    assert (fault.count, fault.probability) == (3, 0.5)
    assert Fault.parse("/v1/* latency=250ms").latency == 0.25
    assert Fault.parse("GET /v1/tasks drop").drop is True
    assert Fault.parse("* /v1/x drop_after=2 detail=try_later").detail == "try later"
    for bad in [
        "",
        "POST /v1/x",
        "POST /v1/x status=200",
        "POST /v1/x colour=red",
        "POST /v1/x status=503 drop",
        "POST /v1/x probability=2 status=500",
        "FETCH /v1/x status=500 extra",
    ]:
        with pytest.raises(ValueError, match=r"."):
            Fault.parse(bad)


def test_status_with_retry_after_is_never_billed(
    server: LocalServer, client: httpx.Client, api_key: str
) -> None:
    server.inject_fault("POST /v1/chat/completions status=503 retry_after=2 count=2")
    for _ in range(2):
        response = client.post("/v1/chat/completions", json=chat_body())
        assert response.status_code == 503
        assert response.headers["retry-after"] == "2"
        assert response.json() == {"detail": "Injected fault"}
        assert response.headers["x-request-id"].startswith("req_")
    assert client.post("/v1/chat/completions", json=chat_body()).status_code == 200
    assert len(server.ledger(api_key=api_key)) == 1
    assert server.faults()[0].hits == 2


def test_latency(server: LocalServer, client: httpx.Client) -> None:
    server.inject_fault(Fault(path="/v1/tasks", method="GET", latency=0.3, count=1))
    started = time.perf_counter()
    assert client.get("/v1/tasks").status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_client_timeout_during_latency_is_not_billed(
    server: LocalServer, client: httpx.Client, api_key: str
) -> None:
    server.inject_fault("POST /v1/chat/completions latency=0.5 count=1")
    with pytest.raises(httpx.ReadTimeout):
        client.post("/v1/chat/completions", json=chat_body(), timeout=0.1)
    # The next request is served after the delayed one was abandoned.
    assert client.post("/v1/chat/completions", json=chat_body()).status_code == 200
    assert len(server.ledger(api_key=api_key)) == 1


def test_mid_stream_drop(server: LocalServer, client: httpx.Client, api_key: str) -> None:
    server.inject_fault("POST /v1/chat/completions drop_after=2 count=1")
    received = []
    request = client.stream("POST", "/v1/chat/completions", json=chat_body(stream=True))
    with pytest.raises(httpx.RemoteProtocolError), request as response:
        assert response.status_code == 200
        received.extend(line for line in response.iter_lines() if line.startswith("data:"))
    assert len(received) == 2
    assert server.ledger(api_key=api_key) == []


def test_dropped_plain_response(server: LocalServer, client: httpx.Client, api_key: str) -> None:
    # An abort reads as a truncated body, or as a reset when it lands first.
    dropped = (httpx.RemoteProtocolError, httpx.ReadError)
    server.inject_fault("POST /v1/chat/completions drop count=1")
    with pytest.raises(dropped):
        client.post("/v1/chat/completions", json=chat_body())
    server.inject_fault("GET /v1/tasks drop_after=0 count=1")
    with pytest.raises(dropped):
        client.get("/v1/tasks")
    assert server.ledger(api_key=api_key) == []
    assert client.get("/v1/tasks").status_code == 200


def test_probability_is_seeded() -> None:
    def failures(seed: int) -> list[int]:
        with LocalServer(seed=seed, faults=["GET /v1/models status=500 probability=0.3"]) as s:
            headers = {"Authorization": f"Bearer {s.api_key}"}
            with httpx.Client(base_url=s.base_url, headers=headers) as c:
                return [c.get("/v1/models").status_code for _ in range(200)]

    first, again = failures(1), failures(1)
    assert first == again
    assert 30 < first.count(500) < 90
    assert set(first) == {200, 500}


def test_admin_fault_routes(server: LocalServer, client: httpx.Client) -> None:
    added = client.post("/admin/faults", json={"spec": "GET /v1/tasks status=429 count=1"})
    assert added.status_code == 200
    fault_id = added.json()["fault"]["id"]
    client.post("/admin/faults", json={"path": "/v1/models", "status": 500})
    assert len(client.get("/admin/faults").json()["faults"]) == 2
    assert client.get("/v1/tasks").status_code == 429
    assert client.get("/admin/faults").status_code == 200  # admin routes are never faulted
    assert client.delete(f"/admin/faults/{fault_id}").status_code == 200
    assert client.delete(f"/admin/faults/{fault_id}").status_code == 404
    assert client.post("/admin/faults", json={"spec": "GET /v1/x"}).status_code == 422
    assert client.delete("/admin/faults").json() == {"cleared": 1}
    assert client.get("/v1/models").status_code == 200
