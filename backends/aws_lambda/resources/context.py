"""What the service modules share: the managed tags, the build's errors, records, target and
context (one build, status or delete run), and the error-code helpers.

Every step compares what exists with what is wanted and calls a mutating API only when they
differ, so a build with nothing changed mutates nothing. With ``Context.apply`` false the same
steps only report what they would do (``podpac-exec aws status`` and the ``delete`` preview).
Everything created is tagged ``podpac-exec:managed=true`` and ``podpac-exec:function=<name>``
(layer versions, which take no tags, carry the same in their description); removal only touches
what carries those tags, and objects only under the managed prefix.
"""

from __future__ import annotations

import base64
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from podpac_exec.backends.aws_lambda.resources import iam_policy
from podpac_exec.errors import BackendError, PodpacExecError
from podpac_exec.engine.retry import RetryPolicy, call_with_retries


MANAGED_TAG = "podpac-exec:managed"
FUNCTION_TAG = "podpac-exec:function"
SHA_METADATA = "sha256"
DESCRIPTION = "podpac-exec pipelines (managed by podpac-exec aws build)"
#: Lambda's limit for a zip sent in the request; larger code goes through S3.
DIRECT_UPLOAD_LIMIT = 50 * 2**20
READ_PREFIXES = ("Get", "List", "Head", "Describe")
#: A new role takes seconds to become usable by Lambda; typical waits fit well within these 10 tries.
ROLE_PROPAGATION_RETRY = RetryPolicy(max_attempts=10, base_delay_s=0.5, max_delay_s=10.0)
NOT_FOUND = {"404", "NoSuchKey", "NoSuchBucket", "NoSuchEntity", "ResourceNotFoundException", "NotFound"}


class BuildError(BackendError):
    """AWS refused a build step, or a resource in the way is not managed by podpac-exec."""


class BuildInputError(PodpacExecError, ValueError):
    """The build's input is unusable: a missing zip, an invalid setting, a missing ``--yes``."""


# -- records --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceResult:
    """One resource: what was found (``exists``, ``up_to_date``; None = unknown) and the action."""

    kind: str
    name: str
    action: str  # created, updated, unchanged, deleted, kept, absent, given, skipped, would create, ...
    exists: bool
    up_to_date: bool | None
    detail: str = ""

    @property
    def changed(self) -> bool:
        return self.action in ("created", "updated", "deleted")


class MutationCounter:
    """A botocore ``before-call.*.*`` hook that records every operation not named Get/List/Head/Describe*."""

    def __init__(self) -> None:
        self.operations: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, event_name: str = "", **_: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        if not operation.startswith(READ_PREFIXES):
            with self._lock:
                self.operations.append(f"{service}.{operation}")

    @property
    def count(self) -> int:
        return len(self.operations)

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call.*.*", self)

    def detach(self, client: Any) -> None:
        client.meta.events.unregister("before-call.*.*", self)


@dataclass(frozen=True)
class Target:
    """Everything the resources are named after, resolved from settings and the caller's identity."""

    function_name: str
    region: str
    account: str
    partition: str
    bucket: str
    prefix: str
    role_name: str
    given_role_arn: str
    runtime: str
    handler: str
    architecture: str
    memory_mb: int
    timeout_s: int
    ephemeral_storage_mb: int
    allowed_hashes: tuple[str, ...] = ()
    dataset_buckets: tuple[str, ...] = ()
    source_bucket: str = ""
    source_dist_key: str = ""
    source_deps_key: str = ""

    def key(self, *parts: str) -> str:
        return "/".join([self.prefix, *parts])

    @property
    def dist_key(self) -> str:
        return self.key("artifacts", "podpac_dist.zip")

    @property
    def deps_key(self) -> str:
        return self.key("artifacts", "podpac_deps.zip")

    @property
    def role_arn(self) -> str:
        return self.given_role_arn or f"arn:{self.partition}:iam::{self.account}:role/{self.role_name}"

    @property
    def policy_name(self) -> str:
        return f"podpac-exec-{self.function_name}"

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def function_arn(self) -> str:
        return f"arn:{self.partition}:lambda:{self.region}:{self.account}:function:{self.function_name}"

    @property
    def bucket_arn(self) -> str:
        return f"arn:{self.partition}:s3:::{self.bucket}"

    @property
    def trigger_id(self) -> str:
        return f"podpac-exec-{self.function_name}-input"

    @property
    def permission_sid(self) -> str:
        return "podpac-exec-s3-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.bucket)

    @property
    def lifecycle_id(self) -> str:
        return f"podpac-exec-{self.function_name}-results"

    @property
    def tags(self) -> dict[str, str]:
        return {MANAGED_TAG: "true", FUNCTION_TAG: self.function_name}

    @property
    def tag_list(self) -> list[dict[str, str]]:
        return [{"Key": k, "Value": v} for k, v in self.tags.items()]

    def owns(self, tags: dict[str, str], any_function: bool = False) -> bool:
        """Tagged by podpac-exec (and for this function unless ``any_function``)."""
        return tags.get(MANAGED_TAG) == "true" and (any_function or tags.get(FUNCTION_TAG) == self.function_name)

    def policy(self) -> dict[str, Any]:
        return iam_policy.function_policy(
            partition=self.partition, region=self.region, account=self.account,
            bucket=self.bucket, prefix=self.prefix, function_name=self.function_name,
        )  # fmt: skip


@dataclass
class Clients:
    s3: Any
    iam: Any
    lam: Any
    logs: Any
    sts: Any


@dataclass
class Context:
    """The state of one build, status or delete run."""

    target: Target
    clients: Clients
    apply: bool
    role_retry: RetryPolicy = ROLE_PROPAGATION_RETRY
    results: list[ResourceResult] = field(default_factory=list)
    retries: int = 0
    bucket_exists: bool = False

    def record(self, kind: str, name: str, action: str, *, exists: bool, up_to_date: bool | None, detail: str = "") -> None:
        self.results.append(ResourceResult(kind, name, action, exists, up_to_date, detail))

    def converge(
        self, kind: str, name: str, *, exists: bool, up_to_date: bool | None, change: Callable[[], Any], detail: str = ""
    ) -> None:
        """Run ``change`` (when applying) unless the resource is up to date; record the action."""
        if up_to_date:
            action = "unchanged"
        elif up_to_date is None and exists:
            action = "unknown"
        elif self.apply:
            change()
            action = "updated" if exists else "created"
        else:
            action = "would update" if exists else "would create"
        self.record(kind, name, action, exists=exists, up_to_date=up_to_date, detail=detail)

    def remove(self, kind: str, name: str, change: Callable[[], Any], detail: str = "") -> None:
        if self.apply:
            change()
        self.record(kind, name, "deleted" if self.apply else "would delete", exists=True, up_to_date=None, detail=detail)

    def with_role_retry(self, fn: Callable[[], Any]) -> Any:
        """Retry Lambda's "role cannot be assumed" while a new role propagates (backoff, full jitter)."""

        def note(attempt: int, exc: BaseException, wait: float) -> None:
            self.retries += 1

        return call_with_retries(fn, policy=self.role_retry, retryable=is_role_propagation_error, on_retry=note)


# -- helpers ----------------------------------------------------------------------------------------


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def is_not_found(exc: BaseException) -> bool:
    return error_code(exc) in NOT_FOUND


def is_role_propagation_error(exc: BaseException) -> bool:
    message = str((getattr(exc, "response", None) or {}).get("Error", {}).get("Message", ""))
    return error_code(exc) == "InvalidParameterValueException" and "cannot be assumed by Lambda" in message


def code_sha256(sha_hex: str) -> str:
    """Lambda's ``CodeSha256``: the base64 of the raw digest."""
    return base64.b64encode(bytes.fromhex(sha_hex)).decode()


def tag_dict(tags: Any) -> dict[str, str]:
    """Tags as a dict, from either ``[{"Key", "Value"}]`` or a dict."""
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    return {t["Key"]: t["Value"] for t in tags or []}


def _unmanaged(ctx: Context, kind: str, name: str) -> None:
    message = (
        f"{kind} {name!r} exists but was not created by podpac-exec (no {MANAGED_TAG} tag); "
        "choose another name in [aws_lambda] settings, or remove it"
    )
    if ctx.apply:
        raise BuildError(message)
    ctx.record(kind, name, "not managed", exists=True, up_to_date=None, detail=message)
