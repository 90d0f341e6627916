"""Pareta: deploy task-specific open-weights models, run metered OpenAI-compatible
inference, browse the benchmark catalog, and evaluate models on your own data."""

from ._async._client import AsyncPareta
from ._async._streaming import AsyncDeployStream, AsyncStream
from ._async.batch import AsyncBatchJob
from ._async.endpoints import AsyncMetrics
from ._batch_file import ResultsFileError
from ._batch_state import BatchInterrupted, BatchResult, BatchStats, BatchStopped
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
from ._extras import MissingDependencyError
from ._metric_report import MetricReport
from ._models import (
    ChatCompletion,
    ChatCompletionChunk,
    Choice,
    Endpoint,
    EvalResult,
    EvalRun,
    EvalSet,
    FrontierModel,
    Leaderboard,
    LeaderboardEntry,
    Message,
    Model,
    ModelList,
    Task,
    TaskMatch,
    TaskMatchCandidate,
    Usage,
)
from ._sync._client import Pareta
from ._sync._streaming import DeployStream, Stream
from ._sync.batch import BatchJob
from ._sync.endpoints import Metrics
from ._version import __version__

__all__ = [
    "APIConnectionError",
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
