"""The response types and the pure rules they rest on (written once: no I/O)."""

from __future__ import annotations

import inspect
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pareta
from pareta._baselines import parse_frontier, select_roster
from pareta._money import floor_to_cents
from pareta._objects import models as _models
from pareta._objects import rankings as _rankings
from pareta._objects.fields import Field
from pareta._retry import backoff_delay, parse_retry_after
from pareta._uploads import INLINE_UPLOAD_LIMIT, guess_mime, upload_from

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
MODEL_TYPES = [
    cls
    for module in (_models, _rankings)
    for _, cls in inspect.getmembers(module, inspect.isclass)
    if issubclass(cls, _models.ParetaObject) and cls.__module__ == module.__name__
]


def fields(cls: type[_models.ParetaObject]) -> list[str]:
    """The public fields of a response type, declared or hand-written."""
    return [
        name
        for name, attr in inspect.getmembers(cls)
        if isinstance(attr, (property, Field)) and not name.startswith("_")
    ]


def read_every_property(obj: _models.ParetaObject) -> None:
    for name in fields(type(obj)):
        value = getattr(obj, name)
        if isinstance(value, _models.ParetaObject):
            read_every_property(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, _models.ParetaObject):
                    read_every_property(item)


@pytest.mark.parametrize("cls", MODEL_TYPES, ids=lambda c: c.__name__)
@settings(max_examples=40)
@given(data=st.dictionaries(st.text(), json_values, max_size=8))
def test_arbitrary_json_never_makes_a_property_raise(
    cls: type[_models.ParetaObject], data: dict[str, Any]
) -> None:
    read_every_property(cls(data))


@pytest.mark.parametrize("cls", MODEL_TYPES, ids=lambda c: c.__name__)
@settings(max_examples=40)
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            key: json_values
            for key in ("id", "choices", "usage", "data", "run", "results", "models", "chosen")
        },
    )
)
def test_documented_keys_with_wrong_types_never_raise(
    cls: type[_models.ParetaObject], data: dict[str, Any]
) -> None:
    read_every_property(cls(data))


def test_absent_fields_read_as_none_empty_or_false() -> None:
    assert pareta.ChatCompletion({}).choices == []
    assert pareta.ChatCompletion({}).usage.total_tokens is None
    assert pareta.Choice({}).message.content is None
    assert pareta.Endpoint({}).is_live is False
    assert pareta.TaskMatch({}).chosen is None
    assert pareta.Leaderboard({}).frontier is None
    assert pareta.FrontierModel({}).vision is False
    run = pareta.EvalRun({})
    assert (run.status, run.results, run.candidate_models, run.cost) == (
        None,
        [],
        [],
        Decimal("0.00"),
    )


# A record's identity (the id it is known by, or that you pass on to the next call) reads
# None when absent or mistyped, like every field: the reference says so of each of them.
IDENTITIES = [
    (pareta.Model, "id"),
    (pareta.Endpoint, "id"),
    (pareta.Task, "id"),
    (pareta.TaskMatchCandidate, "task_id"),
    (pareta.Leaderboard, "task_id"),
    (pareta.LeaderboardEntry, "name"),
    (pareta.FrontierModel, "id"),
    (pareta.EvalSet, "id"),
    (pareta.EvalSet, "task_id"),
    (pareta.EvalRun, "id"),
    (pareta.EvalResult, "model_id"),
]


@pytest.mark.parametrize(("cls", "name"), IDENTITIES, ids=lambda x: getattr(x, "__name__", x))
def test_an_absent_or_mistyped_identity_reads_none(
    cls: type[_models.ParetaObject], name: str
) -> None:
    assert getattr(cls({}), name) is None
    assert getattr(cls({name: 7, "id": None, "run_id": False}), name) is None
    assert getattr(cls({name: ""}), name) is None


def test_every_string_field_reads_none_when_absent() -> None:
    for cls in MODEL_TYPES:
        for name in fields(cls):
            value = getattr(cls({}), name)
            assert (
                value is None
                or value in ([], False, Decimal(0), 0)
                or (isinstance(value, _models.ParetaObject) and value.to_dict() == {})
            ), (cls.__name__, name, value)
            assert value != "", (cls.__name__, name)


def test_fields_read_their_key_and_fall_back_on_an_empty_reading() -> None:
    assert pareta.Endpoint({"id": "", "name": "ep_named"}).id == "ep_named"
    assert pareta.Endpoint({"id": "ep_1", "name": "other"}).id == "ep_1"
    assert pareta.Task({"task_id": "t"}).id == "t"
    assert pareta.Message({"content": ""}).content == ""
    assert pareta.EvalRun({"run": {"status": ""}, "status": "running"}).status == "running"
    assert pareta.EvalRun({"run": {"status": ""}}).status is None
    assert pareta.EvalRun({"status": ""}).status == ""
    assert pareta.EvalRun({"run": {}, "run_id": "run_top"}).id == "run_top"
    nested = pareta.EvalRun({"run": {"eval_set_id": "es_1"}, "eval_set_id": "es_top"})
    assert nested.eval_set_id == "es_1"
    assert pareta.EvalRun({"run": "junk", "eval_set_id": "es_top"}).eval_set_id == "es_top"


def test_numbers_read_as_their_field_type() -> None:
    entry = pareta.LeaderboardEntry(
        {"quality": 1, "context_k": 32.0, "cost_per_request_micro_usd": 850}
    )
    assert (entry.quality, entry.context_k, entry.cost_per_request_micro_usd) == (1.0, 32, 850)
    assert isinstance(entry.quality, float)
    assert isinstance(entry.context_k, int)
    assert pareta.EvalResult({"quality_ci_low": float("inf")}).quality_ci_low == float("inf")
    assert pareta.Usage({"total_tokens": float("nan")}).total_tokens is None


def test_a_completion_builds_its_choices_once() -> None:
    completion = pareta.ChatCompletion({"choices": [{"index": 0}]})
    assert completion.choices is completion.choices
    assert completion.choices[0].index == 0


def test_a_field_read_on_the_class_is_its_declaration() -> None:
    assert isinstance(pareta.ChatCompletion.id, Field)
    assert isinstance(pareta.Choice.delta, Field)


def test_wrong_types_read_as_none() -> None:
    usage = pareta.Usage({"total_tokens": "7", "prompt_tokens": True, "completion_tokens": 2.0})
    assert (usage.total_tokens, usage.prompt_tokens, usage.completion_tokens) == (None, None, 2)
    assert pareta.LeaderboardEntry({"quality": "high"}).quality is None
    assert pareta.Task({"has_blob_input": "yes"}).has_blob_input is False


def test_raw_access_and_equality() -> None:
    data = {"id": "ep_1", "status": "live", "gpu_hidden": True}
    ep = pareta.Endpoint(data)
    assert ep["gpu_hidden"] is True
    assert ep.get("missing", 5) == 5
    assert "status" in ep
    assert ep.to_dict() is data
    assert ep == pareta.Endpoint(dict(data))
    assert ep != pareta.Model(dict(data))
    assert ep != data
    assert repr(ep) == f"Endpoint({data!r})"
    with pytest.raises(KeyError):
        ep["nope"]


def test_endpoint_id_falls_back_to_name() -> None:
    assert pareta.Endpoint({"name": "ep_named"}).id == "ep_named"


def test_eval_run_reads_the_create_answer_and_the_envelope() -> None:
    created = pareta.EvalRun({"run_id": "run_1", "status": "running"})
    assert (created.id, created.status, created.is_terminal) == ("run_1", "running", False)
    nested = pareta.EvalRun(
        {"run": {"run_id": "run_2", "status": "completed", "candidate_model_ids": ["a", 3]}}
    )
    assert (nested.id, nested.is_terminal, nested.candidate_models) == ("run_2", True, ["a"])
    named = pareta.EvalRun({"run": {"candidate_models": ["b"], "candidate_model_ids": ["c"]}})
    assert named.candidate_models == ["b"]
    inner_results = pareta.EvalRun({"run": {"results": [{"model_id": "m"}]}})
    assert [r.model_id for r in inner_results.results] == ["m"]


@pytest.mark.parametrize(
    ("micro", "dollars"),
    [
        (0, "0.00"),
        (5, "0.00"),
        (9_999, "0.00"),
        (10_000, "0.01"),
        (420_715, "0.42"),
        (74_211, "0.07"),
        (1_000_000, "1.00"),
        (123_456_789, "123.45"),
    ],
)
def test_cost_floors_to_whole_cents(micro: int, dollars: str) -> None:
    cost = pareta.EvalRun({"run": {"cost_micro_usd": micro}}).cost
    assert cost == Decimal(dollars)
    assert str(cost) == dollars


@given(st.integers(min_value=0, max_value=10**15))
def test_cost_never_overstates_and_loses_under_a_cent(micro: int) -> None:
    dollars = floor_to_cents(micro)
    assert dollars * 1_000_000 <= micro < (dollars + Decimal("0.01")) * 1_000_000
    assert dollars.as_tuple().exponent == -2


def test_model_list_iterates_models() -> None:
    models = pareta.ModelList({"data": [{"id": "a"}, "junk", {"id": "b"}]})
    assert [m.id for m in models] == ["a", "b"]
    assert len(models) == 2


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3", 3.0), ("0", 0.0), ("-4", 0.0), ("1000", 30.0), ("2.5", 2.5), ("soon", None), ("", None)],
)
def test_parse_retry_after(value: str, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_date_in_the_past_and_nan() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("nan") is None
    assert parse_retry_after(None) is None


@given(st.integers(min_value=0, max_value=10_000))
def test_backoff_stays_in_its_bounds(attempt: int) -> None:
    delay = backoff_delay(attempt)
    base = min(0.5 * 2 ** min(attempt, 32), 8.0)
    assert base <= delay < base + 0.25


def test_frontier_parsing_and_selection() -> None:
    assert parse_frontier(None) == []
    assert parse_frontier("NONE") == []
    assert parse_frontier(" all ") == "all"
    assert parse_frontier("benchmarked") == "benchmarked"
    assert parse_frontier(("a", "b")) == ["a", "b"]
    with pytest.raises(ValueError, match="roster keyword"):
        parse_frontier("best")
    with pytest.raises(TypeError):
        parse_frontier({"gpt-4o"})
    roster = [
        pareta.FrontierModel({"id": "a", "benchmarked": True}),
        pareta.FrontierModel({"id": "b", "benchmarked": False}),
        pareta.FrontierModel({"benchmarked": True}),
    ]
    assert select_roster(roster, "all") == ["a", "b"]
    assert select_roster(roster, "benchmarked") == ["a"]


def test_uploads_normalise_and_pick_their_path() -> None:
    assert guess_mime("x.pdf") == "application/pdf"
    assert guess_mime("x.unknownext") == "application/octet-stream"
    assert guess_mime(None) == "application/octet-stream"
    small = upload_from(b"x", "dir/scan.png", None)
    assert (small.filename, small.mime, small.inline) == ("scan.png", "image/png", True)
    assert upload_from(b"\0" * INLINE_UPLOAD_LIMIT, None, "a/b").inline is False
    assert upload_from(b"\0" * (INLINE_UPLOAD_LIMIT - 1), None, None).inline is True
    with pytest.raises(TypeError, match="binary mode"):
        upload_from("text", None, None)


def test_every_name_the_spec_imports_is_exported() -> None:
    names = [
        "Pareta",
        "AsyncPareta",
        "ParetaError",
        "APIConnectionError",
        "APITimeoutError",
        "APIStatusError",
        "BadRequestError",
        "AuthenticationError",
        "PermissionDeniedError",
        "InsufficientCreditsError",
        "NotFoundError",
        "ConflictError",
        "RateLimitError",
        "EndpointNotReadyError",
    ]
    for name in names:
        assert hasattr(pareta, name), name
    assert set(pareta.__all__) <= set(dir(pareta))


def test_exception_hierarchy() -> None:
    assert issubclass(pareta.APITimeoutError, pareta.APIConnectionError)
    assert issubclass(pareta.APIConnectionError, pareta.ParetaError)
    for cls in (
        pareta.BadRequestError,
        pareta.AuthenticationError,
        pareta.InsufficientCreditsError,
        pareta.PermissionDeniedError,
        pareta.NotFoundError,
        pareta.ConflictError,
        pareta.RateLimitError,
        pareta.EndpointNotReadyError,
    ):
        assert issubclass(cls, pareta.APIStatusError)
    assert issubclass(pareta.APIStatusError, pareta.ParetaError)
    error = pareta.APIConnectionError()
    assert str(error) == "connection error"
    assert str(pareta.APITimeoutError()) == "request timed out"
    cause = ValueError("x")
    assert pareta.APIConnectionError("boom", cause=cause).__cause__ is cause


def test_import_pareta_loads_no_optional_dependency() -> None:
    import subprocess
    import sys

    code = (
        "import sys, pareta; "
        "print(sorted(m for m in ('anyio', 'fastapi', 'uvicorn', 'aiohttp', 'pareta.local', "
        "'pareta.cli', 'trio') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("check", "value", "error"),
    [
        ("require_index", "0", TypeError),
        ("require_seconds", "3", TypeError),
        ("require_seconds", float("nan"), ValueError),
        ("require_models", 5, TypeError),
        ("require_models", ["qwen-1", ""], TypeError),
        ("require_positive_int", 2.0, TypeError),
    ],
)
def test_preflight_checks_name_the_argument(check: str, value: object, error: type) -> None:
    from pareta import _checks

    arguments = (value,) if check == "require_models" else (value, "arg")
    with pytest.raises(error):
        getattr(_checks, check)(*arguments)


def test_api_key_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="api_key"):
        pareta.Pareta(api_key=123)  # type: ignore[arg-type]


def test_status_error_detail_and_message() -> None:
    import httpx

    from pareta._exceptions import status_error

    response = httpx.Response(418, json={"error": "teapot"}, headers={"x-request-id": "req_1"})
    error = status_error(response)
    assert error.detail == '{"error":"teapot"}'
    assert error.request_id == "req_1"
    custom = pareta.NotFoundError("gone", status_code=404, detail="x")
    assert (str(custom), custom.detail, custom.response) == ("gone", "x", None)


def test_declared_fields_are_read_only_like_the_hand_written_ones() -> None:
    endpoint = pareta.Endpoint({"id": "ep_1"})
    with pytest.raises(AttributeError):
        endpoint.id = "ep_2"
    with pytest.raises(AttributeError):
        endpoint.is_live = True  # type: ignore[misc]
    assert endpoint.id == "ep_1"


def test_an_unnamed_eval_set_counts_its_items() -> None:
    from pareta._checks import default_set_name

    assert default_set_name(1) == "sdk eval set (1 item)"
    assert default_set_name(3) == "sdk eval set (3 items)"
