"""The pools' own network backends (``pareta._network``), on asyncio and on trio.

Each test drives httpcore's interface the way the SDK's pools do, over real sockets: the
local server, TLS with a certificate made for the test, and raw-socket servers that stall,
reset, close or never read.
"""

from __future__ import annotations

import contextlib
import random
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import httpcore
import httpx
import pytest
import respx
import trustme

from pareta import AsyncPareta
from pareta._network import AsyncNativePool
from pareta._network._pool import loop_backend
from pareta.local import LocalServer
from tests.helpers import busy_connections, pool_stats
from tests.hostile import Connection, HostileServer

pytestmark = pytest.mark.anyio
MiB = 1024 * 1024
BACKENDS = {"asyncio": "AsyncioBackend", "trio": "TrioBackend"}


def timeouts(seconds: float) -> dict[str, Any]:
    return {"timeout": dict.fromkeys(("connect", "read", "write", "pool"), seconds)}


# -- the SDK's pools ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def local() -> Iterator[LocalServer]:
    with LocalServer() as server:
        yield server


def backends_of(pa: AsyncPareta) -> set[str]:
    pools = pa.http_client._transport._connection_pools  # type: ignore[attr-defined]
    return {type(pool._network_backend).__name__ for pool in pools if pool is not None}


async def test_sdk_pools_run_on_the_event_loops_own_backend(
    local: LocalServer, anyio_backend: str
) -> None:
    async with AsyncPareta(api_key=local.mint_key(), base_url=local.base_url) as pa:
        async with anyio.create_task_group() as tg:
            for _ in range(8):
                tg.start_soon(pa.tasks.list)
        assert backends_of(pa) == {BACKENDS[anyio_backend]}
        assert busy_connections(pa) == 0


STORM_CALLS = 2000
STORM_LATENCY = 0.05


@pytest.mark.slow
async def test_2000_random_cancellations_leave_no_slot_and_no_dead_pool(
    local: LocalServer, anyio_backend: str
) -> None:
    # Calls cancelled at random moments around the server's latency: while they wait for a
    # connection, connect, write, wait for the answer and read it, on this loop's backend.
    local.inject_fault(f"GET /v1/tasks latency={STORM_LATENCY}")
    cancelled = 0

    async def call(after: float) -> None:
        nonlocal cancelled
        with anyio.move_on_after(after) as scope:
            await pa.tasks.list()
        cancelled += scope.cancelled_caught

    try:
        timeout = httpx.Timeout(30.0, pool=5.0)
        async with AsyncPareta(
            api_key=local.mint_key(), base_url=local.base_url, timeout=timeout, max_retries=0
        ) as pa:
            rng = random.Random(24)
            async with anyio.create_task_group() as tg:
                for _ in range(STORM_CALLS):
                    tg.start_soon(call, rng.random() * STORM_LATENCY * 3)
            assert cancelled >= STORM_CALLS // 4, cancelled
            assert backends_of(pa) == {BACKENDS[anyio_backend]}
            assert busy_connections(pa) == 0
            assert all(shard.requests == 0 for shard in pool_stats(pa))
            local.clear_faults()
            # Every one of the 256 slots still serves a request.
            done = 0

            async def whole() -> None:
                nonlocal done
                assert await pa.tasks.list()
                done += 1

            async with anyio.create_task_group() as tg:
                for _ in range(256):
                    tg.start_soon(whole)
            assert done == 256
            assert busy_connections(pa) == 0
    finally:
        local.clear_faults()


async def test_respx_patching_httpcore_still_answers_sdk_owned_clients() -> None:
    with respx.mock(base_url="http://api.test", using="httpcore") as router:
        router.get("/v1/tasks").respond(200, json={"data": [{"id": "from-respx"}]})
        async with AsyncPareta(api_key="pareta_sk_test", base_url="http://api.test") as pa:
            tasks = await pa.tasks.list()
    assert [task.id for task in tasks] == ["from-respx"]


def test_import_pareta_loads_no_network_backend() -> None:
    code = "import sys, pareta; print(sorted(m for m in sys.modules if 'pareta._network' in m))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- TLS ------------------------------------------------------------------------------------


class _Sized(BaseHTTPRequestHandler):
    """Answers ``GET /<n>`` with ``n`` bytes, keeping the connection alive."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        size = int(self.path.strip("/"))
        self.send_response(200)
        self.send_header("content-length", str(size))
        self.end_headers()
        self.wfile.write(b"t" * size)

    def do_POST(self) -> None:
        size = int(self.headers["content-length"])
        received = 0
        while received < size:
            received += len(self.rfile.read(min(size - received, 64 * 1024)))
        self.send_response(200)
        self.send_header("content-length", str(len(str(received))))
        self.end_headers()
        self.wfile.write(str(received).encode())

    def log_message(self, *args: Any) -> None:
        pass


class _CountingServer(ThreadingHTTPServer):
    daemon_threads = True
    connections = 0

    def get_request(self) -> tuple[Any, Any]:
        request = super().get_request()
        self.connections += 1
        return request


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[_CountingServer]:
    server = _CountingServer(("127.0.0.1", 0), _Sized)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


async def test_https_reuses_its_tls_connection_for_large_bodies(
    tls_server: _CountingServer, ca: trustme.CA, anyio_backend: str
) -> None:
    port = tls_server.server_address[1]
    async with AsyncNativePool(ssl_context=client_context(ca)) as pool:
        for _ in range(3):
            response = await pool.request("GET", f"https://localhost:{port}/{3 * MiB}")
            assert response.status == 200
            assert response.content == b"t" * (3 * MiB)
        assert type(pool._network_backend).__name__ == BACKENDS[anyio_backend]
        [connection] = pool.connections
        assert connection.is_idle()
    assert tls_server.connections == 1


async def test_a_large_upload_waits_for_the_server_to_read_it(
    tls_server: _CountingServer, ca: trustme.CA
) -> None:
    port = tls_server.server_address[1]
    async with AsyncNativePool(ssl_context=client_context(ca)) as pool:
        response = await pool.request(
            "POST", f"https://localhost:{port}/", content=b"u" * (16 * MiB)
        )
    assert response.content == str(16 * MiB).encode()


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_asyncio_stops_reading_while_the_caller_does_not_read(
    tls_server: _CountingServer, ca: trustme.CA
) -> None:
    port = tls_server.server_address[1]
    async with AsyncNativePool(ssl_context=client_context(ca)) as pool:
        url = f"https://localhost:{port}/{16 * MiB}"
        async with pool.stream("GET", url) as response:
            protocol = response.extensions["network_stream"]._protocol
            await _until(lambda: protocol.reading_paused)
            size = 0
            async for chunk in response.aiter_stream():
                size += len(chunk)
            assert not protocol.reading_paused
    assert size == 16 * MiB


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_asyncio_sends_a_requests_head_and_body_at_once(
    local: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio.selector_events

    from pareta._network._asyncio import _Protocol

    writes: list[int] = []
    transport: Any = getattr(asyncio.selector_events, "_SelectorSocketTransport")  # noqa: B009 - not in the stubs
    write = transport.write

    def counted(self: Any, data: Any) -> None:
        if isinstance(self.get_protocol(), _Protocol):  # the client's, not the server's
            writes.append(len(data))
        write(self, data)

    monkeypatch.setattr(transport, "write", counted)
    async with AsyncPareta(api_key=local.mint_key(), base_url=local.base_url) as pa:
        await pa.tasks.list()  # connected: the next request reuses the connection
        writes.clear()
        await pa.chat.completions.create(
            model="ep_contract_kie", messages=[{"role": "user", "content": "Effective 2026-01-01."}]
        )
    assert len(writes) == 1 and writes[0] > 200  # the head and the JSON body together


@contextlib.asynccontextmanager
async def raw_peer() -> AsyncIterator[tuple[Any, socket.socket]]:
    """A stream of the loop's own backend, and the peer's end of its connection (a plain
    blocking socket: 5 s at most for anything)."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(5)
        backend: Any = loop_backend()
        stream = await backend.connect_tcp("127.0.0.1", listener.getsockname()[1])
        conn = await anyio.to_thread.run_sync(lambda: listener.accept()[0])
        conn.settimeout(5)
        with conn:
            yield stream, conn


def received(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size and (chunk := conn.recv(size - len(data))):
        data += chunk
    return data


async def large_write_and_close_keep_the_order(stream: Any, conn: socket.socket) -> None:
    """A large write goes out at once, after what is held; the close sends what is held."""
    await stream.write(b"a" * 10)
    await stream.write(b"b" * 70_000)
    assert stream._held == []
    assert await anyio.to_thread.run_sync(received, conn, 70_010) == b"a" * 10 + b"b" * 70_000
    await stream.write(b"bye")
    await stream.aclose()
    assert await anyio.to_thread.run_sync(received, conn, 100) == b"bye"


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_asyncio_holds_a_small_write_only_until_the_loops_turn_ends() -> None:
    async with raw_peer() as (stream, conn):
        # Nothing reads after this write, and it still arrives.
        await stream.write(b"ping")
        assert await anyio.to_thread.run_sync(received, conn, 4) == b"ping"
        await large_write_and_close_keep_the_order(stream, conn)


class _CountedSends:
    """A socket that counts its sends (trio's stream holds the socket itself)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sends: list[int] = []

    def send(self, data: Any) -> int:
        self.sends.append(len(data))
        return self.sock.send(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)


@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_trio_holds_small_writes_of_http1_until_the_read() -> None:
    async with raw_peer() as (stream, conn):
        counted = stream._sock = _CountedSends(stream._sock)
        # A request's head and body, then its read: one send.
        await stream.write(b"HEAD\r\n\r\n")
        await stream.write(b"body")
        assert counted.sends == []
        conn.sendall(b"answer")
        assert await stream.read(100) == b"answer"
        assert counted.sends == [len(b"HEAD\r\n\r\nbody")]
        assert received(conn, 12) == b"HEAD\r\n\r\nbody"
        await large_write_and_close_keep_the_order(stream, conn)
        with pytest.raises(httpcore.WriteError):
            await stream.write(b"late")


@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_trio_sends_what_it_held_within_the_writes_timeout() -> None:
    async with raw_peer() as (stream, _peer):
        # A peer that never reads: fill every buffer between the two.
        with contextlib.suppress(BlockingIOError):
            while True:
                stream._sock.send(b"x" * 65536)
        await stream.write(b"request", timeout=0.1)
        with anyio.fail_after(5), pytest.raises(httpcore.WriteTimeout):
            await stream.read(100)  # no read timeout: the write's bounds the send
        await stream.aclose()


@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_trio_never_holds_the_writes_of_http2() -> None:
    # HTTP/2's tasks read and write at once: a write must leave while another task reads.
    preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    async with raw_peer() as (stream, conn):
        await stream.write(preface)
        assert await anyio.to_thread.run_sync(received, conn, len(preface)) == preface

        async def echo() -> None:
            request = await anyio.to_thread.run_sync(received, conn, 4)
            conn.sendall(request.upper())

        answers: list[bytes] = []

        async def read() -> None:
            answers.append(await stream.read(100))

        async with anyio.create_task_group() as tg:
            tg.start_soon(read)
            tg.start_soon(echo)
            await stream.write(b"ping")
        assert answers == [b"PING"]
        await stream.aclose()


async def test_a_certificate_nobody_vouched_for_is_a_connect_error(
    tls_server: _CountingServer,
) -> None:
    port = tls_server.server_address[1]
    async with AsyncNativePool(ssl_context=ssl.create_default_context()) as pool:
        with pytest.raises(httpcore.ConnectError):
            await pool.request("GET", f"https://localhost:{port}/1")


def never_speaks(conn: Connection) -> None:
    while True:
        conn.pause()


async def test_a_tls_handshake_nobody_answers_is_a_connect_timeout(ca: trustme.CA) -> None:
    with HostileServer(never_speaks) as server:
        url = server.base_url.replace("http://", "https://") + "/"
        async with AsyncNativePool(ssl_context=client_context(ca)) as pool:
            with pytest.raises(httpcore.ConnectTimeout):
                await pool.request("GET", url, extensions=timeouts(0.2))


# -- hostile servers ------------------------------------------------------------------------


def never_answers(conn: Connection) -> None:
    conn.read_request()
    while True:
        conn.pause()


async def test_a_server_that_never_answers_is_a_read_timeout() -> None:
    with HostileServer(never_answers) as server:
        async with AsyncNativePool() as pool:
            with pytest.raises(httpcore.ReadTimeout):
                await pool.request("GET", server.base_url + "/", extensions=timeouts(0.2))


def never_reads(conn: Connection) -> None:
    while True:
        conn.pause()


@pytest.mark.slow
async def test_an_upload_nobody_reads_is_a_write_timeout() -> None:
    with HostileServer(never_reads) as server:
        async with AsyncNativePool() as pool:
            with pytest.raises(httpcore.WriteTimeout):
                body = _Body(b"u" * (64 * MiB))
                await pool.request("POST", server.base_url, content=body, extensions=timeouts(0.3))


def answers_once_then_closes(conn: Connection) -> None:
    conn.read_request()
    conn.head("200 OK", "text/plain", "content-length: 2")
    conn.send(b"ok")
    # Returning closes the socket: the server drops a connection it let the client keep.


async def test_a_connection_the_server_closed_while_idle_is_replaced() -> None:
    with HostileServer(answers_once_then_closes) as server:
        async with AsyncNativePool() as pool:
            first = await pool.request("GET", server.base_url + "/")
            # Seen as soon as the server's FIN arrives (perhaps with the answer itself).
            await _until(lambda: all(c.has_expired() for c in pool.connections))
            second = await pool.request("GET", server.base_url + "/")
    assert (first.content, second.content) == (b"ok", b"ok")
    assert server.connections == 2


def resets_mid_body(conn: Connection) -> None:
    conn.read_request()
    conn.head("200 OK", "text/plain", f"content-length: {MiB}")
    conn.send(b"r" * 1000)
    # A linger of 0 seconds: closing the socket (on return) sends a reset, not a FIN.
    conn._sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


async def test_a_reset_mid_body_is_a_read_error() -> None:
    with HostileServer(resets_mid_body) as server:
        async with AsyncNativePool() as pool:
            with pytest.raises(httpcore.ReadError):
                await pool.request("GET", server.base_url + "/", extensions=timeouts(5))


async def test_a_refused_connection_is_a_connect_error() -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
        async with AsyncNativePool() as pool:
            with pytest.raises(httpcore.ConnectError):
                await pool.request("GET", f"http://127.0.0.1:{port}/")


async def test_a_request_finds_no_free_connection_within_the_pool_timeout(
    local: LocalServer,
) -> None:
    local.inject_fault("GET /v1/tasks latency=2")
    try:
        async with AsyncNativePool(max_connections=1) as pool:
            url = local.base_url + "/v1/tasks"
            async with anyio.create_task_group() as tg:
                tg.start_soon(lambda: pool.request("GET", url))
                await _until(lambda: len(pool._requests) == 1)
                with pytest.raises(httpcore.PoolTimeout):
                    await pool.request("GET", url, extensions=timeouts(0.1))
                tg.cancel_scope.cancel()
    finally:
        local.clear_faults()


async def test_requests_over_a_unix_socket() -> None:
    with tempfile.TemporaryDirectory() as folder, _unix_server(Path(folder) / "s") as path:
        async with AsyncNativePool(uds=str(path)) as pool:
            responses = [await pool.request("GET", "http://local/5") for _ in range(2)]
    assert [r.content for r in responses] == [b"ttttt", b"ttttt"]


def reads_slowly(conn: Connection) -> None:
    for _ in range(10):  # reads nothing for a while: the client's socket buffers fill up
        conn.pause()
    conn.read_request()
    conn.head("200 OK", "text/plain", "content-length: 4")
    conn.send(b"read")


async def test_a_large_upload_waits_for_the_server_to_read_it_over_plain_http() -> None:
    with HostileServer(reads_slowly) as server:
        async with AsyncNativePool() as pool:
            response = await pool.request(
                "POST",
                server.base_url,
                headers={"content-length": str(16 * MiB)},
                content=_Body(b"u" * 16 * MiB),
            )
    assert response.content == b"read"


def resets_unread(conn: Connection) -> None:
    for _ in range(10):  # reads nothing: the client's socket buffers fill up, then it waits
        conn.pause()
    conn._sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


async def test_an_upload_to_a_server_that_resets_fails_as_a_network_error() -> None:
    with HostileServer(resets_unread) as server:
        async with AsyncNativePool() as pool:
            with pytest.raises((httpcore.NetworkError, httpcore.RemoteProtocolError)):
                body = _Body(b"u" * (16 * MiB))
                await pool.request("POST", server.base_url, content=body, extensions=timeouts(5))


def answers_until_closing(conn: Connection) -> None:
    conn.read_request()
    conn.head("200 OK", "text/plain", "connection: close")
    conn.send(b"until the end")


async def test_a_body_that_ends_with_the_connection_is_read_to_its_end() -> None:
    with HostileServer(answers_until_closing) as server:
        async with AsyncNativePool() as pool:
            response = await pool.request("GET", server.base_url + "/")
    assert response.content == b"until the end"


async def test_a_request_waits_for_the_pools_one_connection(local: LocalServer) -> None:
    async with AsyncNativePool(max_connections=1) as pool:
        url = local.base_url + "/v1/tasks"
        statuses: list[int] = []

        async def get() -> None:
            statuses.append((await pool.request("GET", url)).status)

        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(get)
        assert len(pool.connections) == 1
    assert len(statuses) == 3


async def test_streams_from_the_backend_itself(local: LocalServer) -> None:
    backend: Any = loop_backend()
    host, port = local.base_url.removeprefix("http://").split(":")
    keepalive = (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    stream = await backend.connect_tcp(host, int(port), socket_options=[keepalive])
    assert stream.get_extra_info("socket").getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
    assert stream.get_extra_info("server_addr")[1] == int(port)
    assert stream.get_extra_info("client_addr")[0] == "127.0.0.1"
    assert stream.get_extra_info("ssl_object") is None
    assert stream.get_extra_info("is_readable") is False
    assert stream.get_extra_info("something else") is None
    await backend.sleep(0)
    async with anyio.create_task_group() as tg:
        reading = anyio.Event()

        async def read_until_closed() -> None:
            reading.set()
            with pytest.raises(httpcore.ReadError):
                await stream.read(1024)

        tg.start_soon(read_until_closed)
        await reading.wait()
        await anyio.lowlevel.checkpoint()
        await stream.aclose()
    await stream.aclose()
    assert stream.get_extra_info("is_readable")  # a read would end at once
    with pytest.raises(httpcore.ReadError):
        await stream.read(1024)
    with pytest.raises(httpcore.WriteError):
        await stream.write(b"GET / HTTP/1.1\r\n\r\n")


async def test_a_connect_that_never_completes_times_out(anyio_backend: str) -> None:
    if anyio_backend == "trio":
        from pareta._network._trio import _connecting

        with pytest.raises(httpcore.ConnectTimeout), _connecting(0.05):
            await anyio.sleep_forever()
    else:
        from pareta._network._asyncio import _connected

        with pytest.raises(httpcore.ConnectTimeout):
            await _connected(0.05, anyio.sleep_forever(), None)  # type: ignore[arg-type]


async def test_a_connection_refuses_a_request_for_another_origin() -> None:
    pool = AsyncNativePool()
    async with pool:
        pool._bind()
        connection = pool.create_connection(httpcore.URL("http://one.test/").origin)
        with pytest.raises(RuntimeError, match="Attempted to send request"):
            await connection.handle_async_request(httpcore.Request("GET", "http://two.test/"))


def test_a_pool_lends_httpcores_own_connections_for_proxies_and_before_its_first_request() -> None:
    origin = httpcore.URL("http://example.test/").origin
    proxied = AsyncNativePool(proxy=httpcore.Proxy("http://127.0.0.1:9"))
    assert type(proxied.create_connection(origin)).__name__ == "AsyncForwardHTTPConnection"
    assert type(AsyncNativePool().create_connection(origin)) is httpcore.AsyncHTTPConnection


# -- the lock the pools use -----------------------------------------------------------------


async def test_the_backend_lock_excludes_and_survives_a_cancelled_waiter() -> None:
    lock = loop_backend().lock()  # type: ignore[attr-defined]
    held: list[str] = []
    order: list[str] = []

    async def hold(name: str, until: anyio.Event) -> None:
        async with lock:
            held.append(name)
            assert len(held) == 1
            await until.wait()
            order.append(name)
            held.remove(name)

    first_done, free = anyio.Event(), anyio.Event()
    free.set()
    async with anyio.create_task_group() as tg:
        tg.start_soon(hold, "first", first_done)
        await _until(lambda: held == ["first"])
        with anyio.CancelScope() as waiting:
            tg.start_soon(_cancel_soon, waiting)
            async with lock:  # pragma: no cover - cancelled while it waits
                order.append("cancelled")
        tg.start_soon(hold, "second", free)
        first_done.set()
    assert order == ["first", "second"]


# -- helpers --------------------------------------------------------------------------------


class _Body:
    """A request body of one chunk, as an iterator rather than a generator: a body cut
    short by an error is then not a generator left suspended (trio warns about those)."""

    def __init__(self, data: bytes) -> None:
        self._data: bytes | None = data

    def __aiter__(self) -> _Body:
        return self

    async def __anext__(self) -> bytes:
        if self._data is None:
            raise StopAsyncIteration
        data, self._data = self._data, None
        return data


async def _cancel_soon(scope: anyio.CancelScope) -> None:
    await anyio.lowlevel.checkpoint()
    scope.cancel()


async def _until(condition: Callable[[], bool]) -> None:
    # Socket and pool states that no event announces: polled, for at most 5 seconds.
    with anyio.fail_after(5):
        while not condition():  # noqa: ASYNC110
            await anyio.sleep(0.01)


@contextlib.contextmanager
def _unix_server(path: Path) -> Iterator[Path]:
    class Server(ThreadingHTTPServer):
        address_family = socket.AF_UNIX
        daemon_threads = True

        def server_bind(self) -> None:
            self.socket.bind(str(path))
            self.server_address = str(path)  # type: ignore[assignment]

        def get_request(self) -> tuple[Any, Any]:
            request, _ = self.socket.accept()
            return request, ("local", 0)

    server = Server(str(path), _Sized)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield path
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
