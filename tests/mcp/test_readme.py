"""What the README and docs/mcp.md say of the server is what it is: their configuration
block registers the installed command with options it accepts, and their tables name every
tool."""

from __future__ import annotations

import json
import re
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from pareta.local import LocalServer
from pareta.mcp.entry import build_parser

from .helpers import fresh_key, in_process

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text().split("## Agents (MCP)")[1].split("\n## ")[0]
PAGES = {"README": README, "docs/mcp.md": (ROOT / "docs" / "mcp.md").read_text()}


@pytest.mark.parametrize("page", PAGES)
def test_the_configuration_block_registers_the_installed_command(page: str) -> None:
    block = re.search(r"```json\n(.*?)```", PAGES[page], flags=re.S)
    assert block is not None
    server = json.loads(block[1])["mcpServers"]["pareta"]
    (script,) = entry_points(group="console_scripts", name=server["command"])
    assert script.value == "pareta.mcp:main"
    options = build_parser("pareta-mcp").parse_args(server["args"])
    assert options.max_spend_usd == 5_000_000
    assert list(server["env"]) == ["PARETA_API_KEY"]


@pytest.mark.anyio
@pytest.mark.parametrize("page", PAGES)
async def test_the_table_names_every_tool(local: LocalServer, page: str) -> None:
    table = PAGES[page].split("| tool |")[1].split("\n\n")[0]
    documented = set(re.findall(r"^\| `(\w+)`(?:, `(\w+)`)?", table, flags=re.M))
    names = {name for pair in documented for name in pair if name}
    async with in_process(api_key=fresh_key(), base_url=local.base_url) as (client, _):
        served = {tool.name for tool in (await client.list_tools()).tools}
    assert names == served
