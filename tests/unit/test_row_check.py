"""Eval rows against their task's ``input_schema`` (pure: written once)."""

from __future__ import annotations

from typing import Any

import pytest

from pareta._row_check import check_labels, check_rows

TEXT = {"id": "contract-key-fields", "input_schema": {"input": "string"}, "blob_fields": []}
BLOB = {
    "id": "invoice-extraction",
    "input_schema": {"document": "blob", "image": "blob"},
    "blob_fields": ["document", "image"],
}
TWO = {"id": "pair", "input_schema": {"question": "string", "context": "string"}}


def test_rows_that_fit_pass() -> None:
    check_rows(TEXT, [{"input": "x", "expected": {"a": 1}}])
    # The documentation's other names: "text" for the one text input, "target" for the answer.
    check_rows(TEXT, [{"text": "x", "target": {"a": 1}}])
    # Blob fields are attached after the set exists: absent or null, with their sample text.
    check_rows(BLOB, [{"expected": {}}, {"document": None, "document_text": "t", "target": 1}])
    check_rows(TWO, [{"question": "q", "context": "c", "expected": "a"}])
    check_labels([{"expected": 1}, {"target": 2, "anything": 3}])


@pytest.mark.parametrize(
    ("row", "says"),
    [
        (
            {"text": "x", "label": "y"},
            "items[1]: missing field 'expected' and unexpected field 'label'.",
        ),
        (
            {"prompt": "x", "label": "y"},
            "items[1]: missing fields 'input', 'expected' and unexpected fields 'prompt', 'label'.",
        ),
        ({"input": "x"}, "items[1]: missing field 'expected'."),
        ({"input": "x", "expected": 1, "extra": 2}, "items[1]: unexpected field 'extra'."),
    ],
)
def test_a_row_that_does_not_fit_is_named_with_its_fields(row: dict[str, Any], says: str) -> None:
    with pytest.raises(ValueError, match="input_schema") as info:
        check_rows(TEXT, [{"input": "ok", "expected": 1}, row])
    message = str(info.value)
    assert message.startswith(says)
    assert "input_schema fields 'input' and 'expected'" in message
    assert "check_items=False" in message
    assert "--no-check" in message


def test_a_row_without_its_answer_is_named_without_the_task() -> None:
    with pytest.raises(ValueError, match=r"^items\[2\]: missing field 'expected'") as info:
        check_labels([{"expected": 1}, {"target": 1}, {"text": "x", "label": "y"}])
    assert "(its fields: 'text', 'label')" in str(info.value)
    with pytest.raises(ValueError, match="its fields: none"):
        check_labels([{}])


def test_text_stands_for_the_input_only_when_there_is_one() -> None:
    with pytest.raises(ValueError, match="missing fields 'question', 'context'"):
        check_rows(TWO, [{"text": "x", "expected": 1}])


def test_a_blob_task_names_its_blob_fields() -> None:
    with pytest.raises(ValueError, match="'document' \\(a blob, attached later\\)"):
        check_rows(BLOB, [{"input": "x", "expected": 1}])


@pytest.mark.parametrize("task", [{}, {"input_schema": {}}, {"input_schema": "text"}])
def test_a_task_without_a_schema_is_not_checked(task: dict[str, Any]) -> None:
    check_rows(task, [{"anything": 1}])


def test_a_task_without_an_id_still_reads() -> None:
    with pytest.raises(ValueError, match="A row of the task holds"):
        check_rows({"input_schema": {"input": "s"}}, [{}])
