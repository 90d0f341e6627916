"""Pareta: deploy task-specific open-weights models, run metered OpenAI-compatible
inference, browse the benchmark catalog, and evaluate models on your own data."""

from typing import TYPE_CHECKING, Any

from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APIStreamError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    EndpointNotReadyError,
    InsufficientCreditsError,
    NotFoundError,
    ParetaError,
    PermissionDeniedError,
    RateLimitError,
)
from ._version import __version__

if TYPE_CHECKING:
    from ._async._client import AsyncPareta
    from ._async._streaming import AsyncDeployStream, AsyncStream
    from ._async.batch import AsyncBatchJob
    from ._async.endpoints import AsyncMetrics
    from ._batch.file import ResultsFileError
    from ._batch.state import BatchInterrupted, BatchResult, BatchStats, BatchStopped
    from ._extras import MissingDependencyError
    from ._objects.metric_report import MetricReport
    from ._objects.models import (
        ChatCompletion,
        ChatCompletionChunk,
        Choice,
        Endpoint,
        EvalSet,
        FrontierModel,
        Message,
        Model,
        ModelList,
        Task,
        TaskMatch,
        TaskMatchCandidate,
        Usage,
    )
    from ._objects.rankings import EvalResult, EvalRun, Leaderboard, LeaderboardEntry
    from ._objects.raw import APIResponse
    from ._sync._client import Pareta
    from ._sync._streaming import DeployStream, Stream
    from ._sync.batch import BatchJob
    from ._sync.endpoints import Metrics

# The clients and their responses load on first use: `import pareta` costs about what
# `import httpx` does, and a program that uses one client never loads the other.
_LAZY = {
    "AsyncPareta": "._async._client",
    "AsyncDeployStream": "._async._streaming",
    "AsyncStream": "._async._streaming",
    "AsyncMetrics": "._async.endpoints",
    "Pareta": "._sync._client",
    "DeployStream": "._sync._streaming",
    "Stream": "._sync._streaming",
    "Metrics": "._sync.endpoints",
    "AsyncBatchJob": "._async.batch",
    "BatchJob": "._sync.batch",
    "BatchInterrupted": "._batch.state",
    "BatchResult": "._batch.state",
    "BatchStats": "._batch.state",
    "BatchStopped": "._batch.state",
    "ResultsFileError": "._batch.file",
    "MissingDependencyError": "._extras",
    "MetricReport": "._objects.metric_report",
    "APIResponse": "._objects.raw",
    "ChatCompletion": "._objects.models",
    "ChatCompletionChunk": "._objects.models",
    "Choice": "._objects.models",
    "Endpoint": "._objects.models",
    "EvalResult": "._objects.rankings",
    "EvalRun": "._objects.rankings",
    "EvalSet": "._objects.models",
    "FrontierModel": "._objects.models",
    "Leaderboard": "._objects.rankings",
    "LeaderboardEntry": "._objects.rankings",
    "Message": "._objects.models",
    "Model": "._objects.models",
    "ModelList": "._objects.models",
    "Task": "._objects.models",
    "TaskMatch": "._objects.models",
    "TaskMatchCandidate": "._objects.models",
    "Usage": "._objects.models",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pareta' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "APIConnectionError",
    "APIResponse",
    "APIResponseValidationError",
    "APIStatusError",
    "APIStreamError",
    "APITimeoutError",
    "AsyncBatchJob",
    "AsyncDeployStream",
    "AsyncMetrics",
    "AsyncPareta",
    "AsyncStream",
    "AuthenticationError",
    "BadRequestError",
    "BatchInterrupted",
    "BatchJob",
    "BatchResult",
    "BatchStats",
    "BatchStopped",
    "ChatCompletion",
    "ChatCompletionChunk",
    "Choice",
    "ConflictError",
    "DeployStream",
    "Endpoint",
    "EndpointNotReadyError",
    "EvalResult",
    "EvalRun",
    "EvalSet",
    "FrontierModel",
    "InsufficientCreditsError",
    "Leaderboard",
    "LeaderboardEntry",
    "Message",
    "MetricReport",
    "Metrics",
    "MissingDependencyError",
    "Model",
    "ModelList",
    "NotFoundError",
    "Pareta",
    "ParetaError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResultsFileError",
    "Stream",
    "Task",
    "TaskMatch",
    "TaskMatchCandidate",
    "Usage",
    "__version__",
]
