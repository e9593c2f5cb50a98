"""Everything the emulator reads or writes inside moto's in-process backends (one place to adapt to moto)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from dataclasses import dataclass
from typing import Any

from moto.awslambda.models import lambda_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.exceptions import JsonRESTError
from moto.logs.models import logs_backends
from moto.s3.exceptions import MissingBucket, MissingKey
from moto.s3.models import s3_backends
from moto.utilities.utils import get_partition

from .errors import AwsError, invalid_parameter

_SCOPE = re.compile(r"Credential=([^/,\s]+)/[^/]+/([^/]+)/([^/]+)/")
DEFAULT_REGION = "us-east-1"
_GET_OBJECT = "Error occurred while GetObject. S3 Error Code: "


@dataclass(frozen=True)
class FunctionSnapshot:
    """A function's configuration and code at the moment of an invoke."""

    account: str
    region: str
    name: str
    arn: str  # qualified as invoked
    version: str
    handler: str
    runtime: str
    memory_mb: int
    timeout_s: int
    env: dict[str, str]
    code_sha: str  # hex
    code: bytes
    layers: tuple[tuple[str, bytes], ...]  # (sha hex, zip)
    reserved: int | None
    package_type: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.account, self.region, self.name)

    def fingerprint(self) -> str:
        """Equal for invocations that may share a container (same code, layers and configuration)."""
        doc = [
            self.key,
            self.version,
            self.handler,
            self.runtime,
            self.memory_mb,
            self.timeout_s,
            sorted(self.env.items()),
            self.code_sha,
            [sha for sha, _ in self.layers],
        ]
        return hashlib.sha256(json.dumps(doc).encode()).hexdigest()[:24]


def identify(environ: dict[str, Any]) -> tuple[str, str]:
    """(account, region) of a request, the way moto's server resolves them."""
    m = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    region = m.group(2) if m else DEFAULT_REGION
    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"], region
    if environ.get("HTTP_X_MOTO_ACCOUNT_ID"):
        return environ["HTTP_X_MOTO_ACCOUNT_ID"], region
    if m:
        from moto.iam.models import get_account_id_from

        return get_account_id_from(m.group(1)), region
    return DEFAULT_ACCOUNT_ID, region


def signing_service(environ: dict[str, Any]) -> str | None:
    m = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    return m.group(3) if m else None


def _as_aws_error(e: JsonRESTError) -> AwsError:
    return AwsError(int(getattr(e, "code", 400)), e.error_type, e.message, message_key="Message")


def snapshot(account: str, region: str, name: str, qualifier: str | None) -> FunctionSnapshot:
    """The function as it stands now (404 ``ResourceNotFoundException`` when unknown)."""
    backend = lambda_backends[account][region]
    try:
        fn = backend.get_function(name, qualifier)
    except JsonRESTError as e:
        raise _as_aws_error(e) from e
    layers = []
    for layer in fn.layers:
        lv = backend.layers_versions_by_arn(layer["Arn"])
        if lv is not None:
            layers.append((lv.code_digest, lv.code_bytes))
    reserved = getattr(fn, "reserved_concurrency", None)
    arn = (
        fn.function_arn
        if not qualifier or fn.function_arn.endswith(f":{qualifier}")
        else f"{fn.function_arn}:{qualifier}"
    )
    return FunctionSnapshot(
        account=account,
        region=region,
        name=fn.function_name,
        arn=arn,
        version=str(fn.version),
        handler=fn.handler or "",
        runtime=fn.run_time or "",
        memory_mb=int(fn.memory_size),
        timeout_s=int(fn.timeout),
        env={str(k): str(v) for k, v in (fn.environment_vars or {}).items()},
        code_sha=getattr(fn, "code_digest", "") or hashlib.sha256(fn.code_bytes).hexdigest(),
        code=fn.code_bytes,
        layers=tuple(layers),
        reserved=None if reserved is None else int(reserved),
        package_type=fn.package_type,
    )


def reserved_total(account: str, region: str) -> int:
    """Concurrency reserved by all functions of the account and region."""
    total = 0
    for fn in lambda_backends[account][region].list_functions():
        reserved = getattr(fn, "reserved_concurrency", None)
        if reserved is not None:
            total += int(reserved)
    return total


class CodeSource:
    """``limits.CodeSource`` over moto's S3 and Lambda backends."""

    def __init__(self, account: str, region: str) -> None:
        self.account = account
        self.region = region

    def s3_object(self, bucket: str, key: str) -> bytes:
        try:
            obj = s3_backends[self.account][get_partition(self.region)].get_object(bucket, key)
            if obj is None:
                raise MissingKey(key=key)
            return bytes(obj.value)
        except MissingBucket as e:
            raise invalid_parameter(
                _GET_OBJECT + "NoSuchBucket. S3 Error Message: The specified bucket does not exist"
            ) from e
        except (MissingKey, AttributeError) as e:
            raise invalid_parameter(
                _GET_OBJECT + "NoSuchKey. S3 Error Message: The specified key does not exist."
            ) from e

    def layer_zip(self, arn: str) -> bytes | None:
        lv = lambda_backends[self.account][self.region].layers_versions_by_arn(arn)
        return lv.code_bytes if lv is not None else None

    def function_code(self, name: str) -> tuple[bytes, list[str]] | None:
        try:
            fn = lambda_backends[self.account][self.region].get_function(name)
        except JsonRESTError:
            return None
        return fn.code_bytes, [layer["Arn"] for layer in fn.layers]


_logs_lock = threading.Lock()


def put_logs(account: str, region: str, group: str, stream: str, events: list[dict[str, Any]]) -> None:
    """Append events to a CloudWatch Logs stream, creating the group and stream when missing."""
    if not events:
        return
    with _logs_lock:
        backend = logs_backends[account][region]
        backend.ensure_log_group(group)
        if stream not in backend.groups[group].streams:
            backend.create_log_stream(group, stream)
        backend.put_log_events(group, stream, events)


def reset() -> None:
    """Forget every resource in every moto backend."""
    from moto.moto_api._internal import moto_api_backend

    with _logs_lock:
        moto_api_backend.reset()
