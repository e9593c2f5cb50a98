"""The AWS Lambda backend's plugin: registration and the evaluate hook (no boto3 import here)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from podpac_exec.plugins.backends import BackendSpec
from podpac_exec.plugins.manager import hookimpl

if TYPE_CHECKING:
    from podpac_exec.plugins.backends import Backend, EvaluationOptions
    from podpac_exec.coordinates import Coordinates
    from podpac_exec.nodes.base import Node

#: The ``[aws_lambda]`` settings section and its defaults (DESIGN.md section 5).
SETTINGS: dict[str, Any] = {
    "function_name": "podpac-exec",
    "role_name": "podpac-exec-role",
    "role_arn": "",
    "bucket": "",
    "prefix": "podpac-exec",
    "region": "us-east-1",
    "profile": "",
    "endpoint_url": "",
    "memory_mb": 2048,
    "timeout_s": 300,
    "ephemeral_storage_mb": 2048,
    "architecture": "x86_64",
    "runtime": "python3.12",
    "max_concurrency": 64,
    "function_handler": "",
    "function_source_bucket": "",
    "function_source_dist_key": "",
    "function_source_dependencies_key": "",
    "allowed_pipeline_hashes": [],
    # buckets (or bucket/prefix) Dataset sources may read inside the function; empty: any the role can
    "dataset_buckets": [],
    "s3_threshold_bytes": 5 * 2**20,
    "compression": "",
    "price_per_gb_second": 0.0000166667,
    "price_per_request": 0.0000002,
}


@hookimpl
def podpac_exec_register_backends() -> list[BackendSpec]:
    return [
        BackendSpec(
            name="aws_lambda",
            backend_class="podpac_exec.backends.aws_lambda.client.backend:LambdaBackend",
            description="evaluates on AWS Lambda (or the offline emulator), tiles in parallel",
            requires=("boto3",),
            extra="aws",
            settings=SETTINGS,
        )
    ]


@hookimpl
def podpac_exec_evaluate_node(
    node: "Node", coordinates: "Coordinates", backend: "Backend", options: "EvaluationOptions"
) -> Any:
    if backend.name == "aws_lambda":
        return backend.evaluate(node, coordinates, options)
    return None


@hookimpl
def podpac_exec_add_commands(subparsers: Any) -> None:
    """``podpac-exec aws ...`` (package, build, status, logs, delete) and ``emulator start``."""
    from podpac_exec.backends.aws_lambda.commands.register import add_commands

    add_commands(subparsers)
