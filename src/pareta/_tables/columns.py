"""The batch formats a cluster hands over: rows out of them, columns into them.

Ray Data gives a batch as a dict of numpy arrays, a pandas ``DataFrame`` or a pyarrow
``Table``; a Dask dataframe's partition is a ``DataFrame``, a bag's a list of dicts. Rows
come out as dicts of plain values (lists, dicts, str, numbers): a row's request, and so
its idempotency key, must not depend on the format it came in. Output columns go back in
the format the batch came in, with one type per column whatever the values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# The kinds of output column: text or an integer, either possibly None; a count or a
# flag, never None.
STR, INT, COUNT, FLAG = "str", "int", "count", "flag"


def column_names(batch: Any) -> list[str]:
    if isinstance(batch, list):  # a bag's partition
        names: dict[str, None] = {}
        for row in batch:
            names.update(dict.fromkeys(row))
        return list(names)
    found = getattr(batch, "column_names", None)  # pyarrow
    if found is None:
        found = list(batch.keys()) if isinstance(batch, Mapping) else list(batch.columns)
    return [str(n) for n in found]


def rows_of(batch: Any, names: Iterable[str]) -> list[dict[str, Any]]:
    """The batch's rows, with the cells of the columns ``names`` as plain values."""
    wanted = list(names)
    if isinstance(batch, list):
        return [{n: plain(row[n]) for n in wanted if n in row} for row in batch]
    columns = {name: plain(_column(batch, name)) for name in wanted}
    count = _length(batch)
    return [{name: values[i] for name, values in columns.items()} for i in range(count)]


def with_columns(batch: Any, columns: Mapping[str, list[Any]], kinds: Mapping[str, str]) -> Any:
    """The batch with ``columns`` added, in the format it came in."""
    if isinstance(batch, list):
        return [{**row, **{n: v[i] for n, v in columns.items()}} for i, row in enumerate(batch)]
    if hasattr(batch, "append_column"):  # pyarrow
        import pyarrow as pa

        types = {STR: pa.string(), INT: pa.int64(), COUNT: pa.int64(), FLAG: pa.bool_()}
        for name, values in columns.items():
            batch = batch.append_column(name, pa.array(values, type=types[kinds[name]]))
        return batch
    if isinstance(batch, Mapping):  # numpy, as Ray Data's default format
        return {**batch, **{n: _numpy(v, kinds[n]) for n, v in columns.items()}}
    import pandas as pd

    out = batch.copy()
    for name, values in columns.items():
        out[name] = pd.Series(values, index=out.index, dtype=_PANDAS[kinds[name]])
    return out


def from_rows(batch: Any, rows: list[dict[str, Any]]) -> Any:
    """``rows`` (a postprocess's output) as a batch of the format ``batch`` came in."""
    if isinstance(batch, list):
        return rows
    if hasattr(batch, "append_column"):
        import pyarrow as pa

        return pa.Table.from_pylist(rows)
    if isinstance(batch, Mapping):
        return {n: _object_array([row.get(n) for row in rows]) for n in column_names(rows)}
    import pandas as pd

    # One output row per input row: the partition keeps its index (and Dask its divisions).
    return pd.DataFrame(rows, index=batch.index)


def plain(value: Any) -> Any:
    """numpy arrays and scalars (Ray's and pandas' cells) as lists, dicts and str; a
    missing cell (pandas' NaN, NA or NaT) as None."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if type(value).__name__ in _MISSING or value != value:  # NaN: the one unequal value
        return None
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


_MISSING = frozenset({"NAType", "NaTType"})


def _column(batch: Any, name: str) -> Any:
    column = batch[name]
    return column.to_pylist() if hasattr(column, "to_pylist") else column


def _length(batch: Any) -> int:
    if hasattr(batch, "num_rows"):
        return int(batch.num_rows)
    if isinstance(batch, Mapping):
        return len(next(iter(batch.values()))) if batch else 0
    return len(batch)


def _numpy(values: list[Any], kind: str) -> Any:
    import numpy as np

    if kind in (COUNT, FLAG):
        return np.array(values, dtype=np.int64 if kind == COUNT else np.bool_)
    return _object_array(values)


def _object_array(values: list[Any]) -> Any:
    import numpy as np

    # Filled cell by cell: np.array would turn a column of lists into a 2-d array.
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


_PANDAS = {STR: "object", INT: "Int64", COUNT: "int64", FLAG: "bool"}
