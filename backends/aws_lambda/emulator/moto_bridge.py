"""Everything the emulator reads or writes inside moto's in-process backends (one place to adapt to moto)."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import sys
import threading
import time
from collections.abc import Iterator
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


def policy_statements(account: str, region: str, name: str, qualifier: str | None) -> list[dict[str, Any]]:
    """The statements of a function's (or version's, alias's) resource policy; [] when none or unknown."""
    try:
        fn = lambda_backends[account][region].get_function(name, qualifier)
    except (JsonRESTError, KeyError):
        return []
    policy = getattr(fn, "policy", None)
    return [dict(s) for s in getattr(policy, "statements", None) or []]


# --- S3 event notifications ----------------------------------------------------------------------


@dataclass(frozen=True)
class LambdaNotification:
    """One ``LambdaFunctionConfiguration`` of a bucket."""

    config_id: str
    function_arn: str
    events: tuple[str, ...]
    filter_rules: tuple[tuple[str, str], ...]  # (Name, Value) as configured


@dataclass(frozen=True)
class S3Write:
    """An object moto's S3 created, with the bucket's Lambda notifications at that moment."""

    account: str
    event_name: str  # "s3:ObjectCreated:Put"
    region: str  # the bucket's
    bucket: str
    bucket_arn: str
    key: str
    size: int
    etag: str  # without quotes
    version_id: str | None  # None unless the bucket is versioned
    at_ns: int  # wall clock in ns, increasing across writes: event time and sequencer
    notifications: tuple[LambdaNotification, ...]


_capture = threading.local()
_hook_lock = threading.Lock()
_clock_lock = threading.Lock()
_last_ns = 0


def install_s3_hook() -> None:
    """Have moto's S3 report created objects to ``s3_writes`` and stop invoking Lambda itself (idempotent)."""
    from moto.s3 import notifications

    with _hook_lock:
        if getattr(notifications.send_event, "__wrapped__", None) is not None:
            return
        original = notifications.send_event

        @functools.wraps(original)
        def send_event(account_id: str, event_name: Any, bucket: Any, key: Any) -> None:
            _record_write(account_id, str(getattr(event_name, "value", event_name)), bucket, key)
            original(account_id, event_name, bucket, key)

        # moto would try a Docker-based invoke and swallow its failure; the emulator delivers these itself
        notifications._invoke_awslambda = lambda *args, **kwargs: None  # type: ignore[attr-defined]
        notifications.send_event = send_event  # type: ignore[assignment]


@contextlib.contextmanager
def s3_writes() -> Iterator[list[S3Write]]:
    """Collect the objects created in this thread while the block runs (writes outside any block are ignored)."""
    writes: list[S3Write] = []
    previous = getattr(_capture, "writes", None)
    _capture.writes = writes
    try:
        yield writes
    finally:
        _capture.writes = previous


def _record_write(account: str, event_name: str, bucket: Any, key: Any) -> None:
    writes = getattr(_capture, "writes", None)
    if writes is None or not event_name.startswith("s3:ObjectCreated:"):
        return
    try:
        config = bucket.notification_configuration
        rules = tuple(_lambda_notification(n) for n in (config.cloud_function if config else []))
        if rules:
            writes.append(_s3_write(account, event_name, bucket, key, rules))
    except Exception as e:  # never fail moto's request for a notification
        name = getattr(key, "name", "?")
        print(f"podpac-exec emulator: S3 notification for {name!r} not recorded: {e!r}", file=sys.stderr, flush=True)


def _lambda_notification(n: Any) -> LambdaNotification:
    rules = (n.filters or {}).get("S3Key", {}).get("FilterRule", [])
    if isinstance(rules, dict):
        rules = [rules]
    return LambdaNotification(
        str(n.id), str(n.arn), tuple(n.events), tuple((str(r["Name"]), str(r["Value"])) for r in rules)
    )


def _s3_write(account: str, event_name: str, bucket: Any, key: Any, rules: tuple[LambdaNotification, ...]) -> S3Write:
    version = getattr(key, "version_id", None)
    return S3Write(
        account=account,
        event_name=event_name,
        region=bucket.region_name,
        bucket=bucket.name,
        bucket_arn=bucket.arn,
        key=key.name,
        size=int(key.size),
        etag=key.etag.strip('"'),
        version_id=str(version) if bucket.is_versioned and version not in (None, "null") else None,
        at_ns=_unique_ns(),
        notifications=rules,
    )


def _unique_ns() -> int:
    global _last_ns
    with _clock_lock:
        _last_ns = max(_last_ns + 1, time.time_ns())
        return _last_ns


def reset() -> None:
    """Forget every resource in every moto backend."""
    from moto.moto_api._internal import moto_api_backend

    with _logs_lock:
        moto_api_backend.reset()
