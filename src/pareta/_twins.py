"""The few operations that truly differ between the async and the sync client.

Each async function here has a sync twin of the same name without the leading ``a``;
``tools/unasync.py`` maps one name onto the other, so code in ``_async/`` calls these
instead of ``anyio`` directly (``anyio.sleep`` would survive the translation unchanged
and silently do nothing useful in sync code).
"""

from __future__ import annotations

import os
import time
from typing import Any

# anyio is imported where it is used: `import pareta` stays as cheap as `import httpx`.


async def asleep(seconds: float) -> None:
    import anyio

    await anyio.sleep(seconds)


def sleep(seconds: float) -> None:
    time.sleep(seconds)


async def aread_path(path: str | os.PathLike[str]) -> bytes:
    import anyio

    return await anyio.Path(path).read_bytes()


def read_path(path: str | os.PathLike[str]) -> bytes:
    with open(path, "rb") as file:
        return file.read()


class AsyncShieldCancellation:
    """Shields clean-up (closing a response) from a cancellation already under way."""

    def __init__(self) -> None:
        import anyio

        self._scope: Any = anyio.CancelScope(shield=True)

    def __enter__(self) -> AsyncShieldCancellation:
        self._scope.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._scope.__exit__(*exc_info)


class ShieldCancellation:
    """The sync twin: a blocking call has no cancellation to shield from."""

    def __enter__(self) -> ShieldCancellation:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None
