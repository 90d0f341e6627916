"""The event-stream parser on its own: line endings, fields, chunk boundaries, UTF-8."""

from __future__ import annotations

from httpx_sse import ServerSentEvent

from pareta._sse import SSEParser


def parse(*chunks: bytes) -> list[tuple[str, str, str, int | None]]:
    parser = SSEParser()
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events += parser.feed(chunk)
    return [(e.event, e.data, e.id, e.retry) for e in events]


def test_one_data_event() -> None:
    assert parse(b'data: {"a":1}\n\n') == [("message", '{"a":1}', "", None)]


def test_every_line_ending_and_their_mix() -> None:
    expected = [("message", "x", "", None), ("message", "y", "", None)]
    assert parse(b"data: x\n\ndata: y\n\n") == expected
    assert parse(b"data: x\r\n\r\ndata: y\r\n\r\n") == expected
    assert parse(b"data: x\r\rdata: y\r\r") == expected
    assert parse(b"data: x\r\n\rdata: y\n\r\n") == expected


def test_a_crlf_split_across_chunks_is_one_line_end() -> None:
    assert parse(b"data: x\r", b"\n\r", b"\n") == [("message", "x", "", None)]
    # Two events, not three: the lone CRs at chunk ends are each one line end.
    assert parse(b"data: x\r", b"\r", b"data: y\r", b"\r") == [
        ("message", "x", "", None),
        ("message", "y", "", None),
    ]


def test_a_cr_at_the_end_of_a_chunk_ends_its_line_at_once() -> None:
    parser = SSEParser()
    assert [e.data for e in parser.feed(b"data: x\n\r")] == ["x"]
    assert parser.feed(b"\n") == []  # the rest of that CRLF, not a second blank line
    assert [e.data for e in parser.feed(b"data: y\n\n")] == ["y"]


def test_fields_comments_and_multi_line_data() -> None:
    raw = b": keep-alive\nevent: progress\nid: 7\nretry: 1500\ndata: a\ndata:b\n\n"
    assert parse(raw) == [("progress", "a\nb", "7", 1500)]


def test_an_event_without_its_blank_line_is_not_dispatched() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: x\n") == []
    assert parser.feed(b"data: y") == []


def test_a_multi_byte_character_split_across_chunks() -> None:
    raw = 'data: "žluťoučký kůň 🐎"\n\n'.encode()
    for cut in range(1, len(raw)):
        assert parse(raw[:cut], raw[cut:]) == [("message", '"žluťoučký kůň 🐎"', "", None)]


def test_invalid_utf8_is_replaced_rather_than_raised() -> None:
    assert parse(b"data: \xff\xfe\n\n") == [("message", "\ufffd\ufffd", "", None)]
