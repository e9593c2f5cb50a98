"""Lambda: the function itself, its code and configuration."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from podpac_exec.backends.aws_lambda.resources.context import (
    Context,
    DESCRIPTION,
    Target,
    _unmanaged,
    code_sha256,
    is_not_found,
    tag_dict,
)


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
