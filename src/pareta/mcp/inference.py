"""The chat tool, metered against the spending cap, and the tool that reads the cap."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel, Field

from .._exceptions import APIStatusError
from .backend import Backend, metered
from .pricing import messages_size
from .schemas import ChatOut, HoldOut, SpendingOut
from .tooling import READ_LOCAL, SPEND, tool


class Message(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


def register(app: MCPServer, backend: Backend) -> None:
    @tool(app, backend, title="Chat with an endpoint (spends money)", annotations=SPEND)
    async def chat(
        endpoint_id: Annotated[str, Field(min_length=1, description="a live endpoint's id")],
        messages: Annotated[list[Message], Field(min_length=1)],
        max_tokens: Annotated[int | None, Field(ge=1)] = None,
        temperature: Annotated[float | None, Field(ge=0, le=2)] = None,
    ) -> ChatOut:
        """One OpenAI-compatible chat completion from a deployed endpoint. Metered: an
        estimate is held against the spending cap first, then what the API reports counts."""
        pa = backend.client()
        endpoint = await pa.endpoints.retrieve(endpoint_id)
        if not endpoint.task or not endpoint.model:
            raise ValueError(f"endpoint {endpoint_id} names no task or model to price a call by")
        wire = [m.model_dump() for m in messages]
        estimate = await backend.pricing.request(
            pa, endpoint.task, endpoint.model, messages_size(wire)
        )
        hold = f"chat:{uuid.uuid4().hex}"
        backend.cap.hold(hold, f"a chat completion on {endpoint_id}", estimate)
        options: dict[str, Any] = {}
        if max_tokens is not None:
            options["max_tokens"] = max_tokens
        if temperature is not None:
            options["temperature"] = temperature
        with metered() as meter:
            try:
                completion = await pa.chat.completions.create(
                    model=endpoint_id, messages=wire, **options
                )
            except (APIStatusError, ValueError, TypeError):
                backend.cap.settle(hold, 0)  # refused, by the API or before sending
                raise
            except BaseException:
                backend.cap.settle(hold, None)  # it may have been billed: count the estimate
                raise
        spent = backend.cap.settle(hold, meter.reported) or 0
        choice = completion.choices[0] if completion.choices else None
        return ChatOut(
            endpoint_id=endpoint_id,
            content=None if choice is None else choice.message.content,
            finish_reason=None if choice is None else choice.finish_reason,
            usage=None if completion.usage is None else completion.usage.to_dict(),
            cost_micro_usd=spent,
            cost_reported=meter.reported is not None,
        )

    @tool(app, backend, title="Spending so far", annotations=READ_LOCAL)
    async def spending() -> SpendingOut:
        """This server's spending cap, what it has spent, what is held for eval runs and
        batch jobs still running, and what is left."""
        cap = backend.cap
        return SpendingOut(
            cap_micro_usd=cap.limit,
            spent_micro_usd=cap.spent,
            held_micro_usd=cap.held,
            remaining_micro_usd=cap.remaining,
            holds=[HoldOut(what=h.what, micro_usd=h.micro_usd) for h in cap.holds()],
            waiting_on_runs=sorted(backend.waiting),
        )
