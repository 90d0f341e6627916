"""Response objects: thin, lazy views over the server's JSON.

Each object keeps the dict the server sent and reads the documented fields from it on
access (declared with the descriptors of ``fields``, which hold the rule for a missing or
mistyped value), so building one costs no more than the ``json.loads`` that produced the
dict, and no field the API returns is lost. Reading a field never raises.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .fields import (
    Flag,
    Float,
    Id,
    Int,
    Obj,
    Objs,
    OptObj,
    Str,
    objects,
)
from .fields import ParetaObject as ParetaObject  # the base, importable from here too
from .frames import STRING, TIME, Table, Tabular


# -- inference ---------------------------------------------------------------------------
class Message(ParetaObject):
    __slots__ = ()
    role = Str()
    content = Str()


class Choice(ParetaObject):
    __slots__ = ()
    index = Int()
    finish_reason = Str()
    message = Obj(Message)  # the full message of a non-streamed result
    delta = Obj(Message)  # the increment carried by a streamed chunk


class Usage(ParetaObject):
    __slots__ = ()
    prompt_tokens = Int()
    completion_tokens = Int()
    total_tokens = Int()


class ChatCompletion(ParetaObject):
    # Streams read ``chunk.choices[0]`` once or more per chunk: build the views once.
    __slots__ = ("_choices",)
    id = Str()  # streamed chunks may carry none
    model = Str()
    created = Int()
    usage = Obj(Usage)

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data
        self._rid = None
        self._choices: list[Choice] | None = None

    @property
    def choices(self) -> list[Choice]:
        choices = self._choices
        if choices is None:
            choices = self._choices = objects(Choice, self._data.get("choices"))
        return choices


class ChatCompletionChunk(ChatCompletion):
    """One streamed delta: the same schema as ``ChatCompletion``."""

    __slots__ = ()


# -- models ------------------------------------------------------------------------------
class Model(ParetaObject):
    __slots__ = ()
    id = Id()
    owned_by = Str()
    created = Int()


def models_table(models: Iterable[Model]) -> Table:
    table = Table("Models", [("id", STRING), ("owned_by", STRING), ("created", TIME)])
    table.rows.extend((model.id, model.owned_by, model.created) for model in models)
    return table


class ModelList(Tabular, ParetaObject):
    """The callable models: iterate it, take its ``len``, or read ``.data``."""

    __slots__ = ()
    data = Objs(Model)

    def __iter__(self) -> Iterator[Model]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    _rows = models_table


# -- endpoints ---------------------------------------------------------------------------
class Endpoint(ParetaObject):
    __slots__ = ()
    id = Id("name")  # falls back to the name
    name = Str()
    model = Str()
    status = Str()
    task = Str()
    url = Str()

    @property
    def is_live(self) -> bool:
        return self.status == "live"


# -- discovery ---------------------------------------------------------------------------
class Task(ParetaObject):
    __slots__ = ()
    id = Id("task_id")
    default_scorer = Str()
    has_blob_input = Flag()


class TaskMatchCandidate(ParetaObject):
    __slots__ = ()
    task_id = Id()
    score = Float()
    confidence = Str()


class TaskMatch(ParetaObject):
    __slots__ = ()
    query = Str()
    matched = Flag()
    chosen = OptObj(TaskMatchCandidate)
    candidates = Objs(TaskMatchCandidate)
    ambiguous = Flag()
    matcher = Str()


class FrontierModel(ParetaObject):
    __slots__ = ()
    id = Id()
    vendor = Str()
    vision = Flag()
    benchmarked = Flag()


# -- evals -------------------------------------------------------------------------------
class EvalSet(ParetaObject):
    __slots__ = ()
    id = Id()
    task_id = Id()
    name = Str()
    item_count = Int()
    scoring_strategy = Str()
