"""Response objects as tables: pandas DataFrames (extra ``pareta[pandas]``) and the HTML
tables a notebook shows. Both are built from one ``Table`` per object, so they agree; the
columns are listed in the README ("Quality against cost").
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .._extras import missing
from .._money import MICRO_USD_PER_USD

if TYPE_CHECKING:
    import pandas

# pandas dtypes; TIME columns hold Unix seconds and become UTC datetimes.
STRING, FLOAT, INT, BOOL, OBJECT, TIME = "string", "float64", "Int64", "boolean", "object", "time"
# Where a metric dimension keeps its buckets: ``series`` when grouped, ``windows`` for quality.
BUCKETS = ("series", "windows")
TIME_FIELDS = frozenset({"window_start", "window_end", "start", "end", "at", "created"})


@dataclass
class Table:
    title: str
    columns: list[tuple[str, str]]  # (name, dtype)
    rows: list[Sequence[Any]] = field(default_factory=list)


MAX_MILLIS = 9.2e15


def to_pandas(table: Table) -> pandas.DataFrame:
    try:
        import pandas
    except ImportError as exc:
        raise missing("pandas", extra="pandas", purpose="to_pandas()") from exc
    data: dict[str, pandas.Series[Any]] = {}
    for index, (name, dtype) in enumerate(table.columns):
        values = [row[index] for row in table.rows]
        if dtype == TIME:
            # Whole milliseconds: a float of Unix seconds carries noise below that. A time
            # no datetime holds (milliseconds sent as seconds) reads as NaT.
            seconds = pandas.Series([_float(value) for value in values], dtype=FLOAT)
            millis = (seconds * 1000).round()
            # Past pandas' range (about the year 2262) a time is NaT before conversion: some
            # pandas releases raise on it (an infinity) even when told to coerce.
            millis = millis.where(millis.abs() < MAX_MILLIS)
            data[name] = pandas.to_datetime(millis, unit="ms", utc=True, errors="coerce")
        else:
            data[name] = _series(values, dtype)
    # pandas-stubs read under Python 3.10 type the constructor as Any: say what it is.
    frame: pandas.DataFrame = pandas.DataFrame(data)
    return frame


def _series(values: list[Any], dtype: str) -> pandas.Series[Any]:
    import pandas

    series: pandas.Series[Any]
    try:
        series = pandas.Series(values, dtype=dtype)
    except (TypeError, ValueError, OverflowError):
        # A value the column's type cannot hold (a 400-digit integer, a string where a
        # number belongs): the column keeps the values as they came.
        series = pandas.Series(values, dtype=OBJECT)
    return series


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return float(value)
    except OverflowError:
        return None


def to_html(table: Table) -> str:
    head = "".join(f"<th>{html.escape(name)}</th>" for name, _ in table.columns)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(_html_cell(name, dtype, value))}</td>"
            for (name, dtype), value in zip(table.columns, row, strict=True)
        )
        + "</tr>"
        for row in table.rows
    )
    return (
        f'<table class="pareta"><caption>{html.escape(table.title)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _html_cell(name: str, dtype: str, value: Any) -> str:
    if value is None:
        return ""
    try:
        return _formatted(name, dtype, value)
    except (TypeError, ValueError, OverflowError, OSError):
        # Not what the column holds, or past what a float or a date can show.
        return str(value)


def _formatted(name: str, dtype: str, value: Any) -> str:
    if dtype == BOOL:
        return "yes" if value else "no"
    if dtype == TIME:
        moment = datetime.fromtimestamp(value, tz=timezone.utc)
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    if name == "savings":
        return f"{value:.0%}"
    if name.endswith("_usd") and not name.endswith("micro_usd"):
        return f"${value:.6f}"
    if dtype == FLOAT:
        return f"{value:.4g}"
    return str(value)


def dollars(micro_usd: int | None) -> float | None:
    if micro_usd is None:
        return None
    try:
        return micro_usd / MICRO_USD_PER_USD
    except OverflowError:
        return None


# -- the objects -------------------------------------------------------------------------


def metric_table(report: Mapping[str, Any]) -> Table:
    """One row per bucket when the dimension has them, else one row of its summary."""
    endpoint_id, dimension = report.get("endpoint_id"), report.get("dimension")
    title = f"{dimension} of {endpoint_id}"
    buckets = next((report[key] for key in BUCKETS if isinstance(report.get(key), list)), None)
    if buckets is None:
        records = [{k: v for k, v in report.items() if not isinstance(v, (list, dict))}]
    else:
        records = [
            {"endpoint_id": endpoint_id, "dimension": dimension, **bucket}
            for bucket in buckets
            if isinstance(bucket, dict)
        ]
    names = list(dict.fromkeys(name for record in records for name in record))
    columns = [(name, _dtype(name, [r.get(name) for r in records])) for name in names]
    return Table(title, columns, [tuple(r.get(name) for name in names) for r in records])


def _dtype(name: str, values: list[Any]) -> str:
    present = [value for value in values if value is not None]
    if not present:
        return OBJECT
    if all(isinstance(value, bool) for value in present):
        return BOOL
    if all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in present):
        if name in TIME_FIELDS:
            return TIME
        return INT if all(isinstance(value, int) for value in present) else FLOAT
    if all(isinstance(value, str) for value in present):
        return STRING
    return OBJECT


class Tabular:
    """``to_pandas()`` and a notebook's HTML table, from the rows of a model's ``_rows``."""

    __slots__ = ()
    if TYPE_CHECKING:  # each model names its own: ``_rows = models_table``

        def _rows(self) -> Table: ...

    def to_pandas(self) -> pandas.DataFrame:
        """The rows as a DataFrame; the columns are in the README (needs ``pareta[pandas]``)."""
        return to_pandas(self._rows())

    def _repr_html_(self) -> str:
        return to_html(self._rows())


_E = TypeVar("_E")


class Ranked(Tabular, Generic[_E]):
    """A table whose entries have a quality and a cost, and so a Pareto front."""

    __slots__ = ()
    if TYPE_CHECKING:  # each model names its own: ``_front = leaderboard_front``

        def _front(self) -> list[_E]: ...

    def pareto_front(self) -> list[_E]:
        """The entries no other beats on both quality (higher) and cost (lower), cheapest
        first; entries without a quality or a cost are left out."""
        return self._front()
