"""The AWS Lambda backend's plugin: its registration record, settings and commands (no boto3 import here)."""

from __future__ import annotations

from typing import Any

from podpac_exec.plugins.backends import BackendSpec
from podpac_exec.plugins.manager import hookimpl
from podpac_exec.settings_schema import SettingSpec

#: The ``[aws_lambda]`` settings section (DESIGN.md section 5); limits are Lambda's own.
SETTINGS: dict[str, SettingSpec] = {
    "function_name": SettingSpec("podpac-exec", doc="the Lambda function evaluating tiles"),
    "role_name": SettingSpec("podpac-exec-role", doc="IAM role `aws build` creates for the function"),
    "role_arn": SettingSpec("", doc="an existing execution role to use instead of creating one"),
    "bucket": SettingSpec("", doc="S3 bucket for the artifacts and spilled results; empty: derived from the account"),
    "prefix": SettingSpec("podpac-exec", doc="key prefix of everything podpac-exec writes to the bucket"),
    "region": SettingSpec("us-east-1", doc="AWS region"),
    "profile": SettingSpec("", doc="AWS CLI profile of the client; empty: the default chain"),
    "endpoint_url": SettingSpec("", doc="AWS endpoint (the emulator's URL); empty: the real AWS"),
    "memory_mb": SettingSpec(2048, minimum=128, maximum=10240, doc="function memory in MB"),
    "timeout_s": SettingSpec(300, minimum=1, maximum=900, doc="function timeout in seconds"),
    "ephemeral_storage_mb": SettingSpec(2048, minimum=512, maximum=10240, doc="function /tmp size in MB"),
    "architecture": SettingSpec("x86_64", choices=("x86_64", "arm64"), doc="function architecture"),
    "runtime": SettingSpec("python3.12", doc="function runtime (its Python decides the dependency wheels)"),
    "max_concurrency": SettingSpec(64, minimum=1, maximum=10000, doc="most tiles in flight at once"),
    "function_handler": SettingSpec("", doc="handler override; empty: podpac-exec's own"),
    "function_source_bucket": SettingSpec("", doc="bucket of prebuilt artifacts to deploy instead of packaging"),
    "function_source_dist_key": SettingSpec("", doc="key of the prebuilt function zip in that bucket"),
    "function_source_dependencies_key": SettingSpec("", doc="key of the prebuilt dependencies zip"),
    "allowed_pipeline_hashes": SettingSpec([], doc="pipeline hashes the function accepts; empty: any"),
    "dataset_buckets": SettingSpec(
        [], doc="`bucket` or `bucket/prefix` Dataset sources may read inside the function; empty: any the role can"
    ),
    "s3_threshold_bytes": SettingSpec(
        5 * 2**20, minimum=0, doc="results larger than this travel through S3 instead of the response"
    ),
    "compression": SettingSpec(
        "", choices=("", "zstd", "lz4"), doc="result compression on the wire; empty: none"
    ),
    "price_per_gb_second": SettingSpec(0.0000166667, minimum=0, doc="USD per GB-second, for cost estimates"),
    "price_per_request": SettingSpec(0.0000002, minimum=0, doc="USD per request, for cost estimates"),
    "check_version": SettingSpec(
        True, doc="before a run, refuse a function whose protocol or node set differs from the client's"
    ),
    "max_cost_usd": SettingSpec(
        0.0, minimum=0, doc="refuse a run estimated above this many USD, and stop one whose REPORT figures pass it; 0: no cap"
    ),
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
def podpac_exec_add_commands(subparsers: Any) -> None:
    """``podpac-exec aws ...`` (package, build, status, logs, delete) and ``emulator start``."""
    from podpac_exec.backends.aws_lambda.commands.register import add_commands

    add_commands(subparsers)
