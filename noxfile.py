"""Development sessions.

nox                                   # tests, lint, types, generated: what CI checks
nox -s fast                           # the fast layer: every test not marked slow
nox -s examples -- ../shared/spec/pareta-sdk-docs.md   # the documentation's examples
nox -s bench                          # the benchmarks (ratios, not assertions)
nox -s cluster                        # Ray and Dask against the local server
"""

from __future__ import annotations

import os

import nox

nox.options.sessions = ["tests", "lint", "types", "generated"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """The whole suite on asyncio and trio, and the sync twin, with coverage of src/pareta
    (the floor is ``fail_under`` in pyproject.toml)."""
    session.install("-e", ".[dev]")
    session.run("coverage", "erase")
    session.run("coverage", "run", "-m", "pytest", *session.posargs)
    session.run("coverage", "report")


@nox.session
def fast(session: nox.Session) -> None:
    """The tests not marked slow: no soak, no property tests, no subprocess servers."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "pytest", "-m", "not slow", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def types(session: nox.Session) -> None:
    """mypy --strict over src/, tests/, tools/ and benchmarks/ (the files are in pyproject)."""
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session
def generated(session: nox.Session) -> None:
    """Fails, with a diff, when a generated sync twin differs from a fresh generation."""
    session.install("unasync==0.6.0")
    session.run("python", "tools/gen_sync.py", "--check")


@nox.session
def examples(session: nox.Session) -> None:
    """The documentation's examples: every Python block, then the HTTP API page's examples
    each on a fresh server. The documentation's path: the argument or $PARETA_SPEC_PATH."""
    spec = session.posargs[0] if session.posargs else os.environ.get("PARETA_SPEC_PATH")
    if not spec:
        session.error("give the documentation's path: nox -s examples -- PATH")
    session.install("-e", ".[dev]")
    session.run("python", "-m", "tools.spec_examples", spec)
    session.run("python", "-m", "tools.spec_examples", spec, "--http")


@nox.session
def bench(session: nox.Session) -> None:
    """Client CPU per request, per streamed chunk, import time and RSS, as ratios."""
    session.install("-e", ".[dev,aiohttp]", "openai")
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session
def cluster(session: nox.Session) -> None:
    """Ray Data and Dask for real (tests/cluster): a local Ray and a Dask LocalCluster of
    processes against the local server, and the pickling errors; pareta.ray, pareta.dask and
    the table batches they share fully covered."""
    session.install("-e", ".[cluster]")
    session.run("coverage", "erase")
    tests = ["tests/cluster", "tests/_async/test_pickling.py", "tests/_sync/test_pickling.py"]
    session.run("coverage", "run", "-m", "pytest", *tests, *session.posargs)
    session.run("coverage", "combine", success_codes=[0, 1])
    # The default report omits these modules (see pyproject): an --omit of its own
    # replaces that list.
    cluster_modules = "*/pareta/ray.py,*/pareta/dask.py,*/pareta/_table_*.py"
    session.run(
        "coverage",
        "report",
        f"--include={cluster_modules}",
        "--omit=*/pareta/_sync/*",
        "--fail-under=100",
    )
