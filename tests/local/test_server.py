from __future__ import annotations

import httpx
import pytest

from pareta.local import LocalServer


def test_base_url_needs_a_running_server() -> None:
    server = LocalServer()
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.base_url
    server.stop()  # stopping a server that never started is a no-op
    with server:
        assert server.base_url.startswith("http://127.0.0.1:")
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.base_url


def test_a_server_starts_only_once(server: LocalServer) -> None:
    with pytest.raises(RuntimeError, match="already started"):
        server.start()
    assert httpx.get(f"{server.base_url}/v1/tasks").status_code == 401  # still serving


def test_a_taken_port_fails_to_start(server: LocalServer) -> None:
    port = int(server.base_url.rsplit(":", 1)[1])
    second = LocalServer(port=port)
    with pytest.raises(OSError, match="in use"):
        second.start()
    with pytest.raises(RuntimeError, match="not running"):
        _ = second.base_url
    # The failed bind left the running server alone.
    assert httpx.get(f"{server.base_url}/v1/tasks").status_code == 401
