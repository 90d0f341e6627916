"""The pure parts of limits and deadlines, tested once: body decoding, SSE limits, message
text, configuration, and what `import pareta` loads."""

from __future__ import annotations

import gzip
import subprocess
import sys
import zlib

import httpx
import pytest

import pareta
from pareta._config import Bounds, normalize_base_url
from pareta._exceptions import printable
from pareta._responses import (
    BodyDecoder,
    LimitExceeded,
    StreamIdle,
    UndecodableBody,
    jsonl,
    storage_error,
)
from pareta._sse import SSEParser


def decode_all(decoder: BodyDecoder, *chunks: bytes) -> bytes:
    pieces = [bytes(piece) for chunk in chunks for piece in decoder.decode(chunk)]
    return b"".join(pieces) + bytes(decoder.flush())


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        (None, lambda data: data),
        ("identity", lambda data: data),
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, no zlib header
    ],
)
def test_bodies_decode_in_bounded_steps(encoding: str | None, encode: object) -> None:
    body = b"0123456789" * 50_000
    wire = encode(body)  # type: ignore[operator]
    halves = (wire[: len(wire) // 2], wire[len(wire) // 2 :])
    decoder = BodyDecoder(encoding, len(body), "max_json_bytes")
    pieces = [piece for chunk in halves for piece in decoder.decode(chunk)]
    assert all(len(piece) <= 64 * 1024 for piece in pieces) or encoding in (None, "identity")
    assert b"".join(bytes(p) for p in pieces) + bytes(decoder.flush()) == body
    with pytest.raises(LimitExceeded) as info:
        decode_all(BodyDecoder(encoding, len(body) - 1, "max_json_bytes"), *halves)
    assert (info.value.keyword, info.value.limit) == ("max_json_bytes", len(body) - 1)


def test_a_truncating_decoder_keeps_the_first_bytes_and_stops() -> None:
    decoder = BodyDecoder("gzip", 1000, "", truncate=True)
    assert b"".join(bytes(p) for p in decoder.decode(gzip.compress(b"a" * 10**6))) == b"a" * 1000
    assert decoder.truncated
    plain = BodyDecoder(None, 3, "", truncate=True)
    assert [bytes(p) for p in plain.decode(b"abcdef")] == [b"abc"]
    assert plain.truncated


@pytest.mark.parametrize("encoding", ["br", "gzip, gzip", "compress"])
def test_encodings_the_sdk_did_not_ask_for_are_refused(encoding: str) -> None:
    with pytest.raises(UndecodableBody, match="content-encoding"):
        BodyDecoder(encoding, 100, "max_json_bytes")


def test_a_corrupt_compressed_body_is_undecodable() -> None:
    with pytest.raises(UndecodableBody):
        list(BodyDecoder("gzip", 100, "max_json_bytes").decode(b"not gzip at all"))
    with pytest.raises(UndecodableBody):
        list(BodyDecoder("deflate", 100, "max_json_bytes").decode(b"\xff\xff\xff\xff"))


def test_the_errors_of_breaches_name_route_limit_and_request_id() -> None:
    request = httpx.Request("GET", "https://api.test/v1/models")
    response = httpx.Response(200, headers={"x-request-id": "req_1"}, request=request)
    too_big = LimitExceeded("max_json_bytes", 1024).error(response)
    assert isinstance(too_big, pareta.APIResponseValidationError)
    assert "GET /v1/models returned more than 1,024 bytes" in str(too_big)
    assert "max_json_bytes=1024" in str(too_big)
    assert "request id req_1" in str(too_big)
    idle = StreamIdle(2.5).error(response)
    assert isinstance(idle, pareta.APITimeoutError)
    assert "stream_idle_timeout=2.5s" in str(idle)


def test_sse_lines_and_events_are_bounded() -> None:
    parser = SSEParser(max_event_bytes=100)
    assert parser.feed(b"data: " + b"x" * 50 + b"\n\n") != []
    with pytest.raises(LimitExceeded):
        for _ in range(10):
            parser.feed(b"x" * 30)  # a line that never ends
    many_lines = SSEParser(max_event_bytes=100)
    with pytest.raises(LimitExceeded):
        many_lines.feed(b"data: x\n" * 20)  # an event that never ends
    split = SSEParser(max_event_bytes=100)
    split.feed(b"data: " + b"x" * 40 + b"\ndata: " + b"y" * 40)
    with pytest.raises(LimitExceeded):
        split.feed(b"z" * 20)  # the event so far plus the line under way


def test_sse_idle_timeout_counts_only_events_with_data(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr("pareta._sse.monotonic", lambda: now[0])
    parser = SSEParser(idle_timeout=5.0)
    now[0] = 104.0
    assert parser.feed(b"data: 1\n\n")[0].data == "1"  # an event: the wait starts again
    now[0] = 108.0
    assert parser.feed(b": ping\n\n") == []  # within 5 s of the event
    now[0] = 109.5
    with pytest.raises(StreamIdle):
        parser.feed(b": ping\n\n")
    trickle = SSEParser(idle_timeout=5.0)
    assert trickle.feed(b"da") == []  # bytes that end no line yet
    now[0] = 115.0
    with pytest.raises(StreamIdle):
        trickle.feed(b"t")


def test_printable_escapes_controls_and_bounds_length() -> None:
    assert printable("a\x1b[31mb\nc\u202ed\x7f") == "a\\x1b[31mb\\nc\\u202ed\\x7f"
    assert printable("café ✓") == "café ✓"
    assert printable("x" * 30, limit=10) == "x" * 10 + "… (20 more characters)"
    assert printable({"k": 1}) == "{'k': 1}"


def test_bounds_are_validated() -> None:
    assert Bounds().max_error_bytes == 64 * 1024
    for bad in (0, -1):
        with pytest.raises(ValueError, match="max_event_bytes must be a positive int"):
            Bounds(max_event_bytes=bad)
    for wrong in (1.5, True, "1"):
        with pytest.raises(TypeError, match="max_event_bytes must be a positive int"):
            Bounds(max_event_bytes=wrong)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="stream_idle_timeout must be a positive number"):
        Bounds(stream_idle_timeout=-1.0)
    for wrong_seconds in (True, "1"):
        with pytest.raises(TypeError, match="stream_idle_timeout"):
            Bounds(stream_idle_timeout=wrong_seconds)  # type: ignore[arg-type]
    assert Bounds(max_decoded_bytes=10, max_json_bytes=20).body_limit(True) == (
        10,
        "max_decoded_bytes",
    )
    assert Bounds(max_decoded_bytes=10, max_json_bytes=20).body_limit(False) == (
        20,
        "max_json_bytes",
    )


def test_base_url_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    assert normalize_base_url(None) == "https://api.pareta.ai"
    assert normalize_base_url("https://x.test/v1/") == "https://x.test"
    assert normalize_base_url("https://x.test/api/v1") == "https://x.test/api"
    assert normalize_base_url("https://x.test/v10") == "https://x.test/v10"
    monkeypatch.setenv("PARETA_BASE_URL", "http://127.0.0.1:8765/v1")
    assert normalize_base_url(None) == "http://127.0.0.1:8765"
    assert normalize_base_url("https://explicit.test") == "https://explicit.test"
    monkeypatch.setenv("PARETA_BASE_URL", "localhost:8000")
    with pytest.raises(ValueError, match="'localhost:8000'"):
        normalize_base_url(None)


def test_jsonl_and_storage_errors() -> None:
    assert jsonl([{"a": 1}, {"b": [2]}]) == b'{"a":1}\n{"b":[2]}\n'
    timeout = storage_error(pareta.APITimeoutError("request timed out"), "PUT s.test/put")
    assert type(timeout) is pareta.APITimeoutError
    assert str(timeout) == "document upload to storage failed (PUT s.test/put): request timed out"
    denied = pareta.PermissionDeniedError(status_code=403, detail="expired", request_id="r")
    copy = storage_error(denied, "PUT s.test/put")
    assert isinstance(copy, pareta.PermissionDeniedError)
    assert (copy.status_code, copy.detail, copy.request_id) == (403, "expired", "r")


def test_import_pareta_defers_the_clients() -> None:
    code = (
        "import sys, pareta; "
        "print(sorted(m for m in sys.modules if m.startswith(('pareta._async', 'pareta._sync', "
        "'pareta._objects')))); "
        "from pareta import Pareta, AsyncPareta, ChatCompletion; "
        "print(Pareta.__module__, AsyncPareta.__module__, ChatCompletion.__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == [
        "[]",
        "pareta._sync._client pareta._async._client pareta._objects.models",
    ]


def test_the_lazy_names_are_all_there() -> None:
    assert set(pareta.__all__) <= set(dir(pareta))
    for name in pareta.__all__:
        assert getattr(pareta, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        pareta.Nope  # noqa: B018
