"""The exit codes of every ``podpac-exec`` command (the table in docs/cli.md).

| code | meaning |
|---|---|
| 0 | done |
| 1 | a runtime or remote failure: a backend, the cluster or AWS failed; a tile failed after its retries |
| 2 | bad input or usage: arguments, pipeline, coordinates, settings, output path, limits; the same when the Lambda function refuses the input |
| 3 | nothing to do or not found: `aws status` or `aws delete` when nothing exists |
| 130 | interrupted (Ctrl-C) |
"""

from __future__ import annotations

from podpac_exec.errors import (
    BackendUnavailableError,
    NotFoundError,
    PodpacExecError,
    RemoteEvaluationError,
    TileEvaluationError,
    is_input_error,
)

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT, EXIT_NOT_FOUND, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def exit_code_for(exc: PodpacExecError) -> int:
    """The code of an error, looking through a failed tile to what failed it."""
    cause: BaseException | None = exc
    while isinstance(cause, TileEvaluationError) and cause.cause is not None:
        cause = cause.cause
    if isinstance(cause, NotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(cause, RemoteEvaluationError):
        return EXIT_BAD_INPUT if cause.is_input_error else EXIT_FAILURE
    if isinstance(cause, BackendUnavailableError):  # a missing optional extra: fixable by the user
        return EXIT_BAD_INPUT
    if cause is not None and is_input_error(cause):
        return EXIT_BAD_INPUT
    return EXIT_FAILURE
