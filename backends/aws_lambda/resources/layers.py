"""Lambda layers: one managed layer version per dependency zip, found again by its sha256."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from podpac_exec.backends.aws_lambda.packaging.core import file_sha256
from podpac_exec.backends.aws_lambda.resources.context import Context, DIRECT_UPLOAD_LIMIT, is_not_found
from podpac_exec.backends.aws_lambda.resources.s3 import stage_file


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
