"""Fuzzing beyond the schema: nesting, huge numbers, odd digits, wrong encodings.

Whatever arrives, the answer is a 4xx (or a 2xx) with a strict-JSON ``{"detail": ...}``,
never a 500.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pareta.local import LocalServer

from .helpers import create_eval_set

ODD_DIGITS = ["²", "٣", "۴", "१", "𝟘", "Ⅻ", "½", "-0", "+1", " 1", "1e3", "0x1", "1_000"]
JSON_ROUTES = [
    "/v1/chat/completions",
    "/v1/endpoints",
    "/v1/tasks/match",
    "/v1/eval-runs",
    "/admin/faults",
    "/admin/balance",
    "/admin/keys",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(ODD_DIGITS),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = ["model", "messages", "stream", "max_tokens", "task", "query", "spec", "path", "status"]
bodies = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=5)


def nested(depth: int) -> bytes:
    return b'{"model": ' + b"[" * depth + b"]" * depth + b"}"


raw_bodies = st.one_of(
    bodies.map(lambda b: json.dumps(b).encode()),
    st.binary(max_size=64),
    st.integers(min_value=1, max_value=200_000).map(nested),
    st.sampled_from(
        [
            b'{"max_tokens": ' + b"9" * 5000 + b"}",
            b'{"latency": 1e999}',
            b'{"status": NaN}',
            b'{"model": "\xc3\x28"}',
            '{"model": "x"}'.encode("utf-16"),
            b"\xef\xbb\xbf{}",
        ]
    ),
)


def _assert_answer(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])

    def strict(name: str) -> Any:
        raise AssertionError(f"{name} in an answer")

    body = json.loads(response.content, parse_constant=strict)
    if response.status_code >= 400:
        assert "detail" in body


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[tuple[httpx.Client, str]]:
    with (
        LocalServer(deploy_seconds=0) as server,
        httpx.Client(
            base_url=server.base_url,
            headers={"Authorization": f"Bearer {server.api_key}"},
            timeout=30,
        ) as client,
    ):
        eval_set = create_eval_set(client, "invoice-extraction", [{"expected": {"total": "1"}}] * 2)
        yield client, eval_set["id"]


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


@FUZZ
@given(route=st.sampled_from(JSON_ROUTES), raw=raw_bodies)
def test_json_routes_answer_4xx_to_anything(
    fuzzed: tuple[httpx.Client, str], route: str, raw: bytes
) -> None:
    client, _ = fuzzed
    headers = {"Content-Type": "application/json"}
    _assert_answer(client.post(route, content=raw, headers=headers))


@FUZZ
@given(idx=st.one_of(st.sampled_from([*ODD_DIGITS, "9" * 5000]), st.text(max_size=12)))
def test_attach_blob_idx_is_a_4xx_unless_a_row(fuzzed: tuple[httpx.Client, str], idx: str) -> None:
    client, set_id = fuzzed
    answer = client.post(
        f"/v1/eval-sets/{set_id}/attach-blob",
        data={"idx": idx, "field_name": "document"},
        files={"file": ("a.pdf", b"%PDF-1.4", "application/pdf")},
    )
    _assert_answer(answer)
    if idx.strip() not in ("0", "1", "00", "01"):
        assert answer.status_code in (400, 422)  # 400: a form field past 4 KiB


@FUZZ
@given(
    value=st.one_of(st.sampled_from([*ODD_DIGITS, "9" * 5000, "nan", "inf"]), st.text(max_size=8))
)
def test_query_and_path_parameters_answer_4xx(fuzzed: tuple[httpx.Client, str], value: str) -> None:
    client, set_id = fuzzed
    _assert_answer(client.get("/v1/tasks/contract-key-fields", params={"examples_n": value}))
    _assert_answer(client.get("/v1/endpoints/ep_contract_kie/activity", params={"window": value}))
    _assert_answer(client.get("/v1/endpoints/ep_contract_kie/cost", params={"group_by": value}))
    _assert_answer(
        client.put(
            f"/storage/eval-sets/{set_id}/rows/{quote(value or 'x', safe='')}/document?token=a.b"
        )
    )
    body = {"idx": value, "field_name": value or "document"}
    _assert_answer(client.post(f"/v1/eval-sets/{set_id}/blob-upload-url", json=body))


@FUZZ
@given(rows=st.lists(st.one_of(json_values, st.binary(max_size=20)), min_size=1, max_size=5))
def test_eval_set_rows_answer_4xx_or_a_set(
    fuzzed: tuple[httpx.Client, str], rows: list[Any]
) -> None:
    client, _ = fuzzed
    lines = [r if isinstance(r, bytes) else json.dumps(r).encode() for r in rows]
    answer = client.post(
        "/v1/eval-sets",
        data={"task_id": "sentiment-analysis"},
        files={"items": ("i.jsonl", b"\n".join(lines))},
    )
    _assert_answer(answer)


def test_deep_rows_and_deploys_are_422(fuzzed: tuple[httpx.Client, str]) -> None:
    client, _ = fuzzed
    deep = b'{"input": "x", "expected": ' + b"[" * 500 + b"]" * 500 + b"}"
    answer = client.post(
        "/v1/eval-sets",
        data={"task_id": "sentiment-analysis"},
        files={"items": ("i.jsonl", deep)},
    )
    assert answer.status_code == 422
    assert "nests deeper than 64 levels" in answer.text
    deploy = b'{"task": "contract-key-fields", "x": ' + b"[" * 900 + b"]" * 900 + b"}"
    answer = client.post("/v1/endpoints", content=deploy)
    assert answer.status_code == 422


def test_validation_errors_echo_only_what_json_can_carry(fuzzed: tuple[httpx.Client, str]) -> None:
    client, _ = fuzzed
    deep = b'{"path": "/x", "latency": 1, "junk": ' + b"[" * 900 + b"]" * 900 + b"}"
    for raw in (deep, b'{"path": "/x", "latency": 1, "junk": "' + b"y" * 50_000 + b'"}'):
        answer = client.post("/admin/faults", content=raw)
        assert answer.status_code in (400, 422)
        _assert_answer(answer)
        assert len(answer.content) < 5000
