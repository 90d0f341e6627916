"""Declared fields of the response objects, and the one rule for a missing value.

A field reads its key from the object's dict on every access. A value that is absent, or
of a type the field cannot hold, reads as ``None`` for an optional field, as ``""`` for an
``Id`` (a record's identity, which the documentation says is always there), ``[]`` for a
list, ``False`` for a flag and an empty object for a nested object: reading never raises.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

if TYPE_CHECKING:
    from typing_extensions import Self

    from ._models import ParetaObject

_T = TypeVar("_T")
_O = TypeVar("_O", bound="ParetaObject")


class Field(Generic[_T]):
    """One field: the keys it reads (the first whose reading is truthy wins) and how."""

    __slots__ = ("_also", "_key", "_read", "_within")

    def __init__(
        self, read: Callable[[Any], _T], keys: tuple[str, ...], within: str | None
    ) -> None:
        self._read = read
        self._key = keys[0] if keys else ""
        self._also = keys[1:]
        self._within = within

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._key = self._key or name

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self, obj: ParetaObject, owner: type[Any]) -> _T: ...

    def __get__(self, obj: ParetaObject | None, owner: type[Any]) -> Self | _T:
        if obj is None:
            return self
        data = obj._data
        if self._within is not None:
            inner = data.get(self._within)
            if isinstance(inner, dict):
                data = inner
        value = self._read(data.get(self._key))
        for key in self._also:
            if value:
                break
            value = self._read(data.get(key))
        return value


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    return None


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def first_str(*values: Any) -> str | None:
    """The first non-empty string, read like ``as_str(a) or as_str(b) or ...``."""
    value = None
    for value in map(as_str, values):
        if value:
            break
    return value


def _as_id(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _is_true(value: Any) -> bool:
    return value is True


def objects(cls: type[_O], value: Any) -> list[_O]:
    if not isinstance(value, list):
        return []
    return [cls(item) for item in value if isinstance(item, dict)]


# The declarations: each names what the field holds; the keys default to the field's name.


def Str(*keys: str, within: str | None = None) -> Field[str | None]:
    return Field(as_str, keys, within)


def Id(*keys: str) -> Field[str]:
    """A record's identity: typed ``str``, read as ``""`` when the server left it out."""
    return Field(_as_id, keys, None)


def Int(*keys: str) -> Field[int | None]:
    return Field(as_int, keys, None)


def Float(*keys: str) -> Field[float | None]:
    return Field(_as_float, keys, None)


def Flag(*keys: str) -> Field[bool]:
    return Field(_is_true, keys, None)


def Obj(cls: type[_O], *keys: str) -> Field[_O]:
    """A nested object, empty when absent."""
    return Field(lambda value: cls(as_dict(value)), keys, None)


def OptObj(cls: type[_O], *keys: str) -> Field[_O | None]:
    """A nested object that may be absent (``None``)."""
    return Field(lambda value: cls(value) if isinstance(value, dict) else None, keys, None)


def Objs(cls: type[_O], *keys: str) -> Field[list[_O]]:
    return Field(lambda value: objects(cls, value), keys, None)
