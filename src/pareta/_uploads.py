"""Normalising what ``upload_document`` accepts into bytes, a filename and a MIME type."""

from __future__ import annotations

import mimetypes
import os
from dataclasses import dataclass
from typing import Any

INLINE_UPLOAD_LIMIT = 5 * 1024 * 1024
DEFAULT_MIME = "application/octet-stream"


@dataclass(frozen=True)
class Upload:
    content: bytes
    filename: str
    mime: str

    @property
    def inline(self) -> bool:
        """Under 5 MiB goes inline; from 5 MiB the signed-URL flow is used."""
        return len(self.content) < INLINE_UPLOAD_LIMIT


def guess_mime(filename: str | None) -> str:
    if filename:
        guessed, _ = mimetypes.guess_type(filename)
        if guessed:
            return guessed
    return DEFAULT_MIME


def is_path(file: object) -> bool:
    return isinstance(file, (str, os.PathLike))


def upload_from(content: object, filename: str | None, mime: str | None) -> Upload:
    """An ``Upload`` from bytes already read; ``mime`` wins over the guess from the name."""
    if isinstance(content, (bytearray, memoryview)):
        content = bytes(content)
    if not isinstance(content, bytes):
        raise TypeError(
            "file.read() must return bytes; open the file in binary mode ('rb'), "
            f"got {type(content).__name__}"
        )
    name = os.path.basename(filename) if filename else "document"
    return Upload(content=content, filename=name, mime=mime or guess_mime(filename))


def read_file_like(file: Any) -> tuple[object, str | None]:
    """The bytes of a binary file-like object, and its name when it has one."""
    name = getattr(file, "name", None)
    return file.read(), name if isinstance(name, str) else None


def check_file_argument(file: object) -> None:
    if is_path(file) or isinstance(file, (bytes, bytearray, memoryview)):
        return
    if callable(getattr(file, "read", None)):
        return
    raise TypeError(
        "file must be a path (str or pathlib.Path), bytes, or a binary file-like object "
        f"with .read(), not {type(file).__name__}"
    )
