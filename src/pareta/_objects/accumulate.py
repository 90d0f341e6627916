"""A streamed completion put back together: the ``ChatCompletion`` its chunks add up to."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .models import ChatCompletion, ChatCompletionChunk

# Fields a completion takes from the first chunk that carries them.
_HEAD = ("id", "model", "created", "system_fingerprint")


def final_completion(chunks: Iterable[ChatCompletionChunk]) -> ChatCompletion:
    """Each choice's text joined in order, its role and last ``finish_reason``, the usage
    of the chunk that reported it (servers send it last), and the head fields."""
    head: dict[str, Any] = {}
    usage: dict[str, Any] | None = None
    choices: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        data = chunk.to_dict()
        for key in _HEAD:
            if key not in head and data.get(key) is not None:
                head[key] = data[key]
        if isinstance(data.get("usage"), dict):
            usage = data["usage"]
        for choice in data.get("choices") or ():
            if isinstance(choice, dict):
                _add(choices, choice)
    completion: dict[str, Any] = {"object": "chat.completion", **head}
    completion["choices"] = [_finished(choices[index]) for index in sorted(choices)]
    if usage is not None:
        completion["usage"] = usage
    return ChatCompletion(completion)


def _add(choices: dict[int, dict[str, Any]], choice: dict[str, Any]) -> None:
    index = choice.get("index")
    index = index if isinstance(index, int) and not isinstance(index, bool) else 0
    entry = choices.setdefault(index, {"index": index, "role": None, "text": [], "finish": None})
    delta = choice.get("delta")
    if isinstance(delta, dict):
        if isinstance(delta.get("role"), str):
            entry["role"] = delta["role"]
        if isinstance(delta.get("content"), str):
            entry["text"].append(delta["content"])
    if choice.get("finish_reason") is not None:
        entry["finish"] = choice["finish_reason"]


def _finished(entry: dict[str, Any]) -> dict[str, Any]:
    text = entry["text"]
    return {
        "index": entry["index"],
        "message": {
            "role": entry["role"] or "assistant",
            "content": "".join(text) if text else None,
        },
        "finish_reason": entry["finish"],
    }
