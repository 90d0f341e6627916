"""The deterministic keyword matcher behind `POST /v1/tasks/match`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .tasks import Task

HIGH = 0.6
MEDIUM = 0.35
AMBIGUITY_MARGIN = 0.1
# Keyword weight at which a score reaches one half: a task's main noun plus one
# supporting word ("invoice" + "total") makes a confident match.
_HALF_SCORE_WEIGHT = 3.0
_WORD = re.compile(r"[a-z0-9]+")


def _stem(word: str) -> str:
    if len(word) <= 3 or not word.endswith("s") or word.endswith("ss"):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    return word[:-1]


def _normalize(text: str) -> str:
    return " ".join(_stem(w) for w in _WORD.findall(text.lower()))


def _evidence(query: str, keywords: dict[str, float]) -> float:
    padded = f" {query} "
    weight = 0.0
    for keyword, w in keywords.items():
        # Keywords are stems and prefixes ("moderat"), so match at a word start.
        if f" {keyword}" in padded:
            weight += w
    return weight


def _confidence(score: float) -> str:
    if score >= HIGH:
        return "high"
    return "medium" if score >= MEDIUM else "low"


class TaskMatcher:
    def __init__(self, tasks: Iterable[Task]) -> None:
        self._keywords = [
            (task.id, {_normalize(k): w for k, w in task.keywords.items()}) for task in tasks
        ]

    def match(self, query: str, top_k: int) -> dict[str, Any]:
        normalized = _normalize(query)
        scored = []
        for task_id, keywords in self._keywords:
            weight = _evidence(normalized, keywords)
            if weight > 0:
                scored.append((weight / (weight + _HALF_SCORE_WEIGHT), task_id))
        scored.sort(key=lambda pair: -pair[0])
        candidates = [
            {"task_id": task_id, "score": round(score, 4), "confidence": _confidence(score)}
            for score, task_id in scored[:top_k]
        ]
        matched = bool(candidates) and candidates[0]["confidence"] == "high"
        ambiguous = len(scored) > 1 and scored[0][0] - scored[1][0] < AMBIGUITY_MARGIN
        return {
            "query": query,
            "matched": matched,
            "chosen": candidates[0] if matched else None,
            "candidates": candidates,
            "ambiguous": ambiguous,
            "matcher": "keyword",
        }
