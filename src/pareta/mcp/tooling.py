"""How a tool is registered: its annotations, its typed result with a text summary, and
every failure turned into a tool error."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, TextContent, ToolAnnotations

from .backend import Backend
from .errors import failure, scrub
from .schemas import Output

Out = TypeVar("Out", bound=Output)
Body = Callable[..., Awaitable[Out]]

# Every tool but `spending` and `batch_status` talks to the Pareta API: an open world.
READ = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True
)
READ_LOCAL = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
# Creates something new each call (an eval set, an endpoint).
CREATE = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
)
# Spends money against the org balance and the server's cap.
SPEND = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
)
# Moves an endpoint between states; a repeat changes nothing more.
SWITCH = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True
)
DESTROY = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True
)


def tool(
    app: MCPServer, backend: Backend, *, title: str, annotations: ToolAnnotations
) -> Callable[[Body[Out]], Body[Out]]:
    """Register ``body`` as a tool named after it; its docstring is its description.

    The result is the record ``body`` returns, as structured content, with its
    ``summary()`` as the text. Any failure becomes a tool error (see ``errors``)."""

    def register(body: Body[Out]) -> Body[Out]:
        name = body.__name__

        @functools.wraps(body)
        async def call(*args: Any, **kwargs: Any) -> Any:
            key = backend.key()
            try:
                result = await body(*args, **kwargs)
            except Exception as exc:
                return failure(exc, name, key)
            data = scrub(result.model_dump_json(), key)
            return CallToolResult(
                content=[TextContent(type="text", text=scrub(result.summary(), key))],
                structured_content=json.loads(data),
            )

        app.add_tool(
            call,
            name=name,
            title=title,
            annotations=annotations.model_copy(update={"title": title}),
            structured_output=True,
        )
        return body

    return register
