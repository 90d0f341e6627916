"""Any split of a valid event stream into network chunks yields the same events."""

from __future__ import annotations

import itertools
import json

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from pareta import Pareta
from tests.helpers import API_KEY, BASE_URL, Chunks, Recorder, sse_data, sse_events, transport

texts = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\r"), max_size=12
)
chunks = st.lists(
    st.fixed_dictionaries(
        {"id": st.just("c"), "choices": st.just([{"index": 0, "delta": {}}])},
        optional={"content": texts},
    ).map(lambda c: {**c, "choices": [{"index": 0, "delta": {"content": c.pop("content", None)}}]}),
    min_size=1,
    max_size=8,
)


def split(raw: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(raw), *(c % (len(raw) + 1) for c in cuts)})
    return [raw[a:b] for a, b in itertools.pairwise(points)]


def client(body: Chunks) -> Pareta:
    headers = {"content-type": "text/event-stream"}
    recorder = Recorder(lambda request: httpx.Response(200, stream=body, headers=headers))
    return Pareta(
        api_key=API_KEY, base_url=BASE_URL, http_client=httpx.Client(transport=transport(recorder))
    )


@settings(max_examples=150)
@given(
    payloads=chunks,
    cuts=st.lists(st.integers(min_value=0), max_size=30),
    newline=st.sampled_from([b"\n", b"\r\n", b"\r"]),
)
def test_chat_chunks_survive_any_split(
    payloads: list[dict[str, object]], cuts: list[int], newline: bytes
) -> None:
    # JSON escapes CR and LF inside strings, so only the line ends change.
    raw = sse_data(*payloads).replace(b"\n", newline)
    stream = client(Chunks(split(raw, cuts))).chat.completions.create(
        model="ep_1", messages=[{"role": "user", "content": "x"}], stream=True
    )
    assert [c.to_dict() for c in stream] == payloads


@settings(max_examples=100)
@given(
    events=st.lists(
        st.tuples(st.sampled_from(["progress", "note"]), st.dictionaries(texts, texts, max_size=3)),
        max_size=6,
    ),
    cuts=st.lists(st.integers(min_value=0), max_size=30),
)
def test_deploy_events_survive_any_split(
    events: list[tuple[str, dict[str, str]]], cuts: list[int]
) -> None:
    everything = [*events, ("complete", {"endpoint": {"id": "ep_1"}})]
    raw = sse_events(*everything)
    stream = client(Chunks(split(raw, cuts))).endpoints.deploy(task="t")
    got = [(e["event"], e["data"]) for e in stream]
    assert got == [(name, json.loads(json.dumps(data))) for name, data in everything]
