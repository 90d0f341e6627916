"""One declaration of the local server's options: the parser, the constructor and the docs agree."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import pathlib

import pytest

from pareta.local import Config, LocalServer, serve
from pareta.local.cli import main
from pareta.local.config import build_parser, config_from_args, options_table

ROOT = pathlib.Path(__file__).resolve().parents[2]
LOCAL = ROOT / "src" / "pareta" / "local"
FIELDS = [spec.name for spec in dataclasses.fields(Config)]


def test_the_parser_has_one_flag_per_option_with_its_default() -> None:
    parser = build_parser()
    dests = {action.dest for action in parser._actions if action.dest != "help"}
    assert dests == set(FIELDS)
    config = config_from_args(parser.parse_args([]))
    # Only the few options documented as starting differently from a terminal differ.
    differs = {f for f in FIELDS if getattr(config, f) != getattr(Config(), f)}
    assert differs == {"port", "log_level", "deploy_seconds", "eval_seconds_per_item"}


def test_flags_reach_the_config() -> None:
    args = build_parser().parse_args(
        ["--max-orgs", "7", "--rate-limit", "2.5", "--fault", "GET /v1/models status=500"]
    )
    config = config_from_args(args)
    assert (config.max_orgs, config.rate_limit) == (7, 2.5)
    assert [f.status for f in config.parsed_faults()] == [500]


def test_local_server_and_serve_take_exactly_the_options() -> None:
    for entry in (LocalServer, serve):
        params = inspect.signature(entry).parameters
        keywords = [name for name, p in params.items() if p.kind is p.KEYWORD_ONLY]
        if entry is LocalServer:
            assert keywords == FIELDS
            defaults = {name: params[name].default for name in keywords}
            assert defaults == {f: getattr(Config(), f) for f in FIELDS}
    with pytest.raises(TypeError, match="colour"):
        LocalServer(colour="red")
    server = LocalServer(max_orgs=3, seed=4)
    assert server.state.config == Config(max_orgs=3, seed=4)


def test_bad_values_name_the_option() -> None:
    with pytest.raises(ValueError, match=r"max_orgs \(--max-orgs\) must be at least 1"):
        Config(max_orgs=0)
    with pytest.raises(ValueError, match=r"rate_limit .* finite"):
        Config(rate_limit=float("inf"))
    with pytest.raises(TypeError, match="max_orgs must be int"):
        Config(max_orgs="10")  # type: ignore[arg-type]


def test_the_command_line_refuses_bad_values(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--max-json-bytes", "0"]) == 2
    assert "--max-json-bytes" in capsys.readouterr().err
    assert main(["--fault", "POST /v1/x colour=red"]) == 2
    assert "colour" in capsys.readouterr().err


def test_the_docs_table_is_the_generated_one() -> None:
    readme = (ROOT / "docs" / "local-server.md").read_text(encoding="utf-8")
    begin, end = "<!-- local-options:begin -->\n", "\n<!-- local-options:end -->"
    table = readme[readme.index(begin) + len(begin) : readme.index(end)]
    assert table == options_table(), (
        "docs/local-server.md's options table is stale; paste the output of "
        '`python -c "from pareta.local.config import options_table as t; print(t())"`'
    )


def _local_imports(path: pathlib.Path) -> set[str]:
    """Every module of `pareta.local` this one imports, at any depth of its code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


def test_local_has_no_import_cycle() -> None:
    graph = {p.stem: _local_imports(p) for p in LOCAL.glob("*.py") if p.stem != "__init__"}
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, f"import cycle: {' -> '.join((*path, module))}"
        if module in done:
            return
        for imported in graph.get(module, ()):
            visit(imported, (*path, module))
        done.add(module)

    for module in graph:
        visit(module, ())
