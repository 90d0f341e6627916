"""A minimal, fast HTTP/1.1 loopback server for the benchmarks (asyncio Protocol, no deps).

It answers every ``POST`` with a fixed OpenAI-style chat completion, or, when the request
body asks for ``"stream": true``, with a fixed data-only SSE stream of ``--chunks`` events
and ``data: [DONE]``. Every SSE event is its own HTTP chunk (``Transfer-Encoding:
chunked``) and the whole answer is written at once, so every client parses identical
bytes. Keep-alive is honoured; the request body is read but not parsed.

    python benchmarks/server.py --chunks 200 [--cpu 1]

prints ``PORT <n>`` on stdout once it listens, and serves until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys

COMPLETION = {
    "id": "chatcmpl-bench",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "bench-model",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello from the benchmark server."},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 9, "completion_tokens": 7, "total_tokens": 16},
}


def chunk_event(index: int) -> dict[str, object]:
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "bench-model",
        "choices": [{"index": 0, "delta": {"content": f"tok{index} "}, "finish_reason": None}],
    }


def json_response(body: dict[str, object]) -> bytes:
    payload = json.dumps(body, separators=(",", ":")).encode()
    head = (
        "HTTP/1.1 200 OK\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(payload)}\r\n"
        "x-request-id: req-bench\r\n"
        "\r\n"
    )
    return head.encode() + payload


def http_chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def sse_response(chunks: int) -> bytes:
    head = (
        b"HTTP/1.1 200 OK\r\n"
        b"content-type: text/event-stream\r\n"
        b"cache-control: no-cache\r\n"
        b"transfer-encoding: chunked\r\n"
        b"x-request-id: req-bench-stream\r\n"
        b"\r\n"
    )
    events = [
        b"data: " + json.dumps(chunk_event(i), separators=(",", ":")).encode() + b"\n\n"
        for i in range(chunks)
    ]
    events.append(b"data: [DONE]\n\n")
    return head + b"".join(http_chunk(event) for event in events) + b"0\r\n\r\n"


def wants_stream(body: bytes) -> bool:
    # httpx sends compact JSON, aiohttp and openai may not: accept both spellings.
    return b'"stream":true' in body or b'"stream": true' in body


class HTTPProtocol(asyncio.Protocol):
    """One connection: parse request heads and Content-Length bodies, answer each in turn."""

    def __init__(self, plain: bytes, stream: bytes) -> None:
        self._plain = plain
        self._stream = stream
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while self._answer_one():
            pass

    def _answer_one(self) -> bool:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self._buffer[:end]).lower()
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line.startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        total = end + 4 + length
        if len(self._buffer) < total:
            return False
        body = bytes(self._buffer[end + 4 : total])
        del self._buffer[:total]
        assert self._transport is not None
        self._transport.write(self._stream if wants_stream(body) else self._plain)
        if b"connection: close" in head:
            self._transport.close()
            return False
        return True


def pin_to(cpu: int | None) -> None:
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})


async def serve(host: str, port: int, chunks: int) -> None:
    plain = json_response(COMPLETION)
    stream = sse_response(chunks)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: HTTPProtocol(plain, stream), host, port, backlog=2048)
    bound = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"PORT {bound}\n")
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--chunks", type=int, default=200)
    parser.add_argument("--cpu", type=int, default=None, help="pin the server to this CPU")
    args = parser.parse_args()
    pin_to(args.cpu)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, args.chunks))


if __name__ == "__main__":
    main()
