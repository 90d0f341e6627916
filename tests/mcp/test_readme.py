"""The README's MCP section says what the server is: its configuration block registers the
installed command with options it accepts, and its table names every tool."""

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
SECTION = (ROOT / "README.md").read_text().split("## Agents (MCP)")[1].split("\n## ")[0]


def test_the_configuration_block_registers_the_installed_command() -> None:
    block = re.search(r"```json\n(.*?)```", SECTION, flags=re.S)
    assert block is not None
    server = json.loads(block[1])["mcpServers"]["pareta"]
    (script,) = entry_points(group="console_scripts", name=server["command"])
    assert script.value == "pareta.mcp:main"
    options = build_parser("pareta-mcp").parse_args(server["args"])
    assert options.max_spend_usd == 5_000_000
    assert list(server["env"]) == ["PARETA_API_KEY"]


@pytest.mark.anyio
async def test_the_table_names_every_tool(local: LocalServer) -> None:
    rows = re.findall(r"^\| (`.*?) \|", SECTION, flags=re.M)
    documented = {name for row in rows for name in re.findall(r"`(\w+)`", row)}
    async with in_process(api_key=fresh_key(), base_url=local.base_url) as (client, _):
        served = {tool.name for tool in (await client.list_tools()).tools}
    assert documented == served
