"""Every error podpac-exec raises on purpose derives from :class:`PodpacExecError`.

Errors about user input carry ``field``: a dotted path naming the offending part of the input
(``"pipeline.Arithmetic.attrs.eqn"``, ``"coordinates.coords[1].size"``), so callers, the CLI
and remote handlers can report it without parsing messages.
"""

from __future__ import annotations

from typing import Any


class PodpacExecError(Exception):
    """Base class of every error the package raises on purpose."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        if self.field and self.field not in self.message:
            return f"{self.field}: {self.message}"
        return self.message


class PipelineError(PodpacExecError, ValueError):
    """A pipeline definition (JSON or graph) is invalid."""


class CoordinatesError(PodpacExecError, ValueError):
    """A coordinates definition is invalid."""


class ExpressionError(PodpacExecError, ValueError):
    """An Arithmetic expression uses something outside the safe grammar."""


class SettingsError(PodpacExecError, ValueError):
    """A settings value or settings file is invalid."""


class LimitExceededError(PodpacExecError, ValueError):
    """A request exceeds a configured limit (cells, nodes, depth, bytes)."""


class UnknownBackendError(PodpacExecError, ValueError):
    """No installed backend has the requested name."""


class BackendUnavailableError(PodpacExecError, ImportError):
    """A known backend whose optional dependencies are not installed."""


class BackendError(PodpacExecError, RuntimeError):
    """A backend failed to evaluate (transport, throttling, configuration...)."""


class RemoteEvaluationError(BackendError):
    """The remote function raised; carries the remote error type, message and traceback."""

    def __init__(
        self,
        message: str,
        *,
        remote_type: str = "",
        remote_message: str = "",
        remote_traceback: list[str] | None = None,
        remote_field: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message, field=field)
        self.remote_type = remote_type
        self.remote_message = remote_message
        self.remote_traceback = list(remote_traceback or [])
        self.remote_field = remote_field  # set when the function blamed a part of the input

    @property
    def is_input_error(self) -> bool:
        """Whether the function refused the input (as a local run would, with exit code 2)."""
        if self.remote_field:
            return True
        cls = _error_classes().get(self.remote_type)
        return cls is not None and is_input_error_class(cls)


class TileEvaluationError(PodpacExecError, RuntimeError):
    """One tile of a fanned-out evaluation failed after its retries."""

    def __init__(self, message: str, *, tile: Any = None, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.tile = tile
        self.cause = cause


class PluginError(PodpacExecError, RuntimeError):
    """A plugin registered something invalid (e.g. a duplicate backend or node name)."""


class ClusterUnavailableError(PodpacExecError, ConnectionError):
    """No dask.distributed scheduler answers at the configured address."""


class NotFoundError(PodpacExecError, LookupError):
    """What a command should act on does not exist (nothing to show, nothing to delete)."""


def is_input_error_class(cls: type[BaseException]) -> bool:
    """Bad-input errors are ``PodpacExecError`` and ``ValueError`` (never a backend failure)."""
    return issubclass(cls, PodpacExecError) and issubclass(cls, ValueError) and not issubclass(cls, BackendError)


def is_input_error(exc: BaseException) -> bool:
    """A ``ValueError``-family error, or a plain ``PodpacExecError`` naming the input it blames."""
    if is_input_error_class(type(exc)):
        return True
    runtime = (RuntimeError, ConnectionError, LookupError, ImportError)
    return isinstance(exc, PodpacExecError) and bool(exc.field) and not isinstance(exc, runtime)


def _error_classes() -> dict[str, type[PodpacExecError]]:
    """Every loaded ``PodpacExecError`` subclass by name (remote errors arrive as names)."""
    out: dict[str, type[PodpacExecError]] = {}
    todo: list[type[PodpacExecError]] = [PodpacExecError]
    while todo:
        cls = todo.pop()
        out.setdefault(cls.__name__, cls)
        todo.extend(cls.__subclasses__())
    return out
