from __future__ import annotations

from pathlib import Path

import pytest

from pareta.cli.rows import RowsError, read_rows


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_jsonl_rows_skip_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "rows.jsonl", '{"input": "a", "expected": {"x": 1}}\n\n{"input": "b"}\n')
    assert read_rows(path) == [{"input": "a", "expected": {"x": 1}}, {"input": "b"}]


def test_json_array_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "rows.json", '[{"input": "a"}, {"input": "b"}]')
    assert read_rows(path) == [{"input": "a"}, {"input": "b"}]


def test_csv_columns_become_keys_and_json_cells_stay_json(tmp_path: Path) -> None:
    text = 'input,expected,note\n"Fee: $5, due 2026-01-01","{""fee"": 5}",[not json\n'
    rows = read_rows(write(tmp_path, "rows.csv", text))
    assert rows == [
        {"input": "Fee: $5, due 2026-01-01", "expected": {"fee": 5}, "note": "[not json"}
    ]


def test_csv_numbers_stay_text(tmp_path: Path) -> None:
    rows = read_rows(write(tmp_path, "rows.CSV", 'input,expected\n12345,"[1, 2]"\n'))
    assert rows == [{"input": "12345", "expected": [1, 2]}]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("rows.jsonl", '{"input": "a"}\nnot json\n', "rows.jsonl:2: not a JSON object"),
        ("rows.jsonl", '{}\n"text"\n', "line 2: a row must be a JSON object, not str"),
        ("rows.json", "[{]", "is not a valid JSON array"),
        ("rows.jsonl", "\n\n", "holds no rows"),
        ("rows.csv", "", "has no header row"),
        ("rows.csv", "input\na,b\n", "more cells than header columns"),
    ],
)
def test_bad_files_name_the_problem(tmp_path: Path, name: str, text: str, message: str) -> None:
    with pytest.raises(RowsError, match=message):
        read_rows(write(tmp_path, name, text))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RowsError, match=r"cannot read .*nope\.jsonl"):
        read_rows(str(tmp_path / "nope.jsonl"))


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(RowsError, match="is not UTF-8 text"):
        read_rows(str(path))


def test_counts_read_as_people_write_them() -> None:
    from pareta.cli.rows import plural

    assert [plural(n, "row") for n in (0, 1, 2)] == ["0 rows", "1 row", "2 rows"]
