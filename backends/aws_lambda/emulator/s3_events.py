"""S3 event notifications to Lambda: a created object is matched against its bucket's
``LambdaFunctionConfigurations`` and each match runs as an ``InvocationType=Event`` invocation with
the record S3 sends (event message structure version 2.1)."""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import os
import sys
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote_plus

from . import moto_bridge
from .background import BackgroundInvocations
from .errors import AwsError
from .moto_bridge import LambdaNotification, S3Write
from .tracing import lineage_of, new_trace_id

MAX_CHAIN = 16  # Lambda stops a recursive loop after about 16 invocations of the same chain
EVENT_VERSION = "2.1"
S3_PRINCIPAL = "s3.amazonaws.com"
INVOKE_ACTIONS = {"lambda:InvokeFunction", "lambda:*", "*"}


@dataclass(frozen=True)
class RequestFacts:
    """What a notification says about the request that wrote the object, and its place in an event chain."""

    source_ip: str
    request_id: str
    host_id: str
    lineage: int  # event-triggered invocations that led to this request (0 for an outside caller)

    @classmethod
    def of(cls, environ: dict[str, Any], response_headers: Iterable[tuple[str, str]]) -> RequestFacts:
        headers = {k.lower(): v for k, v in response_headers}
        return cls(
            source_ip=environ.get("REMOTE_ADDR", "127.0.0.1"),
            request_id=headers.get("x-amz-request-id") or os.urandom(8).hex().upper(),
            host_id=headers.get("x-amz-id-2") or base64.b64encode(os.urandom(56)).decode(),
            lineage=lineage_of(environ.get("HTTP_X_AMZN_TRACE_ID")),
        )


def event_matches(configured: Iterable[str], event_name: str) -> bool:
    """``s3:ObjectCreated:Put`` matches itself and ``s3:ObjectCreated:*``."""
    name = event_name.removeprefix("s3:")
    for pattern in (p.removeprefix("s3:") for p in configured):
        if pattern == name or (pattern.endswith(":*") and name.startswith(pattern[:-1])):
            return True
    return False


def key_matches(rules: Iterable[tuple[str, str]], key: str) -> bool:
    """Every ``prefix``/``suffix`` rule holds for the (decoded) key."""
    for name, value in rules:
        kind = name.lower()
        if (kind == "prefix" and not key.startswith(value)) or (kind == "suffix" and not key.endswith(value)):
            return False
    return True


def parse_function_arn(arn: str) -> tuple[str, str, str, str | None] | None:
    """(account, region, name, qualifier) of ``arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]``."""
    parts = arn.split(":")
    if len(parts) not in (7, 8) or parts[0] != "arn" or parts[2] != "lambda" or parts[5] != "function":
        return None
    return parts[4], parts[3], parts[6], (parts[7] if len(parts) == 8 else None)


def s3_may_invoke(statements: Iterable[dict[str, Any]], bucket_arn: str, bucket_account: str) -> bool:
    """Whether a statement allows ``s3.amazonaws.com`` to invoke, for this bucket (SourceArn/SourceAccount)."""
    return any(_allows(s, bucket_arn, bucket_account) for s in statements)


def _allows(statement: dict[str, Any], bucket_arn: str, bucket_account: str) -> bool:
    principal = statement.get("Principal")
    services = principal.get("Service") if isinstance(principal, dict) else principal
    services = [services] if isinstance(services, str) else services or []
    actions = statement.get("Action")
    actions = [actions] if isinstance(actions, str) else actions or []
    if statement.get("Effect", "Allow") != "Allow" or not {S3_PRINCIPAL, "*"} & set(services):
        return False
    if not INVOKE_ACTIONS & set(actions):
        return False
    conditions = statement.get("Condition") or {}
    for operator, values in conditions.items():
        for name, expected in values.items():
            actual = {"aws:sourcearn": bucket_arn, "aws:sourceaccount": bucket_account}.get(name.lower())
            if actual is None:
                continue
            patterns = [expected] if isinstance(expected, str) else expected
            if not any(_condition_holds(operator, p, actual) for p in patterns):
                return False
    return True


def _condition_holds(operator: str, expected: str, actual: str) -> bool:
    if operator.lower() in ("arnlike", "stringlike"):
        return fnmatch.fnmatchcase(actual, expected)
    return actual == expected


def _principal_id(account: str) -> str:
    """A stable stand-in for the account's retail customer id (``A3NL1KOZZKExample``-like)."""
    return "A" + hashlib.sha256(account.encode()).hexdigest().upper()[:13]


def event_record(write: S3Write, config_id: str, facts: RequestFacts) -> dict[str, Any]:
    """One ``Records[]`` entry as S3 sends it; the key is form-encoded ("a b/c" -> "a+b/c")."""
    seconds, ns = divmod(write.at_ns, 1_000_000_000)
    when = datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    obj: dict[str, Any] = {"key": quote_plus(write.key, safe="/"), "size": write.size, "eTag": write.etag}
    if write.version_id is not None:
        obj["versionId"] = write.version_id
    obj["sequencer"] = f"{write.at_ns:018X}"
    return {
        "eventVersion": EVENT_VERSION,
        "eventSource": "aws:s3",
        "awsRegion": write.region,
        "eventTime": f"{when}.{ns // 1_000_000:03d}Z",
        "eventName": write.event_name.removeprefix("s3:"),
        "userIdentity": {"principalId": f"AWS:{_principal_id(write.account)}"},
        "requestParameters": {"sourceIPAddress": facts.source_ip},
        "responseElements": {"x-amz-request-id": facts.request_id, "x-amz-id-2": facts.host_id},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": config_id,
            "bucket": {
                "name": write.bucket,
                "ownerIdentity": {"principalId": _principal_id(write.account)},
                "arn": write.bucket_arn,
            },
            "object": obj,
        },
    }


class S3Notifier:
    """Turns created objects into Event invocations of the functions their buckets notify."""

    def __init__(self, background: BackgroundInvocations) -> None:
        self.background = background

    def deliver(self, writes: Iterable[S3Write], facts: RequestFacts) -> None:
        """Queue one invocation per matching configuration; never raises (S3 already answered success)."""
        for write in writes:
            for notification in write.notifications:
                if not (
                    event_matches(notification.events, write.event_name)
                    and key_matches(notification.filter_rules, write.key)
                ):
                    continue
                try:
                    self._deliver(write, notification, facts)
                except AwsError as e:
                    self._drop(write, notification, e.code, e.message)
                except Exception as e:  # a notification must not fail the S3 request
                    self._drop(write, notification, type(e).__name__, str(e))

    def _deliver(self, write: S3Write, notification: LambdaNotification, facts: RequestFacts) -> None:
        """Submit the invocation, or raise ``AwsError`` saying why it is dropped."""
        arn = notification.function_arn
        target = parse_function_arn(arn)
        if target is None:
            raise AwsError(400, "InvalidParameterValueException", f"not a function ARN: {arn}")
        account, region, name, qualifier = target
        fn = moto_bridge.snapshot(account, region, name, qualifier)  # 404 when the function is gone
        statements = moto_bridge.policy_statements(account, region, name, qualifier)
        if not s3_may_invoke(statements, write.bucket_arn, write.account):
            reason = f"no resource policy statement lets {S3_PRINCIPAL} invoke {arn} for {write.bucket_arn}"
            raise AwsError(403, "AccessDeniedException", reason)
        depth = facts.lineage + 1
        if depth > MAX_CHAIN:
            reason = f"recursive loop stopped: {facts.lineage} event-triggered invocations in this chain already"
            raise AwsError(400, "RecursiveInvocationException", reason)
        payload = json.dumps({"Records": [event_record(write, notification.config_id, facts)]}).encode()
        self.background.submit(fn, payload, str(uuid.uuid4()), new_trace_id(depth), **_summary(write))

    def _drop(self, write: S3Write, notification: LambdaNotification, code: str, message: str) -> None:
        """Log a notification that is not delivered and record it for ``wait_async``."""
        print(
            f"podpac-exec emulator: S3 notification {write.event_name} s3://{write.bucket}/{write.key} -> "
            f"{notification.function_arn} dropped: {code}: {message}",
            file=sys.stderr,
            flush=True,
        )
        record = {"request_id": None, "function": notification.function_arn, **_summary(write)}
        self.background.note({**record, "error": code, "message": message})


def _summary(write: S3Write) -> dict[str, Any]:
    return {"source": "aws:s3", "event": write.event_name.removeprefix("s3:"), "bucket": write.bucket, "key": write.key}
