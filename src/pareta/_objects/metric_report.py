"""What a metric dimension returns: the server's JSON dict, with a table view on top."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .frames import metric_table, to_html, to_pandas

if TYPE_CHECKING:
    import pandas


class MetricReport(dict[str, Any]):
    """One dimension's raw metric JSON (a plain ``dict`` in every other respect)."""

    __slots__ = ("_rid",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rid: str | None = None

    @property
    def request_id(self) -> str | None:
        """The ``x-request-id`` of the answer the report came in."""
        return self._rid

    @property
    def _request_id(self) -> str | None:
        """``request_id``, under the name openai-python gives it."""
        return self._rid

    def to_pandas(self) -> pandas.DataFrame:
        """One row per bucket when the dimension has them (``series``, quality's
        ``windows``), else one row of its summary; needs ``pareta[pandas]``."""
        return to_pandas(metric_table(self))

    def _repr_html_(self) -> str:
        return to_html(metric_table(self))
