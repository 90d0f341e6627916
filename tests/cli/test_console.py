"""``Output.data``: the one JSON document a ``--json`` command prints."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from pareta import Endpoint
from pareta.cli.console import Output


def test_json_output_keeps_money_exact_and_objects_raw(capsys: pytest.CaptureFixture[str]) -> None:
    endpoint = Endpoint({"id": "ep_1", "status": "live", "extra": {"gpu": None}})
    Output(as_json=True).data({"cost": Decimal("0.026137"), "endpoint": endpoint})
    out = capsys.readouterr().out
    assert json.loads(out) == {
        "cost": "0.026137",
        "endpoint": {"id": "ep_1", "status": "live", "extra": {"gpu": None}},
    }
    assert out.endswith("}\n")


def test_json_output_refuses_what_it_cannot_represent(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(TypeError, match=r"^set is not JSON serialisable$"):
        Output(as_json=True).data({"ids": {"ep_1"}})
    assert capsys.readouterr().out == ""


def test_piped_lines_are_never_folded(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    long = "wrote 1 row -> " + "/very/long/path" * 8 + "/out.jsonl"
    out = Output()
    assert not out.console.is_terminal
    out.line(long)
    out.indented(long)
    assert capsys.readouterr().out == f"{long}\n   {long}\n"


def test_a_width_set_with_columns_still_folds(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    out = Output()
    out.line("word " * 20)
    assert all(len(line) <= 40 for line in capsys.readouterr().out.splitlines())
