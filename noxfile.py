"""Development sessions: what CI runs (`.ci/run` calls these and nothing else).

nox                                   # tests, lint, types, generated, docs
nox -s tests                          # the whole suite under coverage, with its floor
nox -s fast                           # the fast layer: every test not marked slow
nox -s fast -P 3.12                   # ... on another Python (3.10 to 3.13, if installed)
nox -s docs                           # the documentation site, built strictly
nox -s examples -- ../shared/spec/pareta-sdk-docs.md   # the Pareta documentation's examples
nox -s bench                          # the benchmarks (ratios, not assertions)
nox -s cluster                        # Ray and Dask against the local server

Each session installs what it needs from pyproject.toml: the project with its extras, and a
PEP 735 dependency group (`dev`, `lint`, `docs`, `generate`, `cluster`) for the tools, which
are declared once, there.
"""

from __future__ import annotations

import os

import nox

nox.needs_version = ">=2025.2.9"  # nox.project.dependency_groups
nox.options.sessions = ["tests", "lint", "types", "generated", "docs"]
nox.options.reuse_existing_virtualenvs = True

PYPROJECT = nox.project.load_toml("pyproject.toml")
PROJECT = ".[all]"  # the project, editable, with every extra the tests exercise


def group(name: str) -> list[str]:
    """The requirements of one dependency group, its included groups expanded."""
    return list(nox.project.dependency_groups(PYPROJECT, name))


@nox.session
def tests(session: nox.Session) -> None:
    """The whole suite on asyncio and trio, and the sync twin, with coverage of src/pareta
    (the floor is ``fail_under`` in pyproject.toml)."""
    session.install("-e", PROJECT, *group("dev"))
    session.run("coverage", "erase")
    session.run("coverage", "run", "-m", "pytest", *session.posargs)
    session.run("coverage", "report")


@nox.session
def fast(session: nox.Session) -> None:
    """The tests not marked slow: no soak, no property tests, no subprocess servers."""
    session.install("-e", PROJECT, *group("dev"))
    session.run("python", "-m", "pytest", "-m", "not slow", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff, at the version pinned in the ``lint`` group."""
    session.install(*group("lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def types(session: nox.Session) -> None:
    """mypy --strict over src/, tests/, tools/ and benchmarks/ (the files are in pyproject)."""
    session.install("-e", PROJECT, *group("dev"))
    session.run("mypy")


@nox.session
def generated(session: nox.Session) -> None:
    """Fails, with a diff, when a generated sync twin differs from a fresh generation, or
    when one speaks async to sync users."""
    session.install(*group("generate"))
    session.run("python", "tools/gen_sync.py", "--check")


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site (docs/, mkdocs.yml), failing on any warning: a broken link, a
    missing page or snippet, a docstring mkdocstrings cannot read. ``-- serve`` serves it."""
    session.install(*group("docs"))
    if session.posargs[:1] == ["serve"]:
        session.run("mkdocs", "serve", *session.posargs[1:])
    else:
        session.run("mkdocs", "build", "--strict", *session.posargs)


@nox.session
def examples(session: nox.Session) -> None:
    """The Pareta documentation's examples: every Python block, then the HTTP API page's
    examples each on a fresh server. Its path: the argument or $PARETA_SPEC_PATH."""
    spec = session.posargs[0] if session.posargs else os.environ.get("PARETA_SPEC_PATH")
    if not spec:
        session.error("give the documentation's path: nox -s examples -- PATH")
    session.install("-e", PROJECT, *group("dev"))
    session.run("python", "-m", "tools.spec_examples", spec)
    session.run("python", "-m", "tools.spec_examples", spec, "--http")


@nox.session
def bench(session: nox.Session) -> None:
    """Client CPU per request, per streamed chunk, import time and RSS, as ratios."""
    session.install("-e", PROJECT, *group("dev"))
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session
def cluster(session: nox.Session) -> None:
    """Ray Data and Dask for real (tests/cluster): a local Ray and a Dask LocalCluster of
    processes against the local server, and the pickling errors; pareta.ray, pareta.dask and
    the table batches they share fully covered."""
    session.install("-e", ".[all,ray,dask]", *group("cluster"))
    session.run("coverage", "erase")
    tests = ["tests/cluster", "tests/_async/test_pickling.py", "tests/_sync/test_pickling.py"]
    session.run("coverage", "run", "-m", "pytest", *tests, *session.posargs)
    session.run("coverage", "combine", success_codes=[0, 1])
    # The default report omits these modules (see pyproject): an --omit of its own
    # replaces that list.
    cluster_modules = "*/pareta/ray.py,*/pareta/dask.py,*/pareta/_tables/*.py"
    session.run(
        "coverage",
        "report",
        f"--include={cluster_modules}",
        "--omit=*/pareta/_sync/*",
        "--fail-under=100",
    )
