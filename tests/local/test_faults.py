from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from pareta.local import Fault, LocalServer
from pareta.local.faults import DropLogFilter, InjectedDrop
from pareta.local.routes_admin import FaultRequest

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
    fault = server.inject_fault(Fault(path="/v1/tasks", method="GET", latency=30, count=1))
    with pytest.raises(httpx.ReadTimeout):  # held far longer than the client waits
        client.get("/v1/tasks", timeout=0.2)
    assert client.get("/v1/tasks").status_code == 200  # count=1: only the first is held
    assert [f.hits for f in server.faults() if f.id == fault.id] == [1]


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
    received: list[str] = []
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


@pytest.mark.slow
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


def test_fault_values_are_validated() -> None:
    assert Fault.parse("POST /v1/x drop=true").drop is True
    with pytest.raises(ValueError, match="a fault needs"):
        Fault.parse("POST /v1/x drop=no")
    assert Fault(path="/v1/x", method="post", status=500).method == "POST"
    with pytest.raises(ValueError, match="unknown method 'FETCH'"):
        Fault(path="/v1/x", method="fetch", status=500)
    for latency in (-1, float("nan"), float("inf"), 1e9):
        with pytest.raises(ValueError, match=r"latency must be .* within \[0, 300\]"):
            Fault(path="/v1/x", latency=latency)
    for retry_after in (-1, float("nan"), float("inf"), 1e9):
        with pytest.raises(ValueError, match="retry_after must be within"):
            Fault(path="/v1/x", status=503, retry_after=retry_after)
    with pytest.raises(ValueError, match="probability"):
        Fault(path="/v1/x", status=500, probability=float("nan"))
    with pytest.raises(ValueError, match="count must be at most"):
        Fault(path="/v1/x", status=500, count=10**10)
    with pytest.raises(ValueError, match="at most 500 characters"):
        Fault(path="/v1/" + "x" * 600, status=500)
    with pytest.raises(ValueError, match="latency must be"):
        Fault.parse("POST /v1/x latency=nan")
    with pytest.raises(ValueError, match="cannot be negative"):
        Fault(path="/v1/x", status=500, count=-1)
    with pytest.raises(ValueError, match="drop_after cannot be negative"):
        Fault(path="/v1/x", drop_after=-1)


def _record(exc: BaseException | None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, "boom", (), exc_info)


def test_drop_log_filter_hides_only_injected_drops() -> None:
    log_filter = DropLogFilter()
    try:
        try:
            raise InjectedDrop("dropped")
        except InjectedDrop as drop:
            raise RuntimeError("wrapped") from drop
    except RuntimeError as wrapped:
        caused = wrapped
    try:
        try:
            raise InjectedDrop("dropped")
        except InjectedDrop:
            raise OSError("while handling") from None
    except OSError as during:
        suppressed_context = during
    assert log_filter.filter(_record(InjectedDrop("dropped"))) is False
    assert log_filter.filter(_record(caused)) is False
    assert log_filter.filter(_record(suppressed_context)) is False  # still in __context__
    assert log_filter.filter(_record(RuntimeError("a real bug"))) is True
    assert log_filter.filter(_record(None)) is True


def test_latency_before_a_post_keeps_its_body(
    server: LocalServer, client: httpx.Client, api_key: str
) -> None:
    server.inject_fault("POST /v1/chat/completions latency=50ms count=1")
    delayed = client.post("/v1/chat/completions", json=chat_body())
    assert delayed.status_code == 200
    plain = client.post("/v1/chat/completions", json=chat_body())
    assert delayed.json()["choices"] == plain.json()["choices"]
    assert len(server.ledger(api_key=api_key)) == 2
    assert [f.hits for f in server.faults()] == [1]


def test_latency_then_status(server: LocalServer, client: httpx.Client) -> None:
    server.inject_fault("POST /v1/chat/completions latency=10ms status=429 count=1")
    response = client.post("/v1/chat/completions", json=chat_body())
    assert response.status_code == 429
    assert response.json() == {"detail": "Injected fault"}


def test_latency_before_a_chunked_post_keeps_its_body(
    server: LocalServer, client: httpx.Client
) -> None:
    def pieces() -> Iterator[bytes]:
        encoded = json.dumps(chat_body()).encode()
        for start in range(0, len(encoded), 64):
            yield encoded[start : start + 64]

    server.inject_fault("POST /v1/chat/completions latency=10ms count=1")
    delayed = client.post(
        "/v1/chat/completions", content=pieces(), headers={"content-type": "application/json"}
    )
    assert delayed.status_code == 200
    plain = client.post("/v1/chat/completions", json=chat_body())
    assert delayed.json()["choices"] == plain.json()["choices"]


def test_the_admin_body_offers_every_field_of_a_fault_with_its_default() -> None:
    # The admin route's request model repeats Fault's fields for its JSON schema; a field
    # added to one and not the other would be unreachable over HTTP or rejected there.
    offered = {
        name: field.default
        for name, field in FaultRequest.model_fields.items()
        if name not in ("spec", "scope", "path")
    }
    server_owned = {"id", "hits", "org_id"}
    declared = {
        field.name: field.default
        for field in dataclasses.fields(Fault)
        if field.name not in server_owned
    }
    assert offered == {name: value for name, value in declared.items() if name != "path"}
    assert set(FaultRequest.model_fields) == {"spec", "scope", *declared}


def test_faults_belong_to_the_org_that_set_them(server: LocalServer) -> None:
    mine, theirs = server.mint_key(), server.mint_key()
    with (
        httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {mine}"}) as a,
        httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {theirs}"}) as b,
    ):
        assert a.post("/admin/faults", json={"spec": "GET /v1/tasks status=500"}).is_success
        assert (
            a.post("/admin/faults", json={"path": "/v1/models", "latency": 1e9}).status_code == 422
        )
        assert a.get("/v1/tasks").status_code == 500
        assert b.get("/v1/tasks").status_code == 200  # another org is untouched
        assert b.get("/admin/faults").json()["faults"] == []
        assert b.delete("/admin/faults").json() == {"cleared": 0}
        (fault,) = a.get("/admin/faults").json()["faults"]
        assert b.delete(f"/admin/faults/{fault['id']}").status_code == 404
        assert a.get("/v1/tasks").status_code == 500
        # A server-wide fault is the operator's to set.
        wide = b.post("/admin/faults", json={"spec": "GET /v1/tasks status=503", "scope": "server"})
        assert wide.status_code == 403
        assert "--allow-server-faults" in wide.json()["detail"]
        assert a.delete("/admin/faults").json() == {"cleared": 1}
        assert a.get("/v1/tasks").status_code == 200
        # The operator's helper can aim at one org, or (by default) at every org.
        server.inject_fault("GET /v1/models status=502", api_key=theirs)
        assert (a.get("/v1/models").status_code, b.get("/v1/models").status_code) == (200, 502)
        server.clear_faults()
        server.inject_fault("GET /v1/models status=502 count=2")
        assert (a.get("/v1/models").status_code, b.get("/v1/models").status_code) == (502, 502)
        # Every org sees the server-wide ones: they can hit it.
        assert [f["org_id"] for f in b.get("/admin/faults").json()["faults"]] == [None]


def test_server_faults_over_http_need_the_operator_option() -> None:
    with LocalServer(allow_server_faults=True) as server:
        mine, theirs = server.mint_key(), server.mint_key()
        headers = {"Authorization": f"Bearer {mine}"}
        added = httpx.post(
            f"{server.base_url}/admin/faults",
            json={"spec": "GET /v1/tasks status=503", "scope": "server"},
            headers=headers,
        )
        assert added.json()["fault"]["org_id"] is None
        other = httpx.get(
            f"{server.base_url}/v1/tasks", headers={"Authorization": f"Bearer {theirs}"}
        )
        assert other.status_code == 503


def test_an_org_holds_a_bounded_number_of_faults(client: httpx.Client) -> None:
    for _ in range(100):
        assert client.post("/admin/faults", json={"spec": "GET /v1/x status=500"}).is_success
    refused = client.post("/admin/faults", json={"spec": "GET /v1/x status=500"})
    assert refused.status_code == 409
    assert "at most 100 (max_faults_per_org, --max-faults-per-org)" in refused.json()["detail"]
    listed = client.get("/admin/faults")
    assert len(json.loads(listed.content, parse_constant=float)["faults"]) == 100
