"""The function's pipeline allowlist: the hashes its build configured (empty: any pipeline)."""

from __future__ import annotations

import os

from podpac_exec.errors import PipelineError

ENV_ALLOWED_HASHES = "PODPAC_LAMBDA_ALLOWED_PIPELINE_HASHES"


class PipelineNotAllowedError(PipelineError):
    """The pipeline's hash is not on the function's allowlist."""


def check_allowlist(node_hash: str) -> None:
    allowed = [h.strip() for h in os.environ.get(ENV_ALLOWED_HASHES, "").split(",") if h.strip()]
    if allowed and node_hash not in allowed:
        raise PipelineNotAllowedError(f"pipeline {node_hash[:16]}... is not on this function's allowlist", field="pipeline")
