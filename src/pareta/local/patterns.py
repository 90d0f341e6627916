"""Regular expressions that run in linear time, whatever the input.

The built-in models read text a client sends, so their patterns must not
backtrack: with Python's `re`, ``"A " * 6000`` against the party-name pattern
took seconds and a longer body would have held a worker for hours. RE2
(`google-re2`) matches in time linear in the text for every pattern, at the
price of no look-around and no back-references, which these patterns do not
need. Its character classes are ASCII, so `WORD` spells out the Unicode letters
and digits that Python's ``\\w`` would match.

RE2's Python binding encodes the whole text on every call, so a search is run
on the slice it should read (`search_in`), never with ``pos``/``endpos``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, cast

import re2  # type: ignore[import-untyped]

# Python's \w, in RE2's syntax (inside a character class).
WORD = r"\pL\pN_"


class Match(Protocol):
    def group(self, index: int = 0, /) -> Any: ...
    def groups(self) -> tuple[Any, ...]: ...
    def start(self, index: int = 0, /) -> int: ...
    def end(self, index: int = 0, /) -> int: ...


class Pattern(Protocol):
    def search(self, text: Any) -> Match | None: ...
    def match(self, text: Any) -> Match | None: ...
    def fullmatch(self, text: Any) -> Match | None: ...
    def finditer(self, text: Any) -> Iterator[Match]: ...
    def findall(self, text: Any) -> list[Any]: ...


def linear(pattern: str, *, ignore_case: bool = False, multiline: bool = False) -> Pattern:
    """`pattern` compiled by RE2 (``ignore_case`` and ``multiline`` as `re.I` and `re.M`)."""
    flags = ("i" if ignore_case else "") + ("m" if multiline else "")
    return cast(Pattern, re2.compile(f"(?{flags}){pattern}" if flags else pattern))


def linear_bytes(pattern: bytes) -> Pattern:
    """A bytes `pattern` compiled by RE2."""
    return cast(Pattern, re2.compile(pattern))


def search_in(pattern: Pattern, text: str, start: int, end: int) -> Match | None:
    """`pattern` searched in ``text[start:end]`` (offsets of the match are the slice's)."""
    return pattern.search(text[start:end])
