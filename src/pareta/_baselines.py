"""How ``evals.runs.create(frontier=...)`` resolves to a list of vendor model ids."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from ._objects.models import FrontierModel

RosterKeyword = Literal["all", "benchmarked"]
KEYWORDS = ("all", "benchmarked", "none")


def parse_frontier(frontier: object) -> list[str] | RosterKeyword:
    """An explicit id list, or the roster keyword still to resolve against a task.

    Raises ``ValueError`` for an unknown keyword and ``TypeError`` for any other type,
    before any request is sent.
    """
    if frontier is None:
        return []
    if isinstance(frontier, str):
        keyword = frontier.strip().lower()
        if keyword == "none":
            return []
        if keyword == "all":
            return "all"
        if keyword == "benchmarked":
            return "benchmarked"
        raise ValueError(
            f"frontier={frontier!r} is not a roster keyword; pass one of "
            f"{', '.join(repr(k) for k in KEYWORDS)}, None, or a list of frontier model ids "
            "(see evals.frontier_models(task=...))"
        )
    if isinstance(frontier, (list, tuple)):
        ids = list(frontier)
        bad = [model_id for model_id in ids if not isinstance(model_id, str) or not model_id]
        if bad:
            raise TypeError(
                f"frontier ids must be non-empty strings, got {bad[0]!r}; "
                "take them from evals.frontier_models(task=...)"
            )
        return ids
    raise TypeError(
        f"frontier must be None, 'none', 'all', 'benchmarked' or a list of ids, "
        f"not {type(frontier).__name__}"
    )


def select_roster(roster: Iterable[FrontierModel], keyword: RosterKeyword) -> list[str]:
    """The ids a roster keyword picks from a task-scoped ``frontier_models`` answer."""
    return [model.id for model in roster if model.id and (keyword == "all" or model.benchmarked)]
