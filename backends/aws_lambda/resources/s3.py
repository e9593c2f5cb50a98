"""S3: the bucket, staged artifacts, the results expiry rule and removal under the managed prefix."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from podpac_exec.backends.aws_lambda.resources.context import (
    BuildError,
    BuildInputError,
    Context,
    SHA_METADATA,
    error_code,
    is_not_found,
    tag_dict,
)


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
