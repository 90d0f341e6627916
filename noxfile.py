"""Development sessions: ``nox -s tests lint types generated bench cluster``."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "types", "generated"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """The whole suite on asyncio and trio, and the sync twin, with coverage of src/pareta."""
    session.install("-e", ".[dev]")
    session.run("coverage", "erase")
    session.run("coverage", "run", "-m", "pytest", *session.posargs)
    session.run("coverage", "combine", success_codes=[0, 1])
    session.run("coverage", "report", "--fail-under=95")


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def types(session: nox.Session) -> None:
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session
def generated(session: nox.Session) -> None:
    """Fails when src/pareta/_sync or tests/_sync differ from a fresh generation."""
    session.install("unasync==0.6.0")
    session.run("python", "tools/unasync.py", "--check")


@nox.session
def bench(session: nox.Session) -> None:
    """Client CPU per request, per streamed chunk, import time and RSS, as ratios."""
    session.install("-e", ".[dev,aiohttp]", "openai")
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session
def cluster(session: nox.Session) -> None:
    """Ray Data and Dask for real (tests/cluster): a local Ray and a Dask LocalCluster of
    processes against the local server, and the pickling errors; pareta.ray fully covered."""
    session.install("-e", ".[cluster]")
    session.run("coverage", "erase")
    tests = ["tests/cluster", "tests/_async/test_pickling.py", "tests/_sync/test_pickling.py"]
    session.run("coverage", "run", "-m", "pytest", *tests, *session.posargs)
    session.run("coverage", "combine", success_codes=[0, 1])
    session.run("coverage", "report", "--include=*/pareta/ray.py", "--fail-under=100")
