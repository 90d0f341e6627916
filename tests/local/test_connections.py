"""Connections and headers are bounded: raw sockets play the careless and hostile clients."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from pareta.local import LocalServer

from .helpers import create_eval_set

BOUNDS = {
    "header_timeout": 0.5,
    "body_timeout": 0.5,
    "max_header_bytes": 8 * 1024,
    "max_connections": 40,
}


@pytest.fixture(scope="module")
def bounded() -> Iterator[LocalServer]:
    with LocalServer(deploy_seconds=0, **BOUNDS) as server:
        yield server


def _connect(server: LocalServer) -> socket.socket:
    port = urlsplit(server.base_url).port
    assert port is not None
    return socket.create_connection(("127.0.0.1", port), timeout=30)


def _read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_silent_connections_are_closed(bounded: LocalServer) -> None:
    sockets = [_connect(bounded) for _ in range(20)]
    try:
        # recv returns b"" once the server closes; the socket's own timeout is a safety net.
        assert [_read_all(s) for s in sockets] == [b""] * 20
    finally:
        for s in sockets:
            s.close()


def test_a_slowloris_is_closed_before_its_headers_end(bounded: LocalServer) -> None:
    with _connect(bounded) as sock:
        sock.sendall(b"GET /v1/models HTTP/1.1\r\nHost: x\r\n")
        sent = 0
        try:
            for _ in range(200):  # a header byte every 50 ms: 10 s of headers if never cut off
                sock.sendall(b"X")
                sent += 1
                time.sleep(0.05)  # the hostile client's pace, not a wait for the server
        except OSError:
            pass
        assert sent < 200
        sock.settimeout(5)
        with contextlib.suppress(ConnectionResetError):
            assert _read_all(sock) == b""


@pytest.mark.parametrize("size", [16 * 1024, 1 << 20, 8 << 20])
def test_oversized_headers_are_431_without_being_read(bounded: LocalServer, size: int) -> None:
    with _connect(bounded) as sock:
        head = b"GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: "
        # The server may answer and close before the rest is sent.
        with contextlib.suppress(OSError):
            sock.sendall(head + b"a" * size + b"\r\n\r\n")
        try:
            answer = _read_all(sock)
        except ConnectionResetError:
            answer = b""
    if answer:  # a reset can destroy the answer in flight; when it arrived, it is a 431
        assert answer.startswith(b"HTTP/1.1 431 ")
        assert b"--max-header-bytes" in answer


def test_a_header_just_over_the_limit_in_one_packet_is_431(bounded: LocalServer) -> None:
    headers = {"Authorization": f"Bearer {bounded.api_key}", "X-Pad": "p" * 8200}
    response = httpx.get(f"{bounded.base_url}/v1/models", headers=headers)
    assert response.status_code == 431
    assert "--max-header-bytes" in response.json()["detail"]
    ok = httpx.get(
        f"{bounded.base_url}/v1/models", headers={"Authorization": f"Bearer {bounded.api_key}"}
    )
    assert ok.status_code == 200


def test_past_max_connections_a_normal_client_gets_503_with_retry_after(
    bounded: LocalServer,
) -> None:
    silent = [_connect(bounded) for _ in range(60)]
    try:
        headers = {"Authorization": f"Bearer {bounded.api_key}"}
        with httpx.Client(base_url=bounded.base_url, headers=headers, timeout=10) as client:
            refused = client.get("/v1/models")
            assert refused.status_code == 503
            assert refused.headers["retry-after"] == "1"
            assert "--max-connections" in refused.json()["detail"]
            for s in silent:  # the silent ones are closed by the header timeout...
                assert _read_all(s) == b""
            assert client.get("/v1/models").status_code == 200  # ...and the server serves again
    finally:
        for s in silent:
            s.close()


def test_a_stalled_upload_is_dropped_and_its_token_stays_valid(bounded: LocalServer) -> None:
    headers = {"Authorization": f"Bearer {bounded.mint_key()}"}
    with httpx.Client(base_url=bounded.base_url, headers=headers, timeout=10) as client:
        rows = [{"document": None, "expected": {"total": "1.00"}}]
        eval_set = create_eval_set(client, "invoice-extraction", rows)
        minted = client.post(
            f"/v1/eval-sets/{eval_set['id']}/blob-upload-url",
            json={"idx": 0, "field_name": "document"},
        ).json()
    url = urlsplit(minted["upload_url"])
    with _connect(bounded) as sock:
        request = (
            f"PUT {url.path}?{url.query} HTTP/1.1\r\nHost: x\r\nContent-Length: {1 << 20}\r\n\r\n"
        )
        sock.sendall(request.encode() + b"%" * (256 * 1024))
        # Then nothing: the server drops the connection once the body has stalled.
        assert not _read_all(sock).startswith(b"HTTP/1.1 2")
    retried = httpx.put(minted["upload_url"], content=b"%PDF whole")
    assert retried.status_code == 200
