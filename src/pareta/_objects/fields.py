"""The response objects' base, their declared fields, and the one rule for a missing value.

A field reads its key from the object's dict on every access. A value that is absent, or
of a type the field cannot hold, reads as ``None`` (an ``Id`` too, as the reference says of
every field), ``[]`` for a list, ``False`` for a flag and an empty object for a nested
object: reading never raises.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

if TYPE_CHECKING:
    from typing_extensions import Self


class ParetaObject:
    """The shared base: raw-key access, ``get``, and a lossless ``to_dict()``."""

    __slots__ = ("_data", "_rid")

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data
        self._rid: str | None = None

    @property
    def request_id(self) -> str | None:
        """The ``x-request-id`` of the answer this object came in (``None`` when it was
        built by hand, or is a part of another object)."""
        return self._rid

    @property
    def _request_id(self) -> str | None:
        """``request_id``, under the name openai-python gives it."""
        return self._rid

    def to_dict(self) -> dict[str, Any]:
        """The JSON the server sent, as a dict (the object's own storage, not a copy)."""
        return self._data

    def get(self, key: str, default: Any = None) -> Any:
        """A raw field, or ``default`` when the server did not send it."""
        return self._data.get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ParetaObject):
            return type(self) is type(other) and self._data == other._data
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # wraps a mutable dict

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._data!r})"


_T = TypeVar("_T")
_O = TypeVar("_O", bound="ParetaObject")
Reader = Callable[["ParetaObject"], _T]  # a field's getter


class Field(property, Generic[_T]):
    """A read-only property declared by what it holds, reading the key of its own name.

    It is a ``property`` so that reading it costs what a hand-written one does; its getter
    is built by ``make`` in ``__set_name__``, once the name (the key) is known.
    """

    def __init__(self, make: Callable[[str], Reader[_T]]) -> None:
        self._make = make

    def __set_name__(self, owner: type[Any], name: str) -> None:
        super().__init__(self._make(name))

    if TYPE_CHECKING:

        @overload
        def __get__(self, instance: None, owner: type[Any], /) -> Self: ...

        @overload
        def __get__(self, instance: Any, owner: type[Any] | None = None, /) -> _T: ...

        def __get__(self, instance: Any, owner: type[Any] | None = None, /) -> Any: ...


def _converted(convert: Callable[[Any], _T]) -> Field[_T]:
    def make(key: str) -> Reader[_T]:
        def read(obj: ParetaObject) -> _T:
            return convert(obj._data.get(key))

        return read

    return Field(make)


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
    try:
        return float(value)
    except OverflowError:  # an integer of hundreds of digits: no float holds it
        return None


def _is_true(value: Any) -> bool:
    return value is True


def first_str(*values: Any) -> str | None:
    """The first non-empty string, read like ``as_str(a) or as_str(b) or ...``."""
    value = None
    for value in map(as_str, values):
        if value:
            break
    return value


def objects(cls: type[_O], value: Any) -> list[_O]:
    if not isinstance(value, list):
        return []
    return [cls(item) for item in value if isinstance(item, dict)]


# The declarations, named for what the field holds. The hot ones (a streamed chunk's
# ``choices[0].delta.content``) test the value inline: one call per read, as before.


def Str(*, within: str | None = None) -> Field[str | None]:
    """A string; ``within`` reads it inside that envelope when the server sent one."""

    def make(key: str) -> Reader[str | None]:
        def read(obj: ParetaObject) -> str | None:
            data = obj._data
            if within is not None:
                inner = data.get(within)
                data = inner if isinstance(inner, dict) else data
            value = data.get(key)
            return value if isinstance(value, str) else None

        return read

    return Field(make)


def Id(*fallbacks: str) -> Field[str | None]:
    """A record's identity: ``None`` when the server left it out (or sent an empty one).

    An empty reading falls back to the next key, like ``a or b``."""

    def make(key: str) -> Reader[str | None]:
        keys = (key, *fallbacks)

        def read(obj: ParetaObject) -> str | None:
            for other in keys:
                value = obj._data.get(other)
                if isinstance(value, str) and value:
                    return value
            return None

        return read

    return Field(make)


def Obj(cls: type[_O]) -> Field[_O]:
    """A nested object, empty when absent."""

    def make(key: str) -> Reader[_O]:
        def read(obj: ParetaObject) -> _O:
            value = obj._data.get(key)
            return cls(value if isinstance(value, dict) else {})

        return read

    return Field(make)


def Int() -> Field[int | None]:
    return _converted(as_int)


def Float() -> Field[float | None]:
    return _converted(_as_float)


def Flag() -> Field[bool]:
    return _converted(_is_true)


def OptObj(cls: type[_O]) -> Field[_O | None]:
    """A nested object that may be absent (``None``)."""
    return _converted(lambda value: cls(value) if isinstance(value, dict) else None)


def Objs(cls: type[_O]) -> Field[list[_O]]:
    return _converted(lambda value: objects(cls, value))
