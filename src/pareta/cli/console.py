"""Where the CLI's output goes: rich consoles for people, one JSON document for scripts."""

from __future__ import annotations

import json
import os
import sys
from decimal import Decimal
from typing import Any

from rich.console import Console, RenderableType
from rich.text import Text

from .._objects.models import ParetaObject

# Narrower than this, indenting costs more than it helps.
MIN_TEXT_WIDTH = 20


def _jsonable(value: Any) -> Any:
    if isinstance(value, ParetaObject):
        return value.to_dict()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class Output:
    """The stdout and stderr consoles of one command run, and the ``--json`` switch."""

    def __init__(self, *, as_json: bool = False) -> None:
        self.as_json = as_json
        # Model output and ids are data, not markup: never let rich reinterpret them.
        self.console = Console(highlight=False, markup=False, emoji=False)
        self.errors = Console(stderr=True, highlight=False, markup=False, emoji=False)
        # Piped or redirected, a line stays one line (grep, cut and logs read it whole):
        # only a terminal's width, or one set with COLUMNS, is worth folding text to.
        # Tables keep their layout.
        self.console.soft_wrap = not self.console.is_terminal and "COLUMNS" not in os.environ

    @property
    def interactive(self) -> bool:
        """A live terminal that can redraw progress bars in place."""
        return self.console.is_terminal and not self.console.is_dumb_terminal

    def data(self, value: Any) -> None:
        """Print ``value`` as one JSON document (response objects become their raw dicts)."""
        text = json.dumps(value, indent=2, default=_jsonable, ensure_ascii=False)
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    def show(self, *renderables: RenderableType) -> None:
        for renderable in renderables:
            self.console.print(renderable)

    def line(self, text: str = "", *, style: str | None = None) -> None:
        self.console.print(text, style=style)

    def indented(self, text: Text | str, indent: int = 3) -> None:
        """``text`` wrapped to the terminal with every line indented (a hanging indent)."""
        text = Text(text) if isinstance(text, str) else text
        if self.console.soft_wrap:
            self.console.print(Text(" " * indent) + text)
            return
        width = max(self.console.width - indent, MIN_TEXT_WIDTH)
        for line in text.wrap(self.console, width):
            line.rstrip()
            self.console.print(Text(" " * indent) + line, soft_wrap=True)

    def write(self, text: str) -> None:
        """Raw text as it arrives (streamed tokens): no wrapping, no newline."""
        self.console.file.write(text)
        self.console.file.flush()

    # Errors are not wrapped: a terminal folds long lines itself, and a log keeps them whole.
    def error(self, text: str) -> None:
        style = "bold red" if self.errors.is_terminal else None
        self.errors.print(text, style=style, soft_wrap=True)

    def hint(self, text: str) -> None:
        self.errors.print(text, soft_wrap=True)
