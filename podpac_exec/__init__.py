"""podpac-exec: run PODPAC-compatible pipelines locally or fanned out over AWS Lambda."""

from podpac_exec import nodes
from podpac_exec.plugins.backends import Backend, BackendLimits, BackendSpec, EvaluationOptions
from podpac_exec.coordinates import Coordinates, clinspace, crange
from podpac_exec.errors import (
    BackendError,
    BackendUnavailableError,
    CoordinatesError,
    ExpressionError,
    LimitExceededError,
    PipelineError,
    PluginError,
    PodpacExecError,
    RemoteEvaluationError,
    SettingsError,
    TileEvaluationError,
    UnknownBackendError,
)
from podpac_exec.engine.executor import evaluate
from podpac_exec.nodes import Node
from podpac_exec.plugins.manager import hookimpl
from podpac_exec.settings import settings
from podpac_exec.engine.stats import EvaluationStats

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "evaluate",
    "Coordinates",
    "clinspace",
    "crange",
    "Node",
    "nodes",
    "settings",
    "hookimpl",
    "Backend",
    "BackendSpec",
    "BackendLimits",
    "EvaluationOptions",
    "EvaluationStats",
    "PodpacExecError",
    "PipelineError",
    "CoordinatesError",
    "ExpressionError",
    "SettingsError",
    "LimitExceededError",
    "UnknownBackendError",
    "BackendUnavailableError",
    "BackendError",
    "RemoteEvaluationError",
    "TileEvaluationError",
    "PluginError",
]
