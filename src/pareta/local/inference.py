"""Chat requests as the built-in models see them: the body read, the model run.

Pure functions of their arguments, so a large request runs them in a worker
process (`pareta.local.work`) and a small one on the event loop, with the same
result.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from .catalog import ModelRef, predict, solve
from .deps import invalid, parse_json
from .engine import Fields, document_text
from .scoring import SCORERS
from .tasks import TASKS


@dataclass(frozen=True)
class ChatInput:
    """What a chat completion request asks: the model, the options, the text it reads."""

    model: str
    stream: bool
    max_tokens: int | None
    text: str
    documents: int
    body: dict[str, Any] | None = None  # kept only to relay it upstream


def read_chat(raw: bytes, keep_body: bool = False) -> ChatInput:
    """The request body parsed and checked (422 for what is wrong with it)."""
    body = parse_json(raw, ["body"], "request body") if raw else None
    if not isinstance(body, dict):
        shown = body if isinstance(body, str | int | float | bool | None) else type(body).__name__
        raise invalid(["body"], "request body must be a JSON object", shown)
    model_id = body.get("model")
    if not isinstance(model_id, str) or not model_id:
        raise invalid(["body", "model"], "model must be a non-empty string", model_id)
    stream, max_tokens = _options(body)
    text, documents = read_messages(body.get("messages"))
    return ChatInput(model_id, stream, max_tokens, text, documents, body if keep_body else None)


_TASKS = {task.id: task for task in TASKS}


def infer(task_id: str, model: ModelRef, text: str) -> tuple[Fields | str, float]:
    """What `model` answers on `text`, and the answer's quality against a perfect model's."""
    task = _TASKS[task_id]
    reference = solve(task, text)
    output = predict(task, model, text, reference)
    return output, SCORERS[task.default_scorer](output, reference)


def _content_text(part: Any, loc: list[str | int]) -> tuple[str, int]:
    if not isinstance(part, dict):
        raise invalid(loc, "content parts must be objects", part)
    if part.get("type") == "text":
        return str(part.get("text", "")), 0
    if part.get("type") in ("image_url", "file"):
        ref = part.get("image_url") or part.get("file") or {}
        url = ref.get("url") or ref.get("file_data") if isinstance(ref, dict) else ref
        if isinstance(url, str) and url.startswith("data:") and "," in url:
            try:
                return document_text(base64.b64decode(url.split(",", 1)[1], validate=False)), 1
            except (binascii.Error, ValueError):
                raise invalid(loc, "image data URL is not valid base64") from None
        return "", 1
    return "", 0


def read_messages(messages: Any) -> tuple[str, int]:
    """The text the model reads (system and user turns) and how many documents came with it."""
    if not isinstance(messages, list) or not messages:
        raise invalid(["body", "messages"], "messages must be a non-empty list", messages)
    texts: list[str] = []
    documents = 0
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise invalid(["body", "messages", i], "each message needs a string 'role'", message)
        if message["role"] == "assistant":
            continue
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            for j, part in enumerate(content):
                text, docs = _content_text(part, ["body", "messages", i, "content", j])
                texts.append(text)
                documents += docs
        elif content is not None:
            raise invalid(["body", "messages", i, "content"], "content must be a string or a list")
    return "\n".join(t for t in texts if t), documents


def _options(body: dict[str, Any]) -> tuple[bool, int | None]:
    stream = body.get("stream", False)
    if stream is not None and not isinstance(stream, bool):
        raise invalid(["body", "stream"], "stream must be a boolean", stream)
    limit = body.get("max_completion_tokens", body.get("max_tokens"))
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise invalid(["body", "max_tokens"], "max_tokens must be a positive integer", limit)
    return bool(stream), limit
