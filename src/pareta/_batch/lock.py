"""One writer per results file: an exclusive lock that the operating system drops when
the process ends, however it ends (``kill -9`` included), so a dead job never blocks the
next run.

The lock is taken on a ``<results>.lock`` file beside the results file, which also names
the holder (pid, host, start time) for the error a second job gets. Not on the results
file itself: on Windows a lock keeps every other process from reading the bytes it
covers, and ``pareta batch status`` reads the results file while its job runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
from typing import IO

# Windows locks byte ranges, and a locked byte cannot be read by anyone else: lock one far
# past the holder's note, which stays readable.
_LOCKED_BYTE = 1 << 30


def try_lock(file: IO[bytes]) -> bool:
    """Lock ``file`` for this open file alone, without waiting: whether it worked."""
    if sys.platform == "win32":  # pragma: no cover - run on Windows only
        import msvcrt

        file.seek(_LOCKED_BYTE)
        try:
            msvcrt.locking(file.fileno(), msvcrt.LK_NBLCK, 1)
        except PermissionError:  # another open file holds it
            return False
        finally:
            file.seek(0)
        return True
    import fcntl

    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:  # another open file holds it (a file system without locks
        return False  # raises another OSError, which the caller reports as it is)
    return True


class HeldElsewhere(Exception):
    """Another open file holds the lock; ``holder`` says who, as far as is known."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


class Held:
    """The lock on one results file, held until ``release``."""

    def __init__(self, file: IO[bytes], path: str) -> None:
        self._file = file
        self.path = path

    def release(self) -> None:
        if self._file.closed:
            return
        # Removed while still held: a process that opened the old file meanwhile sees
        # that the path now names another file, and locks that one instead.
        with contextlib.suppress(OSError):  # Windows: a file open elsewhere stays
            os.unlink(self.path)
        self._file.close()


def hold(results: str | os.PathLike[str]) -> Held:
    """Lock ``results`` for this job, or raise ``HeldElsewhere``."""
    path = os.fspath(results) + ".lock"
    while True:
        file = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o644), "r+b")
        try:
            if not try_lock(file):
                raise HeldElsewhere(_holder(file))
            if _names(path, file):
                break
        except BaseException:
            file.close()
            raise
        file.close()  # removed by its last holder as this one opened it: try again
    file.truncate(0)
    note = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
    file.write(json.dumps(note).encode())
    file.flush()
    return Held(file, path)


def _names(path: str, file: IO[bytes]) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(file.fileno())
    return (on_disk.st_dev, on_disk.st_ino) == (held.st_dev, held.st_ino)


def _holder(file: IO[bytes]) -> str:
    try:
        note = json.loads(file.read(4096))
        started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(float(note["started"])))
        return f"pid {int(note['pid'])} on {note['host']}, since {started}"
    except (OSError, ValueError, TypeError, KeyError):
        return "a process that has not said which yet"
