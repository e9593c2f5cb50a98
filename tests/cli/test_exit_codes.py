"""One exit-code table (docs/cli.md) for every error, local or remote."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import podpac_exec as pe
from podpac_exec.cli.exit_codes import exit_code_for
from podpac_exec.cli.outputs import OutputError
from podpac_exec.errors import (
    BackendError,
    ClusterUnavailableError,
    LimitExceededError,
    NotFoundError,
    PipelineError,
    RemoteEvaluationError,
    SettingsError,
    TileEvaluationError,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


@pytest.mark.parametrize("exc, code", [
    (PipelineError("bad", field="pipeline"), 2),
    (SettingsError("bad", field="limits.max_cells"), 2),
    (OutputError("bad", field="output"), 2),
    (pe.PodpacExecError("expected a Node", field="node"), 2),
    (BackendError("throttled"), 1),
    (ClusterUnavailableError("gone", field="dask.scheduler_address"), 1),
    (pe.PodpacExecError("the emulator did not start"), 1),
    (NotFoundError("no log group", field="aws_lambda.function_name"), 3),
    (RemoteEvaluationError("remote LimitExceededError: x", remote_type="LimitExceededError"), 2),
    (RemoteEvaluationError("remote PipelineNotAllowedError: x", remote_type="X", remote_field="pipeline"), 2),
    (RemoteEvaluationError("remote Runtime.ExitError: killed", remote_type="Runtime.ExitError"), 1),
    (TileEvaluationError("tile 3 failed", cause=RemoteEvaluationError("r", remote_type="CoordinatesError")), 2),
    (TileEvaluationError("tile 3 failed", cause=BackendError("throttled")), 1),
    (TileEvaluationError("tile 3 failed", cause=LimitExceededError("big", field="coordinates")), 2),
])
def test_exit_code_table(exc, code):
    assert exit_code_for(exc) == code


def test_the_table_is_documented():
    text = DOCS.read_text()
    rows = dict(re.findall(r"^\| (\d+) \| (.+?) \|$", text, re.M))
    assert set(rows) >= {"0", "1", "2", "3"}
    assert "Lambda" in rows["2"] and "not found" in rows["3"]
