"""The MCP server: the tools and resources over one ``Backend``."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from .._version import __version__
from . import batch, discovery, endpoints, evals, inference, resources
from .backend import Backend

INSTRUCTIONS = """\
Pareta finds an open-weights model good enough for a job, proves it on the user's own rows
against frontier models, and deploys it. The funnel: match_task (the job in plain English)
-> leaderboard (open models by quality and cost, the recommended pick) -> eval_run_start
(the candidates and a frontier baseline on the user's rows) -> endpoint_deploy (the winner)
-> chat. eval_run_start, chat and batch_start spend money: each is held against this
server's spending cap before it is sent (the spending tool shows what is left).
endpoint_delete cannot be undone and needs confirm=true: ask the user first."""


def build_server(backend: Backend) -> MCPServer:
    """An MCP server whose tools call Pareta through ``backend``."""
    app = MCPServer(
        "pareta",
        title="Pareta",
        instructions=INSTRUCTIONS,
        version=__version__,
        website_url="https://pareta.ai",
        log_level="WARNING",
    )
    for module in (discovery, evals, endpoints, inference, batch, resources):
        module.register(app, backend)
    return app
