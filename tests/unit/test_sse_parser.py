"""The event-stream parser on its own: line endings, fields, chunk boundaries, UTF-8."""

from __future__ import annotations

import itertools

from httpx_sse import ServerSentEvent
from hypothesis import given, settings
from hypothesis import strategies as st

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


def test_the_lf_of_a_split_crlf_is_not_a_second_line_end() -> None:
    # Read as two line ends, the LF would close the event after its first data line.
    assert parse(b"data: a\r", b"\ndata: b\n\n") == [("message", "a\nb", "", None)]
    assert parse(b"data: a\r", b"", b"\ndata: b\n\n") == [("message", "a\nb", "", None)]


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


def test_one_leading_byte_order_mark_is_dropped() -> None:
    bom = b"\xef\xbb\xbf"
    assert parse(bom + b"data: x\n\n") == [("message", "x", "", None)]
    assert parse(bom[:1], bom[1:] + b"data: x\n\n") == [("message", "x", "", None)]
    # Anywhere else it is part of the line: a field name that means nothing.
    assert parse(b"data: x\n\n" + bom + b"data: y\n\n") == [("message", "x", "", None)]


def test_a_long_line_arriving_in_many_pieces() -> None:
    raw = b"data: " + b"a" * 100_000 + b"\n\n"
    assert parse(*[raw[i : i + 7] for i in range(0, len(raw), 7)]) == [
        ("message", "a" * 100_000, "", None)
    ]


line_text = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n\x00"),
    max_size=8,
)
events = st.lists(
    st.tuples(
        st.one_of(st.none(), line_text.filter(lambda name: name.strip() != "")),
        st.lists(line_text, min_size=1, max_size=3),
        st.one_of(st.none(), line_text),
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=300)
@given(
    events=events,
    endings=st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=1),
    comments=st.booleans(),
    cuts=st.lists(st.integers(min_value=0), max_size=40),
)
def test_any_events_with_any_line_endings_survive_any_split(
    events: list[tuple[str | None, list[str], str | None]],
    endings: list[str],
    comments: bool,
    cuts: list[int],
) -> None:
    lines: list[str] = []
    expected = []
    last_id = ""
    for name, data, event_id in events:
        if comments:
            lines.append(": keep-alive")
        if name is not None:
            lines.append(f"event: {name}")
        lines += [f"data: {text}" for text in data]
        if event_id is not None:
            lines.append(f"id: {event_id}")
            last_id = event_id
        lines.append("")
        expected.append((name or "message", "\n".join(data), last_id, None))
    raw_text = ""
    for line, ending in zip(lines, itertools.cycle(endings)):
        if raw_text.endswith("\r") and not line and ending == "\n":
            ending = "\r\n"  # CR then LF is one CRLF line end, not two
        raw_text += line + ending
    raw = raw_text.encode()
    points = sorted({0, len(raw), *(cut % (len(raw) + 1) for cut in cuts)})
    assert parse(*[raw[a:b] for a, b in itertools.pairwise(points)]) == expected
