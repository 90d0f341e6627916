"""Optional dependencies: imported where they are used, and named with their extra when
missing, so ``import pareta`` stays as cheap as ``import httpx``."""

from __future__ import annotations

from ._exceptions import ParetaError


class MissingDependencyError(ParetaError, ImportError):
    """An optional dependency is not installed; the message names the extra to install.

    It is also an ``ImportError``, so code that already guards optional imports with
    ``except ImportError`` keeps working.
    """


def missing(package: str, *, extra: str, purpose: str) -> MissingDependencyError:
    """The error to raise (``from`` the ``ImportError``) when ``package`` is absent."""
    return MissingDependencyError(
        f'{purpose} needs {package}: pip install "pareta[{extra}]"', name=package
    )
