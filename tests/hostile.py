"""Hostile HTTP servers on 127.0.0.1: raw sockets, one misbehaviour each.

Each server answers every connection with a script that writes raw HTTP/1.1 bytes, so
it can do what no well-behaved framework would: endless lines and bodies, trickles,
endless 1xx, keep-alives only. A script stops when the client hangs up, when the test
leaves the server, or after ``GIVE_UP_S`` (so a client that never stops fails its test
instead of hanging it).
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

GIVE_UP_S = 30.0
PAUSE_S = 0.02
KiB = 1024
MiB = 1024 * KiB
# Written again and again: allocated once, so a script's sends cost the tracer nothing.
FILLER = b"x" * (64 * KiB)
REQUEST_ID = "req_hostile"


class Gone(Exception):
    """The client hung up, or the test is over."""


class Connection:
    def __init__(
        self, sock: socket.socket, stop: threading.Event, heads: list[bytes] | None = None
    ) -> None:
        self._sock = sock
        self._stop = stop
        self._heads = [] if heads is None else heads
        self._until = time.monotonic() + GIVE_UP_S
        sock.settimeout(PAUSE_S)

    def read_request(self) -> bytes:
        """The request head and body; returns the head."""
        data = b""
        while b"\r\n\r\n" not in data:
            data += self._recv()
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            body += self._recv()
        self._heads.append(head)
        return head

    def _recv(self) -> bytes:
        while True:
            self._check()
            try:
                data = self._sock.recv(64 * KiB)
            except TimeoutError:
                continue
            except OSError:  # reset by the client
                raise Gone from None
            if not data:
                raise Gone
            return data

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            self._check()
            try:
                sent = self._sock.send(view)
            except TimeoutError:
                continue
            except OSError:
                raise Gone from None
            view = view[sent:]

    def head(self, status: str, content_type: str, *extra: str) -> None:
        lines = [
            f"HTTP/1.1 {status}",
            f"content-type: {content_type}",
            f"x-request-id: {REQUEST_ID}",
            *extra,
        ]
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode())

    def pause(self) -> None:
        self._check()
        if self._stop.wait(PAUSE_S):
            raise Gone

    def _check(self) -> None:
        if self._stop.is_set() or time.monotonic() > self._until:
            raise Gone


Script = Callable[[Connection], None]


class HostileServer:
    """Serves ``script`` to every connection until the ``with`` block ends."""

    def __init__(self, script: Script) -> None:
        self._script = script
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(PAUSE_S)
        self.connections = 0
        # The head of every request read, in order (list.append is atomic across threads).
        self.heads: list[bytes] = []

    @property
    def base_url(self) -> str:
        host, port = self._listener.getsockname()[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> HostileServer:
        self._spawn(self._accept)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for thread in list(self._threads):
            thread.join()
        self._listener.close()

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            self._spawn(self._serve, sock)

    def _serve(self, sock: socket.socket) -> None:
        with sock, contextlib.suppress(Gone):
            self._script(Connection(sock, self._stop, self.heads))


# The scripts: each is one way a server can misbehave.


def endless_event_line(conn: Connection) -> None:
    conn.read_request()
    conn.head("200 OK", "text/event-stream", "connection: close")
    conn.send(b"data: ")
    while True:
        conn.send(FILLER)


def endless_html(conn: Connection) -> None:
    conn.read_request()
    conn.head("200 OK", "text/html", "connection: close")
    while True:
        conn.send(FILLER)


def gzip_bomb(decoded_size: int, content_type: str = "application/json") -> Script:
    # Zeros compress about a thousandfold: a few tens of KiB on the wire.
    return gzipped(b"\0" * decoded_size, content_type)


def gzipped(decoded: bytes, content_type: str = "application/json") -> Script:
    body = gzip.compress(decoded, compresslevel=9)

    def script(conn: Connection) -> None:
        conn.read_request()
        conn.head("200 OK", content_type, "content-encoding: gzip", f"content-length: {len(body)}")
        conn.send(body)
        while True:
            conn.pause()

    return script


def huge_error_page(size: int) -> Script:
    def script(conn: Connection) -> None:
        conn.read_request()
        conn.head("500 Internal Server Error", "text/html", f"content-length: {size}")
        sent = 0
        while sent < size:
            conn.send(FILLER)
            sent += len(FILLER)

    return script


def trickle(conn: Connection) -> None:
    conn.read_request()
    conn.head("200 OK", "application/json", "content-length: 1000000")
    while True:
        conn.send(b" ")
        conn.pause()


def endless_1xx(conn: Connection) -> None:
    conn.read_request()
    while True:
        conn.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        conn.pause()


def keep_alives_only(conn: Connection) -> None:
    conn.read_request()
    conn.head("200 OK", "text/event-stream", "connection: close")
    while True:
        conn.send(b": ping\n\n")
        conn.pause()


def fixed(status: str, content_type: str, body: bytes) -> Script:
    def script(conn: Connection) -> None:
        conn.read_request()
        conn.head(status, content_type, f"content-length: {len(body)}")
        conn.send(body)
        while True:
            conn.pause()

    return script


@contextmanager
def peak_memory() -> Iterator[list[int]]:
    """The peak of Python allocations inside the block, above where it started, in bytes."""
    result: list[int] = []
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        yield result
        _, peak = tracemalloc.get_traced_memory()
        result.append(peak - start)
    finally:
        tracemalloc.stop()


def silent(conn: Connection) -> None:
    conn.read_request()
    conn.head("200 OK", "application/json", "content-length: 100")
    while True:
        conn.pause()
