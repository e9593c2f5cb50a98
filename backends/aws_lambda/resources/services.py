"""The function's AWS resources, one small function each: inspect, then converge or remove.

Every step compares what exists with what is wanted and calls a mutating API only when they
differ, so a build with nothing changed mutates nothing. With ``Context.apply`` false the same
steps only report what they would do (``podpac-exec aws status`` and the ``delete`` preview).
Everything created is tagged ``podpac-exec:managed=true`` and ``podpac-exec:function=<name>``
(layer versions, which take no tags, carry the same in their description); removal only touches
what carries those tags, and objects only under the managed prefix.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from podpac_exec.backends.aws_lambda.resources import iam_policy
from podpac_exec.backends.aws_lambda.packaging.core import file_sha256
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


# -- identity and IAM ---------------------------------------------------------------------------------


def caller_identity(sts: Any) -> tuple[str, str]:
    """(account id, partition) of the credentials in use."""
    ident = sts.get_caller_identity()
    return ident["Account"], ident["Arn"].split(":")[1]


def get_role(iam: Any, name: str) -> dict[str, Any] | None:
    try:
        return iam.get_role(RoleName=name)["Role"]
    except Exception as exc:
        if is_not_found(exc):
            return None
        raise


def converge_role(ctx: Context) -> str:
    """The role (trust policy for Lambda, tags) and its inline policy; returns the role ARN."""
    t, iam = ctx.target, ctx.clients.iam
    if t.given_role_arn:
        ctx.record("role", t.given_role_arn, "given", exists=True, up_to_date=True, detail="aws_lambda.role_arn, used as is")
        return t.given_role_arn
    trust = iam_policy.trust_policy()
    role = get_role(iam, t.role_name)
    if role is None:

        def create() -> None:
            iam.create_role(
                RoleName=t.role_name, AssumeRolePolicyDocument=json.dumps(trust),
                Description=f"podpac-exec function {t.function_name}", Tags=t.tag_list,
            )  # fmt: skip
            iam.get_waiter("role_exists").wait(RoleName=t.role_name)

        ctx.converge("role", t.role_name, exists=False, up_to_date=False, change=create)
    elif not t.owns(tag_dict(role.get("Tags")), any_function=True):
        _unmanaged(ctx, "role", t.role_name)
        return role["Arn"]
    else:
        same = iam_policy.canonical(role["AssumeRolePolicyDocument"]) == iam_policy.canonical(trust)
        ctx.converge(
            "role", t.role_name, exists=True, up_to_date=same, detail="" if same else "trust policy differs",
            change=lambda: iam.update_assume_role_policy(RoleName=t.role_name, PolicyDocument=json.dumps(trust)),
        )  # fmt: skip
    _converge_role_policy(ctx, role is not None)
    return role["Arn"] if role else t.role_arn


def _converge_role_policy(ctx: Context, role_exists: bool) -> None:
    t, iam = ctx.target, ctx.clients.iam
    wanted = t.policy()
    current = None
    if role_exists:
        try:
            current = iam.get_role_policy(RoleName=t.role_name, PolicyName=t.policy_name)["PolicyDocument"]
        except Exception as exc:
            if not is_not_found(exc):
                raise
    ctx.converge(
        "role policy", t.policy_name, exists=current is not None,
        up_to_date=current is not None and iam_policy.canonical(current) == iam_policy.canonical(wanted),
        change=lambda: iam.put_role_policy(RoleName=t.role_name, PolicyName=t.policy_name, PolicyDocument=json.dumps(wanted)),
    )  # fmt: skip


def delete_role(ctx: Context) -> None:
    """Our inline policy; then the role if podpac-exec created it and nothing else is attached."""
    t, iam = ctx.target, ctx.clients.iam
    if t.given_role_arn:
        ctx.record("role", t.given_role_arn, "kept", exists=True, up_to_date=None, detail="given, not managed")
        return
    role = get_role(iam, t.role_name)
    if role is None:
        ctx.record("role", t.role_name, "absent", exists=False, up_to_date=None)
        return
    inline = iam.list_role_policies(RoleName=t.role_name)["PolicyNames"]
    if t.policy_name in inline:
        ctx.remove("role policy", t.policy_name, lambda: iam.delete_role_policy(RoleName=t.role_name, PolicyName=t.policy_name))
    others = [p for p in inline if p != t.policy_name]
    attached = iam.list_attached_role_policies(RoleName=t.role_name)["AttachedPolicies"]
    if not t.owns(tag_dict(role.get("Tags")), any_function=True):
        ctx.record("role", t.role_name, "kept", exists=True, up_to_date=None, detail="not created by podpac-exec")
    elif others or attached:
        detail = f"still has policies: {', '.join(others + [a['PolicyName'] for a in attached])}"
        ctx.record("role", t.role_name, "kept", exists=True, up_to_date=None, detail=detail)
    else:
        ctx.remove("role", t.role_name, lambda: iam.delete_role(RoleName=t.role_name))


# -- S3 ------------------------------------------------------------------------------------------------


def bucket_tags(s3: Any, bucket: str) -> dict[str, str]:
    try:
        return tag_dict(s3.get_bucket_tagging(Bucket=bucket)["TagSet"])
    except Exception as exc:
        if error_code(exc) in ("NoSuchTagSet", "NoSuchTagSetError"):
            return {}
        raise


def bucket_exists(s3: Any, bucket: str) -> bool:
    try:
        s3.head_bucket(Bucket=bucket)
        return True
    except Exception as exc:
        if is_not_found(exc):
            return False
        if error_code(exc) in ("403", "AccessDenied", "Forbidden"):
            raise BuildError(f"bucket {bucket!r} exists but these credentials cannot use it (another account's?)") from exc
        raise


def _bucket_region(s3: Any, bucket: str) -> str:
    location = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
    return "eu-west-1" if location == "EU" else location


def converge_bucket(ctx: Context) -> None:
    """The bucket, in the function's region (created and tagged when missing, else used as is)."""
    t, s3 = ctx.target, ctx.clients.s3
    if not bucket_exists(s3, t.bucket):

        def create() -> None:
            config = {} if t.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": t.region}}
            s3.create_bucket(Bucket=t.bucket, **config)
            s3.get_waiter("bucket_exists").wait(Bucket=t.bucket)
            s3.put_bucket_tagging(Bucket=t.bucket, Tagging={"TagSet": t.tag_list})

        ctx.converge("bucket", t.bucket, exists=False, up_to_date=False, change=create, detail=t.region)
        ctx.bucket_exists = ctx.apply
        return
    region = _bucket_region(s3, t.bucket)
    if region != t.region:
        raise BuildError(f"bucket {t.bucket!r} is in {region}, but the function is in {t.region}: Lambda needs them together")
    ctx.bucket_exists = True
    owner = "created by this build" if t.owns(bucket_tags(s3, t.bucket)) else "not created by this build: never deleted"
    ctx.record("bucket", t.bucket, "unchanged", exists=True, up_to_date=True, detail=owner)


def stored_sha256(s3: Any, bucket: str, key: str) -> str | None:
    """The sha256 in an object's metadata ("" when it has none); None when there is no object."""
    try:
        return s3.head_object(Bucket=bucket, Key=key).get("Metadata", {}).get(SHA_METADATA, "")
    except Exception as exc:
        if is_not_found(exc):
            return None
        raise


def object_sha256(s3: Any, bucket: str, key: str) -> str:
    """An object's sha256: from its metadata when present, else by reading it."""
    stored = stored_sha256(s3, bucket, key)
    if stored is None:
        raise BuildInputError(f"s3://{bucket}/{key} does not exist", field="aws_lambda.function_source_bucket")
    if stored:
        return stored
    digest = hashlib.sha256()
    for chunk in s3.get_object(Bucket=bucket, Key=key)["Body"].iter_chunks(1 << 20):
        digest.update(chunk)
    return digest.hexdigest()


def stage_file(ctx: Context, kind: str, path: Path, sha: str, bucket: str, key: str, own_bucket: bool = True) -> None:
    """Upload ``path`` to ``s3://bucket/key`` unless the object's stored sha256 is ``sha``."""
    s3 = ctx.clients.s3
    current = stored_sha256(s3, bucket, key) if ctx.bucket_exists or not own_bucket else None
    ctx.converge(
        kind, f"s3://{bucket}/{key}", exists=current is not None, up_to_date=current == sha, detail=f"sha256 {sha[:12]}",
        change=lambda: s3.upload_file(str(path), bucket, key, ExtraArgs={"Metadata": {SHA_METADATA: sha}}),
    )  # fmt: skip


def copy_object(ctx: Context, kind: str, source_bucket: str, source_key: str, key: str) -> str:
    """Copy a source object into the function's bucket unless the copy is current; returns its sha256."""
    t, s3 = ctx.target, ctx.clients.s3
    sha = object_sha256(s3, source_bucket, source_key)
    current = stored_sha256(s3, t.bucket, key) if ctx.bucket_exists else None
    ctx.converge(
        kind, f"s3://{t.bucket}/{key}", exists=current is not None, up_to_date=current == sha,
        detail=f"from s3://{source_bucket}/{source_key}",
        change=lambda: s3.copy_object(
            Bucket=t.bucket, Key=key, CopySource={"Bucket": source_bucket, "Key": source_key},
            Metadata={SHA_METADATA: sha}, MetadataDirective="REPLACE",
        ),
    )  # fmt: skip
    return sha


def _lifecycle_rules(s3: Any, bucket: str) -> list[dict[str, Any]]:
    try:
        return s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    except Exception as exc:
        if error_code(exc) == "NoSuchLifecycleConfiguration":
            return []
        raise


def _put_rules(s3: Any, bucket: str, rules: list[dict[str, Any]]) -> None:
    if rules:
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    else:
        s3.delete_bucket_lifecycle(Bucket=bucket)


def converge_results_expiry(ctx: Context, days: int) -> None:
    """A lifecycle rule expiring ``<prefix>/results/`` after ``days`` (0: no rule), merged with the bucket's others."""
    t, s3 = ctx.target, ctx.clients.s3
    rules = _lifecycle_rules(s3, t.bucket) if ctx.bucket_exists else []
    ours = [r for r in rules if r.get("ID") == t.lifecycle_id]
    others = [r for r in rules if r.get("ID") != t.lifecycle_id]
    if days <= 0:
        if ours:
            ctx.remove("lifecycle rule", t.lifecycle_id, lambda: _put_rules(s3, t.bucket, others))
        return
    prefix = t.key("results") + "/"
    wanted = {"ID": t.lifecycle_id, "Status": "Enabled", "Filter": {"Prefix": prefix}, "Expiration": {"Days": days}}
    same = bool(ours) and (
        ours[0].get("Status") == "Enabled"
        and (ours[0].get("Filter") or {}).get("Prefix", ours[0].get("Prefix")) == prefix
        and (ours[0].get("Expiration") or {}).get("Days") == days
    )
    ctx.converge(
        "lifecycle rule", t.lifecycle_id, exists=bool(ours), up_to_date=same, detail=f"{prefix} after {days} d",
        change=lambda: _put_rules(s3, t.bucket, others + [wanted]),
    )  # fmt: skip


def remove_results_expiry(ctx: Context) -> None:
    if ctx.bucket_exists:
        converge_results_expiry(ctx, 0)


def _listed_objects(s3: Any, bucket: str, prefix: str) -> list[dict[str, str]]:
    """Every object (and version, in a versioned bucket) under ``prefix``, as delete_objects entries."""
    versioned = s3.get_bucket_versioning(Bucket=bucket).get("Status") in ("Enabled", "Suspended")
    found: list[dict[str, str]] = []
    if versioned:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
                found.append({"Key": item["Key"], "VersionId": item["VersionId"]})
    else:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            found.extend({"Key": item["Key"]} for item in page.get("Contents", []))
    # S3 filtered by prefix already; checking again keeps a foreign object out whatever S3 answers.
    return [item for item in found if item["Key"].startswith(prefix)]


def delete_prefix_objects(ctx: Context) -> None:
    """Every object under ``<prefix>/`` (artifacts, results, inputs, outputs), and nothing else."""
    t, s3 = ctx.target, ctx.clients.s3
    prefix = t.prefix + "/"
    objects = _listed_objects(s3, t.bucket, prefix)
    if not objects:
        ctx.record("objects", f"s3://{t.bucket}/{prefix}", "absent", exists=False, up_to_date=None)
        return

    def delete() -> None:
        for start in range(0, len(objects), 1000):
            answer = s3.delete_objects(Bucket=t.bucket, Delete={"Objects": objects[start : start + 1000], "Quiet": True})
            if answer.get("Errors"):
                first = answer["Errors"][0]
                raise BuildError(f"could not delete s3://{t.bucket}/{first['Key']}: {first.get('Code')} {first.get('Message')}")

    ctx.remove("objects", f"s3://{t.bucket}/{prefix}", delete, detail=f"{len(objects)} object(s)")


def _holds_objects_outside(s3: Any, bucket: str, prefix: str) -> bool:
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        if any(not item["Key"].startswith(prefix) for item in page.get("Versions", []) + page.get("DeleteMarkers", [])):
            return True
    return False


def delete_bucket(ctx: Context) -> None:
    """The bucket, only if this function's build created it and it is empty now."""
    t, s3 = ctx.target, ctx.clients.s3
    if not t.owns(bucket_tags(s3, t.bucket)):
        ctx.record("bucket", t.bucket, "kept", exists=True, up_to_date=None, detail="not created by this build")
        return
    if _holds_objects_outside(s3, t.bucket, t.prefix + "/"):
        ctx.record("bucket", t.bucket, "kept", exists=True, up_to_date=None, detail="holds objects outside the prefix")
        return
    ctx.remove("bucket", t.bucket, lambda: s3.delete_bucket(Bucket=t.bucket))


# -- CloudWatch Logs -----------------------------------------------------------------------------------


def get_log_group(logs: Any, name: str) -> dict[str, Any] | None:
    for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=name):
        for group in page.get("logGroups", []):
            if group["logGroupName"] == name:
                return group
    return None


def _log_group_tags(logs: Any, group: dict[str, Any]) -> dict[str, str]:
    arn = group.get("logGroupArn") or group["arn"].removesuffix(":*")
    return tag_dict(logs.list_tags_for_resource(resourceArn=arn).get("tags", {}))


def converge_log_group(ctx: Context, retention_days: int) -> None:
    """``/aws/lambda/<function>``, tagged, with ``retention_days`` (0: never expire)."""
    t, logs = ctx.target, ctx.clients.logs
    group = get_log_group(logs, t.log_group)

    def set_retention() -> None:
        if retention_days > 0:
            logs.put_retention_policy(logGroupName=t.log_group, retentionInDays=retention_days)
        elif group is not None:
            logs.delete_retention_policy(logGroupName=t.log_group)

    def create() -> None:
        logs.create_log_group(logGroupName=t.log_group, tags=t.tags)
        if retention_days > 0:
            set_retention()

    detail = f"retention {retention_days} d" if retention_days > 0 else "no retention limit"
    if group is None:
        ctx.converge("log group", t.log_group, exists=False, up_to_date=False, change=create, detail=detail)
        return
    same = group.get("retentionInDays") == (retention_days if retention_days > 0 else None)
    ctx.converge("log group", t.log_group, exists=True, up_to_date=same, change=set_retention, detail=detail)


def delete_log_group(ctx: Context) -> None:
    t, logs = ctx.target, ctx.clients.logs
    group = get_log_group(logs, t.log_group)
    if group is None:
        ctx.record("log group", t.log_group, "absent", exists=False, up_to_date=None)
    elif not t.owns(_log_group_tags(logs, group)):
        ctx.record("log group", t.log_group, "kept", exists=True, up_to_date=None, detail="not created by podpac-exec")
    else:
        ctx.remove("log group", t.log_group, lambda: logs.delete_log_group(logGroupName=t.log_group))


# -- Lambda: layers ---------------------------------------------------------------------------------------


def layer_name(function_name: str, path: Path) -> str:
    stem = path.name.removesuffix(".zip")
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{function_name}-{stem}")[:140]


def layer_description(function_name: str, sha: str) -> str:
    return f"podpac-exec function={function_name} sha256={sha}"


def _parse_layer_description(text: str) -> dict[str, str]:
    words = text.split()
    if not words or words[0] != "podpac-exec":
        return {}
    return dict(w.split("=", 1) for w in words[1:] if "=" in w)


def _layer_versions(lam: Any, name: str) -> list[dict[str, Any]]:
    try:
        return [v for page in lam.get_paginator("list_layer_versions").paginate(LayerName=name) for v in page["LayerVersions"]]
    except Exception as exc:
        if is_not_found(exc):
            return []
        raise


def converge_layers(ctx: Context, paths: list[Path], direct_limit: int = DIRECT_UPLOAD_LIMIT) -> list[str]:
    """Publish each layer zip unless a version with its sha256 exists; returns the version ARNs."""
    t, lam = ctx.target, ctx.clients.lam
    arns: list[str] = []
    for path in paths:
        name, sha = layer_name(t.function_name, path), file_sha256(path)
        versions = _layer_versions(lam, name)
        match = [v for v in versions if _parse_layer_description(v.get("Description", "")) == {"function": t.function_name, "sha256": sha}]
        if match:
            ctx.record("layer", name, "unchanged", exists=True, up_to_date=True, detail=f"version {match[0]['Version']}")
            arns.append(match[0]["LayerVersionArn"])
            continue
        published: dict[str, str] = {}

        def publish(path: Path = path, name: str = name, sha: str = sha) -> None:
            if path.stat().st_size < direct_limit:
                content: dict[str, Any] = {"ZipFile": path.read_bytes()}
            else:
                key = t.key("artifacts", "layers", path.name)
                stage_file(ctx, "layer zip", path, sha, t.bucket, key)
                content = {"S3Bucket": t.bucket, "S3Key": key}
            answer = lam.publish_layer_version(
                LayerName=name, Description=layer_description(t.function_name, sha), Content=content,
                CompatibleRuntimes=[t.runtime], CompatibleArchitectures=[t.architecture],
            )  # fmt: skip
            published["arn"] = answer["LayerVersionArn"]

        ctx.converge("layer", name, exists=bool(versions), up_to_date=False, change=publish, detail=f"sha256 {sha[:12]}")
        arns.append(published.get("arn", f"arn:{t.partition}:lambda:{t.region}:{t.account}:layer:{name}:(new)"))
    return arns


def delete_layers(ctx: Context) -> None:
    """Every layer version whose description names this function."""
    t, lam = ctx.target, ctx.clients.lam
    for page in lam.get_paginator("list_layers").paginate():
        for layer in page["Layers"]:
            for version in _layer_versions(lam, layer["LayerName"]):
                if _parse_layer_description(version.get("Description", "")).get("function") != t.function_name:
                    continue
                ctx.remove(
                    "layer", f"{layer['LayerName']}:{version['Version']}",
                    lambda n=layer["LayerName"], v=version["Version"]: lam.delete_layer_version(LayerName=n, VersionNumber=v),
                )  # fmt: skip


# -- Lambda: the function ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeSource:
    """The function's code: a local zip, or an S3 object; ``sha256`` (hex) None when unknown."""

    sha256: str | None
    zip_path: Path | None = None
    s3_bucket: str = ""
    s3_key: str = ""

    def code_args(self) -> dict[str, Any]:
        if self.zip_path is not None:
            return {"ZipFile": self.zip_path.read_bytes()}
        return {"S3Bucket": self.s3_bucket, "S3Key": self.s3_key}

    def describe(self) -> str:
        if self.zip_path is None and not self.s3_bucket:
            return "no local zip to compare"
        where = str(self.zip_path) if self.zip_path else f"s3://{self.s3_bucket}/{self.s3_key}"
        return f"{where} sha256 {self.sha256[:12]}" if self.sha256 else where


def get_function(lam: Any, name: str) -> dict[str, Any] | None:
    try:
        return lam.get_function(FunctionName=name)
    except Exception as exc:
        if is_not_found(exc):
            return None
        raise


def desired_configuration(t: Target, role_arn: str, environment: dict[str, str], layers: list[str]) -> dict[str, Any]:
    return {
        "Role": role_arn,
        "Handler": t.handler,
        "Runtime": t.runtime,
        "MemorySize": t.memory_mb,
        "Timeout": t.timeout_s,
        "EphemeralStorage": {"Size": t.ephemeral_storage_mb},
        "Environment": {"Variables": dict(environment)},
        "Layers": list(layers),
        "Description": DESCRIPTION,
    }


def configuration_differences(conf: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    """The names of the fields of ``wanted`` that the function's configuration does not match."""
    current = {
        "Role": conf.get("Role"),
        "Handler": conf.get("Handler"),
        "Runtime": conf.get("Runtime"),
        "MemorySize": conf.get("MemorySize"),
        "Timeout": conf.get("Timeout"),
        "EphemeralStorage": {"Size": (conf.get("EphemeralStorage") or {}).get("Size", 512)},
        "Environment": {"Variables": (conf.get("Environment") or {}).get("Variables") or {}},
        "Layers": [layer["Arn"] for layer in conf.get("Layers") or []],
        "Description": conf.get("Description", ""),
    }
    return [key for key, value in wanted.items() if current.get(key) != value]


def converge_function(ctx: Context, code: CodeSource, wanted: dict[str, Any]) -> str:
    """Create the function, or update its code and configuration where they differ; returns its ARN."""
    t, lam = ctx.target, ctx.clients.lam
    found = get_function(lam, t.function_name)
    if found is None:

        def create() -> None:
            ctx.with_role_retry(lambda: lam.create_function(
                FunctionName=t.function_name, Code=code.code_args(), Architectures=[t.architecture],
                PackageType="Zip", Publish=False, Tags=t.tags, **wanted,
            ))  # fmt: skip
            lam.get_waiter("function_active_v2").wait(FunctionName=t.function_name)

        ctx.converge("function", t.function_name, exists=False, up_to_date=False, change=create, detail=code.describe())
        return t.function_arn
    if not t.owns(tag_dict(found.get("Tags"))):
        _unmanaged(ctx, "function", t.function_name)
        return found["Configuration"]["FunctionArn"]
    conf = found["Configuration"]
    if ctx.apply and conf.get("LastUpdateStatus") == "InProgress":
        lam.get_waiter("function_updated_v2").wait(FunctionName=t.function_name)
    same_arch = (conf.get("Architectures") or ["x86_64"]) == [t.architecture]
    code_same = None if code.sha256 is None else conf.get("CodeSha256") == code_sha256(code.sha256) and same_arch
    ctx.converge(
        "function code", t.function_name, exists=True, up_to_date=code_same, detail=code.describe(),
        change=lambda: _update(ctx, lambda: lam.update_function_code(
            FunctionName=t.function_name, Architectures=[t.architecture], **code.code_args())),
    )  # fmt: skip
    differences = configuration_differences(conf, wanted)
    ctx.converge(
        "function config", t.function_name, exists=True, up_to_date=not differences, detail=", ".join(differences),
        change=lambda: _update(ctx, lambda: ctx.with_role_retry(
            lambda: lam.update_function_configuration(FunctionName=t.function_name, **wanted))),
    )  # fmt: skip
    return conf["FunctionArn"]


def _update(ctx: Context, call: Callable[[], Any]) -> None:
    call()
    ctx.clients.lam.get_waiter("function_updated_v2").wait(FunctionName=ctx.target.function_name)


def delete_function(ctx: Context) -> None:
    t, lam = ctx.target, ctx.clients.lam
    found = get_function(lam, t.function_name)
    if found is None:
        ctx.record("function", t.function_name, "absent", exists=False, up_to_date=None)
    elif not t.owns(tag_dict(found.get("Tags"))):
        ctx.record("function", t.function_name, "kept", exists=True, up_to_date=None, detail="not created by podpac-exec")
    else:
        ctx.remove("function", t.function_name, lambda: lam.delete_function(FunctionName=t.function_name))


# -- the S3 trigger ---------------------------------------------------------------------------------------


def _permission_statements(lam: Any, name: str) -> dict[str, dict[str, Any]]:
    try:
        policy = json.loads(lam.get_policy(FunctionName=name)["Policy"])
    except Exception as exc:
        if is_not_found(exc):
            return {}
        raise
    return {s.get("Sid", ""): s for s in policy.get("Statement", [])}


def _notification_configuration(s3: Any, bucket: str) -> dict[str, Any]:
    config = s3.get_bucket_notification_configuration(Bucket=bucket)
    config.pop("ResponseMetadata", None)
    return config


def _wanted_notification(t: Target, function_arn: str) -> dict[str, Any]:
    rules = [{"Name": "prefix", "Value": t.key("input") + "/"}, {"Name": "suffix", "Value": ".json"}]
    return {"Id": t.trigger_id, "LambdaFunctionArn": function_arn, "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": rules}}}  # fmt: skip


def _notification_key(entry: dict[str, Any]) -> tuple[Any, ...]:
    rules = entry.get("Filter", {}).get("Key", {}).get("FilterRules", [])
    return (
        entry.get("LambdaFunctionArn"),
        tuple(sorted(entry.get("Events", []))),
        tuple(sorted((r["Name"].lower(), r["Value"]) for r in rules)),
    )


def converge_s3_trigger(ctx: Context, function_arn: str, enabled: bool | None) -> None:
    """``True``: invoke permission for S3 plus a notification (``<prefix>/input/*.json``) merged
    into the bucket's others; ``False``: remove both; ``None``: leave them as they are."""
    if enabled is False:
        remove_s3_trigger(ctx)
        return
    t, s3, lam = ctx.target, ctx.clients.s3, ctx.clients.lam
    config = _notification_configuration(s3, t.bucket) if ctx.bucket_exists else {}
    entries = config.get("LambdaFunctionConfigurations", [])
    ours = [e for e in entries if e.get("Id") == t.trigger_id]
    if enabled is None:
        if ours:
            ctx.record("s3 trigger", t.trigger_id, "unchanged", exists=True, up_to_date=True, detail="configured")
        else:
            ctx.record("s3 trigger", t.trigger_id, "skipped", exists=False, up_to_date=None, detail="not requested (--s3-trigger)")
        return
    statement = _permission_statements(lam, t.function_name).get(t.permission_sid)
    source = ((statement or {}).get("Condition") or {}).get("ArnLike", {}).get("AWS:SourceArn")

    def permit() -> None:
        if statement is not None:
            lam.remove_permission(FunctionName=t.function_name, StatementId=t.permission_sid)
        lam.add_permission(
            FunctionName=t.function_name, StatementId=t.permission_sid, Action="lambda:InvokeFunction",
            Principal="s3.amazonaws.com", SourceArn=t.bucket_arn, SourceAccount=t.account,
        )  # fmt: skip

    ctx.converge("invoke permission", t.permission_sid, exists=statement is not None,
                 up_to_date=source == t.bucket_arn, change=permit, detail="s3.amazonaws.com")  # fmt: skip
    wanted = _wanted_notification(t, function_arn)
    others = [e for e in entries if e.get("Id") != t.trigger_id]
    same = bool(ours) and _notification_key(ours[0]) == _notification_key(wanted)
    ctx.converge(
        "s3 trigger", t.trigger_id, exists=bool(ours), up_to_date=same, detail=f"{t.key('input')}/*.json -> {t.key('output')}/",
        change=lambda: s3.put_bucket_notification_configuration(
            Bucket=t.bucket, NotificationConfiguration={**config, "LambdaFunctionConfigurations": others + [wanted]}),
    )  # fmt: skip


def remove_s3_trigger(ctx: Context) -> None:
    """Our notification entry (the bucket's others stay) and the invoke permission."""
    t, s3, lam = ctx.target, ctx.clients.s3, ctx.clients.lam
    if ctx.bucket_exists:
        config = _notification_configuration(s3, t.bucket)
        entries = config.get("LambdaFunctionConfigurations", [])
        others = [e for e in entries if e.get("Id") != t.trigger_id]
        if len(others) != len(entries):
            new = {**config, "LambdaFunctionConfigurations": others}
            ctx.remove("s3 trigger", t.trigger_id,
                       lambda: s3.put_bucket_notification_configuration(Bucket=t.bucket, NotificationConfiguration=new))
    if t.permission_sid in _permission_statements(lam, t.function_name):
        ctx.remove("invoke permission", t.permission_sid,
                   lambda: lam.remove_permission(FunctionName=t.function_name, StatementId=t.permission_sid))
